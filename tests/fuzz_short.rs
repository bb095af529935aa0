//! The short fuzz pass that runs in CI on stable Rust: a few thousand
//! deterministic mutations of the committed seeds (fuzz/seeds/) through the
//! same entry points as the libFuzzer targets (fuzz/entry.rs). No coverage
//! feedback: it is a smoke test that catches a regression of a crash family,
//! not a substitute for `scripts/fuzz.sh` (see docs/fuzzing.md).
//!
//! Each input runs on a worker thread; a panic, a unit slower than the time
//! limit or a peak memory above the limit fails the test and saves the input
//! to `target/fuzz-short/<target>-failure.bin` (replay it with the libFuzzer
//! target: `fuzz/target/*/release/<target> <file>`). A stack overflow aborts
//! the process: the input being run is always in
//! `target/fuzz-short/<target>-current.bin`.
//!
//! `NIANBAO_FUZZ_RUNS` (default 2000 per target) and `NIANBAO_FUZZ_SEED` vary the pass.
//!
//! A test binary of its own (not a module of `tests/it`): it measures the
//! peak memory of its process, which other tests running beside it would spoil.

#[path = "../fuzz/entry.rs"]
mod entry;

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A unit slower than this is a hang (debug build: about 10× the fuzz build's 2 s).
const TIME_LIMIT: Duration = Duration::from_secs(20);
/// Peak resident memory of the test process above this is an out-of-memory.
const MEMORY_LIMIT_KB: u64 = 1024 * 1024;

type Entry = fn(&[u8]);

/// SplitMix64: small, deterministic, good enough to pick mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number below `n` (0 when `n` is 0).
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            (p, bytes)
        })
        .collect();
    out.sort();
    out
}

/// The tokens of a libFuzzer dictionary (`"..."` lines, `\\`, `\"` and `\xNN` escapes).
fn dictionary(path: &Path) -> Vec<Vec<u8>> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    let mut tokens = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        let (Some(start), Some(end)) = (line.find('"'), line.rfind('"')) else {
            continue;
        };
        if line.starts_with('#') || end <= start {
            continue;
        }
        let raw = &line.as_bytes()[start + 1..end];
        let mut token = Vec::new();
        let mut i = 0;
        while i < raw.len() {
            match (raw[i], raw.get(i + 1)) {
                (b'\\', Some(b'x')) if i + 4 <= raw.len() => {
                    let hex = std::str::from_utf8(&raw[i + 2..i + 4]).unwrap_or("");
                    token.push(u8::from_str_radix(hex, 16).unwrap_or(b'?'));
                    i += 4;
                }
                (b'\\', Some(&c)) => {
                    token.push(c);
                    i += 2;
                }
                (c, _) => {
                    token.push(c);
                    i += 1;
                }
            }
        }
        tokens.push(token);
    }
    tokens
}

const NUMBERS: [&[u8]; 10] = [
    b"0",
    b"-1",
    b"4294967295",
    b"4294967296",
    b"18446744073709551616",
    b"99999999999999999999",
    b"1e400",
    b"0.30000000000000004",
    b"1048576",
    b"16384",
];

/// One mutation of `data` in place.
fn mutate(data: &mut Vec<u8>, rng: &mut Rng, dict: &[Vec<u8>], others: &[(PathBuf, Vec<u8>)]) {
    let len = data.len();
    match rng.below(9) {
        // Flip a bit.
        0 if len > 0 => {
            let i = rng.below(len);
            data[i] ^= 1 << rng.below(8);
        }
        // An interesting byte.
        1 if len > 0 => {
            let i = rng.below(len);
            data[i] = b"\0\xff\"'{}<>[]=,:.\\\n0123456789-"[rng.below(27)];
        }
        // Delete a range.
        2 if len > 0 => {
            let i = rng.below(len);
            let n = 1 + rng.below(16.min(len - i));
            data.drain(i..i + n);
        }
        // Repeat a range in place (grows nesting and sizes).
        3 if len > 0 => {
            let i = rng.below(len);
            let n = 1 + rng.below(64.min(len - i));
            let chunk = data[i..i + n].to_vec();
            for _ in 0..1 + rng.below(4) {
                data.splice(i..i, chunk.iter().copied());
            }
        }
        // A dictionary token.
        4 | 5 if !dict.is_empty() => {
            let token = &dict[rng.below(dict.len())];
            let i = rng.below(len + 1);
            data.splice(i..i, token.iter().copied());
        }
        // A run of digits replaced by an extreme number (cell rows, amounts…).
        6 => {
            let digits: Vec<usize> = (0..len).filter(|&i| data[i].is_ascii_digit()).collect();
            if digits.is_empty() {
                return;
            }
            let mut start = digits[rng.below(digits.len())];
            while start > 0 && data[start - 1].is_ascii_digit() {
                start -= 1;
            }
            let mut end = start;
            while end < len && data[end].is_ascii_digit() {
                end += 1;
            }
            data.splice(
                start..end,
                NUMBERS[rng.below(NUMBERS.len())].iter().copied(),
            );
        }
        // A chunk of another seed.
        7 if !others.is_empty() => {
            let other = &others[rng.below(others.len())].1;
            if other.is_empty() {
                return;
            }
            let from = rng.below(other.len());
            let n = 1 + rng.below(256.min(other.len() - from));
            let i = rng.below(len + 1);
            data.splice(i..i, other[from..from + n].iter().copied());
        }
        // Truncate.
        _ if len > 1 => data.truncate(rng.below(len)),
        _ => data.push(rng.below(256) as u8),
    }
}

fn peak_memory_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Resets the peak that [`peak_memory_kb`] reads (Linux: `5` into `clear_refs`),
/// so that one input's peak is not blamed on the next.
fn reset_peak_memory() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn failure_dir() -> PathBuf {
    let dir = root().join("target").join("fuzz-short");
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    dir
}

/// Runs every input of `inputs` through `entry` on a worker thread; returns
/// the first failure (what, input).
fn run_all(
    name: &str,
    entry: Entry,
    inputs: impl Iterator<Item = Vec<u8>> + Send + 'static,
) -> Result<usize, String> {
    let dir = failure_dir();
    let current = dir.join(format!("{name}-current.bin"));
    let (tx, rx) = mpsc::channel::<Result<(), Vec<u8>>>();
    let worker_current = current.clone();
    let (start_tx, start_rx) = mpsc::channel::<Vec<u8>>();
    std::thread::Builder::new()
        .name(format!("fuzz-{name}"))
        .stack_size(8 << 20)
        .spawn(move || {
            for input in inputs {
                let _ = std::fs::write(&worker_current, &input);
                reset_peak_memory();
                let _ = start_tx.send(input.clone());
                let outcome = std::panic::catch_unwind(|| entry(&input)).map_err(|_| input);
                if tx.send(outcome).is_err() {
                    return;
                }
            }
        })
        .map_err(|e| format!("cannot start the worker: {e}"))?;
    let mut count = 0;
    let save = |what: &str, input: &[u8], count: usize| {
        let path = dir.join(format!("{name}-failure.bin"));
        let _ = std::fs::write(&path, input);
        format!(
            "{name}: {what} after {count} inputs; input saved to {}",
            path.display()
        )
    };
    while let Ok(input) = start_rx.recv() {
        // `input` is the unit now running (for the message on a hang).
        match rx.recv_timeout(TIME_LIMIT) {
            Ok(Ok(())) => {}
            Ok(Err(input)) => return Err(save("panic", &input, count)),
            Err(_) => {
                return Err(save(
                    &format!("a unit ran longer than {} s", TIME_LIMIT.as_secs()),
                    &input,
                    count,
                ));
            }
        }
        if let Some(kb) = peak_memory_kb().filter(|&kb| kb > MEMORY_LIMIT_KB) {
            return Err(save(
                &format!(
                    "peak memory {} MB (> {} MB)",
                    kb / 1024,
                    MEMORY_LIMIT_KB / 1024
                ),
                &input,
                count,
            ));
        }
        count += 1;
    }
    let _ = std::fs::remove_file(&current);
    Ok(count)
}

fn runs() -> usize {
    runs_or(2000)
}

/// `NIANBAO_FUZZ_RUNS`, else `default`.
fn runs_or(default: usize) -> usize {
    std::env::var("NIANBAO_FUZZ_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Mutants per import target by default: an import reads, matches, writes
/// and reads back its TOML, checks it and writes next year's form, 10–30 ms
/// an input in the debug build (the other targets: 1–3 ms).
const IMPORT_RUNS: usize = 500;

fn seed() -> u64 {
    std::env::var("NIANBAO_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_241_231)
}

/// The seeds unchanged, then `runs()` mutants (1–4 mutations of a seed each).
fn short_pass(name: &str, entry: Entry) {
    short_pass_with(name, entry, name, Vec::new(), runs());
}

/// [`short_pass`] with the dictionary `fuzz/<dict>.dict`, `extra` seeds
/// beside those of `fuzz/seeds/<name>/` and `n` mutants.
fn short_pass_with(name: &str, entry: Entry, dict: &str, extra: Vec<(PathBuf, Vec<u8>)>, n: usize) {
    let mut seeds = files(&root().join("fuzz").join("seeds").join(name));
    assert!(!seeds.is_empty(), "fuzz/seeds/{name}/ has no seed");
    seeds.extend(extra);
    let dict = dictionary(&root().join("fuzz").join(format!("{dict}.dict")));
    let mut rng = Rng(seed() ^ name.bytes().fold(0, |h, b| h * 31 + u64::from(b)));
    let plain: Vec<Vec<u8>> = seeds.iter().map(|(_, b)| b.clone()).collect();
    let mutants = (0..n).map(move |i| {
        let mut data = seeds[i % seeds.len()].1.clone();
        for _ in 0..1 + rng.below(4) {
            mutate(&mut data, &mut rng, &dict, &seeds);
        }
        data
    });
    let started = Instant::now();
    match run_all(name, entry, plain.into_iter().chain(mutants)) {
        Ok(count) => {
            assert!(count >= n, "{name}: only {count} of {n} inputs ran");
            eprintln!(
                "{name}: {count} inputs in {:.1} s, no crash",
                started.elapsed().as_secs_f64()
            );
        }
        Err(failure) => panic!("{failure}"),
    }
}

#[test]
fn toml_short_pass() {
    short_pass("toml", entry::toml);
}

#[test]
fn json_short_pass() {
    short_pass("json", entry::json);
}

#[test]
fn form_short_pass() {
    short_pass("form", entry::form);
}

#[test]
fn form_xml_short_pass() {
    short_pass("form_xml", entry::form_xml);
}

#[test]
fn template_short_pass() {
    short_pass("template", entry::template);
}

/// A published Word document: whole (the zip) or its `word/document.xml`
/// (see `fuzz/entry.rs`).
#[test]
fn import_docx_short_pass() {
    short_pass_with(
        "import_docx",
        entry::import_docx,
        "import",
        Vec::new(),
        runs_or(IMPORT_RUNS),
    );
}

#[test]
fn import_html_short_pass() {
    short_pass_with(
        "import_html",
        entry::import_html,
        "import",
        Vec::new(),
        runs_or(IMPORT_RUNS),
    );
}

/// The text seeds, and the published seed sample when it is beside the
/// checkout (`../shared/sample`, not committed: a published report is not
/// copied into the repository).
#[test]
fn import_text_short_pass() {
    let published: Vec<(PathBuf, Vec<u8>)> = ["../shared/sample", "../../shared/sample"]
        .iter()
        .map(|d| root().join(d).join("000_da1fab63ef745f7d.txt"))
        .filter_map(|p| std::fs::read(&p).ok().map(|b| (p, b)))
        .take(1)
        .collect();
    short_pass_with(
        "import_text",
        entry::import_text,
        "import",
        published,
        runs_or(IMPORT_RUNS),
    );
}

/// The seeds of `form_xml` are the entries of the form the entry point
/// rebuilds (one seed per entry: the entry's index, then its bytes). When the
/// form's layout changes, `NIANBAO_FUZZ_WRITE_SEEDS=1 cargo test --test
/// fuzz_short form_xml_seeds` writes them again.
#[test]
fn form_xml_seeds_match_the_form() {
    let dir = root().join("fuzz").join("seeds").join("form_xml");
    let entries = entry::form_entries();
    if std::env::var_os("NIANBAO_FUZZ_WRITE_SEEDS").is_some_and(|v| v == "1") {
        for (path, _) in files(&dir) {
            std::fs::remove_file(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        }
        for (i, (name, content)) in entries.iter().enumerate() {
            let file = format!("{i:02}-{}", name.replace(['/', '[', ']'], "_"));
            let mut bytes = vec![u8::try_from(i).expect("fewer than 256 entries")];
            bytes.extend_from_slice(content);
            std::fs::write(dir.join(&file), bytes).unwrap_or_else(|e| panic!("{file}: {e}"));
        }
    }
    let seeds = files(&dir);
    assert_eq!(seeds.len(), entries.len(), "one seed per entry of the form");
    for (i, ((path, bytes), (name, content))) in seeds.iter().zip(entries).enumerate() {
        assert_eq!(bytes.first(), Some(&(i as u8)), "{}", path.display());
        // docProps/core.xml holds the creation time.
        if name != "docProps/core.xml" {
            assert!(
                bytes[1..] == content[..],
                "{} is not the form's {name}: the form changed, write the seeds again",
                path.display()
            );
        }
    }
}

/// A zip bomb: the sample form with a 600 MB shared string (deflated to 0.6 MB).
fn zip_bomb() -> Vec<u8> {
    use std::io::Write;
    use zip::write::SimpleFileOptions;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let deflated = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(true);
    for (name, content) in entry::form_entries() {
        zip.start_file(name.as_str(), deflated).expect("zip");
        if name != "xl/sharedStrings.xml" {
            zip.write_all(content).expect("zip");
            continue;
        }
        let at = content
            .windows(7)
            .position(|w| w == b"<si><t>")
            .expect("a shared string")
            + 7;
        zip.write_all(&content[..at]).expect("zip");
        let chunk = vec![b'a'; 1 << 20];
        for _ in 0..600 {
            zip.write_all(&chunk).expect("zip");
        }
        zip.write_all(&content[at..]).expect("zip");
    }
    zip.finish().expect("zip").into_inner()
}

/// Every reproducer the fuzzer found (fuzz/artifacts-found/<target>/) runs
/// without a panic, a hang or a huge allocation. Ignored until the issue-8
/// fixes for these families are merged: today they crash the process.
#[test]
fn reproducers_found_by_the_fuzzer() {
    let entries: [(&str, Entry); 5] = [
        ("toml", entry::toml),
        ("json", entry::json),
        ("form", entry::form),
        ("form_xml", entry::form_xml),
        ("template", entry::template),
    ];
    match run_all("form", entry::form, std::iter::once(zip_bomb())) {
        Ok(count) => assert_eq!(count, 1),
        Err(failure) => panic!("zip bomb: {failure}"),
    }
    let mut ran = 1;
    for (name, entry) in entries {
        let dir = root().join("fuzz").join("artifacts-found").join(name);
        if !dir.is_dir() {
            continue;
        }
        let inputs: Vec<Vec<u8>> = files(&dir)
            .into_iter()
            .filter(|(p, _)| !p.extension().is_some_and(|x| x == "md" || x == "xz"))
            .map(|(_, b)| b)
            .collect();
        let n = inputs.len();
        match run_all(name, entry, inputs.into_iter()) {
            Ok(count) => assert_eq!(count, n),
            Err(failure) => panic!("{failure}"),
        }
        ran += n;
    }
    assert!(ran > 0, "no reproducer in fuzz/artifacts-found/");
}
