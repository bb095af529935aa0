//! Text blocks: handlebars templates filled from the report.
//!
//! Each narrative block of the report (`overview`, `proactive`, … the names of
//! [`crate::spec::outline::BLOCKS`]) plus `processing_fees` (the 信息处理费
//! statement that opens section 六) is a handlebars template. The defaults in
//! `templates/*.hbs` are embedded in the binary; [`TextEngine::from_dir`]
//! replaces them from a folder, and a block given in the input's `[text]` is
//! itself a template and wins over both.
//!
//! Templates run with HTML escaping off (the XML writer is the only escaping
//! layer) and in strict mode: a misspelled variable is an error that names the
//! block and the line. The context is described in [`context`].
//!
//! A template may come from a stranger, so none can crash or stall the
//! process: before it runs, its size and nesting are bounded
//! ([`MAX_TEMPLATE_BYTES`], [`MAX_OPENERS`], [`MAX_DEPTH`]) and its partials
//! are checked free of cycles; while it runs, its work and its output are
//! counted ([`MAX_STEPS`], [`MAX_OUTPUT_BYTES`]). Each refusal is a
//! [`TextError`] in Chinese naming the block (or the file) and the line.
//!
//! ```
//! let report = nianbao::model::Report::from_toml_str(
//!     "[report]\nagency = \"某县统计局\"\nyear = 2024\n[text]\nother_matters = \"{{cn_year year}}年无 & <其他>。\"\n",
//!     "x.toml",
//! ).unwrap();
//! let engine = nianbao::TextEngine::embedded();
//! let blocks = engine.render_all(&report).unwrap();
//! assert_eq!(blocks.get("other_matters"), ["二〇二四年无 & <其他>。"]);
//! ```

use std::cell::Cell;
use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use handlebars::template::{
    DecoratorTemplate, HelperTemplate, Parameter, TemplateElement, TemplateMapping,
};
use handlebars::{
    Context, Decorator, DecoratorDef, Handlebars, Helper, HelperDef, JsonRender, Output,
    RenderContext, RenderError, RenderErrorReason, Renderable, ScopedJson, Template, TemplateError,
    TemplateErrorReason,
};
use serde_json::{Value as Json, json};

use crate::model::{ApplicantRow, OutcomeRow, Report, is_xml_char};
use crate::spec::outline::{PROCESSING_FEES, TEMPLATE_NAMES, mentions_fees};

mod variables;
pub use variables::{HELPERS, Variable, variables};

/// The default templates, embedded at build time, in the order of
/// [`TEMPLATE_NAMES`] (a unit test holds them together).
const EMBEDDED: [(&str, &str); 10] = [
    ("overview", include_str!("../../templates/overview.hbs")),
    ("proactive", include_str!("../../templates/proactive.hbs")),
    ("on_request", include_str!("../../templates/on_request.hbs")),
    ("management", include_str!("../../templates/management.hbs")),
    ("platforms", include_str!("../../templates/platforms.hbs")),
    ("oversight", include_str!("../../templates/oversight.hbs")),
    ("problems", include_str!("../../templates/problems.hbs")),
    (
        "improvements",
        include_str!("../../templates/improvements.hbs"),
    ),
    (
        PROCESSING_FEES,
        include_str!("../../templates/processing_fees.hbs"),
    ),
    (
        "other_matters",
        include_str!("../../templates/other_matters.hbs"),
    ),
];

/// The default template of block `name` (`templates/<name>.hbs`, embedded).
///
/// ```
/// let t = nianbao::default_template("proactive").unwrap();
/// assert!(t.contains("{{year}}"));
/// assert_eq!(nianbao::default_template("no_such_block"), None);
/// ```
pub fn default_template(name: &str) -> Option<&'static str> {
    EMBEDDED.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}

// ---------------------------------------------------------------------------
// Limits
//
// A template comes from a stranger (the input's `[text]`), so what it may cost
// is bounded before and while it runs. Every bound counts, never times, so the
// output stays the same bytes on every machine.

/// The longest template source, in bytes (a `[text]` block of 32,767
/// characters always fits).
pub const MAX_TEMPLATE_BYTES: usize = 128 * 1024;
/// At most this many `{`, `(` and `[` in one template. Every level the
/// handlebars parser recurses into (a block, a subexpression, a JSON literal)
/// opens with one of them, so this bounds the parser's depth before it runs.
pub const MAX_OPENERS: usize = 2_000;
/// Templates with at most this many openers are parsed on the caller's
/// thread (a few hundred KB of stack at most); larger ones on their own.
const INLINE_OPENERS: usize = 128;
/// The stack of the thread that parses a larger template.
const PARSE_STACK: usize = 64 << 20;
/// How deep blocks, subexpressions and partials may nest, a partial counting
/// with everything it includes.
pub const MAX_DEPTH: usize = 64;
/// The work one block may take: each time a template body is rendered (a
/// template, a partial, a block's body once per `{{#each}}` item) costs one
/// step plus one per element and parameter in it.
pub const MAX_STEPS: u64 = 100_000;
/// What including a partial costs, in steps: handlebars copies the data the
/// partial sees, which takes about as long as this many plain steps.
pub const PARTIAL_WEIGHT: u64 = 128;
/// The most text one block may render to, in bytes.
pub const MAX_OUTPUT_BYTES: usize = 1024 * 1024;
/// The most templates a `--templates` folder may hold.
pub const MAX_TEMPLATE_FILES: usize = 1_000;

/// Why a text block could not be rendered. Each message names the block.
#[derive(Debug, thiserror::Error)]
pub enum TextError {
    /// A template does not parse, refers to a variable, helper or partial that
    /// does not exist (strict mode), includes itself, or exceeds a limit
    /// (size, nesting, steps, output).
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
    #[error("{}：无法读取模板：{}", path.display(), io_reason(source))]
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

/// The system's reason in Chinese.
fn io_reason(e: &std::io::Error) -> String {
    use std::io::ErrorKind as K;
    match e.kind() {
        K::NotFound => "不存在".to_string(),
        K::PermissionDenied => "没有读取权限".to_string(),
        K::NotADirectory => "不是文件夹".to_string(),
        K::IsADirectory => "是文件夹，不是文件".to_string(),
        K::InvalidData => "不是 UTF-8 编码的文本".to_string(),
        K::FileTooLarge => format!("文件超过 {MAX_TEMPLATE_BYTES} 字节上限"),
        _ => match e.raw_os_error() {
            Some(code) => format!("系统错误（代码 {code}）"),
            None => "读取失败".to_string(),
        },
    }
}

/// A problem in one template, before it is known where the template came from.
#[derive(Debug)]
struct Flaw {
    line: Option<usize>,
    column: Option<usize>,
    message: String,
}

impl Flaw {
    fn new(message: String) -> Flaw {
        Flaw {
            line: None,
            column: None,
            message,
        }
    }

    fn at(at: Option<&TemplateMapping>, message: String) -> Flaw {
        Flaw {
            line: at.map(|m| m.0),
            column: at.map(|m| m.1),
            message,
        }
    }

    fn into_error(self, origin: &str, block: &str) -> TextError {
        TextError::Template {
            origin: origin.to_string(),
            block: block.to_string(),
            line: self.line,
            column: self.column,
            message: self.message,
        }
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

    /// Every block with its paragraphs, in document order (the input of
    /// [`crate::check_text`]).
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[String])> {
        self.blocks.iter().map(|(n, p)| (*n, p.as_slice()))
    }
}

/// The handlebars registry with the default (or a folder's) templates and the helpers.
pub struct TextEngine {
    hb: Handlebars<'static>,
    /// Where the templates came from, for messages (`templates` or the folder).
    source: String,
    /// Where each registered template came from: `(origin, name)`.
    owners: Vec<(String, String)>,
    /// The partials of the registered templates: the templates themselves
    /// and their inline partials, checked free of cycles.
    defs: Vec<Def>,
}

impl std::fmt::Debug for TextEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TextEngine")
            .field("source", &self.source)
            .finish()
    }
}

static EMBEDDED_ENGINE: LazyLock<TextEngine> = LazyLock::new(|| {
    let templates = EMBEDDED.map(|(name, text)| {
        (
            name.to_string(),
            format!("templates/{name}.hbs"),
            text.to_string(),
        )
    });
    match TextEngine::with_templates("templates", templates.into()) {
        Ok(engine) => engine,
        // The embedded templates are tested to pass; a failure here is a bug.
        Err(e) => panic!("embedded template: {e}"),
    }
});

impl TextEngine {
    /// The engine with the embedded default templates (built once, shared).
    pub fn embedded() -> &'static TextEngine {
        &EMBEDDED_ENGINE
    }

    /// Registers `templates` (`(name, origin, source)`), each checked against
    /// the limits, and checks that no partial includes itself.
    fn with_templates(
        source: &str,
        templates: Vec<(String, String, String)>,
    ) -> Result<TextEngine, TextError> {
        let mut hb = Handlebars::new();
        hb.register_escape_fn(handlebars::no_escape);
        hb.set_strict_mode(true);
        register_helpers(&mut hb);
        hb.register_decorator(STEP, Box::new(Step));
        let mut owners = Vec::with_capacity(templates.len());
        let mut defs = Vec::new();
        for (name, origin, text) in templates {
            let owner = owners.len();
            let template = prepare(&text, Some(name.as_str()), owner, &mut defs)
                .map_err(|f| f.into_error(&origin, &name))?;
            hb.register_template(&name, template);
            owners.push((origin, name));
        }
        let roots: Vec<usize> = (0..defs.len()).collect();
        if let Err(trouble) = check_partials(&defs, &roots) {
            let owner = defs[trouble.def].owner;
            let (origin, name) = &owners[owner];
            return Err(trouble.flaw(&defs, owner).into_error(origin, name));
        }
        Ok(TextEngine {
            hb,
            source: source.to_string(),
            owners,
            defs,
        })
    }

    /// The embedded templates, with every `<name>.hbs` of `dir` replacing the
    /// template of that name. Other `.hbs` files of the folder are registered
    /// too and can be used as partials (`{{> name}}`).
    pub fn from_dir(dir: &Path) -> Result<TextEngine, TextError> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| TextError::Io { path, source }
        };
        let mut templates: Vec<(String, String, String)> = EMBEDDED
            .iter()
            .map(|(name, text)| {
                (
                    name.to_string(),
                    format!("templates/{name}.hbs"),
                    text.to_string(),
                )
            })
            .collect();
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(io(dir))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "hbs") && p.is_file())
            .collect();
        if files.len() > MAX_TEMPLATE_FILES {
            return Err(TextError::Template {
                origin: dir.display().to_string(),
                block: String::new(),
                line: None,
                column: None,
                message: format!(
                    "模板文件夹有 {} 个 .hbs 文件，超过上限 {MAX_TEMPLATE_FILES} 个",
                    files.len()
                ),
            });
        }
        files.sort();
        for path in files {
            let Some(name) = path
                .file_stem()
                .and_then(|s| s.to_str())
                .map(str::to_string)
            else {
                continue;
            };
            let text = read_template(&path).map_err(io(&path))?;
            let origin = path.display().to_string();
            match templates.iter_mut().find(|(n, _, _)| *n == name) {
                Some(slot) => *slot = (name, origin, text),
                None => templates.push((name, origin, text)),
            }
        }
        TextEngine::with_templates(&dir.display().to_string(), templates)
    }

    /// Renders every block of `report`: the input's `[text]` block when given,
    /// else the template. Each block is split into paragraphs at blank lines.
    pub fn render_all(&self, report: &Report) -> Result<Blocks, TextError> {
        // `Context::from` takes the value as it is (`wraps` would copy it).
        let ctx = Context::from(context(report));
        let mut blocks = Vec::with_capacity(TEMPLATE_NAMES.len());
        for name in TEMPLATE_NAMES {
            let given = report.text.get(name);
            let (origin, rendered) = match given {
                // No `{{`: plain text, nothing for handlebars to do.
                Some(src) if !src.contains("{{") => (format!("text.{name}"), Ok(src.to_string())),
                Some(src) => (format!("text.{name}"), self.render_source(src, &ctx)),
                None => (
                    self.origin(name),
                    match self.hb.get_template(name) {
                        Some(t) => run(&self.hb, t, &ctx),
                        None => Err(Flaw::new(format!("没有名为 {name} 的模板"))),
                    },
                ),
            };
            let text = rendered.map_err(|f| f.into_error(&origin, name))?;
            if let Some(c) = text.chars().find(|&c| !is_xml_char(c)) {
                return Err(TextError::ForbiddenChar {
                    origin,
                    block: name.to_string(),
                    code: c as u32,
                });
            }
            blocks.push((name, paragraphs(&text)));
        }
        // 六 as written (the clerk's, or a folder's template) that speaks of
        // the fee already: the generated sentence would repeat or contradict it.
        // And no `[processing_fees]`: no data to write the sentence from
        // (`check` warns, R10, unless 六 speaks of the fee).
        let other = blocks.iter().find(|(n, _)| *n == OTHER_MATTERS);
        if report.processing_fees.is_none()
            || other.is_some_and(|(_, p)| p.iter().any(|p| mentions_fees(p)))
        {
            for (n, p) in &mut blocks {
                if *n == PROCESSING_FEES {
                    p.clear();
                }
            }
        }
        Ok(Blocks { blocks })
    }

    /// Whether block `name` renders, when the input leaves it empty, from
    /// the embedded default template (not one of a `--templates` folder).
    pub fn is_builtin(&self, name: &str) -> bool {
        self.origin(name) == format!("templates/{name}.hbs")
    }

    /// Where the registered template `name` came from.
    fn origin(&self, name: &str) -> String {
        self.owners
            .iter()
            .find(|(_, n)| n == name)
            .map_or_else(|| format!("{}/{name}.hbs", self.source), |(o, _)| o.clone())
    }

    /// Checks, compiles and renders `src`, a block of the input.
    fn render_source(&self, src: &str, ctx: &Context) -> Result<String, Flaw> {
        let owner = self.owners.len();
        let root = self.defs.len();
        let mut own = Vec::new();
        let template = prepare(src, None, owner, &mut own)?;
        // Only a block that includes partials can run into a cycle: its own
        // inline partials may close one through the registered templates.
        if own.len() > 1 || own.iter().any(|d| !d.calls.is_empty()) {
            let mut defs = self.defs.clone();
            defs.extend(own);
            check_partials(&defs, &[root]).map_err(|t| t.flaw(&defs, owner))?;
        }
        run(&self.hb, &template, ctx)
    }
}

/// A template file's text, refused when longer than [`MAX_TEMPLATE_BYTES`].
fn read_template(path: &Path) -> std::io::Result<String> {
    let file = std::fs::File::open(path)?;
    let mut text = String::new();
    file.take(MAX_TEMPLATE_BYTES as u64 + 1)
        .read_to_string(&mut text)?;
    if text.len() > MAX_TEMPLATE_BYTES {
        return Err(std::io::ErrorKind::FileTooLarge.into());
    }
    Ok(text)
}

/// The block of 六 that follows the fee sentence.
const OTHER_MATTERS: &str = "other_matters";

// ---------------------------------------------------------------------------
// Checking a template before it runs

/// A partial as `{{> name}}` finds it: a registered template, an inline
/// partial (`{{#*inline "name"}}`), or (without a name) a block of the input.
#[derive(Debug, Clone)]
struct Def {
    name: Option<String>,
    /// Which template holds it (an index into the engine's owners; one past
    /// them for a block of the input).
    owner: usize,
    /// The deepest nesting inside it, partials not followed.
    depth: usize,
    /// The partials it includes.
    calls: Vec<Call>,
}

/// One `{{> name}}`.
#[derive(Debug, Clone)]
struct Call {
    name: String,
    /// The nesting around it.
    depth: usize,
    at: Option<TemplateMapping>,
}

/// Checks `src` against the limits, compiles it, records its partial
/// definitions in `defs` (the template itself first) and instruments it to
/// count its steps.
///
/// The handlebars parser recurses once per level of nesting, a few KB of
/// stack each: a template with more than [`INLINE_OPENERS`] openers is parsed
/// on a thread of its own with a stack that [`MAX_OPENERS`] levels cannot
/// exhaust, so the caller's stack (2 MB on a worker thread) is never at risk.
/// Only a template nested at most [`MAX_DEPTH`] deep comes back from there.
fn prepare(
    src: &str,
    name: Option<&str>,
    owner: usize,
    defs: &mut Vec<Def>,
) -> Result<Template, Flaw> {
    if src.len() > MAX_TEMPLATE_BYTES {
        return Err(Flaw::new(format!(
            "模板长 {} 字节，超过上限 {MAX_TEMPLATE_BYTES} 字节",
            src.len()
        )));
    }
    let openers = src
        .bytes()
        .filter(|b| matches!(b, b'{' | b'(' | b'['))
        .count();
    if openers > MAX_OPENERS {
        return Err(Flaw::new(format!(
            "模板过于复杂：“{{”“(”“[”共 {openers} 个，超过上限 {MAX_OPENERS} 个"
        )));
    }
    let job = || {
        let mut own = Vec::new();
        // Handlebars is a third party: a panic in it is this template's error.
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            compile_checked(src, name, owner, &mut own)
        }))
        .unwrap_or_else(|_| Err(Flaw::new("解析模板时 handlebars 内部出错".to_string())))
        .map(|t| (t, own))
    };
    let (template, own) = if openers <= INLINE_OPENERS {
        job()?
    } else {
        std::thread::scope(|scope| {
            std::thread::Builder::new()
                .name("nianbao-template".to_string())
                .stack_size(PARSE_STACK)
                .spawn_scoped(scope, job)
                .map_err(|_| Flaw::new("无法启动解析模板的线程".to_string()))?
                .join()
                .unwrap_or_else(|_| Err(Flaw::new("解析模板时内部出错".to_string())))
        })?
    };
    defs.extend(own);
    Ok(template)
}

fn compile_checked(
    src: &str,
    name: Option<&str>,
    owner: usize,
    defs: &mut Vec<Def>,
) -> Result<Template, Flaw> {
    let compiled = match name {
        Some(n) => Template::compile_with_name(src, n.to_string()),
        None => Template::compile(src),
    };
    let mut template = compiled.map_err(|e| syntax_flaw(&e))?;
    let root = defs.len();
    defs.push(Def {
        name: name.map(str::to_string),
        owner,
        depth: 0,
        calls: Vec::new(),
    });
    collect(&template, root, 0, owner, defs, None)?;
    instrument(&mut template, None);
    Ok(template)
}

fn too_deep(at: Option<&TemplateMapping>) -> Flaw {
    Flaw::at(at, format!("块、子表达式和模板片段嵌套超过 {MAX_DEPTH} 层"))
}

/// Walks `t`, a body of definition `def` at nesting `depth`: records the
/// partials it includes and its inline partials, and refuses what cannot be
/// bounded (dynamic partial names, partial blocks) and nesting beyond
/// [`MAX_DEPTH`].
fn collect(
    t: &Template,
    def: usize,
    depth: usize,
    owner: usize,
    defs: &mut Vec<Def>,
    around: Option<&TemplateMapping>,
) -> Result<(), Flaw> {
    if depth > MAX_DEPTH {
        return Err(too_deep(around));
    }
    for (i, element) in t.elements.iter().enumerate() {
        // An `{{else if}}` body has no positions of its own: use the block's.
        let at = t.mapping.get(i).or(around);
        let nested = |extra: usize| {
            let d = depth + extra;
            if d > MAX_DEPTH {
                Err(too_deep(at))
            } else {
                Ok(d)
            }
        };
        match element {
            TemplateElement::Expression(ht) | TemplateElement::HtmlExpression(ht) => {
                let d = nested(helper_depth(ht).ok_or_else(|| too_deep(at))?)?;
                defs[def].depth = defs[def].depth.max(d);
            }
            TemplateElement::HelperBlock(ht) => {
                let d = nested(helper_depth(ht).ok_or_else(|| too_deep(at))?)?;
                defs[def].depth = defs[def].depth.max(d);
                let inner = nested(1)?;
                for body in [&ht.template, &ht.inverse].into_iter().flatten() {
                    collect(body, def, inner, owner, defs, at)?;
                }
            }
            TemplateElement::DecoratorExpression(dt) => {
                let d = nested(decorator_depth(dt).ok_or_else(|| too_deep(at))?)?;
                defs[def].depth = defs[def].depth.max(d);
            }
            TemplateElement::DecoratorBlock(dt) if dt.name.as_name() == Some("inline") => {
                let Some(Parameter::Literal(Json::String(name))) = dt.params.first() else {
                    return Err(Flaw::at(
                        at,
                        "{{#*inline}} 的片段名必须是写定的带引号名称，如 {{#*inline \"结尾\"}}"
                            .to_string(),
                    ));
                };
                // The body runs where the partial is included: its nesting
                // starts there.
                let inline = defs.len();
                defs.push(Def {
                    name: Some(name.clone()),
                    owner,
                    depth: 0,
                    calls: Vec::new(),
                });
                if let Some(body) = &dt.template {
                    collect(body, inline, 0, owner, defs, at)?;
                }
            }
            TemplateElement::DecoratorBlock(dt) => {
                let d = nested(decorator_depth(dt).ok_or_else(|| too_deep(at))?)?;
                defs[def].depth = defs[def].depth.max(d);
                if let Some(body) = &dt.template {
                    collect(body, def, nested(1)?, owner, defs, at)?;
                }
            }
            TemplateElement::PartialExpression(dt) => {
                let name = partial_name(&dt.name).map_err(|m| Flaw::at(at, m))?;
                let d = nested(decorator_depth(dt).ok_or_else(|| too_deep(at))?)?;
                defs[def].depth = defs[def].depth.max(d);
                defs[def].calls.push(Call {
                    name,
                    depth,
                    at: at.cloned(),
                });
            }
            TemplateElement::PartialBlock(dt) => {
                let name = short(dt.name.as_name().unwrap_or("…"));
                return Err(Flaw::at(
                    at,
                    format!(
                        "不支持带内容的模板片段 {{{{#> {name}}}}}…{{{{/{name}}}}}，请改用 {{{{> {name}}}}}"
                    ),
                ));
            }
            _ => {}
        }
    }
    Ok(())
}

/// The name a partial is included by, when it is written out.
fn partial_name(p: &Parameter) -> Result<String, String> {
    // As handlebars reads it: a name or path as written, a literal rendered.
    let name = match (p, p.as_name()) {
        (Parameter::Literal(j), _) => j.render(),
        (_, Some(n)) => n.to_string(),
        _ => {
            return Err("模板片段名必须写定，不支持 {{> (…)}} 这样运行时才算出的名称".to_string());
        }
    };
    if name == "@partial-block" {
        return Err("不支持 {{> @partial-block}}".to_string());
    }
    Ok(name)
}

/// How deep the parameters of a mustache nest (1 for `{{x}}`); `None` beyond
/// [`MAX_DEPTH`].
fn helper_depth(ht: &HelperTemplate) -> Option<usize> {
    params_depth(
        std::iter::once(&ht.name)
            .chain(&ht.params)
            .chain(ht.hash.values()),
        0,
    )
}

fn decorator_depth(dt: &DecoratorTemplate) -> Option<usize> {
    params_depth(
        std::iter::once(&dt.name)
            .chain(&dt.params)
            .chain(dt.hash.values()),
        0,
    )
}

fn params_depth<'a>(params: impl Iterator<Item = &'a Parameter>, level: usize) -> Option<usize> {
    if level > MAX_DEPTH {
        return None;
    }
    let mut deepest = 1;
    for p in params {
        let d = match p {
            Parameter::Subexpression(s) => match s.element.as_ref() {
                TemplateElement::Expression(ht) | TemplateElement::HelperBlock(ht) => {
                    1 + params_depth(
                        std::iter::once(&ht.name)
                            .chain(&ht.params)
                            .chain(ht.hash.values()),
                        level + 1,
                    )?
                }
                _ => 2,
            },
            Parameter::Literal(j) => json_depth(j, level)?,
            _ => 1,
        };
        deepest = deepest.max(d);
    }
    (level + deepest <= MAX_DEPTH + 1).then_some(deepest)
}

fn json_depth(j: &Json, level: usize) -> Option<usize> {
    if level > MAX_DEPTH {
        return None;
    }
    let children: Box<dyn Iterator<Item = &Json>> = match j {
        Json::Array(a) => Box::new(a.iter()),
        Json::Object(o) => Box::new(o.values()),
        _ => return Some(1),
    };
    let mut deepest = 0;
    for c in children {
        deepest = deepest.max(json_depth(c, level + 1)?);
    }
    Some(1 + deepest)
}

/// Why the partials cannot run: a cycle or nesting beyond [`MAX_DEPTH`].
struct Trouble {
    /// The definition to blame (the owner of the message, in a folder).
    def: usize,
    /// The names along the cycle, the first repeated at the end; empty when
    /// the nesting is too deep.
    cycle: Vec<String>,
}

impl Trouble {
    /// The message, placed at the first call on the cycle written in `owner`.
    fn flaw(&self, defs: &[Def], owner: usize) -> Flaw {
        if self.cycle.is_empty() {
            let d = &defs[self.def];
            let at = d
                .calls
                .iter()
                .find_map(|c| c.at.as_ref())
                .filter(|_| d.owner == owner);
            return too_deep(at);
        }
        let at = self.cycle.windows(2).find_map(|w| {
            defs.iter()
                .filter(|d| d.owner == owner && d.name.as_deref() == Some(w[0].as_str()))
                .flat_map(|d| &d.calls)
                .find(|c| c.name == w[1])
                .and_then(|c| c.at.as_ref())
        });
        Flaw::at(
            at,
            format!("模板片段递归引用了自身（{}）", path(&self.cycle)),
        )
    }
}

/// Checks that no partial reachable from `roots` includes itself, directly
/// or through others, and that nesting through partials stays within
/// [`MAX_DEPTH`].
///
/// `{{> name}}` may find any definition of that name (an inline partial is
/// seen by every partial included below it), so the definitions of one name
/// are taken together: one node per name, calling what any of them calls, as
/// deep as the deepest. The work is linear in the calls.
fn check_partials(defs: &[Def], roots: &[usize]) -> Result<(), Trouble> {
    // Nodes: one per name, one per unnamed root.
    let mut node_of_name: HashMap<&str, usize> = HashMap::new();
    let mut node_of_def = Vec::with_capacity(defs.len());
    let mut first_def: Vec<usize> = Vec::new();
    for (i, d) in defs.iter().enumerate() {
        let node = match &d.name {
            Some(n) => *node_of_name.entry(n.as_str()).or_insert_with(|| {
                first_def.push(i);
                first_def.len() - 1
            }),
            None => {
                first_def.push(i);
                first_def.len() - 1
            }
        };
        node_of_def.push(node);
    }
    let nodes = first_def.len();
    let mut depth = vec![0usize; nodes];
    // For each node, the nodes it includes with the deepest nesting around
    // the inclusion.
    let mut edges: Vec<HashMap<usize, usize>> = vec![HashMap::new(); nodes];
    for (i, d) in defs.iter().enumerate() {
        let node = node_of_def[i];
        depth[node] = depth[node].max(d.depth);
        for c in &d.calls {
            if let Some(&target) = node_of_name.get(c.name.as_str()) {
                let around = edges[node].entry(target).or_insert(0);
                *around = (*around).max(c.depth);
            }
        }
    }
    let edges: Vec<Vec<(usize, usize)>> = edges
        .into_iter()
        .map(|m| {
            let mut v: Vec<(usize, usize)> = m.into_iter().collect();
            v.sort_unstable();
            v
        })
        .collect();
    let label = |node: usize| {
        defs[first_def[node]]
            .name
            .clone()
            .unwrap_or_else(|| "（本段）".to_string())
    };
    const NEW: u8 = 0;
    const OPEN: u8 = 1;
    const DONE: u8 = 2;
    let mut state = vec![NEW; nodes];
    // How deep each node nests, partials followed.
    let mut total = depth.clone();
    for &root in roots {
        let root = node_of_def[root];
        if state[root] != NEW {
            continue;
        }
        // Depth-first without recursion: (node, next edge).
        let mut stack: Vec<(usize, usize)> = vec![(root, 0)];
        state[root] = OPEN;
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            let Some(&(target, around)) = edges[node].get(*next) else {
                state[node] = DONE;
                stack.pop();
                continue;
            };
            match state[target] {
                OPEN => {
                    let from = stack.iter().position(|f| f.0 == target).unwrap_or(0);
                    let mut cycle: Vec<String> = stack[from..].iter().map(|f| label(f.0)).collect();
                    cycle.push(label(target));
                    return Err(Trouble {
                        def: first_def[target],
                        cycle,
                    });
                }
                NEW => {
                    state[target] = OPEN;
                    stack.push((target, 0));
                }
                _ => {
                    *next += 1;
                    total[node] = total[node].max(around + 1 + total[target]);
                    if total[node] > MAX_DEPTH {
                        return Err(Trouble {
                            def: first_def[node],
                            cycle: Vec::new(),
                        });
                    }
                }
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Running a template within bounds

/// The decorator every template body starts with (see [`instrument`]).
const STEP: &str = "nianbao_step";

thread_local! {
    /// Steps left for the block being rendered on this thread.
    static STEPS_LEFT: Cell<u64> = const { Cell::new(u64::MAX) };
}

/// Counts the steps of one body: its parameter is the body's weight.
struct Step;

impl DecoratorDef for Step {
    fn call<'reg: 'rc, 'rc>(
        &'reg self,
        d: &Decorator<'rc>,
        _: &'reg Handlebars<'reg>,
        _: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
    ) -> Result<(), RenderError> {
        let weight = d.param(0).and_then(|p| p.value().as_u64()).unwrap_or(1);
        STEPS_LEFT.with(|left| match left.get().checked_sub(weight) {
            Some(rest) => {
                left.set(rest);
                Ok(())
            }
            None => {
                left.set(0);
                Err(RenderErrorReason::Other(format!(
                    "模板运算超过 {MAX_STEPS} 步上限（循环嵌套过多？），已停止"
                ))
                .into())
            }
        })
    }
}

/// Puts `{{*nianbao_step N}}` at the start of `t` and of every body inside
/// it, N being what rendering that body once costs: one plus one per element
/// and parameter. A body rendered once per `{{#each}}` item or per inclusion
/// pays each time, so the work of a block is bounded by [`MAX_STEPS`]
/// whatever the nesting.
fn instrument(t: &mut Template, at: Option<TemplateMapping>) {
    let mut weight: u64 = 1;
    for (i, element) in t.elements.iter_mut().enumerate() {
        let here = t.mapping.get(i).cloned().or_else(|| at.clone());
        weight += element_weight(element);
        match element {
            TemplateElement::HelperBlock(ht) => {
                for body in [&mut ht.template, &mut ht.inverse].into_iter().flatten() {
                    instrument(body, here.clone());
                }
            }
            TemplateElement::DecoratorBlock(dt) | TemplateElement::PartialBlock(dt) => {
                if let Some(body) = &mut dt.template {
                    instrument(body, here);
                }
            }
            _ => {}
        }
    }
    // `mapping[i]` is where element `i` starts: keep them in step.
    let aligned = t.mapping.len() == t.elements.len();
    t.elements.insert(0, step_element(weight));
    if aligned && let Some(m) = at.or_else(|| t.mapping.first().cloned()) {
        t.mapping.insert(0, m);
    }
}

fn element_weight(e: &TemplateElement) -> u64 {
    match e {
        TemplateElement::Expression(ht)
        | TemplateElement::HtmlExpression(ht)
        | TemplateElement::HelperBlock(ht) => helper_weight(ht),
        TemplateElement::PartialExpression(dt) | TemplateElement::PartialBlock(dt) => {
            PARTIAL_WEIGHT
                + dt.params
                    .iter()
                    .chain(dt.hash.values())
                    .map(param_weight)
                    .sum::<u64>()
        }
        TemplateElement::DecoratorExpression(dt) | TemplateElement::DecoratorBlock(dt) => {
            1 + dt
                .params
                .iter()
                .chain(dt.hash.values())
                .map(param_weight)
                .sum::<u64>()
        }
        _ => 1,
    }
}

fn helper_weight(ht: &HelperTemplate) -> u64 {
    1 + std::iter::once(&ht.name)
        .chain(&ht.params)
        .chain(ht.hash.values())
        .map(param_weight)
        .sum::<u64>()
}

fn param_weight(p: &Parameter) -> u64 {
    match p {
        Parameter::Subexpression(s) => element_weight(&s.element),
        Parameter::Literal(j) => json_weight(j),
        _ => 1,
    }
}

fn json_weight(j: &Json) -> u64 {
    match j {
        Json::Array(a) => 1 + a.iter().map(json_weight).sum::<u64>(),
        Json::Object(o) => 1 + o.values().map(json_weight).sum::<u64>(),
        _ => 1,
    }
}

/// `{{*nianbao_step weight}}`.
fn step_element(weight: u64) -> TemplateElement {
    static STEP_ELEMENT: LazyLock<Option<TemplateElement>> = LazyLock::new(|| {
        Template::compile(&format!("{{{{*{STEP} 1}}}}"))
            .ok()
            .and_then(|t| t.elements.into_iter().next())
    });
    let mut element = STEP_ELEMENT
        .clone()
        .unwrap_or(TemplateElement::Comment(String::new()));
    if let TemplateElement::DecoratorExpression(dt) = &mut element
        && let Some(p) = dt.params.first_mut()
    {
        *p = Parameter::Literal(json!(weight));
    }
    element
}

/// Collects what a template renders, refusing more than [`MAX_OUTPUT_BYTES`].
#[derive(Default)]
struct Capped {
    text: String,
    full: bool,
}

impl Output for Capped {
    fn write(&mut self, seg: &str) -> std::io::Result<()> {
        if self.text.len() + seg.len() > MAX_OUTPUT_BYTES {
            self.full = true;
            return Err(std::io::Error::other("output limit"));
        }
        self.text.push_str(seg);
        Ok(())
    }
}

/// Renders a prepared template within [`MAX_STEPS`] and [`MAX_OUTPUT_BYTES`].
fn run(hb: &Handlebars<'static>, t: &Template, ctx: &Context) -> Result<String, Flaw> {
    let mut out = Capped::default();
    let mut rc = RenderContext::new(t.name.as_ref());
    STEPS_LEFT.with(|left| left.set(MAX_STEPS));
    // Handlebars is a third party: a panic in it is this block's error.
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        t.render(hb, ctx, &mut rc, &mut out)
    }))
    .unwrap_or_else(|_| {
        Err(RenderErrorReason::Other("渲染模板时 handlebars 内部出错".to_string()).into())
    });
    STEPS_LEFT.with(|left| left.set(u64::MAX));
    match result {
        Ok(()) => Ok(out.text),
        Err(e) if out.full => Err(Flaw {
            line: e.line_no,
            column: e.column_no,
            message: format!(
                "生成的文字超过 {MAX_OUTPUT_BYTES} 字节上限（循环或重复过多？），已停止"
            ),
        }),
        Err(e) => Err(render_flaw(&e)),
    }
}

// ---------------------------------------------------------------------------
// Handlebars' errors in Chinese

/// A name or text from a template, cut to 40 characters for a message.
fn short(s: &str) -> String {
    match s.char_indices().nth(40) {
        Some((end, _)) => format!("{}…", &s[..end]),
        None => s.to_string(),
    }
}

/// A cycle of partial names for a message, at most 12 of them.
fn path(names: &[String]) -> String {
    let mut shown: Vec<String> = names.iter().take(12).map(|n| short(n)).collect();
    if names.len() > 12 {
        shown.insert(11, "…".to_string());
        shown.truncate(12);
        if let Some(last) = names.last() {
            shown.push(short(last));
        }
    }
    shown.join(" → ")
}

fn syntax_flaw(e: &TemplateError) -> Flaw {
    let reason = match e.reason() {
        TemplateErrorReason::MismatchingClosedHelper(open, close) => {
            let (open, close) = (short(open), short(close));
            format!("{{{{#{open}}}}} 却以 {{{{/{close}}}}} 结束，前后名称不一致")
        }
        TemplateErrorReason::MismatchingClosedDecorator(open, close) => {
            let (open, close) = (short(open), short(close));
            format!("{{{{#*{open}}}}} 却以 {{{{/{close}}}}} 结束，前后名称不一致")
        }
        TemplateErrorReason::InvalidSyntax(m) => syntax_hint(m),
        TemplateErrorReason::InvalidParam(p) => format!("无法识别的参数 {}", short(p)),
        TemplateErrorReason::NestedSubexpression => "子表达式嵌套的写法不对".to_string(),
        _ => "无法解析".to_string(),
    };
    let (line, column) = e.pos().map_or((None, None), |(l, c)| (Some(l), Some(c)));
    Flaw {
        line,
        column,
        message: format!("模板语法错误：{reason}"),
    }
}

/// A short Chinese reason for the parser's list of what it expected.
fn syntax_hint(expected: &str) -> String {
    let ends = [
        "helper_block_end",
        "decorator_block_end",
        "partial_block_end",
        "raw_block_end",
    ];
    if ends.iter().any(|e| expected.contains(e)) {
        "块没有结束：缺少与 {{#…}} 对应的 {{/…}}".to_string()
    } else if expected.contains("EOI") {
        "多余的 {{/…}} 或 {{else}}，或 {{ 与 }} 不成对".to_string()
    } else {
        "无法识别这里的 {{…}}：检查 {{ 与 }}、括号和引号是否成对".to_string()
    }
}

fn render_flaw(e: &RenderError) -> Flaw {
    if let RenderErrorReason::TemplateError(t) = e.reason() {
        return syntax_flaw(t);
    }
    let message = match e.reason() {
        RenderErrorReason::MissingVariable(Some(v)) => {
            format!("变量 {} 不存在（变量名见 README 的“模板变量”）", short(v))
        }
        RenderErrorReason::MissingVariable(None) => "变量不存在".to_string(),
        RenderErrorReason::HelperNotFound(h) => match h.as_str() {
            "ge" => "没有名为 ge 的辅助函数（大于等于请用 gte）".to_string(),
            "le" => "没有名为 le 的辅助函数（小于等于请用 lte）".to_string(),
            "zero" => "没有名为 zero 的辅助函数（请用 (eq 值 0)）".to_string(),
            _ => format!("没有名为 {} 的辅助函数", short(h)),
        },
        RenderErrorReason::PartialNotFound(p) => format!("没有名为 {} 的模板片段", short(p)),
        RenderErrorReason::TemplateNotFound(p) => format!("没有名为 {} 的模板", short(p)),
        RenderErrorReason::PartialBlockNotFound => "没有可用的 @partial-block".to_string(),
        RenderErrorReason::CannotIncludeSelf => "模板片段递归引用了自身".to_string(),
        RenderErrorReason::DecoratorNotFound(d) => {
            format!("没有名为 {} 的修饰器（{{{{*…}}}}）", short(d))
        }
        RenderErrorReason::ParamNotFoundForIndex(h, i) => {
            format!("{h} 的第 {} 个参数缺少或变量不存在", i + 1)
        }
        RenderErrorReason::ParamNotFoundForName(h, n) => format!("{h} 缺少参数 {}", short(n)),
        RenderErrorReason::ParamTypeMismatchForName(h, n, _)
        | RenderErrorReason::HashTypeMismatchForName(h, n, _) => {
            format!("{h} 的参数 {} 类型不对", short(n))
        }
        RenderErrorReason::InvalidParamType(_) => "参数类型不对".to_string(),
        RenderErrorReason::BlockContentRequired => "这里需要块的写法 {{#…}}…{{/…}}".to_string(),
        RenderErrorReason::InvalidJsonPath(p) => format!("变量路径 {} 写法不对", short(p)),
        RenderErrorReason::InvalidJsonIndex(p) => format!("变量路径 {} 的下标不对", short(p)),
        RenderErrorReason::InvalidLoggingLevel(l) => format!("log 的级别 {} 不存在", short(l)),
        // Our own helpers and the step counter speak Chinese already.
        RenderErrorReason::Other(m) => m.clone(),
        _ => "模板渲染失败".to_string(),
    };
    Flaw {
        line: e.line_no,
        column: e.column_no,
        message,
    }
}

/// Splits rendered text into paragraphs at blank lines. Lines inside a
/// paragraph are joined (without a space between two CJK characters).
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
pub fn chinese_year(year: u64) -> String {
    year.to_string()
        .bytes()
        .map(|b| DIGITS[usize::from(b - b'0')])
        .collect()
}

/// A count in words: `3` → `三`, `10` → `十`, `110` → `一百一十`, `10305` → `一万零三百零五`.
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

/// An amount in 元 as the report prints it: two decimals (`4200.00`,
/// `96171.60`), as the workbook's cells show it (`0.00`).
fn yuan(a: crate::model::Yuan) -> String {
    format!("{:.2}", a.value())
}

/// The data every template sees: the whole report with computed totals.
///
/// - `agency`, `short_name` (简称 or the full name), `government` (the
///   agency is a 人民政府: 条例第五十条第四项 asks more of its report), `year`, `next_year`,
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
///   and `.notices_amount_text`, `.collected_text` (two decimals, for printing).
pub fn context(report: &Report) -> Json {
    // Zeros when `[processing_fees]` is absent; the fee sentence is left
    // out then (`render_all`), so the zeros never reach the text unasked.
    let fees = report.fees();
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
        "government": report.is_government(),
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
            "notices": fees.notices,
            "notices_amount": amount(fees.notices_amount),
            "notices_amount_text": yuan(fees.notices_amount),
            "collected": amount(fees.collected),
            "collected_text": yuan(fees.collected),
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
        let blocks = TextEngine::embedded()
            .render_all(&report("[processing_fees]\n"))
            .unwrap();
        for name in TEMPLATE_NAMES {
            assert!(!blocks.get(name).is_empty(), "{name} is empty");
        }
        assert_eq!(
            blocks.get(PROCESSING_FEES),
            ["本年度，本机关未发出信息处理费收费通知，未收取信息处理费。"]
        );
        // Without [processing_fees] nothing is said from invented zeros.
        let blocks = TextEngine::embedded().render_all(&report("")).unwrap();
        assert!(blocks.get(PROCESSING_FEES).is_empty());
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
        // Two decimals, as the workbook shows them (0.00).
        assert!(text.contains("300.00元"), "{text}");
        assert!(text.contains("200.50元"), "{text}");
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
        // 元 amounts print with two decimals, as the workbook shows them.
        assert_eq!(blocks.get("overview"), ["abcdef 0.000001 96171.60 300.00"]);
        let c = context(&r);
        assert_eq!(c["processing_fees"]["notices_amount"], 300);
        assert_eq!(c["processing_fees"]["collected"], 96171.6);
        assert_eq!(c["active"]["fees_text"], "0.000001");

        // Our old names are gone, with a pointer to handlebars' own.
        let r = report("[text]\noverview = \"{{#if (ge year 2000)}}y{{/if}}\"\n");
        let err = TextEngine::embedded().render_all(&r).unwrap_err();
        assert!(err.to_string().contains("请用 gte"), "{err}");
    }

    #[test]
    fn every_body_costs_steps_and_the_bound_holds() {
        // A loop over 20-odd rows inside one over the same rows costs about
        // 500 bodies; well inside the bound.
        let r = report(
            "[text]\noverview = \"{{#each applications}}{{#each @root.applications}}.{{/each}}{{/each}}\"\n",
        );
        let blocks = TextEngine::embedded().render_all(&r).unwrap();
        let rows = context(&r)["applications"].as_object().unwrap().len();
        assert_eq!(blocks.get("overview")[0].len(), rows * rows);
        // Three more levels are not.
        let deep = "{{#each @root.applications}}".repeat(5) + &"{{/each}}".repeat(5);
        let r = report(&format!("[text]\noverview = \"{deep}\"\n"));
        let err = TextEngine::embedded().render_all(&r).unwrap_err();
        assert!(err.to_string().contains("步上限"), "{err}");
    }

    #[test]
    fn a_lone_nothing_is_printed_as_written() {
        for written in ["无", "无。", "暂无"] {
            let r = report(&format!("[text]\nother_matters = \"{written}\"\n"));
            let blocks = TextEngine::embedded().render_all(&r).unwrap();
            assert_eq!(blocks.get("other_matters"), [written]);
            let r = report(&format!("[text]\nproblems = \"{written}\"\n"));
            let blocks = TextEngine::embedded().render_all(&r).unwrap();
            assert_eq!(blocks.get("problems"), [written]);
        }
    }

    #[test]
    fn no_fee_sentence_when_six_speaks_of_the_fee() {
        let fees = "[processing_fees]\nnotices = 1\nnotices_amount = 3940\ncollected = 3940\n";
        for six in [
            "本年度收取信息处理费3940元。",
            "本年度未收取信息处理费。",
            "本机关发出收费通知1件。",
        ] {
            let r = report(&format!("{fees}[text]\nother_matters = \"{six}\"\n"));
            let blocks = TextEngine::embedded().render_all(&r).unwrap();
            assert!(blocks.get(PROCESSING_FEES).is_empty(), "{six}");
            assert_eq!(blocks.get("other_matters"), [six]);
        }
        // 六 about something else: the sentence stays.
        let r = report(&format!(
            "{fees}[text]\nother_matters = \"本年度办理人大代表建议2件。\"\n"
        ));
        let blocks = TextEngine::embedded().render_all(&r).unwrap();
        let text = blocks.get(PROCESSING_FEES).join("");
        assert!(text.contains("实际收取信息处理费3940.00元"), "{text}");
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

#[cfg(test)]
mod doc_examples {
    //! The examples of this private module, run as unit tests.

    #[test]
    fn paragraphs() {
        assert_eq!(
            crate::text::paragraphs("第一段\n续写。\n\n  第二段 \n\n\n"),
            vec!["第一段续写。".to_string(), "第二段".to_string()]
        );
    }

    #[test]
    fn chinese_year() {
        assert_eq!(crate::text::chinese_year(2024), "二〇二四");
    }

    #[test]
    fn chinese_number() {
        use crate::text::chinese_number;
        assert_eq!(chinese_number(0), "零");
        assert_eq!(chinese_number(15), "十五");
        assert_eq!(chinese_number(110), "一百一十");
        assert_eq!(chinese_number(10305), "一万零三百零五");
        assert_eq!(chinese_number(200000000), "二亿");
    }

    #[test]
    fn percentage() {
        assert_eq!(crate::text::percentage(1.0, 2.0, 1), "50%");
        assert_eq!(crate::text::percentage(2.0, 3.0, 2), "66.67%");
        assert_eq!(crate::text::percentage(1.0, 0.0, 1), "0%");
    }

    #[test]
    fn context() {
        let report = crate::model::Report::from_toml_str(
            "[report]\nagency = \"某局\"\nyear = 2024\n[applications]\nnew = [1, 2, 0, 0, 0, 0]\n",
            "x.toml",
        )
        .unwrap();
        let c = crate::text::context(&report);
        assert_eq!(c["applications"]["new"]["total"], 3);
        assert_eq!(c["applications"]["new"]["organizations"], 2);
        assert_eq!(c["next_year"], 2025);
    }

    #[test]
    fn the_embedded_templates_are_the_outline_s() {
        let names: Vec<&str> = super::EMBEDDED.iter().map(|(name, _)| *name).collect();
        assert_eq!(names, crate::spec::outline::TEMPLATE_NAMES);
    }
}
