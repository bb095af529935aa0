//! The county server's store at the scale of a province: N agencies
//! (default 20,000) with a report each, then the figures that matter —
//! the database's size, the county view, a save, the submitted reports, a
//! backup.
//!
//! ```text
//! scripts/store-scale.sh            # cargo run --release --example store_scale -- 20000
//! ```
//!
//! Every save is its own transaction, on disk before it returns
//! (`synchronous=FULL`), as in service.

use std::time::{Duration, Instant};

use nianbao::store::Store;

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// The p-th percentile of sorted durations.
fn pct(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p / 100.0).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn summary(what: &str, mut times: Vec<Duration>) {
    times.sort();
    let total: Duration = times.iter().sum();
    println!(
        "{what}: {} calls, {:.1} s in all, median {}, p99 {}, max {}",
        times.len(),
        total.as_secs_f64(),
        ms(pct(&times, 50.0)),
        ms(pct(&times, 99.0)),
        ms(*times.last().expect("some"))
    );
}

fn size(path: &std::path::Path) -> u64 {
    std::fs::metadata(path).map_or(0, |m| m.len())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: u64 = std::env::args()
        .nth(1)
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(20_000);
    let temp = tempfile::tempdir()?;
    let dir = temp.path().join("data");
    let (store, _password) = Store::init(&dir, "示范省")?;
    let admin = store.console_admin()?;
    let reports: Vec<_> = (0..n).map(nianbao::synthetic::report).collect();

    let mut csv = String::from("机关全称,所属地区\n");
    for r in &reports {
        csv.push_str(&format!(
            "{},{}\n",
            r.report.agency,
            nianbao::synthetic::REGION
        ));
    }
    let t = Instant::now();
    let imported = store.import_agencies_csv(&admin, csv.as_bytes())?;
    println!(
        "import-agencies: {} agencies from CSV in {:.2} s (one transaction)",
        imported.created.len(),
        t.elapsed().as_secs_f64()
    );
    let ids: std::collections::HashMap<String, i64> = store
        .agencies(&admin)?
        .into_iter()
        .map(|a| (a.name, a.id))
        .collect();

    let mut saves = Vec::with_capacity(reports.len());
    let mut submits = Vec::with_capacity(reports.len());
    for r in &reports {
        let id = ids[&r.report.agency];
        let json = serde_json::to_vec(r)?;
        let t = Instant::now();
        store.save_draft(&admin, id, 2024, 0, &json)?;
        saves.push(t.elapsed());
        let t = Instant::now();
        store.submit(&admin, id, 2024, 1, true)?;
        submits.push(t.elapsed());
    }
    summary("save_draft (empty store → full)", saves);
    summary("submit", submits);

    // Next year's drafts on the full store: R5/R6 read last year's report.
    let mut saves = Vec::new();
    for (i, r) in reports
        .iter()
        .enumerate()
        .step_by((n as usize / 2000).max(1))
    {
        let next = nianbao::synthetic::follow_up(r, i as u64);
        let id = ids[&next.report.agency];
        let json = serde_json::to_vec(&next)?;
        let t = Instant::now();
        store.save_draft(&admin, id, 2025, 0, &json)?;
        saves.push(t.elapsed());
    }
    summary("save_draft (full store, with R5/R6)", saves);

    let mut views = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        let view = store.county(&admin, 2024)?;
        views.push(t.elapsed());
        assert_eq!(view.rows.len() as u64, n);
    }
    summary("county() of all agencies", views);

    let t = Instant::now();
    let submitted = store.submitted_reports(&admin, 2024)?;
    println!(
        "submitted_reports(): {} reports in {}",
        submitted.len(),
        ms(t.elapsed())
    );

    let db = dir.join(Store::FILE_NAME);
    println!(
        "database: {:.1} MB (+ {:.1} MB WAL)",
        size(&db) as f64 / 1e6,
        size(&dir.join("nianbao.db-wal")) as f64 / 1e6
    );
    let backup = temp.path().join("backup.db");
    let t = Instant::now();
    let bytes = store.backup(&backup)?;
    println!(
        "backup: {:.1} MB in {:.2} s",
        bytes as f64 / 1e6,
        t.elapsed().as_secs_f64()
    );
    Ok(())
}
