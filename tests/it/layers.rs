//! The layers of src/lib.rs hold: every `crate::` path in `src/**/*.rs`
//! points down the list (or within its own module), and the files of one
//! module do not depend on each other in a cycle. The command line
//! (src/main.rs, src/cli/) uses only the public face (`nianbao::`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layers, bottom first. A module may name only modules of a lower rank.
const LAYERS: [(&str, usize); 11] = [
    ("model", 0),
    ("spec", 1),
    ("check", 2),
    ("text", 2),
    ("read", 2),
    ("synthetic", 3),
    ("render", 3),
    ("import", 4),
    ("batch", 5),
    ("store", 4),
    ("serve", 6),
];

fn rank(module: &str) -> Option<usize> {
    LAYERS.iter().find(|(m, _)| *m == module).map(|(_, r)| *r)
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src readable") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The module path of a file under src/, e.g. `render/xlsx.rs` → ["render", "xlsx"].
fn module_path(rel: &Path) -> Vec<String> {
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_string())
        .collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    parts
}

/// Every `crate::a::b` path of the code (comments left out), as ["a", "b"];
/// `crate::{a::x, b}` gives ["a", "x"] and ["b"].
fn crate_paths(code: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for line in code.lines() {
        let line = line.trim_start();
        if line.starts_with("//") {
            continue;
        }
        let mut rest = line;
        while let Some(i) = rest.find("crate::") {
            let before = rest[..i].chars().last();
            rest = &rest[i + "crate::".len()..];
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue; // e.g. `nianbao_crate::`
            }
            if let Some(group) = rest.strip_prefix('{') {
                let end = group.find('}').unwrap_or(group.len());
                for item in group[..end].split(',') {
                    let p = path_words(item.trim());
                    if !p.is_empty() {
                        out.push(p);
                    }
                }
            } else {
                out.push(path_words(rest));
            }
        }
    }
    out
}

fn path_words(s: &str) -> Vec<String> {
    let end = s
        .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
        .unwrap_or(s.len());
    s[..end]
        .split("::")
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

#[test]
fn dependencies_point_down_only() {
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    assert!(files.len() > 20, "found {} files", files.len());
    let mut wrong = Vec::new();
    // Within each module: which of its files name which siblings.
    let mut siblings: BTreeMap<String, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for file in &files {
        let rel = file.strip_prefix(&src).expect("under src");
        let here = module_path(rel);
        let code = std::fs::read_to_string(file).expect("readable");
        let shown = rel.display();
        let top = here.first().map(String::as_str).unwrap_or("");
        if top == "main" || top == "cli" {
            for p in crate_paths(&code) {
                if p.first().map(String::as_str) != Some("cli") {
                    wrong.push(format!(
                        "{shown}: crate::{} (the CLI uses only nianbao::)",
                        p.join("::")
                    ));
                }
            }
            continue;
        }
        if top == "lib" {
            continue; // the root declares and re-exports every module
        }
        let Some(my_rank) = rank(top) else {
            wrong.push(format!("{shown}: module {top} is not in the layer list"));
            continue;
        };
        for p in crate_paths(&code) {
            let Some(target) = p.first() else { continue };
            if target == top {
                if here.len() == 2 && p.len() >= 2 && p[1] != here[1] {
                    siblings
                        .entry(top.to_string())
                        .or_default()
                        .entry(here[1].clone())
                        .or_default()
                        .insert(p[1].clone());
                }
                continue;
            }
            match rank(target) {
                Some(r) if r < my_rank => {}
                Some(_) => wrong.push(format!(
                    "{shown}: crate::{} points up or sideways",
                    p.join("::")
                )),
                None => wrong.push(format!("{shown}: crate::{} is not a layer", p.join("::"))),
            }
        }
    }
    // Cycles among the files of one module.
    for (module, graph) in &siblings {
        for start in graph.keys() {
            let mut seen = BTreeSet::new();
            let mut stack: Vec<&String> = graph[start].iter().collect();
            while let Some(next) = stack.pop() {
                if next == start {
                    wrong.push(format!("{module}: a cycle through {module}::{start}"));
                    break;
                }
                if seen.insert(next.clone())
                    && let Some(more) = graph.get(next)
                {
                    stack.extend(more.iter());
                }
            }
        }
    }
    assert!(wrong.is_empty(), "layer violations:\n{}", wrong.join("\n"));
}

#[test]
fn the_layer_scanner_sees_paths() {
    let code = "use crate::{model::Report, spec::tables};\n// crate::batch in a comment\nlet x = crate::render::xlsx::f();";
    assert_eq!(
        crate_paths(code),
        [
            vec!["model", "Report"],
            vec!["spec", "tables"],
            vec!["render", "xlsx", "f"]
        ]
    );
}
