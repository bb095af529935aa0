//! The three mandated tables (二, 三, 四), described once, as data.
//!
//! Every label of FORMAT.md §3–§5, character for character, every merged range,
//! and for each body cell the model field that fills it. The Word writer, the
//! Excel writer, the form reader and the checker all walk this description;
//! nothing else spells a table label.
//!
//! Rows and columns are 0-based here. In a workbook each table starts below
//! [`TITLE_ROWS`] title row(s), so table row `r` is sheet row `r + 1 + TITLE_ROWS`.
//!
//! ```
//! use nianbao::spec::tables::{self, Content};
//! let t3 = tables::applications();
//! let header = t3.cell_at(0, 3).unwrap();
//! assert_eq!(header.content, Content::Label("申请人情况"));
//! assert_eq!((header.row_span, header.col_span), (1, 7));
//! // 三（七）总计 × 自然人 and where it sits in the workbook
//! let cell = t3.cell_at(26, 3).unwrap();
//! assert_eq!(t3.describe(cell), "表三 （七）总计 × 自然人");
//! assert_eq!(t3.excel_ref(26, 3), "依申请公开!D28");
//! ```

use std::sync::LazyLock;

use crate::model::{ApplicantRow, OutcomeRow, Report};
use crate::spec::outline::SECTION_HEADINGS;

/// Title rows above each table on its sheet.
pub const TITLE_ROWS: usize = 1;

/// The applicant columns of table 三 (D–I), in input order.
pub const APPLICANT_COLUMNS: [&str; 6] = [
    "自然人",
    "商业企业",
    "科研机构",
    "社会公益组织",
    "法律服务机构",
    "其他",
];
/// The 总计 label, used by tables 三 and 四.
pub const TOTAL: &str = "总计";
/// The outcome columns of table 四, in input order.
pub const OUTCOME_COLUMNS: [&str; 4] = ["结果维持", "结果纠正", "其他结果", "尚未审结"];

/// Which mandated table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TableId {
    /// 表二 主动公开政府信息情况.
    Active,
    /// 表三 收到和处理政府信息公开申请情况.
    Applications,
    /// 表四 政府信息公开行政复议、行政诉讼情况.
    ReviewLitigation,
}

impl TableId {
    /// The description of this table.
    pub fn table(self) -> &'static Table {
        match self {
            TableId::Active => active(),
            TableId::Applications => applications(),
            TableId::ReviewLitigation => review_litigation(),
        }
    }
}

/// One mandated table: its grid and its cells.
#[derive(Debug)]
pub struct Table {
    /// Which table.
    pub id: TableId,
    /// 表二, 表三, 表四 — used in findings.
    pub name: &'static str,
    /// The section heading the table stands under, e.g. `二、主动公开政府信息情况`.
    pub heading: &'static str,
    /// The worksheet name in the workbooks, e.g. `主动公开`.
    pub sheet: &'static str,
    /// Grid rows.
    pub rows: usize,
    /// Grid columns.
    pub cols: usize,
    /// Rows that repeat at the top of each page (header rows).
    pub header_rows: usize,
    /// Column widths in twips; they add up to the 156 mm 版心 (8844).
    pub widths_twips: Vec<u32>,
    /// Column widths in Excel character units.
    pub widths_excel: Vec<f64>,
    /// Every cell that starts somewhere in the grid (covered cells of a merge are not listed).
    pub cells: Vec<Cell>,
}

/// A cell of a table: where it starts, how far it spans, what it holds.
#[derive(Debug, Clone)]
pub struct Cell {
    /// First row.
    pub row: usize,
    /// First column.
    pub col: usize,
    /// Rows covered (1 = no vertical merge).
    pub row_span: usize,
    /// Columns covered (1 = no horizontal merge).
    pub col_span: usize,
    /// A label, an input or a total.
    pub content: Content,
    /// Horizontal alignment.
    pub align: Align,
    /// A section title row of table 二 (`第二十条第（一）项`), set apart in bold.
    pub emphasis: bool,
}

/// Horizontal alignment of a cell's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    /// Centred.
    Center,
    /// Left-aligned (the long labels of table 三's column C).
    Left,
}

/// What a cell holds.
#[derive(Debug, Clone)]
pub enum Content {
    /// Fixed text of the format.
    Label(&'static str),
    /// A number the clerk enters.
    Input(Input),
    /// A sum of other cells of the same table, computed by the model.
    Total(Total),
}

/// An input cell: which model field fills it.
#[derive(Debug, Clone)]
pub struct Input {
    /// Key path in the input file, e.g. `applications.withheld.state_secret[0]`.
    pub key: String,
    /// The cell in words, e.g. `（三）不予公开 1.属于国家秘密 × 自然人`.
    pub words: String,
    /// How to read and write the field.
    pub field: Field,
}

/// A total cell: the sum of `terms`, and where a total the clerk typed is kept.
#[derive(Debug, Clone)]
pub struct Total {
    /// Key path of the given total, e.g. `applications.new[6]`.
    pub key: String,
    /// The cell in words.
    pub words: String,
    /// The cells (row, col) whose sum this is.
    pub terms: Vec<(usize, usize)>,
    /// Where the clerk's own total is, if they typed one.
    pub given: Given,
}

/// How an input cell reads and writes its model field.
#[derive(Debug, Clone, Copy)]
pub enum Field {
    /// A single count of table 二.
    Count(fn(&Report) -> &u32, fn(&mut Report) -> &mut u32),
    /// 行政事业性收费 in 万元.
    Fees,
    /// Column `usize` of a row of table 三.
    Applicant(ApplicantRef, usize),
    /// Column `usize` of a row of table 四.
    Outcome(OutcomeRef, usize),
}

/// Accessors of one row of table 三.
pub type ApplicantRef = (
    fn(&Report) -> &ApplicantRow,
    fn(&mut Report) -> &mut ApplicantRow,
);
/// Accessors of one row of table 四.
pub type OutcomeRef = (
    fn(&Report) -> &OutcomeRow,
    fn(&mut Report) -> &mut OutcomeRow,
);

/// Where a clerk's own total lives in the model.
#[derive(Debug, Clone, Copy)]
pub enum Given {
    /// The 7th number of a row of table 三.
    ApplicantRowTotal(ApplicantRef),
    /// Column `usize` (0–6) of `applications.total` (三（七）总计).
    ResultsTotal(usize),
    /// The 5th number of a row of table 四.
    OutcomeRowTotal(OutcomeRef),
}

/// A value of a body cell.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value {
    /// A count (件).
    Count(u64),
    /// An amount in 万元.
    Amount(crate::model::WanYuan),
}

impl std::fmt::Display for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        match self {
            Value::Count(n) => write!(f, "{n}"),
            Value::Amount(a) => write!(f, "{a}"),
        }
    }
}

/// Two contents are equal when they are the same label, or bind the same key.
impl PartialEq for Content {
    fn eq(&self, other: &Content) -> bool {
        match (self, other) {
            (Content::Label(a), Content::Label(b)) => a == b,
            (Content::Input(a), Content::Input(b)) => a.key == b.key,
            (Content::Total(a), Content::Total(b)) => a.key == b.key,
            _ => false,
        }
    }
}

impl Field {
    /// The value of this field in `report`.
    pub fn get(&self, report: &Report) -> Value {
        match *self {
            Field::Count(get, _) => Value::Count(u64::from(*get(report))),
            Field::Fees => Value::Amount(report.active.fees),
            Field::Applicant((get, _), col) => Value::Count(u64::from(get(report).values[col])),
            Field::Outcome((get, _), col) => Value::Count(u64::from(get(report).values[col])),
        }
    }

    /// The count this field holds in `report`, for writing it (`None` for 收费).
    pub fn count_mut<'a>(&self, report: &'a mut Report) -> Option<&'a mut u32> {
        match *self {
            Field::Count(_, get_mut) => Some(get_mut(report)),
            Field::Fees => None,
            Field::Applicant((_, get_mut), col) => Some(&mut get_mut(report).values[col]),
            Field::Outcome((_, get_mut), col) => Some(&mut get_mut(report).values[col]),
        }
    }
}

impl Given {
    /// The total the clerk typed, if any.
    pub fn get(&self, report: &Report) -> Option<u64> {
        match *self {
            Given::ApplicantRowTotal((get, _)) => get(report).given_total.map(u64::from),
            Given::OutcomeRowTotal((get, _)) => get(report).given_total.map(u64::from),
            Given::ResultsTotal(col) => report.applications.total.as_ref().and_then(|row| {
                if col < 6 {
                    Some(u64::from(row.values[col]))
                } else {
                    row.given_total.map(u64::from)
                }
            }),
        }
    }
}

impl Table {
    /// The cell that starts at (`row`, `col`), if one does.
    pub fn cell_at(&self, row: usize, col: usize) -> Option<&Cell> {
        self.cells.iter().find(|c| c.row == row && c.col == col)
    }

    /// The cell in words for findings, e.g. `表三 （七）总计 × 自然人`.
    pub fn describe(&self, cell: &Cell) -> String {
        match &cell.content {
            Content::Label(l) => format!("{} {l}", self.name),
            Content::Input(i) => format!("{} {}", self.name, i.words),
            Content::Total(t) => format!("{} {}", self.name, t.words),
        }
    }

    /// The A1 address of table cell (`row`, `col`) on this table's sheet, e.g. `D28`.
    pub fn a1(&self, row: usize, col: usize) -> String {
        cell_name(row + TITLE_ROWS, col)
    }

    /// The range from table cell `first` to `last` (both (row, col)), e.g.
    /// `D5:I5`, or one cell's address when they are the same.
    pub fn range(&self, first: (usize, usize), last: (usize, usize)) -> String {
        let (r1, c1) = sheet_pos(first.0 + TITLE_ROWS, first.1);
        let (r2, c2) = sheet_pos(last.0 + TITLE_ROWS, last.1);
        rust_xlsxwriter::utility::cell_range(r1, c1, r2, c2)
    }

    /// `sheet!A1` of table cell (`row`, `col`), e.g. `依申请公开!D28`.
    pub fn excel_ref(&self, row: usize, col: usize) -> String {
        sheet_cell(self.sheet, row + TITLE_ROWS, col)
    }

    /// The formula reference of table cell (`row`, `col`), e.g. `'依申请公开'!D28`.
    pub fn formula_ref(&self, row: usize, col: usize) -> String {
        formula_cell(self.sheet, row + TITLE_ROWS, col)
    }

    /// The input cells, in reading order.
    pub fn inputs(&self) -> impl Iterator<Item = (&Cell, &Input)> {
        self.cells.iter().filter_map(|c| match &c.content {
            Content::Input(i) => Some((c, i)),
            _ => None,
        })
    }

    /// The total cells, in reading order.
    pub fn totals(&self) -> impl Iterator<Item = (&Cell, &Total)> {
        self.cells.iter().filter_map(|c| match &c.content {
            Content::Total(t) => Some((c, t)),
            _ => None,
        })
    }

    /// The labels of the table, in reading order.
    pub fn labels(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.cells.iter().filter_map(|c| match c.content {
            Content::Label(l) => Some(l),
            _ => None,
        })
    }
}

// ---------------------------------------------------------------------------
// Cell names: `rust_xlsxwriter::utility`, the writer's own, so a name here is
// the name the workbook gets.

/// Excel's last 0-based row and column.
const LAST_ROW: u32 = 1_048_575;
const LAST_COL: u16 = 16_383;

/// 0-based sheet (`row`, `col`) in the writer's types, held to Excel's grid
/// (the geometry here is far inside it).
fn sheet_pos(row: usize, col: usize) -> (u32, u16) {
    (
        u32::try_from(row).map_or(LAST_ROW, |r| r.min(LAST_ROW)),
        u16::try_from(col).map_or(LAST_COL, |c| c.min(LAST_COL)),
    )
}

/// The A1 name of 0-based sheet cell (`row`, `col`), e.g. `(27, 3)` → `D28`.
///
/// ```
/// assert_eq!(nianbao::spec::tables::cell_name(27, 3), "D28");
/// assert_eq!(nianbao::spec::tables::cell_name(0, 26), "AA1");
/// ```
pub fn cell_name(row: usize, col: usize) -> String {
    let (row, col) = sheet_pos(row, col);
    rust_xlsxwriter::utility::row_col_to_cell(row, col)
}

/// `sheet!A1` of 0-based sheet cell (`row`, `col`) as a message shows it,
/// e.g. `依申请公开!D28` (the sheet quoted only where Excel needs it).
pub fn sheet_cell(sheet: &str, row: usize, col: usize) -> String {
    let (row, col) = sheet_pos(row, col);
    rust_xlsxwriter::utility::worksheet_range(sheet, row, col, row, col)
}

/// The sheet-qualified reference of 0-based sheet cell (`row`, `col`) for a
/// formula, e.g. `'依申请公开'!D28`. The sheet name is always quoted (Excel
/// accepts it either way; the approved workbooks have the quotes).
pub fn formula_cell(sheet: &str, row: usize, col: usize) -> String {
    let sheet = sheet.replace('\'', "''");
    format!("'{sheet}'!{}", cell_name(row, col))
}

/// All three tables, in document order.
pub fn all() -> [&'static Table; 3] {
    [active(), applications(), review_litigation()]
}

/// 表二 — 主动公开政府信息情况 (FORMAT.md §3).
pub fn active() -> &'static Table {
    static TABLE: LazyLock<Table> = LazyLock::new(build_active);
    &TABLE
}

/// 表三 — 收到和处理政府信息公开申请情况 (FORMAT.md §4).
pub fn applications() -> &'static Table {
    static TABLE: LazyLock<Table> = LazyLock::new(build_applications);
    &TABLE
}

/// 表四 — 政府信息公开行政复议、行政诉讼情况 (FORMAT.md §5).
pub fn review_litigation() -> &'static Table {
    static TABLE: LazyLock<Table> = LazyLock::new(build_review_litigation);
    &TABLE
}

/// The rows of the `基本信息` sheet: who reports, and the 信息处理费 of 六.
///
/// Labels sit in column A and values in column B, from sheet row
/// `2 + TITLE_ROWS - 1` on (below the title row), in the order of [`BasicInfo::ALL`].
///
/// ```
/// use nianbao::spec::tables::BasicInfo;
/// assert_eq!(BasicInfo::Agency.excel_ref(), "基本信息!B2");
/// assert_eq!(BasicInfo::ProcessingFeeNotices.key(), "processing_fees.notices");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BasicInfo {
    /// 机关全称.
    Agency,
    /// 简称.
    ShortName,
    /// 报告年度.
    Year,
    /// 所属地区.
    Region,
    /// 成文日期.
    IssuedOn,
    /// 信息处理费 发出收费通知的件数.
    ProcessingFeeNotices,
    /// 信息处理费 收费通知的总金额（元）.
    ProcessingFeeNoticesAmount,
    /// 信息处理费 实际收取的总金额（元）.
    ProcessingFeeCollected,
    /// 输入文件 (written by `generate`, not read back).
    SourceFile,
}

impl BasicInfo {
    /// The sheet name.
    pub const SHEET: &'static str = "基本信息";
    /// Every row, in sheet order.
    pub const ALL: [BasicInfo; 9] = [
        BasicInfo::Agency,
        BasicInfo::ShortName,
        BasicInfo::Year,
        BasicInfo::Region,
        BasicInfo::IssuedOn,
        BasicInfo::ProcessingFeeNotices,
        BasicInfo::ProcessingFeeNoticesAmount,
        BasicInfo::ProcessingFeeCollected,
        BasicInfo::SourceFile,
    ];

    /// The label in column A.
    pub fn label(&self) -> &'static str {
        match self {
            BasicInfo::Agency => "机关全称",
            BasicInfo::ShortName => "简称",
            BasicInfo::Year => "报告年度",
            BasicInfo::Region => "所属地区",
            BasicInfo::IssuedOn => "成文日期",
            BasicInfo::ProcessingFeeNotices => "信息处理费：发出收费通知的件数",
            BasicInfo::ProcessingFeeNoticesAmount => "信息处理费：收费通知的总金额（元）",
            BasicInfo::ProcessingFeeCollected => "信息处理费：实际收取的总金额（元）",
            BasicInfo::SourceFile => "输入文件",
        }
    }

    /// The key path in the input file (empty for the input file name).
    pub fn key(&self) -> &'static str {
        match self {
            BasicInfo::Agency => "report.agency",
            BasicInfo::ShortName => "report.short_name",
            BasicInfo::Year => "report.year",
            BasicInfo::Region => "report.region",
            BasicInfo::IssuedOn => "report.issued_on",
            BasicInfo::ProcessingFeeNotices => "processing_fees.notices",
            BasicInfo::ProcessingFeeNoticesAmount => "processing_fees.notices_amount",
            BasicInfo::ProcessingFeeCollected => "processing_fees.collected",
            BasicInfo::SourceFile => "",
        }
    }

    /// The row in words for findings, e.g. `六、其他需要报告的事项 信息处理费：发出收费通知的件数`.
    pub fn words(&self) -> String {
        match self {
            BasicInfo::ProcessingFeeNotices
            | BasicInfo::ProcessingFeeNoticesAmount
            | BasicInfo::ProcessingFeeCollected => {
                format!("{} {}", SECTION_HEADINGS[5], self.label())
            }
            _ => format!("{} {}", Self::SHEET, self.label()),
        }
    }

    /// The count this row holds in `report` (`None` for a row that is not a count).
    pub fn count(&self, report: &Report) -> Option<u64> {
        match self {
            BasicInfo::ProcessingFeeNotices => Some(u64::from(report.fees().notices)),
            _ => None,
        }
    }

    /// 0-based sheet row of this entry.
    pub fn sheet_row(&self) -> usize {
        // `ALL` lists the rows in declaration order (a test holds it to that).
        TITLE_ROWS + *self as usize
    }

    /// `基本信息!B<row>` of the value cell.
    pub fn excel_ref(&self) -> String {
        sheet_cell(Self::SHEET, self.sheet_row(), 1)
    }

    /// `'基本信息'!B<row>`: the value cell in a formula.
    pub fn formula_ref(&self) -> String {
        formula_cell(Self::SHEET, self.sheet_row(), 1)
    }
}

// ---------------------------------------------------------------------------
// Typed rows and columns: a wrong row is a compile error, not a silent 0.

/// A body row of table 三, in table order.
///
/// ```
/// use nianbao::spec::tables::{self, T3Col, T3Row};
/// let t3 = tables::applications();
/// let (row, col) = T3Row::CarryForward.at(T3Col::NaturalPerson);
/// assert_eq!(t3.excel_ref(row, col), "依申请公开!D29");
/// assert_eq!(T3Row::CarryForward.key(), "carry_forward");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum T3Row {
    /// 一、本年新收.
    New,
    /// 二、上年结转.
    CarriedOver,
    /// 三（一）予以公开.
    Granted,
    /// 三（二）部分公开.
    PartiallyGranted,
    /// 三（三）1 属于国家秘密.
    StateSecret,
    /// 三（三）2 其他法律行政法规禁止公开.
    LawProhibited,
    /// 三（三）3 危及“三安全一稳定”.
    ThreeSecuritiesOneStability,
    /// 三（三）4 保护第三方合法权益.
    ThirdPartyRights,
    /// 三（三）5 属于三类内部事务信息.
    InternalAffairs,
    /// 三（三）6 属于四类过程性信息.
    ProcessInformation,
    /// 三（三）7 属于行政执法案卷.
    EnforcementFiles,
    /// 三（三）8 属于行政查询事项.
    AdministrativeQueries,
    /// 三（四）1 本机关不掌握相关政府信息.
    NotHeld,
    /// 三（四）2 没有现成信息需要另行制作.
    NeedsCreation,
    /// 三（四）3 补正后申请内容仍不明确.
    UnclearAfterCorrection,
    /// 三（五）1 信访举报投诉类申请.
    Complaints,
    /// 三（五）2 重复申请.
    Duplicate,
    /// 三（五）3 要求提供公开出版物.
    Publications,
    /// 三（五）4 无正当理由大量反复申请.
    Excessive,
    /// 三（五）5 要求行政机关确认或重新出具已获取信息.
    Reconfirmation,
    /// 三（六）1 逾期不补正.
    CorrectionOverdue,
    /// 三（六）2 逾期未按收费通知要求缴纳费用.
    FeeOverdue,
    /// 三（六）3 其他.
    Other,
    /// 三（七）总计 (computed).
    Total,
    /// 四、结转下年度继续办理.
    CarryForward,
}

impl T3Row {
    /// Table row of the first body row (below the three header rows).
    pub const FIRST: usize = 3;

    /// Every body row, in table order.
    pub const ALL: [T3Row; 25] = {
        use T3Row::*;
        [
            New,
            CarriedOver,
            Granted,
            PartiallyGranted,
            StateSecret,
            LawProhibited,
            ThreeSecuritiesOneStability,
            ThirdPartyRights,
            InternalAffairs,
            ProcessInformation,
            EnforcementFiles,
            AdministrativeQueries,
            NotHeld,
            NeedsCreation,
            UnclearAfterCorrection,
            Complaints,
            Duplicate,
            Publications,
            Excessive,
            Reconfirmation,
            CorrectionOverdue,
            FeeOverdue,
            Other,
            Total,
            CarryForward,
        ]
    };

    /// The outcome rows （一）–（六）, whose sum is （七）总计.
    pub const OUTCOMES: [T3Row; 21] = {
        let mut out = [T3Row::Granted; 21];
        let mut i = 0;
        while i < 21 {
            out[i] = T3Row::ALL[2 + i];
            i += 1;
        }
        out
    };

    /// The 0-based table row.
    pub const fn row(self) -> usize {
        Self::FIRST + self as usize
    }

    /// The (row, col) of this row in column `col`.
    pub const fn at(self, col: T3Col) -> (usize, usize) {
        (self.row(), col.col())
    }

    /// The key under `[applications]`, e.g. `withheld.state_secret`.
    pub const fn key(self) -> &'static str {
        use T3Row::*;
        match self {
            New => "new",
            CarriedOver => "carried_over",
            Granted => "granted",
            PartiallyGranted => "partially_granted",
            StateSecret => "withheld.state_secret",
            LawProhibited => "withheld.law_prohibited",
            ThreeSecuritiesOneStability => "withheld.three_securities_one_stability",
            ThirdPartyRights => "withheld.third_party_rights",
            InternalAffairs => "withheld.internal_affairs",
            ProcessInformation => "withheld.process_information",
            EnforcementFiles => "withheld.enforcement_files",
            AdministrativeQueries => "withheld.administrative_queries",
            NotHeld => "unavailable.not_held",
            NeedsCreation => "unavailable.needs_creation",
            UnclearAfterCorrection => "unavailable.unclear_after_correction",
            Complaints => "not_processed.complaints",
            Duplicate => "not_processed.duplicate",
            Publications => "not_processed.publications",
            Excessive => "not_processed.excessive",
            Reconfirmation => "not_processed.reconfirmation",
            CorrectionOverdue => "other.correction_overdue",
            FeeOverdue => "other.fee_overdue",
            Other => "other.other",
            Total => "total",
            CarryForward => "carry_forward",
        }
    }
}

/// A number column of table 三: the six applicant columns, then 总计.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum T3Col {
    /// 自然人.
    NaturalPerson,
    /// 商业企业.
    Commercial,
    /// 科研机构.
    Research,
    /// 社会公益组织.
    PublicInterest,
    /// 法律服务机构.
    LegalService,
    /// 其他.
    Other,
    /// 总计.
    Total,
}

impl T3Col {
    /// Table column of 自然人 (D).
    pub const FIRST: usize = 3;
    /// The seven number columns, in table order.
    pub const ALL: [T3Col; 7] = [
        T3Col::NaturalPerson,
        T3Col::Commercial,
        T3Col::Research,
        T3Col::PublicInterest,
        T3Col::LegalService,
        T3Col::Other,
        T3Col::Total,
    ];
    /// The six applicant columns, whose sum is 总计.
    pub const APPLICANTS: [T3Col; 6] = [
        T3Col::NaturalPerson,
        T3Col::Commercial,
        T3Col::Research,
        T3Col::PublicInterest,
        T3Col::LegalService,
        T3Col::Other,
    ];

    /// Index in the input row (0–5; 总计 is 6).
    pub const fn index(self) -> usize {
        self as usize
    }

    /// The 0-based table column.
    pub const fn col(self) -> usize {
        Self::FIRST + self as usize
    }

    /// The column label, e.g. `自然人`.
    pub const fn label(self) -> &'static str {
        match self {
            T3Col::Total => TOTAL,
            c => APPLICANT_COLUMNS[c as usize],
        }
    }
}

/// A group of table 四 (行政复议 A–E, 未经复议直接起诉 F–J, 复议后起诉 K–O).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum T4Group {
    /// 行政复议.
    Review,
    /// 行政诉讼 未经复议直接起诉.
    LitigationDirect,
    /// 行政诉讼 复议后起诉.
    LitigationAfterReview,
}

/// A column within a group of table 四.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum T4Col {
    /// 结果维持.
    Upheld,
    /// 结果纠正.
    Corrected,
    /// 其他结果.
    OtherResult,
    /// 尚未审结.
    Pending,
    /// 总计.
    Total,
}

impl T4Group {
    /// The one body row of table 四.
    pub const ROW: usize = 3;
    /// The three groups, in table order.
    pub const ALL: [T4Group; 3] = [
        T4Group::Review,
        T4Group::LitigationDirect,
        T4Group::LitigationAfterReview,
    ];

    /// The (row, col) of column `col` of this group.
    pub const fn at(self, col: T4Col) -> (usize, usize) {
        (Self::ROW, self as usize * 5 + col as usize)
    }
}

impl T4Col {
    /// The four outcome columns, whose sum is 总计.
    pub const OUTCOMES: [T4Col; 4] = [
        T4Col::Upheld,
        T4Col::Corrected,
        T4Col::OtherResult,
        T4Col::Pending,
    ];
}

/// A document row of table 二 (第二十条第（一）项).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum T2Doc {
    /// 规章.
    Rules,
    /// 行政规范性文件.
    NormativeDocuments,
}

/// A column of the document rows of table 二.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum T2DocCol {
    /// 本年制发件数.
    Issued,
    /// 本年废止件数.
    Repealed,
    /// 现行有效件数.
    InForce,
}

impl T2Doc {
    /// Both document rows.
    pub const ALL: [T2Doc; 2] = [T2Doc::Rules, T2Doc::NormativeDocuments];

    /// The (row, col) of column `col` of this row.
    pub const fn at(self, col: T2DocCol) -> (usize, usize) {
        (2 + self as usize, 1 + col as usize)
    }
}

// ---------------------------------------------------------------------------
// Builders

fn label(row: usize, col: usize, row_span: usize, col_span: usize, text: &'static str) -> Cell {
    Cell {
        row,
        col,
        row_span,
        col_span,
        content: Content::Label(text),
        align: Align::Center,
        emphasis: false,
    }
}

fn body(row: usize, col: usize, col_span: usize, content: Content) -> Cell {
    Cell {
        row,
        col,
        row_span: 1,
        col_span,
        content,
        align: Align::Center,
        emphasis: false,
    }
}

macro_rules! count {
    ($($f:ident).+) => {
        Field::Count(|r: &Report| &r.$($f).+, |r: &mut Report| &mut r.$($f).+)
    };
}

macro_rules! row_ref {
    ($($f:ident).+) => {
        (|r: &Report| &r.$($f).+, |r: &mut Report| &mut r.$($f).+)
    };
}

fn build_active() -> Table {
    const CONTENT: &str = "信息内容";
    const DECISIONS: &str = "本年处理决定数量";
    let mut cells = Vec::new();
    let section = |row: usize, text: &'static str| {
        let mut c = label(row, 0, 1, 4, text);
        c.emphasis = true;
        c
    };
    // 第二十条第（一）项
    let documents = [
        ("本年制发件数", "issued", T2DocCol::Issued),
        ("本年废止件数", "repealed", T2DocCol::Repealed),
        ("现行有效件数", "in_force", T2DocCol::InForce),
    ];
    cells.push(section(0, "第二十条第（一）项"));
    cells.push(label(1, 0, 1, 1, CONTENT));
    for (i, (text, _, _)) in documents.iter().enumerate() {
        cells.push(label(1, 1 + i, 1, 1, text));
    }
    let doc_rows: [(T2Doc, &'static str, &str, [Field; 3]); 2] = [
        (
            T2Doc::Rules,
            "规章",
            "rules",
            [
                count!(active.rules.issued),
                count!(active.rules.repealed),
                count!(active.rules.in_force),
            ],
        ),
        (
            T2Doc::NormativeDocuments,
            "行政规范性文件",
            "normative_documents",
            [
                count!(active.normative_documents.issued),
                count!(active.normative_documents.repealed),
                count!(active.normative_documents.in_force),
            ],
        ),
    ];
    for (doc, row_label, key, fields) in doc_rows {
        let (row, _) = doc.at(T2DocCol::Issued);
        cells.push(label(row, 0, 1, 1, row_label));
        for (j, field) in fields.into_iter().enumerate() {
            let (col_label, col_key, col) = documents[j];
            let (row, col) = doc.at(col);
            cells.push(body(
                row,
                col,
                1,
                Content::Input(Input {
                    key: format!("active.{key}.{col_key}"),
                    words: format!("{row_label} × {col_label}"),
                    field,
                }),
            ));
        }
    }
    // 第二十条第（五）（六）（八）项: one value spanning B:D per row.
    /// First row, section title, column label, and (row label, key, field) per row.
    type DecisionBlock = (
        usize,
        &'static str,
        &'static str,
        Vec<(&'static str, &'static str, Field)>,
    );
    let decision_blocks: [DecisionBlock; 3] = [
        (
            4,
            "第二十条第（五）项",
            DECISIONS,
            vec![("行政许可", "licensing", count!(active.licensing))],
        ),
        (
            7,
            "第二十条第（六）项",
            DECISIONS,
            vec![
                ("行政处罚", "punishment", count!(active.punishment)),
                ("行政强制", "enforcement", count!(active.enforcement)),
            ],
        ),
        (
            11,
            "第二十条第（八）项",
            "本年收费金额（单位：万元）",
            vec![("行政事业性收费", "fees", Field::Fees)],
        ),
    ];
    for (start, title, column, rows) in decision_blocks {
        cells.push(section(start, title));
        cells.push(label(start + 1, 0, 1, 1, CONTENT));
        cells.push(label(start + 1, 1, 1, 3, column));
        for (i, (row_label, key, field)) in rows.into_iter().enumerate() {
            let row = start + 2 + i;
            cells.push(label(row, 0, 1, 1, row_label));
            cells.push(body(
                row,
                1,
                3,
                Content::Input(Input {
                    key: format!("active.{key}"),
                    words: format!("{row_label} × {column}"),
                    field,
                }),
            ));
        }
    }
    Table {
        id: TableId::Active,
        name: "表二",
        heading: SECTION_HEADINGS[1],
        sheet: "主动公开",
        rows: 14,
        cols: 4,
        header_rows: 0,
        widths_twips: vec![2211; 4],
        widths_excel: vec![22.0, 16.0, 16.0, 16.0],
        cells,
    }
}

/// How a body row of table 三 is labelled.
enum RowLabel {
    /// Spans A:C, e.g. `一、本年新收政府信息公开申请数量`.
    Whole(&'static str),
    /// Under `三、本年度办理结果`, spanning B:C, e.g. `（一）予以公开`.
    Result(&'static str),
    /// Under `三、本年度办理结果` and a group in B, e.g. `（三）不予公开` / `1.属于国家秘密`.
    Item(&'static str, &'static str),
}

/// How row `row` of table 三 is labelled and which model row fills it
/// (`None` for （七）总计, which the model computes).
fn applications_line(row: T3Row) -> (RowLabel, Option<ApplicantRef>) {
    use RowLabel::*;
    use T3Row::*;
    const WITHHELD: &str = "（三）不予公开";
    const UNAVAILABLE: &str = "（四）无法提供";
    const NOT_PROCESSED: &str = "（五）不予处理";
    const OTHER: &str = "（六）其他处理";
    match row {
        New => (
            Whole("一、本年新收政府信息公开申请数量"),
            Some(row_ref!(applications.new)),
        ),
        CarriedOver => (
            Whole("二、上年结转政府信息公开申请数量"),
            Some(row_ref!(applications.carried_over)),
        ),
        Granted => (
            Result("（一）予以公开"),
            Some(row_ref!(applications.granted)),
        ),
        PartiallyGranted => (
            Result("（二）部分公开（区分处理的，只计这一情形，不计其他情形）"),
            Some(row_ref!(applications.partially_granted)),
        ),
        StateSecret => (
            Item(WITHHELD, "1.属于国家秘密"),
            Some(row_ref!(applications.withheld.state_secret)),
        ),
        LawProhibited => (
            Item(WITHHELD, "2.其他法律行政法规禁止公开"),
            Some(row_ref!(applications.withheld.law_prohibited)),
        ),
        ThreeSecuritiesOneStability => (
            Item(WITHHELD, "3.危及“三安全一稳定”"),
            Some(row_ref!(
                applications.withheld.three_securities_one_stability
            )),
        ),
        ThirdPartyRights => (
            Item(WITHHELD, "4.保护第三方合法权益"),
            Some(row_ref!(applications.withheld.third_party_rights)),
        ),
        InternalAffairs => (
            Item(WITHHELD, "5.属于三类内部事务信息"),
            Some(row_ref!(applications.withheld.internal_affairs)),
        ),
        ProcessInformation => (
            Item(WITHHELD, "6.属于四类过程性信息"),
            Some(row_ref!(applications.withheld.process_information)),
        ),
        EnforcementFiles => (
            Item(WITHHELD, "7.属于行政执法案卷"),
            Some(row_ref!(applications.withheld.enforcement_files)),
        ),
        AdministrativeQueries => (
            Item(WITHHELD, "8.属于行政查询事项"),
            Some(row_ref!(applications.withheld.administrative_queries)),
        ),
        NotHeld => (
            Item(UNAVAILABLE, "1.本机关不掌握相关政府信息"),
            Some(row_ref!(applications.unavailable.not_held)),
        ),
        NeedsCreation => (
            Item(UNAVAILABLE, "2.没有现成信息需要另行制作"),
            Some(row_ref!(applications.unavailable.needs_creation)),
        ),
        UnclearAfterCorrection => (
            Item(UNAVAILABLE, "3.补正后申请内容仍不明确"),
            Some(row_ref!(applications.unavailable.unclear_after_correction)),
        ),
        Complaints => (
            Item(NOT_PROCESSED, "1.信访举报投诉类申请"),
            Some(row_ref!(applications.not_processed.complaints)),
        ),
        Duplicate => (
            Item(NOT_PROCESSED, "2.重复申请"),
            Some(row_ref!(applications.not_processed.duplicate)),
        ),
        Publications => (
            Item(NOT_PROCESSED, "3.要求提供公开出版物"),
            Some(row_ref!(applications.not_processed.publications)),
        ),
        Excessive => (
            Item(NOT_PROCESSED, "4.无正当理由大量反复申请"),
            Some(row_ref!(applications.not_processed.excessive)),
        ),
        Reconfirmation => (
            Item(NOT_PROCESSED, "5.要求行政机关确认或重新出具已获取信息"),
            Some(row_ref!(applications.not_processed.reconfirmation)),
        ),
        CorrectionOverdue => (
            Item(
                OTHER,
                "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
            ),
            Some(row_ref!(applications.other.correction_overdue)),
        ),
        FeeOverdue => (
            Item(
                OTHER,
                "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
            ),
            Some(row_ref!(applications.other.fee_overdue)),
        ),
        Other => (
            Item(OTHER, "3.其他"),
            Some(row_ref!(applications.other.other)),
        ),
        Total => (Result("（七）总计"), None),
        CarryForward => (
            Whole("四、结转下年度继续办理"),
            Some(row_ref!(applications.carry_forward)),
        ),
    }
}

fn build_applications() -> Table {
    const RESULTS: &str = "三、本年度办理结果";
    use RowLabel::*;
    // The 25 body rows (sheet rows 4–28 of FORMAT.md §4), in table order.
    let lines: Vec<(T3Row, RowLabel, Option<ApplicantRef>)> = T3Row::ALL
        .into_iter()
        .map(|row| {
            let (label, model_row) = applications_line(row);
            (row, label, model_row)
        })
        .collect();

    let mut cells = vec![
        label(
            0,
            0,
            3,
            3,
            "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）",
        ),
        label(0, 3, 1, 7, "申请人情况"),
        label(1, 3, 2, 1, APPLICANT_COLUMNS[0]),
        label(1, 4, 1, 5, "法人或其他组织"),
        label(1, 9, 2, 1, TOTAL),
    ];
    for (i, name) in APPLICANT_COLUMNS.iter().enumerate().skip(1) {
        cells.push(label(2, 3 + i, 1, 1, name));
    }
    let results: Vec<usize> = (0..lines.len())
        .filter(|&i| !matches!(lines[i].1, Whole(_)))
        .collect();
    let outcome_rows: Vec<usize> = T3Row::OUTCOMES.iter().map(|r| r.row()).collect();
    let mut group_started: Option<&str> = None;
    for (i, (t3_row, row_label, model_row)) in lines.iter().enumerate() {
        let row = t3_row.row();
        let key = t3_row.key();
        let words = match row_label {
            Whole(text) => {
                cells.push(label(row, 0, 1, 3, text));
                text.to_string()
            }
            Result(text) => {
                if i == results[0] {
                    cells.push(label(row, 0, results.len(), 1, RESULTS));
                }
                cells.push(label(row, 1, 1, 2, text));
                text.to_string()
            }
            Item(group, item) => {
                if group_started != Some(*group) {
                    let span = lines[i..]
                        .iter()
                        .take_while(|l| matches!(l.1, Item(g, _) if g == *group))
                        .count();
                    cells.push(label(row, 1, span, 1, group));
                    group_started = Some(group);
                }
                let mut c = label(row, 2, 1, 1, item);
                c.align = Align::Left;
                cells.push(c);
                format!("{group} {item}")
            }
        };
        let row_terms: Vec<(usize, usize)> =
            T3Col::APPLICANTS.iter().map(|c| (row, c.col())).collect();
        for column in T3Col::ALL {
            let col = column.index();
            let key = format!("applications.{key}[{col}]");
            let words = format!("{words} × {}", column.label());
            let content = match (model_row, column) {
                (Some(r), T3Col::Total) => Content::Total(Total {
                    key,
                    words,
                    terms: row_terms.clone(),
                    given: Given::ApplicantRowTotal(*r),
                }),
                (Some(r), _) => Content::Input(Input {
                    key,
                    words,
                    field: Field::Applicant(*r, col),
                }),
                (None, T3Col::Total) => Content::Total(Total {
                    key,
                    words,
                    terms: row_terms.clone(),
                    given: Given::ResultsTotal(col),
                }),
                (None, _) => Content::Total(Total {
                    key,
                    words,
                    terms: outcome_rows.iter().map(|&r| (r, column.col())).collect(),
                    given: Given::ResultsTotal(col),
                }),
            };
            cells.push(body(row, column.col(), 1, content));
        }
    }
    Table {
        id: TableId::Applications,
        name: "表三",
        heading: SECTION_HEADINGS[2],
        sheet: "依申请公开",
        rows: 28,
        cols: 10,
        header_rows: 3,
        // A and B hold three characters of 五号 (三、/本年度/办理/结果,
        // （三）/不予/公开) and C seven; D–J a seven-digit count. The
        // cell margins these widths allow for are the Word report's
        // (`render::docx::LABEL_MARGIN`, `NUMBER_MARGIN`).
        widths_twips: vec![764, 764, 1639, 811, 811, 811, 811, 811, 811, 811],
        widths_excel: vec![7.0, 9.0, 36.0, 8.0, 8.0, 8.0, 8.0, 8.0, 8.0, 8.0],
        cells,
    }
}

fn build_review_litigation() -> Table {
    let mut cells = vec![
        label(0, 0, 1, 5, "行政复议"),
        label(0, 5, 1, 10, "行政诉讼"),
        label(1, 5, 1, 5, "未经复议直接起诉"),
        label(1, 10, 1, 5, "复议后起诉"),
    ];
    let groups: [(T4Group, &str, &str, OutcomeRef); 3] = [
        (
            T4Group::Review,
            "review",
            "行政复议",
            row_ref!(review_litigation.review),
        ),
        (
            T4Group::LitigationDirect,
            "litigation_direct",
            "行政诉讼 未经复议直接起诉",
            row_ref!(review_litigation.litigation_direct),
        ),
        (
            T4Group::LitigationAfterReview,
            "litigation_after_review",
            "行政诉讼 复议后起诉",
            row_ref!(review_litigation.litigation_after_review),
        ),
    ];
    let columns = T4Col::OUTCOMES.into_iter().chain([T4Col::Total]);
    for (group, key, group_words, r) in groups {
        let (row, _) = group.at(T4Col::Upheld);
        // The review group's column labels span rows 2–3; the litigation ones sit in row 3.
        let (label_row, label_span) = if group == T4Group::Review {
            (1, 2)
        } else {
            (2, 1)
        };
        for (i, (name, column)) in OUTCOME_COLUMNS
            .iter()
            .chain([&TOTAL])
            .zip(columns.clone())
            .enumerate()
        {
            let (_, col) = group.at(column);
            cells.push(label(label_row, col, label_span, 1, name));
            let key = format!("review_litigation.{key}[{i}]");
            let words = format!("{group_words} × {name}");
            let content = if i < 4 {
                Content::Input(Input {
                    key,
                    words,
                    field: Field::Outcome(r, i),
                })
            } else {
                Content::Total(Total {
                    key,
                    words,
                    terms: T4Col::OUTCOMES.map(|c| group.at(c)).to_vec(),
                    given: Given::OutcomeRowTotal(r),
                })
            };
            cells.push(body(row, col, 1, content));
        }
    }
    cells.sort_by_key(|c| (c.row, c.col));
    let mut widths = vec![590; 15];
    widths[14] = 8844 - 590 * 14;
    Table {
        id: TableId::ReviewLitigation,
        name: "表四",
        heading: SECTION_HEADINGS[3],
        sheet: "复议诉讼",
        rows: 4,
        cols: 15,
        header_rows: 3,
        widths_twips: widths,
        widths_excel: vec![6.5; 15],
        cells,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every cell of the grid is covered by exactly one cell of the description.
    #[test]
    fn every_grid_cell_covered_once() {
        for t in all() {
            let mut covered = vec![vec![0; t.cols]; t.rows];
            for c in &t.cells {
                for row in covered.iter_mut().skip(c.row).take(c.row_span) {
                    for n in row.iter_mut().skip(c.col).take(c.col_span) {
                        *n += 1;
                    }
                }
            }
            for (r, row) in covered.iter().enumerate() {
                for (col, n) in row.iter().enumerate() {
                    assert_eq!(*n, 1, "{} cell ({r},{col}) covered {n} times", t.name);
                }
            }
            assert_eq!(t.widths_twips.len(), t.cols);
            assert_eq!(t.widths_twips.iter().sum::<u32>(), 8844, "{}", t.name);
            assert_eq!(t.widths_excel.len(), t.cols);
        }
    }

    #[test]
    fn basic_info_rows_in_declaration_order() {
        for (i, b) in BasicInfo::ALL.into_iter().enumerate() {
            assert_eq!(b as usize, i);
            assert_eq!(b.sheet_row(), TITLE_ROWS + i);
        }
    }

    #[test]
    fn cell_names() {
        assert_eq!(cell_name(0, 0), "A1");
        assert_eq!(cell_name(4, 9), "J5");
        assert_eq!(cell_name(0, 25), "Z1");
        assert_eq!(cell_name(0, 26), "AA1");
        // Held to Excel's grid, never an overflow.
        assert_eq!(cell_name(usize::MAX, usize::MAX), "XFD1048576");
        let t3 = applications();
        assert_eq!(t3.range((3, 3), (3, 8)), "D5:I5");
        assert_eq!(t3.range((3, 3), (3, 3)), "D5");
        assert_eq!(sheet_cell("依申请公开", 27, 3), "依申请公开!D28");
        assert_eq!(sheet_cell("a b", 0, 0), "'a b'!A1");
        assert_eq!(formula_cell("依申请公开", 27, 3), "'依申请公开'!D28");
        assert_eq!(formula_cell("it's", 0, 1), "'it''s'!B1");
    }
}
