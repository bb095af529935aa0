//! Every part of the DOCX validates against the ISO/IEC 29500 transitional
//! schemas (xmllint). When xmllint or the schemas are missing the test fails
//! under CI and prints `SKIPPED (…)` otherwise; CI installs libxml2-utils and
//! has ../shared/ooxml-schemas.

use std::path::Path;
use std::process::Command;

use crate::common::*;

/// The schema for each part we validate (relative to the schema folder).
fn schema_for(part: &str) -> Option<&'static str> {
    let wml = "ISO-IEC29500-4_2016/wml.xsd";
    Some(match part {
        "word/document.xml" | "word/styles.xml" | "word/settings.xml" | "word/fontTable.xml"
        | "word/numbering.xml" | "word/comments.xml" | "word/footnotes.xml" => wml,
        p if p.starts_with("word/footer") && p.ends_with(".xml") => wml,
        "[Content_Types].xml" => "ecma/fouth-edition/opc-contentTypes.xsd",
        p if p.ends_with(".rels") => "ecma/fouth-edition/opc-relationships.xsd",
        "docProps/app.xml" => "ISO-IEC29500-4_2016/shared-documentPropertiesExtended.xsd",
        "docProps/custom.xml" => "ISO-IEC29500-4_2016/shared-documentPropertiesCustom.xsd",
        // docProps/core.xml: the OPC core schema imports xml.xsd over the
        // network and does not compile with --nonet; its content is checked
        // in tests/docx.rs. word/commentsExtended.xml is a w15 (Word 2012) part.
        _ => return None,
    })
}

fn validate(xmllint: &Path, bytes: &[u8], schemas: &Path, label: &str) {
    let dir = tempfile::tempdir().unwrap();
    let mut checked = Vec::new();
    for (name, xml) in unzip(bytes) {
        let Some(schema) = schema_for(&name) else {
            continue;
        };
        let file = dir.path().join(name.replace('/', "_"));
        std::fs::write(&file, xml).unwrap();
        let out = Command::new(xmllint)
            .args(["--noout", "--nonet", "--schema"])
            .arg(schemas.join(schema))
            .arg(&file)
            .output()
            .expect("xmllint runs");
        assert!(
            out.status.success(),
            "{label}: {name} does not validate against {schema}:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        checked.push(name);
    }
    for needed in [
        "word/document.xml",
        "word/styles.xml",
        "word/settings.xml",
        "word/footer1.xml",
        "word/footer2.xml",
    ] {
        assert!(
            checked.iter().any(|c| c == needed),
            "{label}: {needed} not checked"
        );
    }
}

#[test]
fn every_part_validates_against_the_iso_schemas() {
    let Some(xmllint) = tool("xmllint") else {
        return;
    };
    let Some(schemas) = schemas() else {
        return;
    };
    let sample = sample();
    validate(
        &xmllint,
        &crate::common::docx_bytes(&sample),
        &schemas,
        "sample",
    );

    // Everything optional switched on: signature, fees, numbers, odd text.
    let mut full = report(
        "region = \"某县\"\n[processing_fees]\nnotices = 2\nnotices_amount = 300\ncollected = 200\n[active]\nfees = 12.5\n[applications]\nnew = [3, 1, 0, 0, 0, 0]\ngranted = [3, 1, 0, 0, 0, 0]\n[text]\noverview = \"A&B <c> \\\"q\\\" 𠀀\\n\\n第二段\"\n",
    );
    full.report.issued_on = Some("2025-01-20".parse().unwrap());
    validate(
        &xmllint,
        &crate::common::docx_bytes(&full),
        &schemas,
        "full",
    );
}
