//! Batch benchmark: N synthetic agencies through `nianbao::batch::run` with 2
//! jobs, reporting wall time and peak RSS.
//!
//! ```sh
//! CARGO_TARGET_DIR=/work/target cargo bench --bench batch            # N = 1000 and 5000
//! CARGO_TARGET_DIR=/work/target cargo bench --bench batch -- 1000 20000
//! ```
//!
//! `BENCH_NO_WRITERS=1` leaves the DOCX and XLSX writers out, to see the
//! batch's own cost; `BENCH_TRACE=1` prints the resident memory every 500
//! inputs.
//!
//! Each N runs in a fresh child process (this same binary), so that its peak
//! RSS (VmHWM of /proc/self/status) is its own. Inputs are written first,
//! outside the measurement.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use nianbao::batch::{self, Options, Status};

const JOBS: usize = 2;

fn status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Peak resident set size so far.
fn peak_rss_kib() -> Option<u64> {
    status_kib("VmHWM:")
}

/// Resident set size now.
fn rss_kib() -> Option<u64> {
    status_kib("VmRSS:")
}

/// The measured part: one batch run, in this process.
fn child(inputs: &Path, out: &Path) {
    let mut options = Options::new(vec![inputs.to_path_buf()], out.to_path_buf());
    options.jobs = Some(JOBS);
    if std::env::var_os("BENCH_NO_WRITERS").is_some() {
        // The batch's own cost: everything but the DOCX and XLSX writers.
        options.outputs = nianbao::Outputs {
            docx: false,
            xlsx: false,
            html: None,
        };
    }
    let start = Instant::now();
    let trace = std::env::var_os("BENCH_TRACE").is_some();
    let progress = |_: &batch::InputResult, done: usize, _: usize| {
        if trace && done.is_multiple_of(500) {
            eprintln!("{done} rss {} KiB", rss_kib().unwrap_or(0));
        }
    };
    let outcome = {
        batch::tune_allocator();
        batch::run(&options, &progress)
    }
    .expect("batch runs");
    let wall = start.elapsed().as_secs_f64();
    let rss = peak_rss_kib().unwrap_or(0);
    println!(
        "{} {} {} {wall:.3} {rss}",
        outcome.counts.total,
        outcome.count(Status::Ok),
        outcome.count(Status::Failed) + outcome.count(Status::Unreadable),
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--child") {
        child(Path::new(&args[1]), Path::new(&args[2]));
        return;
    }
    let sizes: Vec<u64> = args.iter().filter_map(|a| a.parse().ok()).collect();
    let sizes = if sizes.is_empty() {
        vec![1000, 5000]
    } else {
        sizes
    };
    // Always a folder of our own inside BENCH_DIR: it is deleted.
    let work = std::env::var_os("BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir)
        .join("nianbao-bench-batch");
    let exe = std::env::current_exe().expect("own path");
    println!("batch benchmark, {JOBS} jobs, work dir {}", work.display());
    println!(
        "{:>7} {:>7} {:>7} {:>9} {:>12}",
        "inputs", "ok", "failed", "wall (s)", "peak RSS (MB)"
    );
    let _ = std::fs::remove_dir_all(&work);
    for (i, n) in sizes.into_iter().enumerate() {
        // New folders for every run, removed only at the end: ext4 creates
        // files slowly for ~30 s after thousands were deleted.
        let inputs = work.join(format!("in-{i}-{n}"));
        let out = work.join(format!("out-{i}-{n}"));
        batch::write_sample_inputs(n, &inputs).expect("sample inputs");
        let output = Command::new(&exe)
            .arg("--child")
            .arg(&inputs)
            .arg(&out)
            .output()
            .expect("child runs");
        let line = String::from_utf8_lossy(&output.stdout);
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() != 5 {
            eprintln!(
                "child failed: {line} {}",
                String::from_utf8_lossy(&output.stderr)
            );
            continue;
        }
        let rss_mb = f[4].parse::<f64>().unwrap_or(0.0) / 1024.0;
        println!(
            "{:>7} {:>7} {:>7} {:>9} {:>12.1}",
            f[0], f[1], f[2], f[3], rss_mb
        );
    }
    let _ = std::fs::remove_dir_all(&work);
}
