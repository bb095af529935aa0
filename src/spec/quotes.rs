//! What the narrative may quote from the tables (rule R7), as data.
//!
//! A [`Quote`] is a figure of the tables a clerk writes about in the text —
//! 新收 applications, 上年结转, 办结, 予以公开, 行政复议, 制发规范性文件 … —
//! with the words that name it right before the number ([`Quote::pattern`]),
//! the topic that must be in the context ([`Topic`]) and every reading the
//! format allows ([`Reading`]): 「收到申请75件」 may mean 新收 or 新收 plus
//! 上年结转, and the text agrees with the tables when it equals any of them.
//!
//! The matcher that reads the text with this data is
//! [`crate::check_text`]; it is conservative on purpose: a number counts only
//! when one of these words, then nothing but [`FILLERS`], then the number and
//! its unit (件, for 复议 and 诉讼 also 起) stand together in one clause.
//!
//! ```
//! use nianbao::spec::quotes::{self, Topic};
//! let received = quotes::QUOTES.iter().find(|q| q.words == "收到申请").unwrap();
//! assert_eq!(received.topic, Topic::Applications);
//! assert_eq!(received.readings().len(), 2); // 新收, or 新收 + 上年结转
//! ```

use crate::spec::rules::Operand;
use crate::spec::tables::{T2Doc, T2DocCol, T3Col, T3Row, T4Col, T4Group, TableId};

/// What a figure is about; the context a number must stand in to be read as it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Topic {
    /// Table 三: only in the block `on_request` or in a paragraph that speaks of 申请.
    Applications,
    /// Table 四: only in the block `on_request` or in a sentence that speaks of 信息公开.
    ReviewLitigation,
    /// Table 二: anywhere.
    Active,
}

/// One way to read a quoted number: the sum of some cells of a table.
#[derive(Debug, Clone, Copy)]
pub struct Reading {
    /// The figure in words, e.g. `新收加上年结转`.
    pub words: &'static str,
    /// The cells whose sum it is.
    pub terms: &'static [Operand],
}

/// Which figures a quote reads.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// Fixed readings.
    Fixed(&'static [Reading]),
    /// A document row of table 二 named in the words (规章, 规范性文件), in
    /// one of these columns; later bare 「废止1件」「现行有效9件」 of the
    /// same sentence refer to it.
    Document(T2Doc, &'static [T2DocCol]),
    /// A column of the document row named earlier in the same sentence
    /// (「制定政府规章3件、废止1件」); without one, the number is not read.
    SameDocument(&'static [T2DocCol]),
}

/// A figure the narrative quotes.
#[derive(Debug, Clone, Copy)]
pub struct Quote {
    /// Short name for tests and messages, e.g. `收到申请`.
    pub words: &'static str,
    /// The words before the number: a sequence of parts, each a choice of
    /// alternatives (`""` makes a part optional), matched backwards from the
    /// number over [`FILLERS`].
    pub pattern: &'static [&'static [&'static str]],
    /// The figures it reads.
    pub kind: Kind,
    /// What the context must speak of.
    pub topic: Topic,
    /// A common verb (收到, 受理, 办理, 答复): read only when the words
    /// between it and the number say 申请, or in the block `on_request`.
    pub weak: bool,
    /// A total: 「其中」 earlier in its clause makes it a part, not read.
    pub total: bool,
}

impl Quote {
    /// The readings of a [`Kind::Fixed`] quote (empty for documents).
    pub fn readings(&self) -> &'static [Reading] {
        match self.kind {
            Kind::Fixed(r) => r,
            Kind::Document(..) | Kind::SameDocument(_) => &[],
        }
    }

    /// The units the number may carry.
    pub fn units(&self) -> &'static [char] {
        match self.topic {
            Topic::ReviewLitigation => &['件', '起'],
            Topic::Applications | Topic::Active => &['件'],
        }
    }
}

/// Words that may stand between the words of a quote and its number without
/// changing what is counted (「新收政府信息公开申请共613件」).
pub const FILLERS: [&str; 21] = [
    "政府信息公开",
    "政府信息",
    "信息公开",
    "依申请公开",
    "公开",
    "申请",
    "的",
    "共",
    "共计",
    "总计",
    "合计",
    "累计",
    "数量",
    "数",
    "为",
    "了",
    "有",
    "件数",
    "案件",
    "事项",
    "工作",
];

/// Words that may follow the unit in the same clause (「收到75件政府信息公开申请」).
pub const AFTER_UNIT: [&str; 6] = [
    "政府信息公开申请",
    "信息公开申请",
    "依申请公开申请",
    "依申请公开",
    "申请",
    "案件",
];

/// Words before the quote's words, in its clause, that make the number a
/// part or a change instead of the figure: a comparison with last year, a
/// kind of applicant or channel, a reason.
pub const PART_OF: [&str; 11] = [
    "同比",
    "较上年",
    "比上年",
    "较去年",
    "比去年",
    "上年同期",
    "环比",
    "增加",
    "减少",
    "增长",
    "下降",
];

/// [`PART_OF`] for the figures of table 三.
pub const PART_OF_APPLICATIONS: [&str; 23] = [
    "自然人",
    "法人",
    "企业",
    "组织",
    "机构",
    "名义",
    "个人",
    "通过",
    "网上",
    "网络",
    "信函",
    "当面",
    "邮件",
    "传真",
    "因",
    "由于",
    "属于",
    "涉及",
    "依据",
    "根据",
    "按照",
    "对于",
    "针对",
];

/// [`PART_OF`] for the figures of table 四: an outcome, a court level, or
/// the agency deciding cases (as 复议机关) instead of being the respondent.
pub const PART_OF_REVIEW: [&str; 20] = [
    "维持",
    "纠正",
    "纠错",
    "审结",
    "败诉",
    "胜诉",
    "撤销",
    "驳回",
    "违法",
    "结果",
    "直接",
    "复议后",
    "一审",
    "二审",
    "办理",
    "受理",
    "审理",
    "复议机关",
    "收到",
    "接到",
];

/// Endings of the words before a quote that negate or join it (「未收到」
/// 「不予受理」「新收和上年结转」): the number is not read.
pub const NOT_BEFORE: [&str; 11] = [
    "未", "不", "没", "没有", "无", "非", "不予", "和", "及", "与", "或",
];

const fn t3(row: T3Row) -> Operand {
    let (r, c) = row.at(T3Col::Total);
    Operand::Cell(TableId::Applications, r, c)
}

const fn t4(group: T4Group) -> Operand {
    let (r, c) = group.at(T4Col::Total);
    Operand::Cell(TableId::ReviewLitigation, r, c)
}

/// Table 二's 行政许可, 行政处罚 and 行政强制 (本年处理决定数量), (row, col);
/// a test holds them to the keys of the table's description.
const LICENSING: Operand = Operand::Cell(TableId::Active, 6, 1);
const PUNISHMENT: Operand = Operand::Cell(TableId::Active, 9, 1);
const ENFORCEMENT: Operand = Operand::Cell(TableId::Active, 10, 1);

const NEW: Reading = Reading {
    words: "新收",
    terms: &[t3(T3Row::New)],
};
const NEW_AND_CARRIED: Reading = Reading {
    words: "新收加上年结转",
    terms: &[t3(T3Row::New), t3(T3Row::CarriedOver)],
};
const CLOSED: Reading = Reading {
    words: "（七）总计",
    terms: &[t3(T3Row::Total)],
};

/// The words of the document rows of table 二 (the verbs before the noun, the noun).
const ISSUE: &[&str] = &["制发", "制定", "印发", "出台", "新制发", "新制定"];
const REPEAL: &[&str] = &["废止"];
const IN_FORCE: &[&str] = &["现行有效"];
const DOC_MIDDLE: &[&str] = &["", "行政", "政府", "的", "的行政", "的政府"];
const RULES: &[&str] = &["规章"];
const DOCUMENTS: &[&str] = &["规范性文件"];

/// Every figure the narrative may quote.
pub static QUOTES: [Quote; 32] = [
    // 表三
    Quote {
        words: "新收",
        pattern: &[&["新收", "新接收", "新受理"]],
        kind: Kind::Fixed(&[NEW]),
        topic: Topic::Applications,
        weak: false,
        total: true,
    },
    Quote {
        words: "收到申请",
        pattern: &[&["收到", "接收", "受理", "接到"]],
        kind: Kind::Fixed(&[NEW, NEW_AND_CARRIED]),
        topic: Topic::Applications,
        weak: true,
        total: true,
    },
    Quote {
        words: "上年结转",
        pattern: &[&["上年结转", "上年度结转", "上一年度结转", "上一年结转"]],
        kind: Kind::Fixed(&[Reading {
            words: "上年结转",
            terms: &[t3(T3Row::CarriedOver)],
        }]),
        topic: Topic::Applications,
        weak: false,
        total: true,
    },
    Quote {
        words: "需办理",
        pattern: &[&["需办理", "需要办理", "应办理", "办理总量", "申请总量"]],
        kind: Kind::Fixed(&[NEW_AND_CARRIED]),
        topic: Topic::Applications,
        weak: false,
        total: true,
    },
    Quote {
        words: "办理",
        pattern: &[&["办理"]],
        kind: Kind::Fixed(&[CLOSED, NEW_AND_CARRIED]),
        topic: Topic::Applications,
        weak: true,
        total: true,
    },
    Quote {
        words: "办结",
        pattern: &[&["办结", "办理完毕", "办理完成"]],
        kind: Kind::Fixed(&[CLOSED]),
        topic: Topic::Applications,
        weak: false,
        total: true,
    },
    Quote {
        words: "答复",
        pattern: &[&["答复"]],
        kind: Kind::Fixed(&[CLOSED]),
        topic: Topic::Applications,
        weak: true,
        total: true,
    },
    Quote {
        words: "予以公开",
        pattern: &[&["予以公开", "同意公开"]],
        kind: Kind::Fixed(&[Reading {
            words: "（一）予以公开",
            terms: &[t3(T3Row::Granted)],
        }]),
        topic: Topic::Applications,
        weak: false,
        total: false,
    },
    Quote {
        words: "部分公开",
        pattern: &[&["部分公开"]],
        kind: Kind::Fixed(&[Reading {
            words: "（二）部分公开",
            terms: &[t3(T3Row::PartiallyGranted)],
        }]),
        topic: Topic::Applications,
        weak: false,
        total: false,
    },
    Quote {
        words: "不予公开",
        pattern: &[&["不予公开"]],
        kind: Kind::Fixed(&[Reading {
            words: "（三）不予公开 1–8 项之和",
            terms: &[
                t3(T3Row::StateSecret),
                t3(T3Row::LawProhibited),
                t3(T3Row::ThreeSecuritiesOneStability),
                t3(T3Row::ThirdPartyRights),
                t3(T3Row::InternalAffairs),
                t3(T3Row::ProcessInformation),
                t3(T3Row::EnforcementFiles),
                t3(T3Row::AdministrativeQueries),
            ],
        }]),
        topic: Topic::Applications,
        weak: false,
        total: false,
    },
    Quote {
        words: "无法提供",
        pattern: &[&["无法提供"]],
        kind: Kind::Fixed(&[Reading {
            words: "（四）无法提供 1–3 项之和",
            terms: &[
                t3(T3Row::NotHeld),
                t3(T3Row::NeedsCreation),
                t3(T3Row::UnclearAfterCorrection),
            ],
        }]),
        topic: Topic::Applications,
        weak: false,
        total: false,
    },
    Quote {
        words: "不予处理",
        pattern: &[&["不予处理"]],
        kind: Kind::Fixed(&[Reading {
            words: "（五）不予处理 1–5 项之和",
            terms: &[
                t3(T3Row::Complaints),
                t3(T3Row::Duplicate),
                t3(T3Row::Publications),
                t3(T3Row::Excessive),
                t3(T3Row::Reconfirmation),
            ],
        }]),
        topic: Topic::Applications,
        weak: false,
        total: false,
    },
    Quote {
        words: "其他处理",
        pattern: &[&["其他处理"]],
        kind: Kind::Fixed(&[Reading {
            words: "（六）其他处理 1–3 项之和",
            terms: &[
                t3(T3Row::CorrectionOverdue),
                t3(T3Row::FeeOverdue),
                t3(T3Row::Other),
            ],
        }]),
        topic: Topic::Applications,
        weak: false,
        total: false,
    },
    Quote {
        words: "结转下年度",
        pattern: &[
            &[
                "结转下年度",
                "结转下一年度",
                "结转至下年度",
                "结转到下年度",
                "结转下年",
                "转入下年度",
            ],
            &["", "继续办理", "办理", "继续"],
        ],
        kind: Kind::Fixed(&[Reading {
            words: "四、结转下年度继续办理",
            terms: &[t3(T3Row::CarryForward)],
        }]),
        topic: Topic::Applications,
        weak: false,
        total: true,
    },
    // 表四
    Quote {
        words: "行政复议",
        pattern: &[&["行政复议"]],
        kind: Kind::Fixed(&[Reading {
            words: "行政复议 总计",
            terms: &[t4(T4Group::Review)],
        }]),
        topic: Topic::ReviewLitigation,
        weak: false,
        total: true,
    },
    Quote {
        words: "行政诉讼",
        pattern: &[&["行政诉讼"]],
        kind: Kind::Fixed(&[Reading {
            words: "行政诉讼 未经复议直接起诉与复议后起诉的总计之和",
            terms: &[
                t4(T4Group::LitigationDirect),
                t4(T4Group::LitigationAfterReview),
            ],
        }]),
        topic: Topic::ReviewLitigation,
        weak: false,
        total: true,
    },
    Quote {
        words: "未经复议直接起诉",
        pattern: &[&["未经复议直接起诉", "未经复议直接提起行政诉讼"]],
        kind: Kind::Fixed(&[Reading {
            words: "行政诉讼 未经复议直接起诉 总计",
            terms: &[t4(T4Group::LitigationDirect)],
        }]),
        topic: Topic::ReviewLitigation,
        weak: false,
        total: true,
    },
    Quote {
        words: "复议后起诉",
        pattern: &[&["复议后起诉", "复议后提起行政诉讼"]],
        kind: Kind::Fixed(&[Reading {
            words: "行政诉讼 复议后起诉 总计",
            terms: &[t4(T4Group::LitigationAfterReview)],
        }]),
        topic: Topic::ReviewLitigation,
        weak: false,
        total: true,
    },
    // 表二
    Quote {
        words: "行政许可决定",
        pattern: &[&["行政许可决定"]],
        kind: Kind::Fixed(&[Reading {
            words: "行政许可 × 本年处理决定数量",
            terms: &[LICENSING],
        }]),
        topic: Topic::Active,
        weak: false,
        total: false,
    },
    Quote {
        words: "行政处罚决定",
        pattern: &[&["行政处罚决定"]],
        kind: Kind::Fixed(&[Reading {
            words: "行政处罚 × 本年处理决定数量",
            terms: &[PUNISHMENT],
        }]),
        topic: Topic::Active,
        weak: false,
        total: false,
    },
    Quote {
        words: "行政强制决定",
        pattern: &[&["行政强制决定"]],
        kind: Kind::Fixed(&[Reading {
            words: "行政强制 × 本年处理决定数量",
            terms: &[ENFORCEMENT],
        }]),
        topic: Topic::Active,
        weak: false,
        total: false,
    },
    Quote {
        words: "制发规章",
        pattern: &[ISSUE, DOC_MIDDLE, RULES],
        kind: Kind::Document(T2Doc::Rules, &[T2DocCol::Issued]),
        topic: Topic::Active,
        weak: false,
        total: false,
    },
    Quote {
        words: "制发规范性文件",
        pattern: &[ISSUE, DOC_MIDDLE, DOCUMENTS],
        kind: Kind::Document(T2Doc::NormativeDocuments, &[T2DocCol::Issued]),
        topic: Topic::Active,
        weak: false,
        total: false,
    },
    Quote {
        words: "废止规章",
        pattern: &[REPEAL, DOC_MIDDLE, RULES],
        kind: Kind::Document(T2Doc::Rules, &[T2DocCol::Repealed]),
        topic: Topic::Active,
        weak: false,
        total: false,
    },
    Quote {
        words: "废止规范性文件",
        pattern: &[REPEAL, DOC_MIDDLE, DOCUMENTS],
        kind: Kind::Document(T2Doc::NormativeDocuments, &[T2DocCol::Repealed]),
        topic: Topic::Active,
        weak: false,
        total: false,
    },
    Quote {
        words: "现行有效规章",
        pattern: &[IN_FORCE, DOC_MIDDLE, RULES],
        kind: Kind::Document(T2Doc::Rules, &[T2DocCol::InForce]),
        topic: Topic::Active,
        weak: false,
        total: false,
    },
    Quote {
        words: "现行有效规范性文件",
        pattern: &[IN_FORCE, DOC_MIDDLE, DOCUMENTS],
        kind: Kind::Document(T2Doc::NormativeDocuments, &[T2DocCol::InForce]),
        topic: Topic::Active,
        weak: false,
        total: false,
    },
    Quote {
        words: "主动公开规章",
        pattern: &[&["主动公开"], DOC_MIDDLE, RULES],
        kind: Kind::Document(T2Doc::Rules, &[T2DocCol::Issued, T2DocCol::InForce]),
        topic: Topic::Active,
        weak: false,
        total: false,
    },
    Quote {
        words: "主动公开规范性文件",
        pattern: &[&["主动公开"], DOC_MIDDLE, DOCUMENTS],
        kind: Kind::Document(
            T2Doc::NormativeDocuments,
            &[T2DocCol::Issued, T2DocCol::InForce],
        ),
        topic: Topic::Active,
        weak: false,
        total: false,
    },
    // The bare 「废止1件」「现行有效9件」「制发2件」 after a document named
    // earlier in the same sentence.
    Quote {
        words: "废止",
        pattern: &[REPEAL],
        kind: Kind::SameDocument(&[T2DocCol::Repealed]),
        topic: Topic::Active,
        weak: false,
        total: false,
    },
    Quote {
        words: "现行有效",
        pattern: &[IN_FORCE],
        kind: Kind::SameDocument(&[T2DocCol::InForce]),
        topic: Topic::Active,
        weak: false,
        total: false,
    },
    Quote {
        words: "制发",
        pattern: &[ISSUE],
        kind: Kind::SameDocument(&[T2DocCol::Issued]),
        topic: Topic::Active,
        weak: false,
        total: false,
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::tables::{self, Content};

    fn key(op: Operand) -> String {
        op.key()
    }

    /// The decision cells are the table's 行政许可, 行政处罚, 行政强制.
    #[test]
    fn decision_cells_are_the_tables() {
        assert_eq!(key(LICENSING), "active.licensing");
        assert_eq!(key(PUNISHMENT), "active.punishment");
        assert_eq!(key(ENFORCEMENT), "active.enforcement");
    }

    /// Every reading names number cells of its table.
    #[test]
    fn readings_name_number_cells() {
        for q in &QUOTES {
            assert!(!q.pattern.is_empty(), "{}", q.words);
            for r in q.readings() {
                for t in r.terms {
                    let Operand::Cell(table, row, col) = *t else {
                        panic!("{}", q.words)
                    };
                    let cell = table.table().cell_at(row, col);
                    assert!(
                        matches!(
                            cell.map(|c| &c.content),
                            Some(Content::Input(_) | Content::Total(_))
                        ),
                        "{} {}",
                        q.words,
                        r.words
                    );
                }
            }
        }
        let t4 = tables::review_litigation();
        let (r, c) = T4Group::Review.at(T4Col::Total);
        assert!(matches!(
            t4.cell_at(r, c).map(|c| &c.content),
            Some(Content::Total(_))
        ));
    }
}
