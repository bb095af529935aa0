//! `nianbao batch`, `verify` and `sample-inputs`: a whole county.

use std::path::Path;

use super::{Fatal, Format, Outcome, write_error};

/// Runs a batch: a progress bar on a terminal, else one line per input;
/// the last line gives the counts. 2 if any input could not be read (or the
/// batch could not run), else 1 if any failed. SIGINT or SIGTERM stop it
/// cleanly: 130 or 143 and how far it got; a second signal ends it at once.
/// `options` as the command line gave them; `format` says whether the check
/// report is also written as JSON.
pub fn run(mut options: nianbao::batch::Options, format: Format) -> Result<Outcome, Fatal> {
    use std::io::IsTerminal;
    options.json_report = matches!(format, Format::Json);
    let stop = StopSignals::install();
    options.cancel = Some(stop.flag.clone());
    nianbao::batch::tune_allocator();
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:40} {pos}/{len} {elapsed_precise} 剩余 {eta} {msg}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    });
    let progress = |r: &nianbao::batch::InputResult, done: usize, total: usize| match &bar {
        Some(bar) => {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
            if r.status != nianbao::batch::Status::Ok {
                bar.println(format!("{} {}：{}", r.status.chinese(), r.input, r.message));
            }
        }
        None => {
            let agency = r.agency.as_deref().unwrap_or("-");
            println!(
                "[{done}/{total}] {} {} {agency}：{}",
                r.status.chinese(),
                r.input,
                r.message
            );
        }
    };
    let outcome = nianbao::batch::run(&options, &progress);
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let outcome = outcome?;
    for note in &outcome.notes {
        eprintln!("注意：{note}");
    }
    if outcome.interrupted {
        eprintln!(
            "已中断：已处理 {}/{} 个输入，未写汇总表和清单",
            outcome.counts.total, outcome.inputs
        );
        return Ok(Outcome {
            signal: Some(stop.signal()),
            ..Outcome::default()
        });
    }
    for file in &outcome.reports {
        println!("{}", options.out_dir.join(&file.path).display());
    }
    let c = &outcome.counts;
    println!(
        "共 {} 个输入：成功 {}，未通过 {}，无法读取 {}。",
        c.total, c.ok, c.failed, c.unreadable
    );
    Ok(Outcome {
        failed_io: c.unreadable > 0,
        findings: c.failed > 0,
        signal: None,
    })
}

/// SIGINT and SIGTERM during a batch: the first one sets `flag` (the batch
/// stops taking inputs) and records which; a second one ends the program at
/// once with 128 + its number (temporary files left then are removed by the
/// next batch into the same folder).
struct StopSignals {
    flag: std::sync::Arc<std::sync::atomic::AtomicBool>,
    which: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl StopSignals {
    fn install() -> StopSignals {
        let stop = StopSignals {
            flag: Default::default(),
            which: Default::default(),
        };
        #[cfg(unix)]
        for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
            use signal_hook::flag;
            use std::sync::Arc;
            // In this order: the shutdown checks the flag before it is set.
            // Without handlers the batch just cannot stop cleanly.
            let _ =
                flag::register_conditional_shutdown(signal, 128 + signal, Arc::clone(&stop.flag));
            let _ = flag::register_usize(signal, Arc::clone(&stop.which), signal as usize);
            let _ = flag::register(signal, Arc::clone(&stop.flag));
        }
        stop
    }

    /// The signal that stopped the batch (SIGINT if none was recorded).
    fn signal(&self) -> i32 {
        match self.which.load(std::sync::atomic::Ordering::Relaxed) {
            0 => 2,
            signal => i32::try_from(signal).unwrap_or(2),
        }
    }
}

/// Verifies an output folder against its manifest; a missing, changed or
/// unlisted file is a finding (exit 1), no manifest is fatal (exit 2).
pub fn verify(dir: &Path) -> Result<Outcome, Fatal> {
    let v = nianbao::batch::manifest::verify(dir)?;
    for (what, list) in [
        ("缺失", &v.missing),
        ("已改动", &v.changed),
        ("清单外", &v.unlisted),
        ("路径无效", &v.invalid),
    ] {
        for path in list {
            let name = path.rsplit('/').next().unwrap_or(path);
            if nianbao::is_temp_name(name) {
                println!(
                    "{what}：{path}（中断的运行留下的临时文件，下次对此目录运行 batch 时自动删除）"
                );
            } else {
                println!("{what}：{path}");
            }
        }
    }
    println!(
        "{} 个文件一致，缺失 {}，已改动 {}，清单外 {}。",
        v.ok,
        v.missing.len(),
        v.changed.len(),
        v.unlisted.len() + v.invalid.len()
    );
    Ok(Outcome {
        findings: !v.is_clean(),
        ..Outcome::default()
    })
}

/// Writes `count` synthetic inputs into `dir` (developer tool); refuses a
/// folder that is not empty (its files would be mixed with the new ones).
pub fn sample_inputs(count: u64, dir: &Path) -> Result<Outcome, Fatal> {
    if std::fs::read_dir(dir).is_ok_and(|mut entries| entries.next().is_some()) {
        return Err(Fatal(format!(
            "{}: 目录不为空，未写入（请指定新的或空的目录）",
            dir.display()
        )));
    }
    let paths =
        nianbao::batch::write_sample_inputs(count, dir).map_err(|e| Fatal(write_error(dir, &e)))?;
    println!("{}: 已写 {} 个合成输入", dir.display(), paths.len());
    Ok(Outcome::default())
}
