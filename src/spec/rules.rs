//! The consistency rules (勾稽关系) R1–R10 of FORMAT.md §7, as data.
//!
//! Each [`Rule`] has its id, its severity, its wording (two sides in words
//! and how they compare) and the cells it relates, named with the typed rows
//! and columns of [`crate::spec::tables`]. The checker ([`crate::check()`])
//! and the `校验` sheet of the workbook and the fill-in form both read it, so
//! a rule is worded once.
//!
//! A rule expands into [`Comparison`]s (one per column, row or group) of two
//! sums of [`Operand`]s; the same comparison is evaluated on a report by the
//! checker and written as two formulas on the `校验` sheet when the workbook
//! can evaluate it ([`Comparison::in_workbook`]).
//!
//! ```
//! use nianbao::spec::rules::{self, Scope, Severity};
//! let r1 = rules::rule("R1").unwrap();
//! assert_eq!(r1.severity, Severity::Error);
//! assert_eq!(r1.wording(), "第一项加第二项之和应等于第三项加第四项之和");
//! assert_eq!(r1.comparisons().len(), 7); // every column of 表三
//! assert_eq!(rules::rule("R5").unwrap().scope, Scope::AgainstPrevious);
//! ```

use std::sync::LazyLock;

use serde::Serialize;

use crate::model::Report;
use crate::spec::grid::Figures;
use crate::spec::tables::{
    BasicInfo, Content, T2Doc, T2DocCol, T3Col, T3Row, T4Col, T4Group, TableId,
};

/// How bad a broken rule is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Blocks generation (R1–R4, R8).
    Error,
    /// Printed, does not block (R5, R6, R7, R9, R10).
    Warning,
}

impl Severity {
    /// 错误 or 警告.
    pub fn chinese(&self) -> &'static str {
        match self {
            Severity::Error => "错误",
            Severity::Warning => "警告",
        }
    }
}

/// How the two sides of a rule compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation {
    /// Left = right.
    Equal,
    /// Left ≥ right.
    AtLeast,
    /// A requirement in words, not a comparison of numbers (R8, R9).
    Must,
}

impl Relation {
    /// The words between the two sides, e.g. `应等于`.
    pub fn words(self) -> &'static str {
        match self {
            Relation::Equal => "应等于",
            Relation::AtLeast => "应不少于",
            Relation::Must => "应",
        }
    }

    /// Whether `left` and `right` satisfy the relation.
    pub fn holds(self, left: i64, right: i64) -> bool {
        match self {
            Relation::Equal | Relation::Must => left == right,
            Relation::AtLeast => left >= right,
        }
    }

    /// The spreadsheet operator, e.g. `>=`.
    pub fn operator(self) -> &'static str {
        match self {
            Relation::Equal | Relation::Must => "=",
            Relation::AtLeast => ">=",
        }
    }
}

/// Where a rule applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// To one report: checked by [`crate::check()`], and shown on the `校验`
    /// sheet where the workbook can fail it.
    Report,
    /// Only with last year's report of the same agency
    /// ([`crate::check_against_previous`], `batch --previous`); the `校验`
    /// sheet cannot evaluate it.
    AgainstPrevious,
    /// The numbers the narrative quotes (R7): the default templates render
    /// them from the tables, and the text as it will be printed (the
    /// clerk's own included) is compared with the tables by
    /// [`crate::check_text`] once rendered ([`crate::check_with_text`],
    /// `render`, `batch`), with the figures of [`crate::spec::quotes`]. The
    /// `校验` sheet cannot hold it.
    HeldByGenerator,
    /// Held by the model's types: such input never loads (R8).
    HeldByTypes,
    /// About how applications were counted; no program can check it (R9).
    NotCheckable,
}

/// The cells a rule relates, named with the typed rows and columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cells {
    /// In every column of 表三: the sum of the `left` rows against the sum of
    /// the `right` rows; a finding points at row `at`. 三（七）总计 is taken
    /// as the report states it (R1).
    Balance {
        /// Rows of the left side.
        left: &'static [T3Row],
        /// Rows of the right side.
        right: &'static [T3Row],
        /// The row a finding points at.
        at: T3Row,
    },
    /// In every column of 表三: the typed `total` row against the sum of the
    /// outcome rows [`T3Row::OUTCOMES`] (R2).
    GivenColumnTotals {
        /// The row of totals.
        total: T3Row,
    },
    /// In every row of 表三: the typed 总计 against the sum of the six
    /// applicant columns as stated (R3).
    GivenRowTotals,
    /// In every group of 表四: the typed 总计 against its four outcome columns (R4).
    GivenGroupTotals,
    /// In every column of 表三: this year's `this` row against last year's `last` row (R5).
    PreviousRow {
        /// This year's row.
        this: T3Row,
        /// Last year's row.
        last: T3Row,
    },
    /// In every document row of 表二: 现行有效件数 against last year's plus
    /// 本年制发件数 minus 本年废止件数 (R6).
    DocumentsInForce,
    /// A count of `基本信息` against a row of 表三 × 总计 (R10).
    BasicAgainstRow {
        /// The row of `基本信息`.
        basic: BasicInfo,
        /// The row of 表三.
        row: T3Row,
    },
    /// Not a comparison of cells (R7–R9); R7's figures are
    /// [`crate::spec::quotes::QUOTES`].
    None,
}

/// One consistency rule of FORMAT.md §7.
#[derive(Debug)]
pub struct Rule {
    /// `R1` … `R10`.
    pub id: &'static str,
    /// Error or warning.
    pub severity: Severity,
    /// Where the rule applies.
    pub scope: Scope,
    /// The left side in words, e.g. `第一项加第二项之和`.
    pub left: &'static str,
    /// How the sides compare.
    pub relation: Relation,
    /// The right side in words.
    pub right: &'static str,
    /// The two sides as the table numbers its rows, e.g. `一 + 二` and
    /// `三（七）+ 四` for R1: a finding then says how much they differ
    /// ([`Rule::message`]) rather than which cell to change.
    pub sides: Option<[&'static str; 2]>,
    /// What the rule means, for a clerk: why it holds and what a failure
    /// says (the `含义` column of the `校验` sheet).
    pub meaning: &'static str,
    /// The cells it relates.
    pub cells: Cells,
}

/// The rules R1–R10, in order.
pub static RULES: [Rule; 10] = [
    Rule {
        id: "R1",
        severity: Severity::Error,
        scope: Scope::Report,
        left: "第一项加第二项之和",
        relation: Relation::Equal,
        right: "第三项加第四项之和",
        sides: Some(["一 + 二", "三（七）+ 四"]),
        meaning: "本年要处理的申请（本年新收加上年结转）都应有去向：或本年办结（第三项总计），或结转下年度继续办理（第四项）。两边不等，说明这四行中有数字填错，不一定是结转下年度。",
        cells: Cells::Balance {
            left: &[T3Row::New, T3Row::CarriedOver],
            right: &[T3Row::Total, T3Row::CarryForward],
            at: T3Row::CarryForward,
        },
    },
    Rule {
        id: "R2",
        severity: Severity::Error,
        scope: Scope::Report,
        left: "（七）总计",
        relation: Relation::Equal,
        right: "（一）至（六）各项之和",
        sides: None,
        meaning: "第三项各情形下的申请数相加，应等于本年办结的总数。",
        cells: Cells::GivenColumnTotals {
            total: T3Row::Total,
        },
    },
    Rule {
        id: "R3",
        severity: Severity::Error,
        scope: Scope::Report,
        left: "总计",
        relation: Relation::Equal,
        right: "自然人与法人或其他组织各列之和",
        sides: None,
        meaning: "每一行的总计是自然人与五类法人或其他组织的件数之和。",
        cells: Cells::GivenRowTotals,
    },
    Rule {
        id: "R4",
        severity: Severity::Error,
        scope: Scope::Report,
        left: "总计",
        relation: Relation::Equal,
        right: "结果维持、结果纠正、其他结果、尚未审结之和",
        sides: None,
        meaning: "行政复议、行政诉讼每一组的总计是四种结果的件数之和。",
        cells: Cells::GivenGroupTotals,
    },
    Rule {
        id: "R5",
        severity: Severity::Warning,
        scope: Scope::AgainstPrevious,
        left: "本年上年结转",
        relation: Relation::Equal,
        right: "上年报告的结转下年度继续办理",
        sides: None,
        meaning: "上年报告中结转下年度继续办理的申请，就是本年的上年结转。",
        cells: Cells::PreviousRow {
            this: T3Row::CarriedOver,
            last: T3Row::CarryForward,
        },
    },
    Rule {
        id: "R6",
        severity: Severity::Warning,
        scope: Scope::AgainstPrevious,
        left: "现行有效件数",
        relation: Relation::Equal,
        right: "上年的现行有效件数加本年制发件数减本年废止件数",
        sides: None,
        meaning: "现行有效的文件，是上年现行有效的，加上本年制发的，减去本年废止的。",
        cells: Cells::DocumentsInForce,
    },
    Rule {
        id: "R7",
        severity: Severity::Warning,
        scope: Scope::HeldByGenerator,
        left: "报告正文中引用的新收、上年结转、办理总量、结转下年度和复议诉讼件数",
        relation: Relation::Equal,
        right: "表三、表四中相应的数值",
        sides: None,
        meaning: "正文中写到的件数应与表中的数字一致，审阅时会逐一对照。",
        cells: Cells::None,
    },
    Rule {
        id: "R8",
        severity: Severity::Error,
        scope: Scope::HeldByTypes,
        left: "表二至表四的件数",
        relation: Relation::Must,
        right: "为不小于 0 的整数，收费金额为不小于 0 的数（万元）",
        sides: None,
        meaning: "件数不能是负数或小数；行政事业性收费以万元为单位。",
        cells: Cells::None,
    },
    Rule {
        id: "R9",
        severity: Severity::Warning,
        scope: Scope::NotCheckable,
        left: "每件申请在表三第三项中",
        relation: Relation::Must,
        right: "只计一次（区分处理的，只计部分公开这一情形）",
        sides: None,
        meaning: "一件申请只计入一种办理结果；部分公开的只计部分公开。",
        cells: Cells::None,
    },
    Rule {
        id: "R10",
        severity: Severity::Warning,
        scope: Scope::Report,
        left: "发出收费通知的件数",
        relation: Relation::AtLeast,
        right: "表三（六）2 因逾期未缴费不再处理的申请数",
        sides: None,
        meaning: "申请人逾期未缴费而不再处理的申请，之前必定发出过收费通知，所以收费通知的件数不应少于这类申请数。",
        cells: Cells::BasicAgainstRow {
            basic: BasicInfo::ProcessingFeeNotices,
            row: T3Row::FeeOverdue,
        },
    },
];

/// The rule with id `id` (e.g. `R1`).
pub fn rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id == id)
}

/// Every comparison of every rule, in rule order, built once.
pub fn comparisons() -> &'static [Comparison] {
    static ALL: LazyLock<Vec<Comparison>> =
        LazyLock::new(|| RULES.iter().flat_map(Rule::comparisons).collect());
    &ALL
}

impl Rule {
    /// What the rule says, e.g. `第一项加第二项之和应等于第三项加第四项之和`.
    pub fn wording(&self) -> String {
        format!("{}{}{}", self.left, self.relation.words(), self.right)
    }

    /// The wording with the values of both sides, e.g.
    /// `（七）总计（2）应等于（一）至（六）各项之和（1）`; for a rule whose
    /// sides the table numbers ([`Rule::sides`]), the two sums and by how
    /// much they differ, then the wording:
    /// `一 + 二 = 34，三（七）+ 四 = 30，相差 4（第一项加第二项之和应等于第三项加第四项之和）`.
    pub fn message(&self, left: i64, right: i64) -> String {
        match self.sides {
            Some([a, b]) => format!(
                "{a} = {left}，{b} = {right}，相差 {}（{}）",
                left.abs_diff(right),
                self.wording()
            ),
            None => format!(
                "{}（{left}）{}{}（{right}）",
                self.left,
                self.relation.words(),
                self.right
            ),
        }
    }

    /// Why the `校验` sheet does not show this rule, or `None` when it does.
    pub fn check_sheet_note(&'static self) -> Option<&'static str> {
        match self.scope {
            Scope::Report if self.comparisons().iter().any(|c| c.in_workbook().is_some()) => None,
            Scope::Report => Some(
                "本表的总计都是公式，此项总能成立，故不列出；输入文件中填写的总计由 nianbao check 校验。",
            ),
            Scope::AgainstPrevious => {
                Some("需要上年的报告，本表无法校验；用 nianbao batch --previous 校验（警告）。")
            }
            Scope::HeldByGenerator => Some("正文中的这些数字由程序按表中数据生成，总是一致。"),
            Scope::HeldByTypes => Some("不符合的数据无法读入，也无法填入填报表。"),
            Scope::NotCheckable => Some("取决于申请的统计口径，程序无法校验，请填报时注意。"),
        }
    }

    /// The comparisons of this rule, one per column, row or group.
    pub fn comparisons(&'static self) -> Vec<Comparison> {
        let t3 = TableId::Applications;
        let cell = |table: TableId, (row, col): (usize, usize)| Operand::Cell(table, row, col);
        let plus = |operand| Term {
            operand,
            minus: false,
        };
        let mut out = Vec::new();
        match self.cells {
            Cells::Balance { left, right, at } => {
                let operand = |row: T3Row, col: T3Col| {
                    let (r, c) = row.at(col);
                    if row == T3Row::Total {
                        Operand::Stated(t3, r, c)
                    } else {
                        Operand::Cell(t3, r, c)
                    }
                };
                for col in T3Col::ALL {
                    out.push(Comparison {
                        rule: self,
                        instance: format!("表三 {}", col.label()),
                        left: left.iter().map(|&r| plus(operand(r, col))).collect(),
                        right: right.iter().map(|&r| plus(operand(r, col))).collect(),
                        at: operand(at, col),
                    });
                }
            }
            Cells::GivenColumnTotals { total } => {
                for col in T3Col::ALL {
                    let (r, c) = total.at(col);
                    out.push(Comparison {
                        rule: self,
                        instance: format!("表三 {}", col.label()),
                        left: vec![plus(Operand::Given(t3, r, c))],
                        right: T3Row::OUTCOMES
                            .iter()
                            .map(|o| plus(cell(t3, o.at(col))))
                            .collect(),
                        at: Operand::Given(t3, r, c),
                    });
                }
            }
            Cells::GivenRowTotals => {
                for row in T3Row::ALL {
                    let (r, c) = row.at(T3Col::Total);
                    let at = Operand::Given(t3, r, c);
                    out.push(Comparison {
                        rule: self,
                        instance: at.words(),
                        left: vec![plus(at)],
                        right: T3Col::APPLICANTS
                            .iter()
                            .map(|&col| {
                                let (r, c) = row.at(col);
                                plus(Operand::Stated(t3, r, c))
                            })
                            .collect(),
                        at,
                    });
                }
            }
            Cells::GivenGroupTotals => {
                let t4 = TableId::ReviewLitigation;
                for group in T4Group::ALL {
                    let (r, c) = group.at(T4Col::Total);
                    let at = Operand::Given(t4, r, c);
                    out.push(Comparison {
                        rule: self,
                        instance: at.words(),
                        left: vec![plus(at)],
                        right: T4Col::OUTCOMES
                            .iter()
                            .map(|&o| plus(cell(t4, group.at(o))))
                            .collect(),
                        at,
                    });
                }
            }
            Cells::PreviousRow { this, last } => {
                for col in T3Col::ALL {
                    let (r, c) = last.at(col);
                    let at = cell(t3, this.at(col));
                    out.push(Comparison {
                        rule: self,
                        instance: format!("表三 {}", col.label()),
                        left: vec![plus(at)],
                        right: vec![plus(Operand::Previous(t3, r, c))],
                        at,
                    });
                }
            }
            Cells::DocumentsInForce => {
                let t2 = TableId::Active;
                for doc in T2Doc::ALL {
                    let (r, c) = doc.at(T2DocCol::InForce);
                    let at = cell(t2, (r, c));
                    out.push(Comparison {
                        rule: self,
                        instance: at.words(),
                        left: vec![plus(at)],
                        right: vec![
                            plus(Operand::Previous(t2, r, c)),
                            plus(cell(t2, doc.at(T2DocCol::Issued))),
                            Term {
                                operand: cell(t2, doc.at(T2DocCol::Repealed)),
                                minus: true,
                            },
                        ],
                        at,
                    });
                }
            }
            Cells::BasicAgainstRow { basic, row } => {
                let at = Operand::Basic(basic);
                let other = cell(t3, row.at(T3Col::Total));
                out.push(Comparison {
                    rule: self,
                    instance: String::new(),
                    left: vec![plus(at)],
                    right: vec![plus(other)],
                    at,
                });
            }
            Cells::None => {}
        }
        out
    }
}

/// A number a rule reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operand {
    /// A body cell of a table as computed (inputs as given, totals summed).
    Cell(TableId, usize, usize),
    /// A body cell as the report states it: a total the clerk typed where
    /// there is one (see [`crate::spec::grid::Grid::stated`]).
    Stated(TableId, usize, usize),
    /// The total the clerk typed at a total cell; when there is none, the
    /// comparison does not apply.
    Given(TableId, usize, usize),
    /// A body cell of last year's report, as computed.
    Previous(TableId, usize, usize),
    /// A count of the `基本信息` sheet.
    Basic(BasicInfo),
}

/// An operand with its sign.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Term {
    /// The number.
    pub operand: Operand,
    /// Subtracted instead of added.
    pub minus: bool,
}

/// A report evaluated for the rules: the report and the grids of its tables.
#[derive(Debug)]
pub struct Subject<'r> {
    /// The report.
    pub report: &'r Report,
    /// Its tables, evaluated.
    pub figures: Figures,
}

impl<'r> Subject<'r> {
    /// Evaluates the tables of `report` once.
    pub fn new(report: &'r Report) -> Subject<'r> {
        Subject {
            report,
            figures: Figures::new(report),
        }
    }
}

impl Operand {
    fn place(&self) -> Option<(TableId, usize, usize)> {
        match *self {
            Operand::Cell(t, r, c)
            | Operand::Stated(t, r, c)
            | Operand::Given(t, r, c)
            | Operand::Previous(t, r, c) => Some((t, r, c)),
            Operand::Basic(_) => None,
        }
    }

    /// The value in `now` (and `previous` for last year's cells); `None`
    /// when there is none (no typed total, no last year).
    pub fn value(&self, now: &Subject, previous: Option<&Subject>) -> Option<i64> {
        let n = match *self {
            Operand::Cell(t, r, c) => now.figures.grid(t).count(r, c),
            Operand::Stated(t, r, c) => now.figures.grid(t).stated(r, c),
            Operand::Given(t, r, c) => match &t.table().cell_at(r, c)?.content {
                Content::Total(total) => total.given.get(now.report)?,
                _ => return None,
            },
            Operand::Previous(t, r, c) => previous?.figures.grid(t).count(r, c),
            Operand::Basic(b) => b.count(now.report)?,
        };
        i64::try_from(n).ok()
    }

    /// The cell in words, e.g. `表三 （七）总计 × 自然人`.
    pub fn words(&self) -> String {
        match (self, self.place()) {
            (Operand::Basic(b), _) => b.words(),
            (_, Some((t, r, c))) => {
                let table = t.table();
                match table.cell_at(r, c) {
                    Some(cell) => table.describe(cell),
                    None => table.name.to_string(),
                }
            }
            (_, None) => String::new(),
        }
    }

    /// The cell in the workbook, e.g. `依申请公开!D28`.
    pub fn excel_ref(&self) -> String {
        match (self, self.place()) {
            (Operand::Basic(b), _) => b.excel_ref(),
            (_, Some((t, r, c))) => t.table().excel_ref(r, c),
            (_, None) => String::new(),
        }
    }

    /// The key path in the input, e.g. `applications.total[0]`.
    pub fn key(&self) -> String {
        match (self, self.place()) {
            (Operand::Basic(b), _) => b.key().to_string(),
            (_, Some((t, r, c))) => match t.table().cell_at(r, c).map(|c| &c.content) {
                Some(Content::Input(i)) => i.key.clone(),
                Some(Content::Total(total)) => total.key.clone(),
                _ => String::new(),
            },
            (_, None) => String::new(),
        }
    }

    /// The operand on the `校验` sheet, where every total is its formula:
    /// `None` for a typed total or last year's cell, which the workbook does
    /// not hold.
    fn in_workbook(&self) -> Option<Operand> {
        match *self {
            Operand::Cell(..) | Operand::Basic(_) => Some(*self),
            Operand::Stated(t, r, c) => Some(Operand::Cell(t, r, c)),
            Operand::Given(..) | Operand::Previous(..) => None,
        }
    }

    /// The sheet-qualified reference of the cell, e.g. `'依申请公开'!D28`.
    pub fn formula_ref(&self) -> String {
        match (self, self.place()) {
            (Operand::Basic(b), _) => b.formula_ref(),
            (_, Some((t, r, c))) => t.table().formula_ref(r, c),
            (_, None) => String::new(),
        }
    }
}

/// One instance of a rule: two sums that must compare as the rule says.
#[derive(Debug, Clone)]
pub struct Comparison {
    /// The rule.
    pub rule: &'static Rule,
    /// Which column, row or group, e.g. `表三 自然人` (empty for a rule of one comparison).
    pub instance: String,
    /// The left side.
    pub left: Vec<Term>,
    /// The right side.
    pub right: Vec<Term>,
    /// The cell a finding points at (one of the operands).
    pub at: Operand,
}

/// The values of a comparison for one report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    /// The left side.
    pub left: i64,
    /// The right side.
    pub right: i64,
    /// The value the rule implies for the cell [`Comparison::at`].
    pub expected: i64,
    /// The value found there.
    pub found: i64,
    /// Whether the rule holds.
    pub holds: bool,
}

fn side(terms: &[Term], now: &Subject, previous: Option<&Subject>) -> Option<i64> {
    terms.iter().try_fold(0i64, |sum, t| {
        let v = t.operand.value(now, previous)?;
        Some(if t.minus { sum - v } else { sum + v })
    })
}

impl Comparison {
    /// The comparison for `now` (and last year's `previous` for R5/R6);
    /// `None` when an operand has no value, so the comparison does not apply.
    pub fn evaluate(&self, now: &Subject, previous: Option<&Subject>) -> Option<Outcome> {
        let left = side(&self.left, now, previous)?;
        let right = side(&self.right, now, previous)?;
        let found = self.at.value(now, previous)?;
        let on_left = self.left.iter().any(|t| t.operand == self.at);
        // The value of `at` that would make the sides meet.
        let expected = if on_left {
            right - (left - found)
        } else {
            left - (right - found)
        };
        Some(Outcome {
            left,
            right,
            expected,
            found,
            holds: self.rule.relation.holds(left, right),
        })
    }

    /// The comparison as the `校验` sheet can evaluate it (stated totals are
    /// the formulas' values), or `None` when it needs a typed total or last
    /// year's report — or when both sides would be the same cell, so it
    /// could never fail.
    pub fn in_workbook(&self) -> Option<Comparison> {
        let map = |terms: &[Term]| -> Option<Vec<Term>> {
            terms
                .iter()
                .map(|t| {
                    Some(Term {
                        operand: t.operand.in_workbook()?,
                        minus: t.minus,
                    })
                })
                .collect()
        };
        let left = map(&self.left)?;
        let right = map(&self.right)?;
        if left == right {
            return None;
        }
        Some(Comparison {
            rule: self.rule,
            instance: self.instance.clone(),
            left,
            right,
            at: self.at.in_workbook()?,
        })
    }

    /// A side as a spreadsheet formula (no `=`), e.g. `'依申请公开'!D5+'依申请公开'!D6`.
    pub fn formula(terms: &[Term]) -> String {
        let mut out = String::new();
        for (i, t) in terms.iter().enumerate() {
            if t.minus {
                out.push('-');
            } else if i > 0 {
                out.push('+');
            }
            out.push_str(&t.operand.formula_ref());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_in_order_and_wordings_distinct() {
        let ids: Vec<&str> = RULES.iter().map(|r| r.id).collect();
        assert_eq!(
            ids,
            ["R1", "R2", "R3", "R4", "R5", "R6", "R7", "R8", "R9", "R10"]
        );
        for (i, a) in RULES.iter().enumerate() {
            for b in &RULES[i + 1..] {
                assert_ne!(a.wording(), b.wording(), "{} {}", a.id, b.id);
            }
        }
    }

    /// Every comparison's `at` is one of its operands, and every cell it
    /// names is a number cell of its table.
    #[test]
    fn comparisons_name_number_cells() {
        for c in comparisons() {
            assert!(
                c.left.iter().chain(&c.right).any(|t| t.operand == c.at),
                "{} {}",
                c.rule.id,
                c.instance
            );
            for t in c.left.iter().chain(&c.right) {
                assert!(!t.operand.key().is_empty(), "{} {:?}", c.rule.id, t.operand);
                assert!(!t.operand.excel_ref().is_empty());
            }
        }
        let count = |id| rule(id).map(|r| r.comparisons().len());
        assert_eq!(count("R1"), Some(7));
        assert_eq!(count("R2"), Some(7));
        assert_eq!(count("R3"), Some(25));
        assert_eq!(count("R4"), Some(3));
        assert_eq!(count("R5"), Some(7));
        assert_eq!(count("R6"), Some(2));
        assert_eq!(count("R7"), Some(0));
        assert_eq!(count("R10"), Some(1));
    }

    /// Only R1 and R10 can fail in a workbook whose totals are formulas.
    #[test]
    fn workbook_rules() {
        let on_sheet: Vec<&str> = RULES
            .iter()
            .filter(|r| r.check_sheet_note().is_none())
            .map(|r| r.id)
            .collect();
        assert_eq!(on_sheet, ["R1", "R10"]);
        for c in comparisons().iter().filter_map(Comparison::in_workbook) {
            assert_ne!(Comparison::formula(&c.left), Comparison::formula(&c.right));
        }
    }

    #[test]
    fn formulas_and_messages() {
        let r1 = &rule("R1").unwrap().comparisons()[0];
        assert_eq!(
            Comparison::formula(&r1.left),
            "'依申请公开'!D5+'依申请公开'!D6"
        );
        assert_eq!(
            Comparison::formula(&r1.right),
            "'依申请公开'!D28+'依申请公开'!D29"
        );
        let r6 = &rule("R6").unwrap().comparisons()[0];
        assert!(Comparison::formula(&r6.right).ends_with("-'主动公开'!C4"));
        let r10 = &rule("R10").unwrap().comparisons()[0];
        assert_eq!(Comparison::formula(&r10.left), "'基本信息'!B7");
        assert_eq!(
            rule("R2").unwrap().message(2, 1),
            "（七）总计（2）应等于（一）至（六）各项之和（1）"
        );
        assert_eq!(
            rule("R1").unwrap().message(34, 30),
            "一 + 二 = 34，三（七）+ 四 = 30，相差 4（第一项加第二项之和应等于第三项加第四项之和）"
        );
        assert!(rule("R1").unwrap().message(30, 34).contains("相差 4"));
    }

    /// R1 on a report: the finding's cell gets the value that balances it.
    #[test]
    fn evaluate_r1() {
        let mut report = Report::default();
        report.applications.new.values = [3, 0, 0, 0, 0, 0];
        report.applications.granted.values = [2, 0, 0, 0, 0, 0];
        let now = Subject::new(&report);
        let r1 = &rule("R1").unwrap().comparisons()[0];
        let o = r1.evaluate(&now, None).unwrap();
        assert_eq!(
            (o.left, o.right, o.expected, o.found, o.holds),
            (3, 2, 1, 0, false)
        );
        // R5 needs last year's report.
        let r5 = &rule("R5").unwrap().comparisons()[0];
        assert_eq!(r5.evaluate(&now, None), None);
        assert!(r5.evaluate(&now, Some(&now)).is_some());
    }
}
