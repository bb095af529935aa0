//! Agencies: names checked with the model's rules, unique by
//! [`crate::agency_key`] (trimmed, NFC), and the CSV import.

use rusqlite::{Connection, OptionalExtension, Transaction, params};
use serde::Serialize;

use super::error::{ImportProblem, Result, StoreError};
use super::time::Timestamp;
use crate::model::{MAX_NAME_CHARS, forbidden_char};
use crate::render::names::agency_key;

/// An agency (机关) of the county.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Agency {
    /// Its id.
    pub id: i64,
    /// 机关全称, as in its reports.
    pub name: String,
    /// 简称.
    pub short_name: Option<String>,
    /// 所属地区.
    pub region: Option<String>,
}

/// An agency to create.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewAgency {
    /// 机关全称 (required).
    pub name: String,
    /// 简称 (blank: none).
    pub short_name: Option<String>,
    /// 所属地区 (blank: none).
    pub region: Option<String>,
}

impl NewAgency {
    /// An agency with only its full name.
    pub fn named(name: &str) -> NewAgency {
        NewAgency {
            name: name.to_string(),
            ..NewAgency::default()
        }
    }
}

/// A name as the reports hold it: trimmed, not blank, at most
/// [`MAX_NAME_CHARS`] characters, no control character and nothing XML forbids.
pub(crate) fn validate_name(what: &str, name: &str) -> Result<String> {
    let name = name.trim();
    if name.is_empty() {
        return Err(StoreError::Input(format!("{what}不能为空")));
    }
    let chars = name.chars().count();
    if chars > MAX_NAME_CHARS {
        return Err(StoreError::Input(format!(
            "{what}过长：{chars} 个字，上限 {MAX_NAME_CHARS} 个字"
        )));
    }
    if let Some(c) = forbidden_char(name).or_else(|| name.chars().find(|c| c.is_control())) {
        return Err(StoreError::Input(format!(
            "{what}含有不允许的字符 U+{:04X}",
            c as u32
        )));
    }
    Ok(name.to_string())
}

/// An optional name: blank is none.
fn validate_optional(what: &str, value: Option<&str>) -> Result<Option<String>> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => validate_name(what, v).map(Some),
    }
}

/// A checked [`NewAgency`] with its key.
pub(crate) struct CheckedAgency {
    pub name: String,
    pub key: String,
    pub short_name: Option<String>,
    pub region: Option<String>,
}

pub(crate) fn check_new(agency: &NewAgency) -> Result<CheckedAgency> {
    let name = validate_name("机关全称", &agency.name)?;
    Ok(CheckedAgency {
        key: agency_key(&name),
        name,
        short_name: validate_optional("简称", agency.short_name.as_deref())?,
        region: validate_optional("所属地区", agency.region.as_deref())?,
    })
}

pub(crate) const AGENCY_COLUMNS: &str = "g.id, g.name, g.short_name, g.region";

pub(crate) fn agency_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Agency> {
    Ok(Agency {
        id: row.get(0)?,
        name: row.get(1)?,
        short_name: row.get(2)?,
        region: row.get(3)?,
    })
}

/// The agency `id`.
pub(crate) fn agency(conn: &Connection, id: i64) -> Result<Agency> {
    conn.query_row(
        &format!("SELECT {AGENCY_COLUMNS} FROM agencies g WHERE g.id = ?1"),
        [id],
        agency_from_row,
    )
    .optional()?
    .ok_or(StoreError::NotFound { what: "机关" })
}

/// The agency whose name has key `key`.
pub(crate) fn agency_by_key(conn: &Connection, key: &str) -> Result<Option<Agency>> {
    Ok(conn
        .query_row(
            &format!("SELECT {AGENCY_COLUMNS} FROM agencies g WHERE g.name_key = ?1"),
            [key],
            agency_from_row,
        )
        .optional()?)
}

/// Every agency, by name key.
pub(crate) fn all(conn: &Connection) -> Result<Vec<Agency>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {AGENCY_COLUMNS} FROM agencies g ORDER BY g.name_key"
    ))?;
    let rows = stmt.query_map([], agency_from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Creates a checked agency; its name must be new.
pub(crate) fn insert(tx: &Transaction<'_>, a: &CheckedAgency, now: Timestamp) -> Result<Agency> {
    if let Some(existing) = agency_by_key(tx, &a.key)? {
        return Err(StoreError::Input(format!(
            "机关「{}」已存在",
            existing.name
        )));
    }
    tx.execute(
        "INSERT INTO agencies (name, name_key, short_name, region, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![a.name, a.key, a.short_name, a.region, now.unix()],
    )?;
    Ok(Agency {
        id: tx.last_insert_rowid(),
        name: a.name.clone(),
        short_name: a.short_name.clone(),
        region: a.region.clone(),
    })
}

/// One line of an agency CSV, checked.
pub(crate) struct CsvLine {
    /// 1-based line number in the file.
    pub line: usize,
    pub agency: CheckedAgency,
    /// 账号, if given: (login, key).
    pub login: Option<(String, String)>,
}

/// The columns an agency CSV may have; 机关全称 is required.
const CSV_COLUMNS: [&str; 4] = ["机关全称", "简称", "所属地区", "账号"];

/// Reads an agency CSV: UTF-8 (a byte-order mark is ignored), a header
/// naming some of [`CSV_COLUMNS`] (机关全称 required), one agency a line.
/// Every bad line is a problem; duplicates within the file too.
pub(crate) fn parse_csv(bytes: &[u8]) -> std::result::Result<Vec<CsvLine>, Vec<ImportProblem>> {
    let problem = |place: String, message: String| ImportProblem { place, message };
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t.strip_prefix('\u{feff}').unwrap_or(t),
        Err(e) => {
            let line = bytes[..e.valid_up_to()]
                .iter()
                .filter(|&&b| b == b'\n')
                .count()
                + 1;
            return Err(vec![problem(
                format!("第 {line} 行"),
                "不是 UTF-8 编码；请在 Excel 中另存为「CSV UTF-8（逗号分隔）」".into(),
            )]);
        }
    };
    let records = records(text)?;
    let mut records = records.into_iter();
    let Some((header_line, header)) = records.next() else {
        return Err(vec![problem(
            "第 1 行".into(),
            "文件为空：第一行应为表头「机关全称,简称,所属地区,账号」".into(),
        )]);
    };
    let mut columns = Vec::new();
    let mut problems = Vec::new();
    for h in &header {
        let h = h.trim();
        match CSV_COLUMNS.iter().position(|c| *c == h) {
            Some(i) if columns.contains(&i) => problems.push(problem(
                format!("第 {header_line} 行"),
                format!("表头中「{h}」出现了两次"),
            )),
            Some(i) => columns.push(i),
            None => problems.push(problem(
                format!("第 {header_line} 行"),
                format!("表头中的「{h}」不是可用的列（可用：机关全称、简称、所属地区、账号）"),
            )),
        }
    }
    if !columns.contains(&0) {
        problems.push(problem(
            format!("第 {header_line} 行"),
            "表头中没有「机关全称」列".into(),
        ));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let mut lines: Vec<CsvLine> = Vec::new();
    for (line, fields) in records {
        let place = format!("第 {line} 行");
        if fields.len() != columns.len() {
            problems.push(problem(
                place,
                format!("有 {} 列，表头有 {} 列", fields.len(), columns.len()),
            ));
            continue;
        }
        let mut values: [Option<&str>; 4] = [None; 4];
        for (i, f) in columns.iter().zip(&fields) {
            values[*i] = Some(f.as_str());
        }
        let agency = NewAgency {
            name: values[0].unwrap_or("").to_string(),
            short_name: values[1].map(str::to_string),
            region: values[2].map(str::to_string),
        };
        let checked = match check_new(&agency) {
            Ok(c) => c,
            Err(e) => {
                problems.push(problem(place, e.to_string()));
                continue;
            }
        };
        if let Some(earlier) = lines.iter().find(|l| l.agency.key == checked.key) {
            problems.push(problem(
                place,
                format!("机关「{}」与第 {} 行重复", checked.name, earlier.line),
            ));
            continue;
        }
        let login = match values[3].map(str::trim).filter(|l| !l.is_empty()) {
            None => None,
            Some(l) => match super::auth::validate_login(l) {
                Ok((login, key)) => {
                    if let Some(earlier) = lines
                        .iter()
                        .find(|x| x.login.as_ref().is_some_and(|(_, k)| *k == key))
                    {
                        problems.push(problem(
                            place,
                            format!("账号「{login}」与第 {} 行重复", earlier.line),
                        ));
                        continue;
                    }
                    Some((login, key))
                }
                Err(e) => {
                    problems.push(problem(place, e.to_string()));
                    continue;
                }
            },
        };
        lines.push(CsvLine {
            line,
            agency: checked,
            login,
        });
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(lines)
}

/// The records of CSV text (RFC 4180: fields in double quotes may hold
/// commas, line breaks and doubled quotes), each with the line it starts
/// on; blank lines are left out.
fn records(text: &str) -> std::result::Result<Vec<(usize, Vec<String>)>, Vec<ImportProblem>> {
    let mut out = Vec::new();
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut line = 1;
    let mut start = 1;
    let mut quoted = false;
    let mut after_quote = false;
    let mut chars = text.chars().peekable();
    let mut push_record = |fields: &mut Vec<String>, field: &mut String, start: usize| {
        fields.push(std::mem::take(field));
        let record = std::mem::take(fields);
        if !(record.len() == 1 && record[0].trim().is_empty()) {
            out.push((start, record));
        }
    };
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => {
                    quoted = false;
                    after_quote = true;
                }
                '\n' => {
                    line += 1;
                    field.push(c);
                }
                _ => field.push(c),
            }
            continue;
        }
        match c {
            ',' => {
                fields.push(std::mem::take(&mut field));
                after_quote = false;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' | '\r' => {
                push_record(&mut fields, &mut field, start);
                after_quote = false;
                line += 1;
                start = line;
            }
            '"' if field.trim().is_empty() && !after_quote => {
                field.clear();
                quoted = true;
            }
            _ if after_quote && c.is_whitespace() => {}
            _ if after_quote => {
                return Err(vec![ImportProblem {
                    place: format!("第 {line} 行"),
                    message: "引号后面应为逗号或换行".into(),
                }]);
            }
            _ => field.push(c),
        }
    }
    if quoted {
        return Err(vec![ImportProblem {
            place: format!("第 {start} 行"),
            message: "引号没有闭合".into(),
        }]);
    }
    push_record(&mut fields, &mut field, start);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_records_follow_rfc_4180() {
        let text = "a,b\r\n\"x, y\",\"he said \"\"hi\"\"\"\n\n\"two\nlines\",z\n";
        let got = records(text).expect("parses");
        assert_eq!(
            got,
            [
                (1, vec!["a".to_string(), "b".to_string()]),
                (2, vec!["x, y".to_string(), "he said \"hi\"".to_string()]),
                (4, vec!["two\nlines".to_string(), "z".to_string()]),
            ]
        );
        assert!(records("\"open").is_err());
        assert!(records("\"a\"b,c").is_err());
    }

    #[test]
    fn every_bad_line_is_reported_with_its_number() {
        let csv = "机关全称,账号\n某县统计局,tongji\n\n,x\n某县统计局,y\n某县财政局,tongji\n某县民政局,bad login\n某县\u{b}局,z\n某县水利局\n";
        let problems = parse_csv(csv.as_bytes()).err().expect("refused");
        let places: Vec<&str> = problems.iter().map(|p| p.place.as_str()).collect();
        assert_eq!(
            places,
            [
                "第 4 行",
                "第 5 行",
                "第 6 行",
                "第 7 行",
                "第 8 行",
                "第 9 行"
            ],
            "{problems:?}"
        );
        assert!(
            problems[1].message.contains("与第 2 行重复"),
            "{problems:?}"
        );
        assert!(
            problems[2].message.contains("账号「tongji」与第 2 行重复"),
            "{problems:?}"
        );
    }

    #[test]
    fn a_good_file_gives_every_line() {
        let csv = "\u{feff}所属地区,机关全称\n潢川县,潢川县统计局\n潢川县,\"潢川县财政局\"\n";
        let lines = parse_csv(csv.as_bytes()).expect("reads");
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[1].line, 3);
        assert_eq!(lines[1].agency.name, "潢川县财政局");
        assert_eq!(lines[0].agency.region.as_deref(), Some("潢川县"));
        assert!(lines[0].login.is_none());
        let gbk = b"\xbb\xfa\xb9\xd8\xc8\xab\xb3\xc6\n";
        let problems = parse_csv(gbk).err().expect("refused");
        assert!(problems[0].message.contains("UTF-8"), "{problems:?}");
        assert!(parse_csv("名称\n某局\n".as_bytes()).is_err());
    }
}
