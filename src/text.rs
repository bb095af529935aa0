//! Text blocks: handlebars templates filled from the report.
//!
//! Each narrative block of the report (`overview`, `proactive`, … the names of
//! [`crate::model::TEXT_BLOCKS`]) plus `processing_fees` (the 信息处理费
//! statement that opens section 六) is a handlebars template. The defaults in
//! `templates/*.hbs` are embedded in the binary; [`TextEngine::from_dir`]
//! replaces them from a folder, and a block given in the input's `[text]` is
//! itself a template and wins over both.
//!
//! Templates run with HTML escaping off (the XML writer is the only escaping
//! layer) and in strict mode: a misspelled variable is an error that names the
//! block and the line. The context is described in [`context`].
//!
//! ```
//! let report = nianbao::model::Report::from_toml_str(
//!     "[report]\nagency = \"某县统计局\"\nyear = 2024\n[text]\nother_matters = \"{{cn_year year}}年无 & <其他>。\"\n",
//!     "x.toml",
//! ).unwrap();
//! let engine = nianbao::text::TextEngine::embedded();
//! let blocks = engine.render_all(&report).unwrap();
//! assert_eq!(blocks.get("other_matters"), ["二〇二四年无 & <其他>。"]);
//! ```

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use handlebars::{
    Context, Handlebars, Helper, HelperDef, RenderContext, RenderError, RenderErrorReason,
    ScopedJson,
};
use serde_json::{Value as Json, json};

use crate::model::{ApplicantRow, OutcomeRow, Report};

/// Whether XML 1.0 allows `c` in a document (tab, line feed, carriage return
/// and everything from U+0020 except the surrogates, U+FFFE and U+FFFF).
///
/// ```
/// assert!(nianbao::text::is_xml_char('𠀀'));
/// assert!(!nianbao::text::is_xml_char('\u{b}'));
/// ```
pub fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..='\u{10FFFF}')
}

/// The name of the 信息处理费 block that opens section 六 (a template only,
/// not a key of `[text]`).
pub const PROCESSING_FEES: &str = "processing_fees";

/// Every template name, in document order.
pub const TEMPLATE_NAMES: [&str; 10] = [
    "overview",
    "proactive",
    "on_request",
    "management",
    "platforms",
    "oversight",
    "problems",
    "improvements",
    PROCESSING_FEES,
    "other_matters",
];

/// The default templates, embedded at build time.
const EMBEDDED: [(&str, &str); 10] = [
    ("overview", include_str!("../templates/overview.hbs")),
    ("proactive", include_str!("../templates/proactive.hbs")),
    ("on_request", include_str!("../templates/on_request.hbs")),
    ("management", include_str!("../templates/management.hbs")),
    ("platforms", include_str!("../templates/platforms.hbs")),
    ("oversight", include_str!("../templates/oversight.hbs")),
    ("problems", include_str!("../templates/problems.hbs")),
    (
        "improvements",
        include_str!("../templates/improvements.hbs"),
    ),
    (
        PROCESSING_FEES,
        include_str!("../templates/processing_fees.hbs"),
    ),
    (
        "other_matters",
        include_str!("../templates/other_matters.hbs"),
    ),
];

/// Why a text block could not be rendered. Each message names the block.
#[derive(Debug, thiserror::Error)]
pub enum TextError {
    /// A template does not parse, or refers to a variable or helper that does
    /// not exist (strict mode), or a helper got the wrong arguments.
    #[error("{origin}{}：{message}", position(*line, *column))]
    Template {
        /// `text.on_request` for a block of the input, `templates/on_request.hbs` otherwise.
        origin: String,
        /// The block name.
        block: String,
        /// 1-based line inside the block, when known.
        line: Option<usize>,
        /// 1-based column, when known.
        column: Option<usize>,
        /// What is wrong, in Chinese.
        message: String,
    },
    /// The rendered text holds a character XML 1.0 forbids.
    #[error("{origin}：含有 XML 不允许的字符 U+{code:04X}，不能写入文档")]
    ForbiddenChar {
        /// Where the block came from.
        origin: String,
        /// The block name.
        block: String,
        /// The code point.
        code: u32,
    },
    /// A template folder could not be read.
    #[error("{}: 无法读取模板：{source}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },
}

impl TextError {
    /// The block the error is about (empty for folder errors).
    pub fn block(&self) -> &str {
        match self {
            TextError::Template { block, .. } | TextError::ForbiddenChar { block, .. } => block,
            TextError::Io { .. } => "",
        }
    }
}

fn position(line: Option<usize>, column: Option<usize>) -> String {
    match (line, column) {
        (Some(l), Some(c)) => format!(" 第 {l} 行第 {c} 列"),
        (Some(l), None) => format!(" 第 {l} 行"),
        _ => String::new(),
    }
}

/// The rendered blocks of one report: for each template name, its paragraphs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Blocks {
    blocks: Vec<(&'static str, Vec<String>)>,
}

impl Blocks {
    /// The paragraphs of block `name` (empty when the block rendered to nothing).
    pub fn get(&self, name: &str) -> &[String] {
        self.blocks
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, p)| p.as_slice())
            .unwrap_or(&[])
    }
}

/// The handlebars registry with the default (or a folder's) templates and the helpers.
pub struct TextEngine {
    hb: Handlebars<'static>,
    /// Where the templates came from, for messages (`templates` or the folder).
    source: String,
}

impl std::fmt::Debug for TextEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TextEngine")
            .field("source", &self.source)
            .finish()
    }
}

static EMBEDDED_ENGINE: LazyLock<TextEngine> = LazyLock::new(|| {
    let mut engine = TextEngine::bare("templates");
    for (name, text) in EMBEDDED {
        // The embedded templates are tested to parse; a failure here is a bug.
        if let Err(e) = engine.hb.register_template_string(name, text) {
            panic!("embedded template {name} does not parse: {e}");
        }
    }
    engine
});

impl TextEngine {
    /// The engine with the embedded default templates (built once, shared).
    pub fn embedded() -> &'static TextEngine {
        &EMBEDDED_ENGINE
    }

    fn bare(source: &str) -> TextEngine {
        let mut hb = Handlebars::new();
        hb.register_escape_fn(handlebars::no_escape);
        hb.set_strict_mode(true);
        register_helpers(&mut hb);
        TextEngine {
            hb,
            source: source.to_string(),
        }
    }

    /// The embedded templates, with every `<name>.hbs` of `dir` replacing the
    /// template of that name. Other `.hbs` files of the folder are registered
    /// too and can be used as partials (`{{> name}}`).
    pub fn from_dir(dir: &Path) -> Result<TextEngine, TextError> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| TextError::Io { path, source }
        };
        let mut engine = TextEngine::bare(&dir.display().to_string());
        for (name, text) in EMBEDDED {
            engine
                .hb
                .register_template_string(name, text)
                .map_err(|e| template_error(&format!("templates/{name}.hbs"), name, e))?;
        }
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(io(dir))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "hbs") && p.is_file())
            .collect();
        files.sort();
        for path in files {
            let Some(name) = path
                .file_stem()
                .and_then(|s| s.to_str())
                .map(str::to_string)
            else {
                continue;
            };
            let text = std::fs::read_to_string(&path).map_err(io(&path))?;
            engine
                .hb
                .register_template_string(&name, text)
                .map_err(|e| template_error(&path.display().to_string(), &name, e))?;
        }
        Ok(engine)
    }

    /// Renders every block of `report`: the input's `[text]` block when given,
    /// else the template. Each block is split into paragraphs at blank lines.
    pub fn render_all(&self, report: &Report) -> Result<Blocks, TextError> {
        let ctx = Context::wraps(context(report)).map_err(|e| TextError::Template {
            origin: "context".into(),
            block: String::new(),
            line: None,
            column: None,
            message: e.to_string(),
        })?;
        let mut blocks = Vec::with_capacity(TEMPLATE_NAMES.len());
        for name in TEMPLATE_NAMES {
            let given = report.text.get(name);
            let (origin, rendered) = match given {
                // No `{{`: plain text, nothing for handlebars to do.
                Some(src) if !src.contains("{{") => (format!("text.{name}"), Ok(src.to_string())),
                Some(src) => (
                    format!("text.{name}"),
                    self.hb.render_template_with_context(src, &ctx),
                ),
                None => (
                    format!("{}/{name}.hbs", self.source),
                    self.hb.render_with_context(name, &ctx),
                ),
            };
            let text = rendered.map_err(|e| render_error(&origin, name, e))?;
            if let Some(c) = text.chars().find(|&c| !is_xml_char(c)) {
                return Err(TextError::ForbiddenChar {
                    origin,
                    block: name.to_string(),
                    code: c as u32,
                });
            }
            let mut paragraphs = paragraphs(&text);
            if name == "other_matters" {
                paragraphs = nothing_to_report(paragraphs);
            }
            blocks.push((name, paragraphs));
        }
        Ok(Blocks { blocks })
    }
}

/// A lone 「无」 under 六 follows the fee statement: say what it means.
fn nothing_to_report(paragraphs: Vec<String>) -> Vec<String> {
    match paragraphs.as_slice() {
        [one]
            if matches!(
                one.trim_end_matches(['。', '.']),
                "无" | "没有" | "暂无" | "无其他需要报告的事项"
            ) =>
        {
            vec!["本年度无其他需要报告的事项。".to_string()]
        }
        _ => paragraphs,
    }
}

fn template_error(origin: &str, block: &str, e: handlebars::TemplateError) -> TextError {
    let (line, column) = e.pos().map_or((None, None), |(l, c)| (Some(l), Some(c)));
    TextError::Template {
        origin: origin.to_string(),
        block: block.to_string(),
        line,
        column,
        message: format!("模板语法错误：{}", e.reason()),
    }
}

fn render_error(origin: &str, block: &str, e: RenderError) -> TextError {
    if let RenderErrorReason::TemplateError(t) = e.reason() {
        let (line, column) = t.pos().map_or((None, None), |(l, c)| (Some(l), Some(c)));
        return TextError::Template {
            origin: origin.to_string(),
            block: block.to_string(),
            line,
            column,
            message: format!("模板语法错误：{}", t.reason()),
        };
    }
    let message = match e.reason() {
        RenderErrorReason::MissingVariable(Some(v)) => {
            format!("变量 {v} 不存在（变量名见 README 的“模板变量”）")
        }
        RenderErrorReason::MissingVariable(None) => "变量不存在".to_string(),
        RenderErrorReason::HelperNotFound(h) => format!("没有名为 {h} 的辅助函数"),
        RenderErrorReason::PartialNotFound(p) => format!("没有名为 {p} 的模板片段"),
        other => other.to_string(),
    };
    TextError::Template {
        origin: origin.to_string(),
        block: block.to_string(),
        line: e.line_no,
        column: e.column_no,
        message,
    }
}

/// Splits rendered text into paragraphs at blank lines. Lines inside a
/// paragraph are joined (without a space between two CJK characters).
///
/// ```
/// assert_eq!(
///     nianbao::text::paragraphs("第一段\n续写。\n\n  第二段 \n\n\n"),
///     vec!["第一段续写。".to_string(), "第二段".to_string()]
/// );
/// ```
pub fn paragraphs(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() {
            if !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
            continue;
        }
        let ascii_join = current
            .chars()
            .last()
            .is_some_and(|c| c.is_ascii_alphanumeric())
            && line
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphanumeric());
        if ascii_join {
            current.push(' ');
        }
        current.push_str(line);
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

// ---------------------------------------------------------------------------
// Numbers in words

const DIGITS: [char; 10] = ['〇', '一', '二', '三', '四', '五', '六', '七', '八', '九'];

/// A year digit by digit: `2024` → `二〇二四`.
///
/// ```
/// assert_eq!(nianbao::text::chinese_year(2024), "二〇二四");
/// ```
pub fn chinese_year(year: u64) -> String {
    year.to_string()
        .bytes()
        .map(|b| DIGITS[usize::from(b - b'0')])
        .collect()
}

/// A count in words: `3` → `三`, `10` → `十`, `110` → `一百一十`, `10305` → `一万零三百零五`.
///
/// ```
/// use nianbao::text::chinese_number;
/// assert_eq!(chinese_number(0), "零");
/// assert_eq!(chinese_number(15), "十五");
/// assert_eq!(chinese_number(110), "一百一十");
/// assert_eq!(chinese_number(10305), "一万零三百零五");
/// assert_eq!(chinese_number(200000000), "二亿");
/// ```
pub fn chinese_number(n: u64) -> String {
    if n == 0 {
        return "零".to_string();
    }
    const UNITS: [&str; 4] = ["", "十", "百", "千"];
    const BIG: [&str; 5] = ["", "万", "亿", "万亿", "亿亿"];
    // Groups of four digits, lowest first.
    let mut groups = Vec::new();
    let mut m = n;
    while m > 0 {
        groups.push((m % 10_000) as usize);
        m /= 10_000;
    }
    let mut out = String::new();
    let mut need_zero = false;
    for (gi, &g) in groups.iter().enumerate().rev() {
        if g == 0 {
            need_zero = !out.is_empty();
            continue;
        }
        if need_zero || (!out.is_empty() && g < 1000) {
            out.push('零');
        }
        need_zero = false;
        let digits = [g / 1000, g / 100 % 10, g / 10 % 10, g % 10];
        let mut zero = false;
        for (i, &d) in digits.iter().enumerate() {
            let unit = UNITS[3 - i];
            if d == 0 {
                zero = true;
                continue;
            }
            let started = digits[..i].iter().any(|&x| x != 0);
            if zero && started {
                out.push('零');
            }
            zero = false;
            // 十五 rather than 一十五 at the very start.
            if !(d == 1 && unit == "十" && out.is_empty() && !started) {
                out.push(DIGITS[d]);
            }
            out.push_str(unit);
        }
        out.push_str(BIG[gi.min(4)]);
    }
    out
}

/// `part` as a percentage of `whole`, at most `digits` decimals, trailing
/// zeros dropped: `percentage(1.0, 3.0, 1)` → `33.3%`; a zero whole gives `0%`.
///
/// ```
/// assert_eq!(nianbao::text::percentage(1.0, 2.0, 1), "50%");
/// assert_eq!(nianbao::text::percentage(2.0, 3.0, 2), "66.67%");
/// assert_eq!(nianbao::text::percentage(1.0, 0.0, 1), "0%");
/// ```
pub fn percentage(part: f64, whole: f64, digits: usize) -> String {
    if whole == 0.0 || !part.is_finite() || !whole.is_finite() {
        return "0%".to_string();
    }
    let s = format!("{:.*}", digits, part / whole * 100.0);
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    };
    format!("{s}%")
}

// ---------------------------------------------------------------------------
// Helpers
//
// Comparisons and logic are handlebars' own (`eq`, `ne`, `gt`, `gte`, `lt`,
// `lte`, `and`, `or`, `not`): amounts are numbers in the context, so they work
// on every value. Ours compute numbers and words.

/// A number from a JSON value: numbers, and strings that hold a number.
fn number(v: &Json) -> Option<f64> {
    match v {
        Json::Number(n) => n.as_f64(),
        Json::String(s) => s.trim().parse().ok(),
        Json::Bool(b) => Some(f64::from(u8::from(*b))),
        Json::Null => Some(0.0),
        _ => None,
    }
}

/// A number back to JSON: an integer when it is one.
fn to_json(x: f64) -> Json {
    if x.fract() == 0.0 && x.abs() < 9.0e15 {
        json!(x as i64)
    } else {
        json!(x)
    }
}

type Compute = fn(&[&Json]) -> Result<Json, String>;

/// A helper computing a value from its parameters (usable in subexpressions).
struct ValueHelper(&'static str, Compute);

impl HelperDef for ValueHelper {
    fn call_inner<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        r: &'reg Handlebars<'reg>,
        _: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
    ) -> Result<ScopedJson<'rc>, RenderError> {
        let mut params = Vec::with_capacity(h.params().len());
        for p in h.params() {
            if r.strict_mode() && p.is_value_missing() {
                let name = p.relative_path().cloned();
                return Err(RenderErrorReason::MissingVariable(name).into());
            }
            params.push(p.value());
        }
        let value = (self.1)(&params)
            .map_err(|m| RenderError::from(RenderErrorReason::Other(format!("{}：{m}", self.0))))?;
        Ok(ScopedJson::Derived(value))
    }
}

fn numbers(params: &[&Json], at_least: usize) -> Result<Vec<f64>, String> {
    if params.len() < at_least {
        return Err(format!("至少需要 {at_least} 个参数"));
    }
    params
        .iter()
        .map(|v| number(v).ok_or_else(|| format!("参数 {v} 不是数")))
        .collect()
}

fn register_helpers(hb: &mut Handlebars<'static>) {
    let helpers: [(&'static str, Compute); 6] = [
        ("add", |p| Ok(to_json(numbers(p, 2)?.iter().sum()))),
        ("sub", |p| {
            let n = numbers(p, 2)?;
            Ok(to_json(n[0] - n[1..].iter().sum::<f64>()))
        }),
        ("mul", |p| Ok(to_json(numbers(p, 2)?.iter().product()))),
        ("cn_year", |p| {
            let n = numbers(p, 1)?[0];
            if n < 0.0 || n.fract() != 0.0 {
                return Err(format!("{n} 不是年份"));
            }
            Ok(json!(chinese_year(n as u64)))
        }),
        ("cn_num", |p| {
            let n = numbers(p, 1)?[0];
            if n < 0.0 || n.fract() != 0.0 {
                return Err(format!("{n} 不是非负整数"));
            }
            Ok(json!(chinese_number(n as u64)))
        }),
        ("percent", |p| {
            let n = numbers(p, 2)?;
            let digits = n.get(2).copied().unwrap_or(1.0).clamp(0.0, 6.0) as usize;
            Ok(json!(percentage(n[0], n[1], digits)))
        }),
    ];
    for (name, f) in helpers {
        hb.register_helper(name, Box::new(ValueHelper(name, f)));
    }
}

// ---------------------------------------------------------------------------
// Context

fn applicant(row: &ApplicantRow) -> Json {
    let v = row.values;
    let organizations: u64 = v[1..].iter().map(|&x| u64::from(x)).sum();
    json!({
        "natural_person": v[0],
        "enterprise": v[1],
        "research": v[2],
        "public_interest": v[3],
        "legal_service": v[4],
        "other": v[5],
        "organizations": organizations,
        "total": row.total(),
    })
}

fn applicant_sum<'a>(rows: impl IntoIterator<Item = &'a ApplicantRow>) -> ApplicantRow {
    let mut sum = ApplicantRow::default();
    for r in rows {
        for (s, v) in sum.values.iter_mut().zip(r.values) {
            *s = s.saturating_add(v);
        }
    }
    sum
}

fn outcome(row: &OutcomeRow) -> Json {
    let v = row.values;
    json!({
        "upheld": v[0],
        "corrected": v[1],
        "other": v[2],
        "pending": v[3],
        "total": row.total(),
    })
}

/// An amount as a JSON number, for comparisons: an integer when whole, else
/// the nearest `f64` (printing it may differ from the input, e.g. `1e-6`, so
/// templates print the `_text` form).
fn amount<const P: u32>(a: crate::model::Amount<P>) -> Json {
    let d = a.value().normalize();
    if d.scale() == 0
        && let Ok(n) = u64::try_from(d)
    {
        return json!(n);
    }
    json!(a.to_f64())
}

/// The data every template sees: the whole report with computed totals.
///
/// - `agency`, `short_name` (简称 or the full name), `year`, `next_year`,
///   `title`, `issued_on` (`2025年1月20日` or null); `report.*` as in the input;
/// - `active.rules.{issued,repealed,in_force}`, `active.normative_documents.*`,
///   `active.licensing`, `active.punishment`, `active.enforcement`,
///   `active.fees` (万元, a number for comparisons) and `active.fees_text`
///   (as given, for printing);
/// - every row of table 三 as an object `{natural_person, enterprise, research,
///   public_interest, legal_service, other, organizations, total}`:
///   `applications.new`, `.carried_over`, `.granted`, `.partially_granted`,
///   `.withheld.<row>` and `.withheld.total` (likewise `unavailable`,
///   `not_processed`, `other`), `.total` (三（七）), `.carry_forward`;
///   `applications.received` (一 + 二, a row object);
/// - every row of table 四 as `{upheld, corrected, other, pending, total}`:
///   `review_litigation.review`, `.litigation_direct`,
///   `.litigation_after_review`, `.litigation` (both litigation rows);
/// - `processing_fees.notices`, `.notices_amount`, `.collected` (元, numbers)
///   and `.notices_amount_text`, `.collected_text` (as given, for printing).
///
/// ```
/// let report = nianbao::model::Report::from_toml_str(
///     "[report]\nagency = \"某局\"\nyear = 2024\n[applications]\nnew = [1, 2, 0, 0, 0, 0]\n",
///     "x.toml",
/// ).unwrap();
/// let c = nianbao::text::context(&report);
/// assert_eq!(c["applications"]["new"]["total"], 3);
/// assert_eq!(c["applications"]["new"]["organizations"], 2);
/// assert_eq!(c["next_year"], 2025);
/// ```
pub fn context(report: &Report) -> Json {
    let a = &report.applications;
    // The outcome rows of 三（一）–（六）, by their key paths: `granted` at the
    // top, `withheld.state_secret` inside its group, with a total per group.
    let mut applications = serde_json::Map::new();
    let mut groups: Vec<(&str, Vec<(&str, &ApplicantRow)>)> = Vec::new();
    for (key, row) in a.outcome_rows() {
        match key.split_once('.') {
            None => {
                applications.insert(key.to_string(), applicant(row));
            }
            Some((group, item)) => match groups.iter_mut().find(|(g, _)| *g == group) {
                Some((_, items)) => items.push((item, row)),
                None => groups.push((group, vec![(item, row)])),
            },
        }
    }
    for (group, items) in groups {
        let mut object: serde_json::Map<String, Json> = items
            .iter()
            .map(|(item, row)| (item.to_string(), applicant(row)))
            .collect();
        let total = applicant_sum(items.iter().map(|(_, row)| *row));
        object.insert("total".to_string(), applicant(&total));
        applications.insert(group.to_string(), Json::Object(object));
    }
    let results_total = applicant_sum(a.outcome_rows().iter().map(|(_, r)| *r));
    let received = applicant_sum([&a.new, &a.carried_over]);
    for (key, row) in [
        ("new", &a.new),
        ("carried_over", &a.carried_over),
        ("received", &received),
        ("total", &results_total),
        ("carry_forward", &a.carry_forward),
    ] {
        applications.insert(key.to_string(), applicant(row));
    }
    let rl = &report.review_litigation;
    let mut litigation = OutcomeRow::default();
    for (s, (x, y)) in litigation.values.iter_mut().zip(
        rl.litigation_direct
            .values
            .iter()
            .zip(rl.litigation_after_review.values),
    ) {
        *s = x.saturating_add(y);
    }
    let info = &report.report;
    let docs = |d: &crate::model::DocumentCounts| json!({ "issued": d.issued, "repealed": d.repealed, "in_force": d.in_force });
    json!({
        "agency": info.agency,
        "short_name": report.short_name(),
        "year": info.year.0,
        "next_year": info.year.0 + 1,
        "title": report.title(),
        "issued_on": info.issued_on.map(|d| d.to_chinese()),
        "report": {
            "agency": info.agency,
            "short_name": report.short_name(),
            "year": info.year.0,
            "region": info.region.as_deref().unwrap_or(""),
            "issued_on": info.issued_on.map(|d| d.to_chinese()),
        },
        "active": {
            "rules": docs(&report.active.rules),
            "normative_documents": docs(&report.active.normative_documents),
            "licensing": report.active.licensing,
            "punishment": report.active.punishment,
            "enforcement": report.active.enforcement,
            "fees": amount(report.active.fees),
            "fees_text": report.active.fees.to_string(),
        },
        "applications": Json::Object(applications),
        "review_litigation": {
            "review": outcome(&rl.review),
            "litigation_direct": outcome(&rl.litigation_direct),
            "litigation_after_review": outcome(&rl.litigation_after_review),
            "litigation": outcome(&litigation),
        },
        "processing_fees": {
            "notices": report.processing_fees.notices,
            "notices_amount": amount(report.processing_fees.notices_amount),
            "notices_amount_text": report.processing_fees.notices_amount.to_string(),
            "collected": amount(report.processing_fees.collected),
            "collected_text": report.processing_fees.collected.to_string(),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(extra: &str) -> Report {
        Report::from_toml_str(
            &format!("[report]\nagency = \"某县统计局\"\nyear = 2024\n{extra}"),
            "t.toml",
        )
        .unwrap()
    }

    #[test]
    fn every_embedded_template_renders_for_an_empty_report() {
        let blocks = TextEngine::embedded().render_all(&report("")).unwrap();
        for name in TEMPLATE_NAMES {
            assert!(!blocks.get(name).is_empty(), "{name} is empty");
        }
        assert_eq!(
            blocks.get(PROCESSING_FEES),
            ["本年度，本机关未发出信息处理费收费通知，未收取信息处理费。"]
        );
        let on_request = blocks.get("on_request").join("");
        assert!(
            on_request.contains("未收到政府信息公开申请"),
            "{on_request}"
        );
    }

    #[test]
    fn on_request_states_the_numbers() {
        let r = report(
            "[applications]\nnew = [3, 1, 0, 0, 0, 0]\ncarried_over = [1, 0, 0, 0, 0, 0]\ngranted = [2, 0, 0, 0, 0, 0]\npartially_granted = [1, 0, 0, 0, 0, 0]\ncarry_forward = [0, 1, 0, 0, 0, 0]\n[applications.withheld]\nstate_secret = [1, 0, 0, 0, 0, 0]\n",
        );
        let blocks = TextEngine::embedded().render_all(&r).unwrap();
        let text = blocks.get("on_request").join("");
        for part in [
            "新收政府信息公开申请4件",
            "上年结转政府信息公开申请1件",
            "予以公开2件",
            "部分公开1件",
            "不予公开1件",
            "结转下年度继续办理1件",
        ] {
            assert!(text.contains(part), "{part} not in {text}");
        }
    }

    #[test]
    fn fees_with_numbers() {
        let r = report("[processing_fees]\nnotices = 2\nnotices_amount = 300\ncollected = 200.5\n");
        let blocks = TextEngine::embedded().render_all(&r).unwrap();
        let text = blocks.get(PROCESSING_FEES).join("");
        assert!(text.contains("2件"), "{text}");
        assert!(text.contains("300元"), "{text}");
        assert!(text.contains("200.5元"), "{text}");
    }

    #[test]
    fn unknown_variable_names_block_and_line() {
        let r = report("[text]\nproblems = \"第一行\\n{{year}}\\n{{yaer}}\"\n");
        let err = TextEngine::embedded().render_all(&r).unwrap_err();
        assert_eq!(err.block(), "problems");
        let msg = err.to_string();
        assert!(msg.starts_with("text.problems 第 3 行"), "{msg}");
        assert!(msg.contains("yaer"), "{msg}");
    }

    #[test]
    fn syntax_error_names_block_and_line() {
        let r = report("[text]\noverview = \"a\\n{{#if year}}b\"\n");
        let err = TextEngine::embedded().render_all(&r).unwrap_err();
        assert_eq!(err.block(), "overview");
        assert!(err.to_string().contains("第 "), "{err}");
    }

    #[test]
    fn no_html_escaping() {
        let r = report("[text]\noverview = \"A&B <c> \\\"q\\\" 'a' `b` =d {{agency}}\"\n");
        let blocks = TextEngine::embedded().render_all(&r).unwrap();
        assert_eq!(
            blocks.get("overview"),
            ["A&B <c> \"q\" 'a' `b` =d 某县统计局"]
        );
    }

    #[test]
    fn helpers() {
        let r = report(
            "[text]\noverview = \"{{cn_year year}} {{cn_num 3}} {{add 1 2 3}} {{sub 5 2}} {{percent 1 3}} {{#if (gt year 2000)}}yes{{/if}} {{#if (eq 1 2)}}no{{else}}ne{{/if}}\"\n",
        );
        let blocks = TextEngine::embedded().render_all(&r).unwrap();
        assert_eq!(blocks.get("overview"), ["二〇二四 三 6 3 33.3% yes ne"]);
    }

    #[test]
    fn comparisons_are_handlebars_own_and_amounts_are_numbers() {
        let r = report(
            "[active]\nfees = \"0.000001\"\n[processing_fees]\nnotices = 1\nnotices_amount = 300\ncollected = \"96171.60\"\n[text]\noverview = \"{{#if (gt active.fees 0)}}a{{/if}}{{#if (gte processing_fees.collected 96171.6)}}b{{/if}}{{#if (lte processing_fees.notices_amount 300)}}c{{/if}}{{#if (eq processing_fees.notices_amount 300)}}d{{/if}}{{#if (and (ne year 2000) (not (lt year 2000)))}}e{{/if}}{{#if (or 0 active.fees)}}f{{/if}} {{active.fees_text}} {{processing_fees.collected_text}} {{processing_fees.notices_amount_text}}\"\n",
        );
        let blocks = TextEngine::embedded().render_all(&r).unwrap();
        assert_eq!(blocks.get("overview"), ["abcdef 0.000001 96171.6 300"]);
        let c = context(&r);
        assert_eq!(c["processing_fees"]["notices_amount"], 300);
        assert_eq!(c["processing_fees"]["collected"], 96171.6);
        assert_eq!(c["active"]["fees_text"], "0.000001");
    }

    #[test]
    fn lone_nothing_reads_well() {
        let r = report("[text]\nother_matters = \"无\"\n");
        let blocks = TextEngine::embedded().render_all(&r).unwrap();
        assert_eq!(
            blocks.get("other_matters"),
            ["本年度无其他需要报告的事项。"]
        );
    }

    #[test]
    fn numbers_in_words() {
        assert_eq!(chinese_number(1), "一");
        assert_eq!(chinese_number(10), "十");
        assert_eq!(chinese_number(20), "二十");
        assert_eq!(chinese_number(101), "一百零一");
        assert_eq!(chinese_number(1001), "一千零一");
        assert_eq!(chinese_number(10010), "一万零一十");
        assert_eq!(chinese_number(100000), "十万");
        assert_eq!(chinese_number(2024), "二千零二十四");
        assert_eq!(chinese_year(2100), "二一〇〇");
    }
}
