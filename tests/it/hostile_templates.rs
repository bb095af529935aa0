//! Hostile templates: each family ends in a Chinese error naming the block
//! (and the file), quickly, without overflowing the stack or hanging.
//!
//! The tests run on the test harness's threads (2 MB of stack, like a batch
//! worker), so a template that still recursed deeply would abort the run.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use nianbao::model::Report;
use nianbao::{TextEngine, TextError};

/// A report whose `[text]` block `block` is `src`. Set on the model, not
/// read from TOML, so that templates longer than a text block may hold at
/// load time still reach the template engine's own guards.
fn report_with(block: &str, src: &str) -> Report {
    let toml = "[report]\nagency = \"某县统计局\"\nyear = 2024\n";
    let mut report = Report::from_toml_str(toml, "hostile.toml").unwrap();
    report.text.set(block, Some(src.to_string()));
    report
}

/// Renders `src` as block `block` with `engine`; the error, its message and
/// how long it took.
fn refused_by(engine: &TextEngine, block: &str, src: &str) -> (TextError, String, Duration) {
    let report = report_with(block, src);
    let start = Instant::now();
    let err = match engine.render_all(&report) {
        Ok(_) => panic!("{block}: accepted a hostile template"),
        Err(e) => e,
    };
    let took = start.elapsed();
    let msg = err.to_string();
    assert_eq!(err.block(), block, "{msg}");
    assert!(msg.starts_with(&format!("text.{block}")), "{msg}");
    for english in [
        "Template error",
        "expected",
        "-->",
        "Error rendering",
        "Failed",
    ] {
        assert!(!msg.contains(english), "handlebars' English leaked: {msg}");
    }
    // Generous against a slow debug build on a busy machine; a hang or an
    // exponential blow-up takes minutes.
    assert!(took < Duration::from_secs(5), "{took:?} for {msg}");
    (err, msg, took)
}

fn refused(block: &str, src: &str) -> String {
    refused_by(TextEngine::embedded(), block, src).1
}

fn nested(open: &str, close: &str, levels: usize, inner: &str) -> String {
    format!("{}{inner}{}", open.repeat(levels), close.repeat(levels))
}

// ---------------------------------------------------------------------------
// Family 1: partials that include themselves

#[test]
fn partials_that_include_themselves_are_refused_before_rendering() {
    let msg = refused("overview", r#"{{#*inline "a"}}{{> a}}{{/inline}}{{> a}}"#);
    assert!(msg.contains("递归引用了自身（a → a）"), "{msg}");
    assert!(msg.contains("第 1 行"), "{msg}");

    // Mutual and indirect recursion, inside blocks.
    let msg = refused(
        "problems",
        r#"{{#*inline "a"}}一{{#if year}}{{> b}}{{/if}}{{/inline}}{{#*inline "b"}}{{#each applications}}{{> c}}{{/each}}{{/inline}}{{#*inline "c"}}{{> a}}{{/inline}}{{> a}}"#,
    );
    assert!(msg.contains("a → b → c → a"), "{msg}");

    // A partial block that would include itself: partial blocks are refused.
    let msg = refused("oversight", "{{#> a}}{{> a}}{{/a}}");
    assert!(msg.contains("不支持带内容的模板片段"), "{msg}");

    // A partial whose name is computed at run time cannot be checked.
    let msg = refused("platforms", r#"{{> (lookup this "agency")}}"#);
    assert!(msg.contains("模板片段名必须写定"), "{msg}");

    // Not a cycle: a block of the input may include the default of its name.
    let report = report_with("overview", "前言。{{> overview}}");
    let blocks = TextEngine::embedded().render_all(&report).unwrap();
    assert!(blocks.get("overview")[0].starts_with("前言。2024年"));
}

#[test]
fn template_files_that_include_each_other_are_refused_with_the_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("x.hbs"), "甲{{> y}}").unwrap();
    std::fs::write(dir.path().join("y.hbs"), "乙\n{{#if year}}{{> x}}{{/if}}").unwrap();
    let err = TextEngine::from_dir(dir.path()).unwrap_err();
    let msg = err.to_string();
    let x = dir.path().join("x.hbs").display().to_string();
    assert!(msg.starts_with(&format!("{x} 第 1 行第 2 列：")), "{msg}");
    assert!(msg.contains("模板片段递归引用了自身（x → y → x）"), "{msg}");
    assert_eq!(err.block(), "x");

    // A file including itself, and a block template in the cycle.
    std::fs::remove_file(dir.path().join("y.hbs")).unwrap();
    std::fs::write(dir.path().join("x.hbs"), "{{> x}}").unwrap();
    let msg = TextEngine::from_dir(dir.path()).unwrap_err().to_string();
    assert!(msg.contains("（x → x）"), "{msg}");
    std::fs::write(dir.path().join("x.hbs"), "{{> overview}}").unwrap();
    std::fs::write(dir.path().join("overview.hbs"), "{{> x}}").unwrap();
    let msg = TextEngine::from_dir(dir.path()).unwrap_err().to_string();
    assert!(msg.contains("overview → x → overview"), "{msg}");
}

#[test]
fn the_partial_check_is_linear_in_the_calls() {
    // 50 files, each with 50 inline partials called `a` and 50 calls of
    // `a`: 2,500 definitions that each of 2,500 calls may reach. Taken by
    // name, that is one node and 50 edges, not 6 million.
    let dir = tempfile::tempdir().unwrap();
    let file = r#"{{#*inline "a"}}{{/inline}}"#.repeat(50) + &"{{> a}}".repeat(50);
    for i in 0..50 {
        std::fs::write(dir.path().join(format!("f{i}.hbs")), &file).unwrap();
    }
    let start = Instant::now();
    TextEngine::from_dir(dir.path()).unwrap();
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn a_block_of_the_input_closing_a_cycle_through_a_template_file_is_refused() {
    // `x.hbs` includes a partial it does not define; the input defines it
    // inline as one that includes `x` again.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("x.hbs"), "{{> tail}}").unwrap();
    let engine = TextEngine::from_dir(dir.path()).unwrap();
    let (_, msg, _) = refused_by(
        &engine,
        "improvements",
        r#"{{#*inline "tail"}}{{> x}}{{/inline}}{{> x}}"#,
    );
    assert!(msg.contains("递归引用了自身"), "{msg}");
    assert!(msg.contains("x → tail → x"), "{msg}");
}

// ---------------------------------------------------------------------------
// Family 2: work that grows with nesting

#[test]
fn nested_loops_stop_at_the_step_limit() {
    // Eight nested loops over the table-三 rows: about 20⁸ bodies.
    let src = nested(
        "{{#each @root.applications}}",
        "{{/each}}",
        8,
        "{{@root.agency}}",
    );
    assert!(src.len() < 400);
    let (_, msg, took) = refused_by(TextEngine::embedded(), "on_request", &src);
    assert!(msg.contains("模板运算超过 100000 步上限"), "{msg}");
    assert!(took < Duration::from_secs(2), "{took:?}");

    // The same with nothing inside (no output to count) and through partials
    // that include the next one twice (2³⁰ inclusions, no loop at all).
    refused(
        "on_request",
        &nested("{{#each @root.applications}}", "{{/each}}", 8, ""),
    );
    let mut doubling = String::from(r#"{{#*inline "p0"}}{{/inline}}"#);
    for i in 1..=30 {
        doubling.push_str(&format!(
            "{{{{#*inline \"p{i}\"}}}}{{{{> p{0}}}}}{{{{> p{0}}}}}{{{{/inline}}}}",
            i - 1
        ));
    }
    doubling.push_str("{{> p30}}");
    let msg = refused("management", &doubling);
    assert!(msg.contains("步上限"), "{msg}");

    // `with` and `if` chains nest the same way.
    let msg = refused(
        "management",
        &nested(
            "{{#each @root.applications}}{{#with this}}{{#if total}}",
            "{{/if}}{{/with}}{{/each}}",
            6,
            "x",
        ),
    );
    assert!(msg.contains("步上限"), "{msg}");
}

#[test]
fn output_beyond_the_limit_is_refused() {
    // 30,000 characters repeated in two nested loops: hundreds of MB.
    let src = format!(
        "{{{{#each @root.applications}}}}{{{{#each @root.applications}}}}{}{{{{/each}}}}{{{{/each}}}}",
        "字".repeat(30_000)
    );
    let msg = refused("problems", &src);
    assert!(msg.contains("生成的文字超过 1048576 字节上限"), "{msg}");
}

#[test]
fn deep_and_long_templates_are_refused_before_parsing() {
    // 100,000 nested `{{#if}}`: longer than a template may be.
    let msg = refused("overview", &nested("{{#if year}}", "{{/if}}", 100_000, "x"));
    assert!(msg.contains("超过上限 131072 字节"), "{msg}");
    // 5,000 of them fit in the size but not in the openers.
    let msg = refused("overview", &nested("{{#if year}}", "{{/if}}", 5_000, "x"));
    assert!(msg.contains("超过上限 2000 个"), "{msg}");
    // Within both: parsed on a thread with a large stack, then refused for
    // the nesting (blocks, subexpressions, `{{else if}}` chains).
    for src in [
        nested("{{#if year}}", "{{/if}}", 100, "x"),
        format!(
            "{{{{add {}1{} 1}}}}",
            "(add 1 ".repeat(1_990),
            ")".repeat(1_990)
        ),
        format!(
            "{{{{#if year}}}}a{}{{{{/if}}}}",
            "{{else if year}}b".repeat(100)
        ),
        nested("{{#with this}}", "{{/with}}", 65, "{{year}}"),
    ] {
        let msg = refused("overview", &src);
        assert!(msg.contains("嵌套超过 64 层"), "{msg}");
    }
    // 64 levels are allowed, and render.
    let report = report_with(
        "overview",
        &nested("{{#with this}}", "{{/with}}", 63, "{{year}}"),
    );
    let blocks = TextEngine::embedded().render_all(&report).unwrap();
    assert_eq!(blocks.get("overview"), ["2024"]);
}

// ---------------------------------------------------------------------------
// Handlebars' grammar errors, in Chinese with the position

#[test]
fn grammar_errors_are_chinese_with_block_line_and_column() {
    let msg = refused("problems", "第一行\n{{#if year}}未结束");
    assert!(msg.starts_with("text.problems 第 2 行第 "), "{msg}");
    assert!(msg.contains("模板语法错误：块没有结束"), "{msg}");

    let msg = refused("problems", "{{#if year}}a{{/each}}");
    assert!(
        msg.contains("模板语法错误：{{#if}} 却以 {{/each}} 结束"),
        "{msg}"
    );
    for src in ["a {{year", "{{}}", "a{{/if}}", "{{add \"a 1}}"] {
        let msg = refused("problems", src);
        assert!(msg.contains("第 1 行第 "), "{msg}");
        assert!(msg.contains("模板语法错误："), "{msg}");
    }

    // The same from a template file names the file.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("problems.hbs"), "好\n{{#if year}}").unwrap();
    let msg = TextEngine::from_dir(dir.path()).unwrap_err().to_string();
    let file = dir.path().join("problems.hbs").display().to_string();
    assert!(msg.starts_with(&format!("{file} 第 2 行第 ")), "{msg}");
    assert!(msg.contains("模板语法错误：块没有结束"), "{msg}");
}

#[test]
fn messages_quote_the_template_briefly() {
    // A 40,000-character helper name closed by another.
    let long = "甲".repeat(40_000);
    let msg = refused("problems", &format!("{{{{#{long}}}}}x{{{{/b}}}}"));
    assert!(msg.chars().count() < 200, "{} characters", msg.len());
    assert!(msg.contains("却以 {{/b}} 结束"), "{msg}");
    // A ring of 30 partials: the first eleven, then the last.
    let mut ring = String::new();
    for i in 0..30 {
        ring.push_str(&format!(
            "{{{{#*inline \"p{i}\"}}}}{{{{> p{}}}}}{{{{/inline}}}}",
            (i + 1) % 30
        ));
    }
    ring.push_str("{{> p0}}");
    let msg = refused("problems", &ring);
    assert!(
        msg.contains("（p0 → p1 → p2 → p3 → p4 → p5 → p6 → p7 → p8 → p9 → p10 → … → p0）"),
        "{msg}"
    );
}

// ---------------------------------------------------------------------------
// The process survives

fn nianbao() -> Command {
    Command::new(env!("CARGO_BIN_EXE_nianbao"))
}

fn write_input(dir: &Path, name: &str, block: &str, src: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(
        &path,
        format!(
            "[report]\nagency = \"某县统计局\"\nyear = 2024\n[text]\n{block} = {}\n",
            toml::Value::String(src.to_string())
        ),
    )
    .unwrap();
    path
}

#[test]
fn generate_reports_a_hostile_template_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let recursive = write_input(
        dir.path(),
        "recursive.toml",
        "overview",
        r#"{{#*inline "a"}}{{> a}}{{/inline}}{{> a}}"#,
    );
    let loops = write_input(
        dir.path(),
        "loops.toml",
        "on_request",
        &nested("{{#each @root.applications}}", "{{/each}}", 8, "x"),
    );
    for (input, block, what) in [
        (&recursive, "overview", "递归引用了自身"),
        (&loops, "on_request", "步上限"),
    ] {
        let run = nianbao()
            .arg("generate")
            .arg(input)
            .arg("-o")
            .arg(out.path())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert!(
            matches!(run.status.code(), Some(1 | 2)),
            "{:?}: {stderr}",
            run.status
        );
        let line = stderr
            .lines()
            .find(|l| l.contains(what))
            .unwrap_or_else(|| panic!("no message: {stderr}"));
        assert!(
            line.starts_with(&format!("{}: text.{block}", input.display())),
            "{line}"
        );
        assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 0);
    }

    // A template folder whose files include each other: refused up front.
    let templates = tempfile::tempdir().unwrap();
    std::fs::write(templates.path().join("x.hbs"), "{{> y}}").unwrap();
    std::fs::write(templates.path().join("y.hbs"), "{{> x}}").unwrap();
    let good = write_input(dir.path(), "good.toml", "overview", "正常。");
    let run = nianbao()
        .arg("generate")
        .arg(&good)
        .arg("--templates")
        .arg(templates.path())
        .arg("-o")
        .arg(out.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("x.hbs"), "{stderr}");
    assert!(stderr.contains("（x → y → x）"), "{stderr}");
    assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 0);
}
