//! Synthetic reports for load tests and property tests (a developer tool).
//!
//! [`report`] turns a seed into a varied report that passes every rule of
//! [`crate::check::check`] without an error: the same seed always gives the
//! same report, different seeds give different agencies. [`follow_up`] gives
//! the next year's report of the same agency, consistent with it across years
//! (R5 and R6). No random crate: a small xorshift does.
//!
//! ```
//! use nianbao::{check, check_against_previous, has_errors, synthetic};
//! let a = synthetic::report(7);
//! assert_eq!(a, synthetic::report(7));
//! assert_ne!(a.report.agency, synthetic::report(8).report.agency);
//! assert!(!has_errors(&check(&a)));
//! let b = synthetic::follow_up(&a, 99);
//! assert_eq!(b.report.year.0, a.report.year.0 + 1);
//! assert!(check_against_previous(&b, &a).is_empty());
//! ```

use rust_decimal::Decimal;

use crate::model::{
    Active, ApplicantRow, Applications, DocumentCounts, OutcomeRow, ProcessingFees, Report,
    ReportInfo, ReviewLitigation, Row, Year,
};

/// The region every synthetic agency belongs to.
pub const REGION: &str = "示范县";
/// The year of [`report`].
pub const YEAR: u16 = 2024;

/// A xorshift64* generator: deterministic, good enough for test data.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator for `seed` (any seed, 0 included).
    pub fn new(seed: u64) -> Rng {
        // splitmix64 of the seed, so that neighbouring seeds diverge at once.
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        Rng((z ^ (z >> 31)) | 1)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: u32) -> u32 {
        if n == 0 {
            0
        } else {
            (self.next_u64() % u64::from(n)) as u32
        }
    }

    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: u32) -> bool {
        self.below(100) < percent
    }

    /// A small count, mostly 0–3, sometimes up to `max`.
    pub fn small(&mut self, max: u32) -> u32 {
        match self.below(10) {
            0..=4 => 0,
            5..=8 => self.below(4),
            _ => self.below(max + 1),
        }
    }
}

/// The agencies of the county itself, as a county names them: the
/// government, its office, its 委员会 and 局. Each exists once per county.
const DEPARTMENTS: [&str; 30] = [
    "人民政府办公室",
    "人民政府",
    "发展和改革委员会",
    "教育局",
    "公安局",
    "民政局",
    "司法局",
    "财政局",
    "人力资源和社会保障局",
    "自然资源局",
    "住房和城乡建设局",
    "交通运输局",
    "水利局",
    "农业农村局",
    "商务局",
    "文化广电和旅游局",
    "卫生健康委员会",
    "退役军人事务局",
    "应急管理局",
    "审计局",
    "市场监督管理局",
    "统计局",
    "医疗保障局",
    "林业局",
    "城市管理局",
    "信访局",
    "工业和信息化局",
    "科学技术局",
    "行政审批服务局",
    "政务服务和大数据管理局",
];

/// Place names of 乡镇 and 街道, two characters each.
const PLACES: [&str; 40] = [
    "城关", "东城", "西城", "南关", "北关", "新集", "柳林", "石桥", "河口", "桥头", "黄庄", "李集",
    "王店", "张湾", "青山", "白沙", "龙泉", "双河", "平安", "永安", "太平", "和平", "长岭", "高桥",
    "花园", "桃园", "马集", "杨集", "三里", "五里", "十里", "关庙", "清水", "金山", "红星", "东风",
    "土门", "新店", "大湾", "官庄",
];

/// Characters put before a place name once [`PLACES`] are used up.
const PREFIXES: [&str; 12] = [
    "东", "西", "南", "北", "上", "下", "前", "后", "大", "小", "新", "老",
];

/// The place of the `i`-th 乡镇: a name of [`PLACES`], then, once they are
/// used up, one prefixed in bijective base 12 of [`PREFIXES`] (so every `i`
/// has its own name: the last two characters and the prefix decide it).
fn township_place(i: u64) -> String {
    let l = PLACES.len() as u64;
    let mut place = PLACES[(i % l) as usize].to_string();
    let mut q = i / l;
    while q > 0 {
        q -= 1;
        let p = PREFIXES.len() as u64;
        place.insert_str(0, PREFIXES[(q % p) as usize]);
        q /= p;
    }
    place
}

/// The agency of `seed` and its 简称: two departments of the county for
/// every 乡镇 or 街道 while [`DEPARTMENTS`] last, then only 乡镇 and 街道.
/// Every seed gives its own name, e.g. `示范县统计局` (`县统计局`) or
/// `示范县柳林镇人民政府` (`柳林镇`).
fn agency_name(seed: u64) -> (String, String) {
    let pairs = (DEPARTMENTS.len() / 2) as u64;
    let department = |d: usize| {
        let kind = DEPARTMENTS[d];
        (format!("{REGION}{kind}"), format!("县{kind}"))
    };
    let township = if seed < 3 * pairs {
        match seed % 3 {
            2 => seed / 3,
            r => return department((2 * (seed / 3) + r) as usize),
        }
    } else {
        pairs + (seed - 3 * pairs)
    };
    let place = township_place(township);
    let (kind, short) = match township % 8 {
        3 => ("街道办事处", "街道"),
        5 => ("乡人民政府", "乡"),
        _ => ("镇人民政府", "镇"),
    };
    (format!("{REGION}{place}{kind}"), format!("{place}{short}"))
}

/// A consistent, varied report for `seed`, year [`YEAR`].
pub fn report(seed: u64) -> Report {
    let mut rng = Rng::new(seed);
    let name = agency_name(seed);
    // 规章 in force only at a 人民政府.
    let rules = rng.below(8) * u32::from(name.0.ends_with("人民政府"));
    let in_force = (rules, rng.below(40));
    build(name, &mut rng, Year(YEAR), None, in_force)
}

/// The next year's report of the agency of `previous`: its 上年结转 is the
/// previous 结转下年度继续办理 and its 现行有效件数 rolls forward, so that
/// [`crate::check::check_against_previous`] finds nothing.
pub fn follow_up(previous: &Report, seed: u64) -> Report {
    let mut rng = Rng::new(seed ^ 0x5EED_0FF0_1100_0000);
    let mut carried = previous.applications.carry_forward;
    carried.given_total = None;
    let in_force = (
        previous.active.rules.in_force,
        previous.active.normative_documents.in_force,
    );
    let name = (
        previous.report.agency.clone(),
        previous.short_name().to_string(),
    );
    let mut next = build(
        name,
        &mut rng,
        Year(previous.report.year.0 + 1),
        Some(carried),
        in_force,
    );
    next.report.agency = previous.report.agency.clone();
    next.report.short_name = previous.report.short_name.clone();
    next.report.region = previous.report.region.clone();
    next
}

/// Counts 制发/废止 this year so that 现行有效 = last year's + 制发 − 废止.
fn documents(rng: &mut Rng, last_in_force: u32, scale: u32) -> DocumentCounts {
    let issued = rng.small(scale);
    let repealed = rng.below(last_in_force.min(scale) + 1);
    DocumentCounts {
        issued,
        repealed,
        in_force: last_in_force + issued - repealed,
    }
}

fn build(
    (agency, short_name): (String, String),
    rng: &mut Rng,
    year: Year,
    carried_over: Option<ApplicantRow>,
    in_force: (u32, u32),
) -> Report {
    // 规章 are made by governments only.
    let government = agency.ends_with("人民政府");
    // How big an agency this is: a few are busy, most are quiet.
    let scale = match rng.below(20) {
        0 => 200,
        1..=4 => 40,
        _ => 8,
    };
    let new = ApplicantRow::new(std::array::from_fn(|col| {
        if col == 0 {
            rng.small(scale)
        } else {
            rng.small(scale / 4)
        }
    }));
    // Last year's carry-over: a few of this year's number (0–10 % of 新收).
    let carried_over = carried_over.unwrap_or_else(|| {
        ApplicantRow::new(std::array::from_fn(|col| {
            rng.below(new.values[col] / 10 + 1)
        }))
    });
    // Every application received (一 + 二) ends in exactly one outcome row or
    // is carried forward, column by column: R1 and R2 hold by construction.
    let mut outcomes = [[0u32; 6]; 21];
    let mut carry_forward = [0u32; 6];
    for col in 0..6 {
        let received = new.values[col] + carried_over.values[col];
        for _ in 0..received {
            match rng.below(100) {
                0..=54 => outcomes[0][col] += 1,
                55..=62 => outcomes[1][col] += 1,
                63..=89 => {
                    let row = 2 + rng.below(19) as usize;
                    outcomes[row][col] += 1;
                }
                _ => carry_forward[col] += 1,
            }
        }
    }
    let row = |i: usize| ApplicantRow::new(outcomes[i]);
    let mut applications = Applications {
        new,
        carried_over,
        granted: row(0),
        partially_granted: row(1),
        carry_forward: ApplicantRow::new(carry_forward),
        ..Applications::default()
    };
    let w = &mut applications.withheld;
    for (i, r) in [
        &mut w.state_secret,
        &mut w.law_prohibited,
        &mut w.three_securities_one_stability,
        &mut w.third_party_rights,
        &mut w.internal_affairs,
        &mut w.process_information,
        &mut w.enforcement_files,
        &mut w.administrative_queries,
    ]
    .into_iter()
    .enumerate()
    {
        *r = row(2 + i);
    }
    let u = &mut applications.unavailable;
    for (i, r) in [
        &mut u.not_held,
        &mut u.needs_creation,
        &mut u.unclear_after_correction,
    ]
    .into_iter()
    .enumerate()
    {
        *r = row(10 + i);
    }
    let p = &mut applications.not_processed;
    for (i, r) in [
        &mut p.complaints,
        &mut p.duplicate,
        &mut p.publications,
        &mut p.excessive,
        &mut p.reconfirmation,
    ]
    .into_iter()
    .enumerate()
    {
        *r = row(13 + i);
    }
    let o = &mut applications.other;
    for (i, r) in [&mut o.correction_overdue, &mut o.fee_overdue, &mut o.other]
        .into_iter()
        .enumerate()
    {
        *r = row(18 + i);
    }
    // Some clerks type the 总计 column and the （七）总计 row; when they do, it is right.
    if rng.chance(30) {
        with_given_totals(&mut applications);
    }

    let outcome = |rng: &mut Rng| -> OutcomeRow { Row::new(std::array::from_fn(|_| rng.small(3))) };
    let review_litigation = ReviewLitigation {
        review: outcome(rng),
        litigation_direct: outcome(rng),
        litigation_after_review: outcome(rng),
    };

    let fee_cents = if rng.chance(30) {
        u64::from(rng.below(5_000_000))
    } else {
        0
    };
    let active = Active {
        // (An agency that had 规章 last year keeps counting them.)
        rules: if government || in_force.0 > 0 {
            documents(rng, in_force.0, 2)
        } else {
            DocumentCounts::default()
        },
        normative_documents: documents(rng, in_force.1, 6),
        licensing: rng.small(scale * 10),
        punishment: rng.small(scale * 5),
        enforcement: rng.small(scale),
        // 万元 with up to 4 decimals (to the 元).
        fees: crate::model::Amount(Decimal::new(fee_cents as i64, 4).normalize()),
    };
    let overdue = applications.other.fee_overdue.total() as u32;
    let notices = overdue + rng.small(2);
    let processing_fees = ProcessingFees {
        notices,
        notices_amount: crate::model::Amount(Decimal::from(notices * 100)),
        collected: crate::model::Amount(Decimal::from((notices - overdue) * 100)),
    };
    let issued_on = crate::model::Date {
        year: year.0 + 1,
        month: 1,
        day: 5 + rng.below(20) as u8,
    };
    Report {
        report: ReportInfo {
            agency,
            short_name: Some(short_name),
            year,
            region: Some(REGION.to_string()),
            issued_on: Some(issued_on),
        },
        active,
        applications,
        review_litigation,
        processing_fees: Some(processing_fees),
        ..Report::default()
    }
}

/// Fills in every 总计 of table 三 as a clerk who types them would (correctly).
fn with_given_totals(a: &mut Applications) {
    let total = Row {
        values: std::array::from_fn(|col| a.outcomes_total(col) as u32),
        given_total: Some(a.outcomes_total(6) as u32),
    };
    let set = |r: &mut ApplicantRow| r.given_total = Some(r.total() as u32);
    set(&mut a.new);
    set(&mut a.carried_over);
    set(&mut a.granted);
    set(&mut a.partially_granted);
    set(&mut a.carry_forward);
    a.total = Some(total);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check;

    #[test]
    fn many_seeds_are_consistent_and_distinct() {
        let mut names = std::collections::HashSet::new();
        for seed in 0..2000 {
            let r = report(seed);
            let findings = check(&r);
            assert!(findings.is_empty(), "seed {seed}: {findings:?}");
            assert!(names.insert(r.report.agency.clone()), "seed {seed}");
            let next = follow_up(&r, seed + 1);
            assert!(check(&next).is_empty(), "follow-up of {seed}");
            assert!(crate::check::check_against_previous(&next, &r).is_empty());
        }
    }

    /// Believable agencies: a whole name of the county's kind of agency,
    /// 规章 only for a 人民政府, a carry-over of at most a tenth of 新收.
    #[test]
    fn agencies_are_believable() {
        let suffixes = ["局", "委员会", "办公室", "人民政府", "街道办事处"];
        let mut townships = 0;
        for seed in 0..3000 {
            let r = report(seed);
            let name = &r.report.agency;
            assert!(name.starts_with(REGION), "{name}");
            assert!(suffixes.iter().any(|s| name.ends_with(s)), "{name}");
            let short = r.report.short_name.as_deref().unwrap_or("");
            assert!(short.chars().count() >= 3, "{name}: {short}");
            if !r.is_government() {
                assert_eq!(r.active.rules, DocumentCounts::default(), "{name}");
            }
            let a = &r.applications;
            for col in 0..6 {
                assert!(
                    a.carried_over.values[col] * 10 <= a.new.values[col],
                    "{name}"
                );
            }
            townships += u32::from(name.ends_with("镇人民政府") || name.ends_with("乡人民政府"));
        }
        // The first thirty: about two departments for each 乡镇.
        let first: Vec<String> = (0..30).map(|s| report(s).report.agency).collect();
        let towns = first
            .iter()
            .filter(|n| {
                ["镇人民政府", "乡人民政府", "街道办事处"]
                    .iter()
                    .any(|k| n.ends_with(k))
            })
            .count();
        assert_eq!(towns, 10, "{first:?}");
        assert!(first.contains(&format!("{REGION}人民政府")));
        assert!(townships > 2000);
        assert_eq!(township_place(0), "城关");
        assert_eq!(township_place(40), "东城关");
        assert_eq!(township_place(40 * 13), "东东城关");
    }

    #[test]
    fn round_trips_through_toml_and_json() {
        for seed in 0..50 {
            let r = report(seed);
            let toml = toml::to_string(&r).unwrap();
            assert_eq!(Report::from_toml_str(&toml, "x.toml").unwrap(), r);
            let json = serde_json::to_string(&r).unwrap();
            assert_eq!(Report::from_json_str(&json, "x.json").unwrap(), r);
        }
    }
}
