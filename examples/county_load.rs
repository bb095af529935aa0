//! The county server under the load of a county's clerks: N clerks (default
//! 300), each saving its draft every 2 s for 5 minutes, on loopback.
//!
//! ```text
//! scripts/load-county.sh            # starts the server, then runs this
//! cargo run --release --example county_load -- --url http://127.0.0.1:8080 \
//!     --password ADMIN_PASSWORD --pid SERVER_PID [--clerks 300] [--seconds 300]
//! ```
//!
//! Set-up, through the API as a county would do it: the administrator logs
//! in and imports N agencies from a CSV with a 账号 column in one request
//! (one argon2 hash per clerk: the server gives this request a longer time
//! limit), which gives the clerks' one-time passwords; every clerk logs in and reads its report
//! (`ETag` "0"). Then every clerk, on its own keep-alive connection (a
//! thread each, starts spread over the first interval), saves a draft
//! (`PUT /api/reports/{agency}/{year}`, `If-Match` its last `ETag`) every
//! interval, each time with a small change (a text block names the save).
//! Measured: the latency of every save (request written → response read),
//! every answer that is not 200 (an error), and the server's RSS
//! (`/proc/PID/status` VmRSS) every 5 s. RSS is flat when the mean of the last
//! minute is within 10 % of the mean of the first minute after the warm-up
//! (the first minute). Exits 1 when a target is missed: p99 < 100 ms,
//! 0 errors, flat RSS.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

type Error = Box<dyn std::error::Error + Send + Sync>;

const YEAR: u16 = 2024;

struct Args {
    addr: SocketAddr,
    password: String,
    pid: Option<u32>,
    clerks: usize,
    interval: Duration,
    duration: Duration,
    warmup: Duration,
}

fn args() -> Result<Args, Error> {
    let mut a = Args {
        addr: "127.0.0.1:8080".parse()?,
        password: String::new(),
        pid: None,
        clerks: 300,
        interval: Duration::from_secs(2),
        duration: Duration::from_secs(300),
        warmup: Duration::from_secs(60),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or_else(|| format!("{flag}: value missing"))?;
        match flag.as_str() {
            "--url" => {
                a.addr = value
                    .trim_start_matches("http://")
                    .trim_end_matches('/')
                    .parse()?
            }
            "--password" => a.password = value,
            "--pid" => a.pid = Some(value.parse()?),
            "--clerks" => a.clerks = value.parse()?,
            "--interval" => a.interval = Duration::from_secs_f64(value.parse()?),
            "--seconds" => a.duration = Duration::from_secs_f64(value.parse()?),
            "--warmup" => a.warmup = Duration::from_secs_f64(value.parse()?),
            _ => return Err(format!("unknown flag {flag}").into()),
        }
    }
    if a.password.is_empty() {
        return Err("--password (the administrator's) is required".into());
    }
    Ok(a)
}

/// One keep-alive HTTP/1.1 connection.
struct Conn {
    addr: SocketAddr,
    reader: Option<BufReader<TcpStream>>,
}

struct Answer {
    status: u16,
    etag: Option<String>,
    cookie: Option<String>,
    body: Vec<u8>,
}

impl Conn {
    fn new(addr: SocketAddr) -> Conn {
        Conn { addr, reader: None }
    }

    /// Sends a request and reads the answer; a failure closes the connection
    /// (the next request opens another). No retry: every failure counts.
    fn send(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Result<Answer, Error> {
        if self.reader.is_none() {
            let stream = TcpStream::connect(self.addr)?;
            stream.set_nodelay(true)?;
            stream.set_read_timeout(Some(Duration::from_secs(30)))?;
            self.reader = Some(BufReader::new(stream));
        }
        let result = self.exchange(method, path, headers, body);
        if result.is_err() {
            self.reader = None;
        }
        result
    }

    fn exchange(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Result<Answer, Error> {
        let reader = self.reader.as_mut().ok_or("no connection")?;
        let mut request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nContent-Length: {}\r\n",
            self.addr,
            body.len()
        );
        for (k, v) in headers {
            request.push_str(&format!("{k}: {v}\r\n"));
        }
        request.push_str("\r\n");
        let mut bytes = request.into_bytes();
        bytes.extend_from_slice(body);
        reader.get_mut().write_all(&bytes)?;
        let mut line = String::new();
        reader.read_line(&mut line)?;
        let status: u16 = line
            .split_whitespace()
            .nth(1)
            .ok_or_else(|| format!("no status line: {line:?}"))?
            .parse()?;
        let (mut length, mut etag, mut cookie, mut close) = (None, None, None, false);
        loop {
            line.clear();
            if reader.read_line(&mut line)? == 0 {
                return Err("connection closed in the head".into());
            }
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((k, v)) = l.split_once(':') {
                let v = v.trim();
                match k.to_ascii_lowercase().as_str() {
                    "content-length" => length = Some(v.parse::<usize>()?),
                    "etag" => etag = Some(v.to_string()),
                    "set-cookie" => cookie = v.split(';').next().map(str::to_string),
                    "connection" => close = v.eq_ignore_ascii_case("close"),
                    "transfer-encoding" => return Err("chunked answers are not read".into()),
                    _ => {}
                }
            }
        }
        let mut body = vec![0; length.ok_or("no Content-Length")?];
        reader.read_exact(&mut body)?;
        if close {
            self.reader = None;
        }
        Ok(Answer {
            status,
            etag,
            cookie,
            body,
        })
    }
}

#[derive(Clone)]
struct Session {
    cookie: String,
    csrf: String,
}

fn login(conn: &mut Conn, login: &str, password: &str) -> Result<Session, Error> {
    let body = serde_json::to_vec(&json!({ "login": login, "password": password }))?;
    let a = conn.send(
        "POST",
        "/api/login",
        &[("Content-Type", "application/json")],
        &body,
    )?;
    if a.status != 200 {
        return Err(format!(
            "login {login}: {} {}",
            a.status,
            String::from_utf8_lossy(&a.body)
        )
        .into());
    }
    let me: Value = serde_json::from_slice(&a.body)?;
    Ok(Session {
        cookie: a.cookie.ok_or("no session cookie")?,
        csrf: me["csrf"].as_str().ok_or("no csrf")?.to_string(),
    })
}

struct Clerk {
    login: String,
    password: String,
    agency_id: i64,
    agency: String,
}

/// Imports `n` agencies with a clerk each, in one request.
fn import(conn: &mut Conn, admin: &Session, n: usize) -> Result<Vec<Clerk>, Error> {
    let mut csv = String::from("机关全称,账号\n");
    for i in 1..=n {
        csv.push_str(&format!("负载测试县第{i:03}局,load{i:03}\n"));
    }
    let a = conn.send(
        "POST",
        "/api/agencies/import",
        &[
            ("Content-Type", "text/csv"),
            ("Cookie", &admin.cookie),
            ("X-CSRF-Token", &admin.csrf),
        ],
        csv.as_bytes(),
    )?;
    if a.status != 200 {
        return Err(format!("import: {} {}", a.status, String::from_utf8_lossy(&a.body)).into());
    }
    let summary: Value = serde_json::from_slice(&a.body)?;
    let mut clerks = Vec::with_capacity(n);
    for c in summary["clerks"].as_array().ok_or("no clerks")? {
        clerks.push(Clerk {
            login: c["account"]["login"].as_str().ok_or("login")?.to_string(),
            password: c["password"].as_str().ok_or("password")?.to_string(),
            agency_id: c["account"]["agency_id"].as_i64().ok_or("agency_id")?,
            agency: c["account"]["agency_name"]
                .as_str()
                .ok_or("agency_name")?
                .to_string(),
        });
    }
    if clerks.len() != n {
        return Err(format!(
            "{} clerks created, {n} wanted (a data folder used before?)",
            clerks.len()
        )
        .into());
    }
    Ok(clerks)
}

/// The server's resident set in kB.
fn rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p / 100.0).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

#[derive(Default)]
struct Tally {
    latencies: Vec<Duration>,
    errors: Vec<String>,
}

fn main() {
    match run() {
        Ok(true) => {}
        Ok(false) => std::process::exit(1),
        Err(e) => {
            eprintln!("county_load: {e}");
            std::process::exit(2);
        }
    }
}

fn run() -> Result<bool, Error> {
    let args = args()?;
    let sample = nianbao::read_path(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("inputs/butaji-2024.toml"),
    )?;
    let mut conn = Conn::new(args.addr);
    let admin = login(&mut conn, "admin", &args.password)?;
    let started = Instant::now();
    let clerks = import(&mut conn, &admin, args.clerks)?;
    println!(
        "set-up: {} agencies and clerks imported in {:.1} s",
        clerks.len(),
        started.elapsed().as_secs_f64()
    );
    // Every clerk logs in (argon2: a few at a time) and reads its report.
    let started = Instant::now();
    let queue = Arc::new(Mutex::new(
        clerks.into_iter().enumerate().collect::<Vec<_>>(),
    ));
    let ready = Arc::new(Mutex::new(Vec::new()));
    let mut logins = Vec::new();
    for _ in 0..4 {
        let (queue, ready) = (Arc::clone(&queue), Arc::clone(&ready));
        let addr = args.addr;
        logins.push(std::thread::spawn(move || -> Result<(), Error> {
            let mut conn = Conn::new(addr);
            loop {
                let next = queue.lock().map_err(|_| "lock")?.pop();
                let Some((i, clerk)) = next else {
                    return Ok(());
                };
                let session = login(&mut conn, &clerk.login, &clerk.password)?;
                let path = format!("/api/reports/{}/{YEAR}", clerk.agency_id);
                let a = conn.send("GET", &path, &[("Cookie", &session.cookie)], &[])?;
                if a.status != 200 {
                    return Err(format!("{path}: {}", a.status).into());
                }
                let etag = a.etag.ok_or("no ETag")?;
                ready
                    .lock()
                    .map_err(|_| "lock")?
                    .push((i, clerk, session, etag));
            }
        }));
    }
    for l in logins {
        l.join().map_err(|_| "a login thread panicked")??;
    }
    let clerks = std::mem::take(&mut *ready.lock().map_err(|_| "lock")?);
    println!(
        "set-up: {} clerks logged in in {:.1} s",
        clerks.len(),
        started.elapsed().as_secs_f64()
    );

    // The load.
    let tally = Arc::new(Mutex::new(Tally::default()));
    let t0 = Instant::now() + Duration::from_millis(200);
    let n = clerks.len();
    let mut threads = Vec::new();
    for (i, clerk, session, etag) in clerks {
        let mut report = sample.clone();
        report.report.agency = clerk.agency.clone();
        let tally = Arc::clone(&tally);
        let (addr, interval, duration) = (args.addr, args.interval, args.duration);
        let offset = interval.mul_f64(i as f64 / n as f64);
        let thread = std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(move || {
                let mut conn = Conn::new(addr);
                let mut etag = etag;
                let path = format!("/api/reports/{}/{YEAR}", clerk.agency_id);
                let mut latencies = Vec::new();
                let mut errors = Vec::new();
                for k in 0u32.. {
                    let at = t0 + offset + interval * k;
                    if at >= t0 + duration {
                        break;
                    }
                    if let Some(wait) = at.checked_duration_since(Instant::now()) {
                        std::thread::sleep(wait);
                    }
                    report.text.overview = Some(format!(
                        "{}第 {} 次保存：本年度政府信息公开工作总体情况。",
                        clerk.agency,
                        k + 1
                    ));
                    let body = match serde_json::to_vec(&report) {
                        Ok(b) => b,
                        Err(e) => {
                            errors.push(format!("json: {e}"));
                            continue;
                        }
                    };
                    let sent = Instant::now();
                    let answer = conn.send(
                        "PUT",
                        &path,
                        &[
                            ("Content-Type", "application/json"),
                            ("Cookie", &session.cookie),
                            ("X-CSRF-Token", &session.csrf),
                            ("If-Match", &etag),
                        ],
                        &body,
                    );
                    latencies.push(sent.elapsed());
                    match answer {
                        Ok(a) if a.status == 200 => {
                            if let Some(e) = a.etag {
                                etag = e;
                            }
                        }
                        Ok(a) => errors.push(format!(
                            "{} {}",
                            a.status,
                            String::from_utf8_lossy(&a.body[..a.body.len().min(200)])
                        )),
                        Err(e) => errors.push(format!("transport: {e}")),
                    }
                }
                if let Ok(mut t) = tally.lock() {
                    t.latencies.extend(latencies);
                    t.errors.extend(errors);
                }
            })?;
        threads.push(thread);
    }
    // The server's RSS every 5 s.
    let mut rss: Vec<(f64, u64)> = Vec::new();
    while Instant::now() < t0 + args.duration {
        if let Some(pid) = args.pid
            && let Some(kb) = rss_kb(pid)
        {
            rss.push((t0.elapsed().as_secs_f64(), kb));
        }
        std::thread::sleep(Duration::from_secs(5));
    }
    for t in threads {
        t.join().map_err(|_| "a clerk thread panicked")?;
    }
    if let Some(pid) = args.pid
        && let Some(kb) = rss_kb(pid)
    {
        rss.push((t0.elapsed().as_secs_f64(), kb));
    }

    let mut tally = std::mem::take(&mut *tally.lock().map_err(|_| "lock")?);
    tally.latencies.sort();
    let saves = tally.latencies.len();
    let (p50, p99) = (pct(&tally.latencies, 50.0), pct(&tally.latencies, 99.0));
    let max = tally.latencies.last().copied().unwrap_or_default();
    println!(
        "saves: {saves} by {n} clerks in {:.0} s ({:.1}/s): p50 {}, p99 {}, max {}",
        args.duration.as_secs_f64(),
        saves as f64 / args.duration.as_secs_f64(),
        ms(p50),
        ms(p99),
        ms(max)
    );
    println!("errors (answers other than 200): {}", tally.errors.len());
    for e in tally.errors.iter().take(5) {
        println!("  {e}");
    }
    let mut ok = p99 < Duration::from_millis(100) && tally.errors.is_empty() && saves > 0;
    if args.pid.is_some() && !rss.is_empty() {
        let series: Vec<String> = rss
            .iter()
            .map(|(t, kb)| format!("{t:.0}s {:.1}", *kb as f64 / 1024.0))
            .collect();
        println!("server RSS (MB) every 5 s: {}", series.join(", "));
        let w = args.warmup.as_secs_f64();
        let end = args.duration.as_secs_f64();
        let mean = |from: f64, to: f64| {
            let v: Vec<f64> = rss
                .iter()
                .filter(|(t, _)| *t >= from && *t < to)
                .map(|(_, kb)| *kb as f64 / 1024.0)
                .collect();
            (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
        };
        match (mean(w, w + 60.0), mean(end - 60.0, end + 10.0)) {
            (Some(first), Some(last)) if end >= w + 120.0 => {
                let change = (last - first) / first * 100.0;
                let flat = change.abs() <= 10.0;
                println!(
                    "RSS after the warm-up ({w:.0} s): first minute {first:.1} MB, last minute {last:.1} MB ({change:+.1} %): {}",
                    if flat { "flat" } else { "NOT flat" }
                );
                ok &= flat;
            }
            _ => println!(
                "RSS: the run is too short to compare a first and a last minute after the warm-up"
            ),
        }
    }
    println!(
        "targets (p99 < 100 ms, 0 errors, flat RSS): {}",
        if ok { "met" } else { "MISSED" }
    );
    Ok(ok)
}
