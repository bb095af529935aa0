//! The report model: exactly the input format of DESIGN.md, read from TOML or JSON.
//!
//! Every key of the format is a field here, with its Chinese label beside it.
//! Unknown keys are errors, a left-out row or group means zeros, and a row that
//! is present must have the right length. Totals are computed by the model
//! ([`Row::total`]); a total the clerk typed is kept in [`Row::given_total`] so
//! that the check can compare it.
//!
//! ```
//! let report = nianbao::model::Report::from_toml_str(
//!     "[report]\nagency = \"某县统计局\"\nyear = 2024\n\n[applications]\nnew = [1, 0, 0, 0, 0, 0]\n",
//!     "example.toml",
//! ).unwrap();
//! assert_eq!(report.applications.new.total(), 1);
//! assert_eq!(report.title(), "某县统计局2024年政府信息公开工作年度报告");
//! ```

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::ser::{SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};

mod text;
pub use text::{
    TextField, TextProblem, forbidden_char, is_xml_char, text_fields, text_problems, validate_text,
};

/// One agency's annual report: everything the input file holds.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Report {
    /// 报告基本信息 — who reports, for which year.
    #[serde(deserialize_with = "table")]
    pub report: ReportInfo,
    /// 二、主动公开政府信息情况.
    #[serde(default, deserialize_with = "table")]
    pub active: Active,
    /// 三、收到和处理政府信息公开申请情况.
    #[serde(default, deserialize_with = "table")]
    pub applications: Applications,
    /// 四、政府信息公开行政复议、行政诉讼情况.
    #[serde(default, deserialize_with = "table")]
    pub review_litigation: ReviewLitigation,
    /// 信息处理费 — reported in prose under 六 (amounts in 元); `None` when
    /// the input has no `[processing_fees]` table. Nothing is invented then:
    /// the report writes no fee sentence and `check` warns (R10) unless the
    /// clerk's 六 speaks of the fee. The mandated 基本信息 rows still print
    /// 0 / 0.00 ([`Report::fees`]).
    #[serde(
        default,
        deserialize_with = "some_table",
        skip_serializing_if = "Option::is_none"
    )]
    pub processing_fees: Option<ProcessingFees>,
    /// The narrative blocks; each is a handlebars template.
    #[serde(default, deserialize_with = "table")]
    pub text: TextBlocks,
    /// Run-in heads of the sub-blocks, where an agency words them differently.
    #[serde(default, deserialize_with = "table")]
    pub headings: Headings,
}

/// Reads a derived struct `T` from a table (a JSON object) only.
///
/// serde's derived structs also accept an array and fill their fields by
/// position, silently defaulting the rest: `applications = [[1, 0, 0, 0, 0,
/// 0]]` would set `new` and zero every other row. Every table of the format
/// is read through this instead.
pub(crate) fn table<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    struct TableVisitor<T>(std::marker::PhantomData<T>);
    impl<'de, T: Deserialize<'de>> Visitor<'de> for TableVisitor<T> {
        type Value = T;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            // serde's own words for a map; the reader puts them in Chinese
            // with the key path (`应为表（[report]）`).
            f.write_str("a map")
        }
        fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
            T::deserialize(de::value::MapAccessDeserializer::new(map))
        }
    }
    deserializer.deserialize_map(TableVisitor(std::marker::PhantomData))
}

/// [`table`] for an optional table: present means given (`Some`), even empty.
fn some_table<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    table(deserializer).map(Some)
}

/// `[report]`: the agency and the year.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ReportInfo {
    /// 机关全称 — used in the title and the signature.
    pub agency: String,
    /// 简称 — optional; defaults to the agency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub short_name: Option<String>,
    /// 报告年度 — the reported year, 2008–2100.
    pub year: Year,
    /// 所属地区 — optional; groups agencies in a batch summary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// 成文日期 — optional, printed under the signature (`2025-01-20`; `""` = none).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "empty_as_none"
    )]
    pub issued_on: Option<Date>,
}

/// `[active]`: 二、主动公开政府信息情况 (table 二).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Active {
    /// 规章 — 第二十条第（一）项.
    pub rules: DocumentCounts,
    /// 行政规范性文件 — 第二十条第（一）项.
    pub normative_documents: DocumentCounts,
    /// 行政许可 本年处理决定数量 — 第二十条第（五）项.
    pub licensing: u32,
    /// 行政处罚 本年处理决定数量 — 第二十条第（六）项.
    pub punishment: u32,
    /// 行政强制 本年处理决定数量 — 第二十条第（六）项.
    pub enforcement: u32,
    /// 行政事业性收费 本年收费金额（万元） — 第二十条第（八）项.
    pub fees: WanYuan,
}

/// The three counts of 规章 or 行政规范性文件.
///
/// Read from a table only (`{ issued = 0, repealed = 0, in_force = 0 }`): an
/// array such as `[5]` would fill the counts by position and silently zero
/// the rest, so it is refused.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(from = "DocumentCountsTable")]
pub struct DocumentCounts {
    /// 本年制发件数.
    pub issued: u32,
    /// 本年废止件数.
    pub repealed: u32,
    /// 现行有效件数.
    pub in_force: u32,
}

/// [`DocumentCounts`] as it may stand in the input: a table, never an array.
#[derive(Default)]
struct DocumentCountsTable(DocumentCounts);

impl From<DocumentCountsTable> for DocumentCounts {
    fn from(t: DocumentCountsTable) -> Self {
        t.0
    }
}

impl<'de> Deserialize<'de> for DocumentCountsTable {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        /// The keys, read by serde from the table.
        #[derive(Default, Deserialize)]
        #[serde(deny_unknown_fields, default)]
        struct Keys {
            issued: u32,
            repealed: u32,
            in_force: u32,
        }
        struct TableVisitor;
        impl<'de> Visitor<'de> for TableVisitor {
            type Value = DocumentCountsTable;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                write!(f, "{{ issued = 0, repealed = 0, in_force = 0 }} 形式的表")
            }
            fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                let k = Keys::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(DocumentCountsTable(DocumentCounts {
                    issued: k.issued,
                    repealed: k.repealed,
                    in_force: k.in_force,
                }))
            }
        }
        deserializer.deserialize_map(TableVisitor)
    }
}

/// `[applications]`: table 三, one [`ApplicantRow`] per body row.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Applications {
    /// 一、本年新收政府信息公开申请数量.
    pub new: ApplicantRow,
    /// 二、上年结转政府信息公开申请数量.
    pub carried_over: ApplicantRow,
    /// 三（一）予以公开.
    pub granted: ApplicantRow,
    /// 三（二）部分公开.
    pub partially_granted: ApplicantRow,
    /// 三（三）不予公开.
    #[serde(deserialize_with = "table")]
    pub withheld: Withheld,
    /// 三（四）无法提供.
    #[serde(deserialize_with = "table")]
    pub unavailable: Unavailable,
    /// 三（五）不予处理.
    #[serde(deserialize_with = "table")]
    pub not_processed: NotProcessed,
    /// 三（六）其他处理.
    #[serde(deserialize_with = "table")]
    pub other: OtherOutcomes,
    /// 三（七）总计 — optional; the model computes it, a given one is checked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<ApplicantRow>,
    /// 四、结转下年度继续办理.
    pub carry_forward: ApplicantRow,
}

/// `[applications.withheld]`: 三（三）不予公开.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Withheld {
    /// 1.属于国家秘密.
    pub state_secret: ApplicantRow,
    /// 2.其他法律行政法规禁止公开.
    pub law_prohibited: ApplicantRow,
    /// 3.危及“三安全一稳定”.
    pub three_securities_one_stability: ApplicantRow,
    /// 4.保护第三方合法权益.
    pub third_party_rights: ApplicantRow,
    /// 5.属于三类内部事务信息.
    pub internal_affairs: ApplicantRow,
    /// 6.属于四类过程性信息.
    pub process_information: ApplicantRow,
    /// 7.属于行政执法案卷.
    pub enforcement_files: ApplicantRow,
    /// 8.属于行政查询事项.
    pub administrative_queries: ApplicantRow,
}

/// `[applications.unavailable]`: 三（四）无法提供.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Unavailable {
    /// 1.本机关不掌握相关政府信息.
    pub not_held: ApplicantRow,
    /// 2.没有现成信息需要另行制作.
    pub needs_creation: ApplicantRow,
    /// 3.补正后申请内容仍不明确.
    pub unclear_after_correction: ApplicantRow,
}

/// `[applications.not_processed]`: 三（五）不予处理.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct NotProcessed {
    /// 1.信访举报投诉类申请.
    pub complaints: ApplicantRow,
    /// 2.重复申请.
    pub duplicate: ApplicantRow,
    /// 3.要求提供公开出版物.
    pub publications: ApplicantRow,
    /// 4.无正当理由大量反复申请.
    pub excessive: ApplicantRow,
    /// 5.要求行政机关确认或重新出具已获取信息.
    pub reconfirmation: ApplicantRow,
}

/// `[applications.other]`: 三（六）其他处理.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct OtherOutcomes {
    /// 1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请.
    pub correction_overdue: ApplicantRow,
    /// 2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请.
    pub fee_overdue: ApplicantRow,
    /// 3.其他.
    pub other: ApplicantRow,
}

/// `[review_litigation]`: table 四, one [`OutcomeRow`] per group.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReviewLitigation {
    /// 行政复议.
    pub review: OutcomeRow,
    /// 行政诉讼 未经复议直接起诉.
    pub litigation_direct: OutcomeRow,
    /// 行政诉讼 复议后起诉.
    pub litigation_after_review: OutcomeRow,
}

/// `[processing_fees]`: 信息处理费, reported in 六 (amounts in 元, not 万元).
/// Optional as a whole ([`Report::processing_fees`]); within a given table,
/// a left-out figure is 0.
#[derive(Debug, Clone, Copy, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProcessingFees {
    /// 发出收费通知的件数.
    pub notices: u32,
    /// 收费通知的总金额（元）.
    pub notices_amount: Yuan,
    /// 实际收取的总金额（元）.
    pub collected: Yuan,
}

/// `[text]`: the narrative blocks. A block left out or empty falls back to
/// `templates/<name>.hbs`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct TextBlocks {
    /// 一、总体情况 — lead paragraph(s).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub overview: Option<String>,
    /// 一（一）主动公开.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proactive: Option<String>,
    /// 一（二）依申请公开.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_request: Option<String>,
    /// 一（三）政府信息管理.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub management: Option<String>,
    /// 一（四）政府信息公开平台建设.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platforms: Option<String>,
    /// 一（五）监督保障.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oversight: Option<String>,
    /// 五（一）存在的主要问题.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problems: Option<String>,
    /// 五（二）改进情况.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub improvements: Option<String>,
    /// 六、其他需要报告的事项.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub other_matters: Option<String>,
}

/// `[headings]`: the run-in heads of the sub-blocks of 一 and 五.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Headings {
    /// Default 主动公开.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proactive: Option<String>,
    /// Default 依申请公开.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_request: Option<String>,
    /// Default 政府信息管理.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub management: Option<String>,
    /// Default 政府信息公开平台建设.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platforms: Option<String>,
    /// Default 监督保障.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oversight: Option<String>,
    /// Default 存在问题.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problems: Option<String>,
    /// Default 改进情况 (the sample report says 下步打算).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub improvements: Option<String>,
}

/// The longest agency name, short name or region, in characters. Real
/// agency names run to about 40 (e.g. 某某省某某市某某区人民政府办公室…).
pub const MAX_NAME_CHARS: usize = 100;
/// The longest run-in head of a sub-block (`[headings]`), in characters.
pub const MAX_HEADING_CHARS: usize = 100;
/// The longest text block, in characters: what one Excel cell can hold.
pub const MAX_TEXT_CHARS: usize = 32_767;
/// The largest count in any cell (十亿): more than any agency decides in a
/// year, and 147 cells of it still sum far below `u64::MAX`.
pub const MAX_COUNT: u32 = 1_000_000_000;
/// The largest 行政事业性收费 in 万元 (一万亿元): above the whole country's.
/// Below 10⁹, so that [`Amount::to_f64`] stays exact.
pub const MAX_WAN_YUAN: u64 = 100_000_000;
/// The largest 信息处理费 amount in 元 (一亿元).
pub const MAX_YUAN: u64 = 100_000_000;

impl TextBlocks {
    /// Every block with its key in `[text]`, as given (blank or not).
    pub fn entries(&self) -> [(&'static str, Option<&str>); 9] {
        [
            ("overview", self.overview.as_deref()),
            ("proactive", self.proactive.as_deref()),
            ("on_request", self.on_request.as_deref()),
            ("management", self.management.as_deref()),
            ("platforms", self.platforms.as_deref()),
            ("oversight", self.oversight.as_deref()),
            ("problems", self.problems.as_deref()),
            ("improvements", self.improvements.as_deref()),
            ("other_matters", self.other_matters.as_deref()),
        ]
    }

    /// The block the input gives for `name` (a name of `spec::outline::BLOCKS`), if any and not blank.
    pub fn get(&self, name: &str) -> Option<&str> {
        let block = match name {
            "overview" => &self.overview,
            "proactive" => &self.proactive,
            "on_request" => &self.on_request,
            "management" => &self.management,
            "platforms" => &self.platforms,
            "oversight" => &self.oversight,
            "problems" => &self.problems,
            "improvements" => &self.improvements,
            "other_matters" => &self.other_matters,
            _ => return None,
        };
        block.as_deref().filter(|s| !s.trim().is_empty())
    }

    /// Sets the block `name`; `None` or blank text means "use the template".
    pub fn set(&mut self, name: &str, text: Option<String>) {
        let text = text.filter(|s| !s.trim().is_empty());
        match name {
            "overview" => self.overview = text,
            "proactive" => self.proactive = text,
            "on_request" => self.on_request = text,
            "management" => self.management = text,
            "platforms" => self.platforms = text,
            "oversight" => self.oversight = text,
            "problems" => self.problems = text,
            "improvements" => self.improvements = text,
            "other_matters" => self.other_matters = text,
            _ => {}
        }
    }
}

impl Headings {
    /// The run-in head the agency gives for block `name`, if any and not blank
    /// (the defaults are in `spec::outline`).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.slot(name)?.as_deref().filter(|s| !s.trim().is_empty())
    }

    /// Sets the head of block `name` (exactly as given).
    pub fn set(&mut self, name: &str, value: Option<String>) {
        if let Some(slot) = self.slot_mut(name) {
            *slot = value;
        }
    }

    /// Every head with its key in `[headings]`, as given (blank or not).
    pub fn entries(&self) -> [(&'static str, Option<&str>); 7] {
        [
            ("proactive", self.proactive.as_deref()),
            ("on_request", self.on_request.as_deref()),
            ("management", self.management.as_deref()),
            ("platforms", self.platforms.as_deref()),
            ("oversight", self.oversight.as_deref()),
            ("problems", self.problems.as_deref()),
            ("improvements", self.improvements.as_deref()),
        ]
    }

    /// The head as given, blank or not (what a form shows).
    pub fn given(&self, name: &str) -> Option<String> {
        self.slot(name)?.clone()
    }

    fn slot(&self, name: &str) -> Option<&Option<String>> {
        Some(match name {
            "proactive" => &self.proactive,
            "on_request" => &self.on_request,
            "management" => &self.management,
            "platforms" => &self.platforms,
            "oversight" => &self.oversight,
            "problems" => &self.problems,
            "improvements" => &self.improvements,
            _ => return None,
        })
    }

    fn slot_mut(&mut self, name: &str) -> Option<&mut Option<String>> {
        Some(match name {
            "proactive" => &mut self.proactive,
            "on_request" => &mut self.on_request,
            "management" => &mut self.management,
            "platforms" => &mut self.platforms,
            "oversight" => &mut self.oversight,
            "problems" => &mut self.problems,
            "improvements" => &mut self.improvements,
            _ => return None,
        })
    }
}

// ---------------------------------------------------------------------------
// Rows of counts

/// A row of table 三: [自然人, 商业企业, 科研机构, 社会公益组织, 法律服务机构, 其他] (+ 总计).
pub type ApplicantRow = Row<6>;
/// A row of table 四: [结果维持, 结果纠正, 其他结果, 尚未审结] (+ 总计).
pub type OutcomeRow = Row<4>;

/// A row of `N` counts, optionally followed by the clerk's own total.
///
/// In the input it is an array of `N` numbers, or `N + 1` with 总计 last.
///
/// ```
/// use nianbao::model::ApplicantRow;
/// let row = ApplicantRow::new([1, 2, 0, 0, 0, 3]);
/// assert_eq!(row.total(), 6);
/// assert_eq!(row.given_total, None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Row<const N: usize> {
    /// The counts, one per column.
    pub values: [u32; N],
    /// 总计 as typed in the input, when it was; checked against [`Row::total`].
    pub given_total: Option<u32>,
}

impl<const N: usize> Default for Row<N> {
    fn default() -> Self {
        Row {
            values: [0; N],
            given_total: None,
        }
    }
}

impl<const N: usize> Row<N> {
    /// A row with these counts and no given total.
    pub fn new(values: [u32; N]) -> Self {
        Row {
            values,
            given_total: None,
        }
    }

    /// 总计: the sum of the counts.
    pub fn total(&self) -> u64 {
        self.values.iter().map(|&v| u64::from(v)).sum()
    }

    /// The value of column `col`, where column `N` is 总计 (computed).
    pub fn column(&self, col: usize) -> u64 {
        if col < N {
            u64::from(self.values[col])
        } else {
            self.total()
        }
    }
}

impl<const N: usize> Serialize for Row<N> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let len = N + usize::from(self.given_total.is_some());
        let mut seq = serializer.serialize_seq(Some(len))?;
        for v in &self.values {
            seq.serialize_element(v)?;
        }
        if let Some(t) = self.given_total {
            seq.serialize_element(&t)?;
        }
        seq.end()
    }
}

impl<'de, const N: usize> Deserialize<'de> for Row<N> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct RowVisitor<const N: usize>;
        impl<'de, const N: usize> Visitor<'de> for RowVisitor<N> {
            type Value = Row<N>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                write!(f, "{N} 个数的数组（或 {} 个，最后一个为总计）", N + 1)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Row<N>, A::Error> {
                let mut all = Vec::with_capacity(N + 1);
                while let Some(v) = seq.next_element::<u32>()? {
                    all.push(v);
                }
                let (values, given_total) = match all.len() {
                    n if n == N => (all, None),
                    n if n == N + 1 => {
                        let total = all.pop();
                        (all, total)
                    }
                    n => {
                        return Err(de::Error::custom(format!(
                            "应有 {N} 个数（或 {} 个，最后一个为总计），实有 {n} 个",
                            N + 1
                        )));
                    }
                };
                let mut row = Row::<N>::default();
                row.values.copy_from_slice(&values);
                row.given_total = given_total;
                Ok(row)
            }
        }
        deserializer.deserialize_seq(RowVisitor::<N>)
    }
}

// ---------------------------------------------------------------------------
// Money

/// An amount in 万元 with at most 6 decimal places (to the 分), e.g. `24252.311082`.
pub type WanYuan = Amount<6>;
/// An amount in 元 with at most 2 decimal places (to the 分).
pub type Yuan = Amount<2>;

/// A non-negative decimal amount with at most `PLACES` decimal places.
///
/// Read from a number or a string; kept as a decimal, never as `f64`.
/// Displayed as given, trailing zeros dropped.
///
/// ```
/// use nianbao::model::WanYuan;
/// let fee: WanYuan = "24252.3110820".parse().unwrap();
/// assert_eq!(fee.to_string(), "24252.311082");
/// assert!("1.0000001".parse::<WanYuan>().is_err());
/// assert!("-1".parse::<WanYuan>().is_err());
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Amount<const PLACES: u32>(pub Decimal);

impl<const PLACES: u32> Amount<PLACES> {
    /// The amount as a decimal.
    pub fn value(&self) -> Decimal {
        self.0
    }

    /// The amount as `f64`, for spreadsheets (exact to 6 places for any
    /// amount below 10⁹).
    pub fn to_f64(&self) -> f64 {
        self.to_string().parse().unwrap_or(0.0)
    }

    /// Whether the amount is zero.
    pub fn is_zero(&self) -> bool {
        self.0.is_zero()
    }

    fn checked(d: Decimal) -> Result<Self, String> {
        if d.is_sign_negative() && !d.is_zero() {
            return Err(format!("金额不能为负数，实为 {d}"));
        }
        let d = d.normalize();
        if d.scale() > PLACES {
            return Err(format!("金额最多 {PLACES} 位小数，实为 {d}"));
        }
        Ok(Amount(d.abs()))
    }
}

impl<const PLACES: u32> FromStr for Amount<PLACES> {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        // Decimal rounds away digits past its 28th decimal place (a tiny
        // 1e-40 would read as 0): count the places in the text first.
        let t = s.trim();
        if let Some((_, fraction)) = t
            .split_once('.')
            .filter(|(_, f)| f.bytes().all(|b| b.is_ascii_digit()))
        {
            let places = fraction.trim_end_matches('0').len();
            if places > PLACES as usize {
                return Err(format!("金额最多 {PLACES} 位小数，实为 {}", shorten(t)));
            }
        }
        let d = Decimal::from_str(t)
            .map_err(|_| format!("应为金额（如 12.5），实为 \"{}\"", shorten(s)))?;
        Self::checked(d)
    }
}

impl<const PLACES: u32> fmt::Display for Amount<PLACES> {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{}", self.0.normalize())
    }
}

impl<const PLACES: u32> Serialize for Amount<PLACES> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.0.scale() == 0 || self.0.normalize().scale() == 0 {
            serializer.serialize_u64(self.0.normalize().mantissa() as u64)
        } else {
            serializer.serialize_f64(self.to_f64())
        }
    }
}

impl<'de, const PLACES: u32> Deserialize<'de> for Amount<PLACES> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct AmountVisitor<const P: u32>;
        impl<const P: u32> Visitor<'_> for AmountVisitor<P> {
            type Value = Amount<P>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                write!(f, "非负金额（最多 {P} 位小数）")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Amount<P>, E> {
                Ok(Amount(Decimal::from(v)))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Amount<P>, E> {
                Amount::checked(Decimal::from(v)).map_err(E::custom)
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Amount<P>, E> {
                if !v.is_finite() {
                    return Err(E::custom(format!("应为金额，实为{}", float_words(v))));
                }
                if v.abs() >= 1e15 {
                    return Err(E::custom(format!("金额过大：{}，超出上限", float_words(v))));
                }
                // `{}` prints the shortest text that reads back as the same
                // f64, i.e. what the clerk typed (for up to ~15 digits).
                v.to_string().parse().map_err(E::custom)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Amount<P>, E> {
                v.parse().map_err(E::custom)
            }
        }
        deserializer.deserialize_any(AmountVisitor::<PLACES>)
    }
}

/// A float as a message shows it: in Chinese when not finite, else in plain
/// digits (`1e20` as `100000000000000000000`), or 约 1.0×10^300 when huge.
pub(crate) fn float_words(v: f64) -> String {
    if v.is_nan() {
        "非数值".to_string()
    } else if v.is_infinite() {
        if v > 0.0 { "无穷大" } else { "负无穷大" }.to_string()
    } else if v.abs() >= 1e21 {
        let exp = v.abs().log10().floor();
        format!("约 {:.1}×10^{exp}", v / 10f64.powf(exp))
    } else {
        v.to_string()
    }
}

/// At most 40 characters of a value quoted in a message (`…` marks a cut).
pub(crate) fn shorten(s: &str) -> String {
    const MAX: usize = 40;
    match s.char_indices().nth(MAX) {
        None => s.to_string(),
        Some((cut, _)) => format!("{}…", &s[..cut]),
    }
}

// ---------------------------------------------------------------------------
// Year and date

/// A reported year, 2008 (the first year of the 条例) to 2100.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Year(pub u16);

/// The years nianbao accepts.
pub const YEARS: std::ops::RangeInclusive<u16> = 2008..=2100;

impl<'de> Deserialize<'de> for Year {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct YearVisitor;
        fn out_of_range<E: de::Error>(y: impl fmt::Display) -> E {
            E::custom(format!(
                "年度应在 {}–{} 之间，实为 {y}",
                YEARS.start(),
                YEARS.end()
            ))
        }
        impl Visitor<'_> for YearVisitor {
            type Value = Year;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                write!(f, "{}–{} 之间的整数", YEARS.start(), YEARS.end())
            }
            fn visit_i64<E: de::Error>(self, y: i64) -> Result<Year, E> {
                match u16::try_from(y) {
                    Ok(y) if YEARS.contains(&y) => Ok(Year(y)),
                    _ => Err(out_of_range(y)),
                }
            }
            fn visit_u64<E: de::Error>(self, y: u64) -> Result<Year, E> {
                match u16::try_from(y) {
                    Ok(y) if YEARS.contains(&y) => Ok(Year(y)),
                    _ => Err(out_of_range(y)),
                }
            }
            fn visit_i128<E: de::Error>(self, y: i128) -> Result<Year, E> {
                Err(out_of_range(y))
            }
            fn visit_u128<E: de::Error>(self, y: u128) -> Result<Year, E> {
                Err(out_of_range(y))
            }
        }
        deserializer.deserialize_i64(YearVisitor)
    }
}

impl fmt::Display for Year {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A calendar date (成文日期), written `2025-01-20` in the input.
///
/// ```
/// use nianbao::model::Date;
/// let d: Date = "2025-01-20".parse().unwrap();
/// assert_eq!(d.to_chinese(), "2025年1月20日");
/// assert!("2025-02-30".parse::<Date>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    /// Year.
    pub year: u16,
    /// Month, 1–12.
    pub month: u8,
    /// Day, 1–31.
    pub day: u8,
}

impl Date {
    /// The GB/T 9704 form: `2025年1月20日` (no leading zeros).
    pub fn to_chinese(&self) -> String {
        format!("{}年{}月{}日", self.year, self.month, self.day)
    }

    /// ISO 8601 at midnight UTC, for document properties.
    pub fn to_iso_datetime(&self) -> String {
        format!("{self}T00:00:00Z")
    }
}

impl FromStr for Date {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("日期应写作 \"2025-01-20\"，实为 \"{}\"", shorten(s));
        let parts: Vec<&str> = s.trim().split('-').collect();
        let [y, m, d] = parts.as_slice() else {
            return Err(bad());
        };
        let year: u16 = y.parse().map_err(|_| bad())?;
        let month: u8 = m.parse().map_err(|_| bad())?;
        let day: u8 = d.parse().map_err(|_| bad())?;
        let leap =
            (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400);
        let days = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return Err(bad()),
        };
        if !(1900..=2200).contains(&year) || day == 0 || day > days {
            return Err(bad());
        }
        Ok(Date { year, month, day })
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// An optional date where `""` means none (the starter file writes `issued_on = ""`),
/// and so does JSON `null`. A TOML date without quotes (`2025-01-20`) is read
/// like the quoted one.
fn empty_as_none<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Date>, D::Error> {
    deserializer.deserialize_any(DateVisitor { optional: true })
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match deserializer.deserialize_any(DateVisitor { optional: false })? {
            Some(date) => Ok(date),
            None => Err(de::Error::custom(DATE_EXPECTED)),
        }
    }
}

const DATE_EXPECTED: &str = "应为日期，写作 \"2025-01-20\"";
/// [`DATE_EXPECTED`] as serde's "expected …" (`类型不符：应为 日期（…），实为 5`).
const DATE_EXPECTING: &str = "日期（写作 \"2025-01-20\"）";

/// The key under which `toml` hands a TOML date-time to a visitor, as a
/// one-entry map whose value is the date-time's text.
const TOML_DATETIME_KEY: &str = "$__toml_private_datetime";

/// Reads a date from a string, or from a TOML date-time value (`issued_on =
/// 2025-01-20`); with `optional`, `""` and `null` mean none.
struct DateVisitor {
    optional: bool,
}

impl<'de> Visitor<'de> for DateVisitor {
    type Value = Option<Date>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(DATE_EXPECTING)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Option<Date>, E> {
        if self.optional && v.trim().is_empty() {
            return Ok(None);
        }
        v.parse().map(Some).map_err(E::custom)
    }
    fn visit_none<E: de::Error>(self) -> Result<Option<Date>, E> {
        self.visit_unit()
    }
    fn visit_unit<E: de::Error>(self) -> Result<Option<Date>, E> {
        if self.optional {
            Ok(None)
        } else {
            Err(E::custom(DATE_EXPECTED))
        }
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Option<Date>, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Option<Date>, A::Error> {
        let not_a_date = || <A::Error as de::Error>::custom(format!("{DATE_EXPECTED}，实为表"));
        match map.next_key::<String>()? {
            Some(key) if key == TOML_DATETIME_KEY => {
                let text: String = map.next_value()?;
                toml_date(&text)
                    .map(Some)
                    .map_err(<A::Error as de::Error>::custom)
            }
            _ => Err(not_a_date()),
        }
    }
}

/// A TOML date-time (its text) as a [`Date`]: only a local date
/// (`2025-01-20`) is one; a time or an offset is refused with a message.
fn toml_date(text: &str) -> Result<Date, String> {
    let Ok(datetime) = text.parse::<toml::value::Datetime>() else {
        return Err(format!("{DATE_EXPECTED}，实为 \"{text}\""));
    };
    match (datetime.date, datetime.time, datetime.offset) {
        (Some(d), None, None) => format!("{:04}-{:02}-{:02}", d.year, d.month, d.day).parse(),
        (Some(d), Some(_), _) => Err(format!(
            "成文日期只写日期，不带时间{}：应写作 {:04}-{:02}-{:02}，实为 \"{text}\"",
            if datetime.offset.is_some() {
                "和时区"
            } else {
                ""
            },
            d.year,
            d.month,
            d.day
        )),
        _ => Err(format!("{DATE_EXPECTED}，实为时间 \"{text}\"")),
    }
}

// ---------------------------------------------------------------------------
// Derived values

impl Report {
    /// 简称, or the full name when none is given.
    pub fn short_name(&self) -> &str {
        self.report
            .short_name
            .as_deref()
            .filter(|s| !s.trim().is_empty())
            .unwrap_or(&self.report.agency)
    }

    /// Whether the agency is a 人民政府 (its full name ends so, e.g.
    /// 某县人民政府, 某镇人民政府; not 某县人民政府办公室): 条例第五十条第四项
    /// asks its report for 工作考核、社会评议和责任追究结果.
    pub fn is_government(&self) -> bool {
        self.report.agency.trim().ends_with("人民政府")
    }

    /// The 信息处理费 figures as the tables print them: those given, or
    /// zeros when `[processing_fees]` is absent.
    ///
    /// The 基本信息 rows of the fee are part of the mandated figures and a
    /// reviewer expects a number in each (0, 0.00), so the workbook prints
    /// zeros for a table that was not given — the cells are figures, not a
    /// statement. What must not come from invented zeros is the narrative:
    /// the sentence 「…未收取信息处理费」 of 六 is written only from
    /// [`Report::processing_fees`] as given (see `templates/processing_fees.hbs`).
    ///
    /// ```
    /// let report = nianbao::model::Report::from_toml_str(
    ///     "[report]\nagency = \"某局\"\nyear = 2024\n", "x.toml").unwrap();
    /// assert_eq!(report.processing_fees, None);
    /// assert_eq!(report.fees().notices, 0);
    /// ```
    pub fn fees(&self) -> ProcessingFees {
        self.processing_fees.unwrap_or_default()
    }
}

impl Applications {
    /// The outcome rows of 三（一）–（六）, in table order, with their key paths.
    pub fn outcome_rows(&self) -> [(&'static str, &ApplicantRow); 21] {
        [
            ("granted", &self.granted),
            ("partially_granted", &self.partially_granted),
            ("withheld.state_secret", &self.withheld.state_secret),
            ("withheld.law_prohibited", &self.withheld.law_prohibited),
            (
                "withheld.three_securities_one_stability",
                &self.withheld.three_securities_one_stability,
            ),
            (
                "withheld.third_party_rights",
                &self.withheld.third_party_rights,
            ),
            ("withheld.internal_affairs", &self.withheld.internal_affairs),
            (
                "withheld.process_information",
                &self.withheld.process_information,
            ),
            (
                "withheld.enforcement_files",
                &self.withheld.enforcement_files,
            ),
            (
                "withheld.administrative_queries",
                &self.withheld.administrative_queries,
            ),
            ("unavailable.not_held", &self.unavailable.not_held),
            (
                "unavailable.needs_creation",
                &self.unavailable.needs_creation,
            ),
            (
                "unavailable.unclear_after_correction",
                &self.unavailable.unclear_after_correction,
            ),
            ("not_processed.complaints", &self.not_processed.complaints),
            ("not_processed.duplicate", &self.not_processed.duplicate),
            (
                "not_processed.publications",
                &self.not_processed.publications,
            ),
            ("not_processed.excessive", &self.not_processed.excessive),
            (
                "not_processed.reconfirmation",
                &self.not_processed.reconfirmation,
            ),
            ("other.correction_overdue", &self.other.correction_overdue),
            ("other.fee_overdue", &self.other.fee_overdue),
            ("other.other", &self.other.other),
        ]
    }

    /// 三（七）总计 of column `col` (0–5 the applicant columns, 6 总计), computed
    /// from the outcome rows.
    pub fn outcomes_total(&self, col: usize) -> u64 {
        self.outcome_rows().iter().map(|(_, r)| r.column(col)).sum()
    }

    /// All applications handled this year (一 + 二, column 总计).
    pub fn handled_total(&self) -> u64 {
        self.new.total() + self.carried_over.total()
    }
}

impl ReviewLitigation {
    /// 行政诉讼 in all: 未经复议直接起诉 + 复议后起诉.
    pub fn litigation_total(&self) -> u64 {
        self.litigation_direct.total() + self.litigation_after_review.total()
    }
}
