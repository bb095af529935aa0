//! The outline of the report: the six sections, the narrative blocks with
//! their run-in heads, and the title. Spelled once here; the writers, the
//! form, the starter file and the checker read it.
//!
//! ```
//! use nianbao::spec::outline;
//! assert_eq!(outline::SECTION_HEADINGS[0], "一、总体情况");
//! let proactive = outline::block("proactive").unwrap();
//! assert_eq!(proactive.place, "一（一）主动公开");
//! assert_eq!(proactive.default_head, Some("主动公开"));
//! assert_eq!(outline::title("某县统计局", 2024), "某县统计局2024年政府信息公开工作年度报告");
//! ```

/// The section headings of the report, exactly as FORMAT.md §2.3.
pub const SECTION_HEADINGS: [&str; 6] = [
    "一、总体情况",
    "二、主动公开政府信息情况",
    "三、收到和处理政府信息公开申请情况",
    "四、政府信息公开行政复议、行政诉讼情况",
    "五、存在的主要问题及改进情况",
    "六、其他需要报告的事项",
];

/// A narrative block: a key of `[text]`, a template name and a place in the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Block {
    /// The key in `[text]` and the template name, e.g. `proactive`.
    pub name: &'static str,
    /// Where it stands in the report, e.g. `一（一）主动公开`.
    pub place: &'static str,
    /// Index into [`SECTION_HEADINGS`] of the section it belongs to.
    pub section: usize,
    /// The run-in head printed before it (`（一）主动公开：`), when it has one;
    /// `[headings]` may word it differently.
    pub default_head: Option<&'static str>,
}

/// The narrative blocks of `[text]`, in document order.
pub const BLOCKS: [Block; 9] = [
    block_("overview", "一、总体情况 开头段落", 0, None),
    block_("proactive", "一（一）主动公开", 0, Some("主动公开")),
    block_("on_request", "一（二）依申请公开", 0, Some("依申请公开")),
    block_(
        "management",
        "一（三）政府信息管理",
        0,
        Some("政府信息管理"),
    ),
    block_(
        "platforms",
        "一（四）政府信息公开平台建设",
        0,
        Some("政府信息公开平台建设"),
    ),
    block_("oversight", "一（五）监督保障", 0, Some("监督保障")),
    block_("problems", "五（一）存在的主要问题", 4, Some("存在问题")),
    block_("improvements", "五（二）改进情况", 4, Some("改进情况")),
    block_("other_matters", "六、其他需要报告的事项", 5, None),
];

const fn block_(
    name: &'static str,
    place: &'static str,
    section: usize,
    default_head: Option<&'static str>,
) -> Block {
    Block {
        name,
        place,
        section,
        default_head,
    }
}

/// The 信息处理费 block that opens section 六: a template only, not a key of `[text]`.
pub const PROCESSING_FEES: &str = "processing_fees";

/// The words by which a paragraph of 六 speaks of the 信息处理费 (or of
/// fees at all: 「未收取任何费用」).
pub const FEE_WORDS: [&str; 4] = ["处理费", "收费", "费用", "缴费"];

/// Whether a paragraph of 六 speaks of the 信息处理费 ([`FEE_WORDS`]): then
/// no fee sentence is generated before it (the text engine), and `check`
/// does not ask for `[processing_fees]` (R10).
///
/// ```
/// use nianbao::spec::outline::mentions_fees;
/// assert!(mentions_fees("本年度未收取信息处理费。"));
/// assert!(mentions_fees("本年度依申请公开未收取任何费用。"));
/// assert!(!mentions_fees("无"));
/// ```
pub fn mentions_fees(paragraph: &str) -> bool {
    FEE_WORDS.iter().any(|w| paragraph.contains(w))
}

/// Every template name, in document order: the blocks, with
/// [`PROCESSING_FEES`] before `other_matters`.
pub const TEMPLATE_NAMES: [&str; 10] = [
    BLOCKS[0].name,
    BLOCKS[1].name,
    BLOCKS[2].name,
    BLOCKS[3].name,
    BLOCKS[4].name,
    BLOCKS[5].name,
    BLOCKS[6].name,
    BLOCKS[7].name,
    PROCESSING_FEES,
    BLOCKS[8].name,
];

/// The first section that holds a table (二、主动公开政府信息情况).
pub const FIRST_TABLE_SECTION: usize = 1;

/// Whether section `section` (an index into [`SECTION_HEADINGS`]) is one of
/// the three table sections 二、三、四, which hold no narrative.
pub fn is_table_section(section: usize) -> bool {
    (FIRST_TABLE_SECTION..FIRST_TABLE_SECTION + 3).contains(&section)
}

/// The section a template belongs to ([`PROCESSING_FEES`] opens 六).
pub fn section_of(template: &str) -> Option<usize> {
    if template == PROCESSING_FEES {
        return Some(SECTION_HEADINGS.len() - 1);
    }
    block(template).map(|b| b.section)
}

/// The templates of section `section`, in document order.
///
/// ```
/// use nianbao::spec::outline::templates_of;
/// assert_eq!(templates_of(4).collect::<Vec<_>>(), ["problems", "improvements"]);
/// assert_eq!(templates_of(5).collect::<Vec<_>>(), ["processing_fees", "other_matters"]);
/// ```
pub fn templates_of(section: usize) -> impl Iterator<Item = &'static str> {
    TEMPLATE_NAMES
        .into_iter()
        .filter(move |name| section_of(name) == Some(section))
}

/// The block named `name`, if it is one of [`BLOCKS`].
pub fn block(name: &str) -> Option<&'static Block> {
    BLOCKS.iter().find(|b| b.name == name)
}

/// The run-in head of block `name`: the agency's wording in `[headings]`, or
/// the default; `None` for a block without a head.
///
/// ```
/// let mut h = nianbao::model::Headings::default();
/// h.improvements = Some("下步打算".into());
/// assert_eq!(nianbao::spec::outline::head(&h, "improvements"), Some("下步打算"));
/// assert_eq!(nianbao::spec::outline::head(&h, "problems"), Some("存在问题"));
/// assert_eq!(nianbao::spec::outline::head(&h, "overview"), None);
/// ```
pub fn head<'a>(headings: &'a crate::model::Headings, name: &str) -> Option<&'a str> {
    let default = block(name)?.default_head?;
    Some(headings.get(name).unwrap_or(default))
}

/// The document title and file stem: `{agency}{year}年政府信息公开工作年度报告`.
pub fn title(agency: &str, year: impl std::fmt::Display) -> String {
    format!("{agency}{year}年政府信息公开工作年度报告")
}

impl crate::model::Report {
    /// The document title and file stem: `{agency}{year}年政府信息公开工作年度报告`
    /// (see [`title`]).
    pub fn title(&self) -> String {
        title(&self.report.agency, self.report.year)
    }
}
