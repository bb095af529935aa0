//! The fuzz entry points, shared by the libFuzzer targets
//! (`fuzz/fuzz_targets/*.rs`, via `#[path]`) and the short stable pass
//! (`tests/fuzz_short.rs`). Each takes any bytes and must return: a panic, an
//! abort, a hang or a huge allocation is a bug. When the library's API moves,
//! this is the one file to adapt.

#![allow(dead_code)] // each fuzz target uses one of the functions

use std::io::{Cursor, Read, Write};
use std::sync::LazyLock;

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipArchive, ZipWriter};

/// The sample report (inputs/butaji-2024.toml).
static SAMPLE: LazyLock<nianbao::model::Report> = LazyLock::new(|| {
    nianbao::model::Report::from_toml_str(
        include_str!("../inputs/butaji-2024.toml"),
        "butaji-2024.toml",
    )
    .expect("the sample input loads")
});

/// What a reader accepted goes on to the rules and both writers, so the
/// writers are fuzzed with every report a reader lets in (rule-breaking ones
/// included: the writers must not panic on them either).
fn check_and_render(report: &nianbao::model::Report, source: &str) {
    let _ = nianbao::check(report);
    // render() writes the DOCX and the XLSX of a report without error
    // findings; the fill-in form takes any numbers, so every accepted report
    // reaches a writer.
    let _ = nianbao::form_bytes(report, Some(source));
    let _ = nianbao::render(report, source, nianbao::Outputs::default());
}

/// TOML input. Non-UTF-8 bytes never reach the parser (the loader refuses them
/// first), so they are skipped rather than made lossy.
pub fn toml(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(report) = nianbao::read_bytes(text.as_bytes(), nianbao::InputKind::Toml, "fuzz.toml")
    {
        check_and_render(&report, "fuzz.toml");
    }
}

/// JSON input, as [`toml`].
pub fn json(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(report) = nianbao::read_bytes(text.as_bytes(), nianbao::InputKind::Json, "fuzz.json")
    {
        check_and_render(&report, "fuzz.json");
    }
}

/// The filled form as raw bytes (mostly exercises the zip container).
pub fn form(data: &[u8]) {
    if let Ok(report) = nianbao::read_form_bytes(data, "fuzz.xlsx") {
        let _ = nianbao::check(&report);
    }
}

/// The entries of the form `nianbao form --from inputs/butaji-2024.toml`
/// writes, sorted by name: the base of [`form_xml`].
pub fn form_entries() -> &'static [(String, Vec<u8>)] {
    static ENTRIES: LazyLock<Vec<(String, Vec<u8>)>> = LazyLock::new(|| {
        let sample = SAMPLE.clone();
        let agency = sample.report.agency.clone();
        let year = sample.report.year.0;
        let report = nianbao::new_report(&agency, year, Some(sample));
        let bytes = nianbao::form_bytes(&report, Some("butaji-2024.toml")).expect("the form");
        let mut zip = ZipArchive::new(Cursor::new(bytes)).expect("the form is a zip");
        let mut entries = Vec::new();
        for i in 0..zip.len() {
            let mut file = zip.by_index(i).expect("an entry");
            let mut content = Vec::new();
            file.read_to_end(&mut content).expect("the entry's bytes");
            entries.push((file.name().to_string(), content));
        }
        entries.sort();
        entries
    });
    &ENTRIES
}

/// The filled form, structure-aware: the first byte picks an entry of the
/// valid form ([`form_entries`]), the rest replaces that entry's bytes, and
/// the form is zipped again (stored) and read. The seeds are the entries
/// themselves, so the mutations land in real sheet XML, not in the zip.
pub fn form_xml(data: &[u8]) {
    let Some((&pick, replacement)) = data.split_first() else {
        return;
    };
    let entries = form_entries();
    let pick = usize::from(pick) % entries.len();
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    let stored = SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
    for (i, (name, content)) in entries.iter().enumerate() {
        let bytes = if i == pick { replacement } else { content };
        if zip.start_file(name.as_str(), stored).is_err() || zip.write_all(bytes).is_err() {
            return;
        }
    }
    let Ok(cursor) = zip.finish() else {
        return;
    };
    form(cursor.get_ref());
}

/// With `NIANBAO_FUZZ_SKIP_KNOWN=1`, [`template`] skips the inputs of the two
/// known template families of issue 8 (self-including partials, nested
/// `{{#each}}`), so that a run finds the bugs past them. Off by default.
static SKIP_KNOWN: LazyLock<bool> =
    LazyLock::new(|| std::env::var_os("NIANBAO_FUZZ_SKIP_KNOWN").is_some_and(|v| v == "1"));

fn known_template_family(template: &str) -> bool {
    template.contains("{{>")
        || template.contains("{{~>")
        || template.contains("{{#>")
        || template.contains("inline")
        || template.matches("#each").count() > 3
}

/// A `[text]` block template: the input becomes `text.other_matters` of the
/// sample report and every block is rendered.
pub fn template(data: &[u8]) {
    let Ok(template) = std::str::from_utf8(data) else {
        return;
    };
    if *SKIP_KNOWN && known_template_family(template) {
        return;
    }
    let mut report = SAMPLE.clone();
    report.text.set("other_matters", Some(template.to_string()));
    let _ = nianbao::TextEngine::embedded().render_all(&report);
}

/// What an import accepted goes where it is used: the summary as printed
/// and next year's form started from it (`form --from`). The import has
/// already checked the report it read back from its own TOML (the `toml`
/// target's ground), so the writers are not run again here: in the debug
/// build they would treble the time per input.
fn after_import(
    result: Result<nianbao::import::Imported, nianbao::import::ImportError>,
    source: &str,
) {
    let Ok(imported) = result else {
        return;
    };
    let _ = imported.summary.to_string();
    let report = imported.report;
    let agency = report.report.agency.clone();
    let year = report.report.year.0.saturating_add(1);
    let next = nianbao::new_report(&agency, year, Some(report));
    let _ = nianbao::form_bytes(&next, Some(source));
}

/// A published Word document, structure-aware: bytes that start as a zip
/// (`PK`) are the whole .docx; any others are its `word/document.xml`,
/// zipped alone (stored) so that the mutations land in the XML.
pub fn import_docx(data: &[u8]) {
    let zipped;
    let docx = if data.starts_with(b"PK") {
        data
    } else {
        let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
        let stored = SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
        if zip.start_file("word/document.xml", stored).is_err() || zip.write_all(data).is_err() {
            return;
        }
        let Ok(cursor) = zip.finish() else {
            return;
        };
        zipped = cursor.into_inner();
        &zipped
    };
    after_import(
        nianbao::import::import_bytes(docx, nianbao::import::ImportKind::Docx, "fuzz.docx"),
        "fuzz.docx",
    );
}

/// A published web page (UTF-8, else GB18030, as the importer reads it).
pub fn import_html(data: &[u8]) {
    after_import(
        nianbao::import::import_bytes(data, nianbao::import::ImportKind::Html, "fuzz.html"),
        "fuzz.html",
    );
}

/// The text of a published report (what `pdftotext -layout` gives).
pub fn import_text(data: &[u8]) {
    after_import(
        nianbao::import::import_bytes(data, nianbao::import::ImportKind::Text, "fuzz.txt"),
        "fuzz.txt",
    );
}
