//! The handlers of the JSON API and the error body they share:
//! `{"error": {"message", "key", "line", "column"}}`.

use axum::body::Bytes;
use std::sync::Arc;

use axum::Extension;
use axum::extract::Query;
use axum::extract::rejection::{BytesRejection, FailedToBufferBody, QueryRejection};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::Semaphore;

use std::time::{Duration, Instant};

use super::Deadline;
use crate::check::CheckResult;
use crate::import::ImportKind;
use crate::model::{Report, YEARS};
use crate::read::{InputKind, LoadError};
use crate::render::names::safe_file_name;
use crate::render::{Error, OutputFile, Outputs};
use crate::text::TextError;

/// The media type of a filled form.
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
/// The media type of a Word document.
pub const DOCX: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";

/// The media type of the web version.
pub const HTML: &str = "text/html; charset=utf-8";
/// The media type of a PDF.
pub const PDF: &str = "application/pdf";

/// The name a body goes by in messages when the request names no `source`.
const BODY: &str = "请求正文";

/// An error response: `status` with `{"error": {"message", "key": null, "line": null, "column": null}}`.
pub fn error(status: StatusCode, message: String) -> Response {
    error_at(status, message, None, None, None, Vec::new())
}

fn error_at(
    status: StatusCode,
    message: String,
    key: Option<&str>,
    line: Option<usize>,
    column: Option<usize>,
    cells: Vec<Value>,
) -> Response {
    let mut body = json!({
        "message": message,
        "key": key,
        "line": line,
        "column": column,
    });
    if !cells.is_empty() {
        body["cells"] = Value::Array(cells);
    }
    (status, axum::Json(json!({ "error": body }))).into_response()
}

/// A refusal on its way out of a handler: the error response, boxed
/// (a response is large and the happy path should not carry its size).
pub(super) type Refused = Box<Response>;

pub(super) fn refuse(status: StatusCode, message: String) -> Refused {
    Box::new(error(status, message))
}

fn refuse_at(
    status: StatusCode,
    message: String,
    key: Option<&str>,
    line: Option<usize>,
    column: Option<usize>,
    cells: Vec<Value>,
) -> Refused {
    Box::new(error_at(status, message, key, line, column, cells))
}

/// 405 for a method the path does not take (axum adds `Allow`).
pub async fn method_not_allowed(method: Method) -> Response {
    error(
        StatusCode::METHOD_NOT_ALLOWED,
        format!("这个地址不接受 {} 请求", method.as_str().escape_debug()),
    )
}

/// 413 for a body over `limit` bytes.
pub fn too_large(limit: usize) -> Response {
    error(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("请求正文过大（上限 {limit} 字节）；一份年报的输入通常只有几 KB"),
    )
}

/// A 400 for an input that could not be read, with its key, line and column
/// when the error has them, and every wrong cell of a form.
fn load_error(e: &LoadError) -> Response {
    let (line, column) = match e {
        LoadError::Syntax { line, column, .. } => (Some(*line), Some(*column)),
        LoadError::Invalid { line, column, .. } => (*line, *column),
        LoadError::NotUtf8 { line, .. } => (Some(*line), None),
        _ => (None, None),
    };
    let cells = e
        .form_cells()
        .into_iter()
        .map(|(cell, message)| json!({ "cell": cell, "message": message }))
        .collect();
    let status = match e {
        LoadError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
        _ => StatusCode::BAD_REQUEST,
    };
    error_at(status, e.to_string(), e.key_path(), line, column, cells)
}

/// The response for a failed render: 422 with the findings when a rule
/// breaks, 400 when the input is wrong, 500 when we failed.
fn render_error(e: &Error, report: &Report) -> Response {
    match e {
        Error::Read(load) => load_error(load),
        Error::Rules(findings) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            axum::Json(CheckResult::from_findings(report, findings.clone())),
        )
            .into_response(),
        Error::Template(TextError::Template {
            origin,
            line,
            column,
            ..
        }) => error_at(
            StatusCode::BAD_REQUEST,
            e.to_string(),
            Some(origin),
            *line,
            *column,
            Vec::new(),
        ),
        Error::Template(TextError::ForbiddenChar { origin, .. }) => error_at(
            StatusCode::BAD_REQUEST,
            e.to_string(),
            Some(origin),
            None,
            None,
            Vec::new(),
        ),
        Error::Text(problem) => error_at(
            StatusCode::BAD_REQUEST,
            e.to_string(),
            Some(&problem.key_path),
            None,
            None,
            Vec::new(),
        ),
        _ if e.is_input() => error(StatusCode::BAD_REQUEST, e.to_string()),
        _ => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

/// The query of `/api/check` and `/api/render`.
#[derive(Debug, Deserialize)]
pub struct BodyQuery {
    /// `zip` (default), `docx`, `xlsx`, `html` or `pdf` (render only).
    format: Option<String>,
    /// The input's file name, used in messages and recorded in the workbook
    /// like the CLI's input file name; without it the workbook records none.
    source: Option<String>,
}

/// The kind of the body by its `Content-Type`, or 415.
fn body_kind(headers: &HeaderMap) -> Result<InputKind, Refused> {
    let media = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        });
    match media.as_deref() {
        Some("application/json") => Ok(InputKind::Json),
        Some("application/toml") => Ok(InputKind::Toml),
        Some(XLSX) => Ok(InputKind::Form),
        other => Err(refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!(
                "不支持的内容类型{}：应为 application/json、application/toml 或 {XLSX}",
                other.map(|m| format!("「{m}」")).unwrap_or_default()
            ),
        )),
    }
}

/// The body, or 413 past the limit, or 408 when it was not sent in time.
fn body_bytes(body: Result<Bytes, BytesRejection>) -> Result<Bytes, Refused> {
    match body {
        Ok(bytes) => Ok(bytes),
        Err(BytesRejection::FailedToBufferBody(FailedToBufferBody::LengthLimitError(e))) => {
            Err(refuse(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("请求正文过大：{}", e.body_text()),
            ))
        }
        Err(BytesRejection::FailedToBufferBody(_)) => Err(refuse(
            StatusCode::REQUEST_TIMEOUT,
            "请求正文未能在时限内读完".into(),
        )),
        Err(e) => Err(refuse(e.status(), e.body_text())),
    }
}

/// The `source` of the query: a file name of 1 to 255 characters without
/// control characters or others that XML forbids (it is recorded in the
/// workbook); its folders are dropped where it is recorded. The OpenAPI
/// document says the same as a pattern.
fn source_name(source: Option<&str>) -> Result<Option<String>, Refused> {
    file_name("source", source)
}

/// A file name of the query `param`, held to what [`source_name`] says.
fn file_name(param: &str, source: Option<&str>) -> Result<Option<String>, Refused> {
    match source {
        None => Ok(None),
        Some(s)
            if !s.is_empty()
                && s.chars().count() <= 255
                && s.chars()
                    .all(|c| !c.is_control() && crate::model::is_xml_char(c)) =>
        {
            Ok(Some(s.to_string()))
        }
        Some(_) => Err(refuse(
            StatusCode::BAD_REQUEST,
            format!("{param} 应为 1 至 255 个字符、不含控制字符的文件名"),
        )),
    }
}

fn query<T>(q: Result<Query<T>, QueryRejection>) -> Result<T, Refused> {
    q.map(|Query(q)| q)
        .map_err(|e| refuse(StatusCode::BAD_REQUEST, format!("查询参数有误：{e}")))
}

/// The turns of work on the blocking pool (`Config::workers`): a request
/// waits for one in order of arrival and holds it until its work is done,
/// even when the request has timed out meanwhile.
#[derive(Debug, Clone)]
pub struct Workers(Arc<Semaphore>);

impl Workers {
    pub fn new(n: usize) -> Workers {
        Workers(Arc::new(Semaphore::new(n.max(1))))
    }
}

/// Runs `work` on tokio's blocking pool in its turn; a panic is our failure
/// (500).
pub(super) async fn blocking<T: Send + 'static>(
    workers: &Workers,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, Refused> {
    let failed = || {
        refuse(
            StatusCode::INTERNAL_SERVER_ERROR,
            "服务内部错误：处理请求时失败".into(),
        )
    };
    let turn = Arc::clone(&workers.0)
        .acquire_owned()
        .await
        .map_err(|_| failed())?;
    tokio::task::spawn_blocking(move || {
        let _turn = turn;
        work()
    })
    .await
    .map_err(|_| failed())
}

/// `POST /api/check`: 200 with the [`CheckResult`], 400 for bad input, 415.
pub async fn check(
    Extension(workers): Extension<Workers>,
    q: Result<Query<BodyQuery>, QueryRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let run = async {
        let q = query(q)?;
        let kind = body_kind(&headers)?;
        let body = body_bytes(body)?;
        let body_len = body.len();
        let file = source_name(q.source.as_deref())?.unwrap_or_else(|| BODY.to_string());
        let work = move || match crate::read::read_bytes(&body, kind, &file) {
            Ok(report) => axum::Json(CheckResult::new(&report)).into_response(),
            Err(e) => load_error(&e),
        };
        // A real report (a few KB of TOML or JSON) is read and checked in
        // tens of microseconds: here, without the hand-over to the blocking
        // pool, which would cost as much. Anything larger, and every form
        // (a zip), waits its turn on the pool.
        if kind != InputKind::Form && body_len <= INLINE_CHECK_BYTES {
            return Ok(work());
        }
        blocking(&workers, work).await
    };
    run.await.unwrap_or_else(|r| *r)
}

/// The largest TOML or JSON body `/api/check` reads and checks on the async
/// worker itself; larger ones go to the blocking pool.
const INLINE_CHECK_BYTES: usize = 32 * 1024;

/// What `/api/render` sends back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Zip,
    Docx,
    Xlsx,
    Html,
    Pdf,
}

/// `POST /api/render`: 200 with the file(s), 422 with the findings, 400,
/// 415, 500; for a PDF also 503 (queue full), 501 (no LibreOffice), 502
/// (LibreOffice crashed) and 504 (it hung).
pub async fn render(
    Extension(workers): Extension<Workers>,
    Extension(converter): Extension<super::pdf::Converter>,
    q: Result<Query<BodyQuery>, QueryRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let run = async {
        let q = query(q)?;
        let format = match q.format.as_deref() {
            None | Some("zip") => Format::Zip,
            Some("docx") => Format::Docx,
            Some("xlsx") => Format::Xlsx,
            Some("html") => Format::Html,
            Some("pdf") => Format::Pdf,
            Some(_) => {
                return Err(refuse(
                    StatusCode::BAD_REQUEST,
                    "format 应为 zip、docx、xlsx、html 或 pdf".into(),
                ));
            }
        };
        let kind = body_kind(&headers)?;
        let body = body_bytes(body)?;
        let source = source_name(q.source.as_deref())?;
        if format == Format::Pdf {
            return render_pdf(&workers, &converter, body, kind, source).await;
        }
        blocking(&workers, move || {
            render_blocking(&body, kind, source, format)
        })
        .await?
    };
    run.await.unwrap_or_else(|r| *r)
}

/// A PDF: a place in the converters' queue first (503 when it is full),
/// then the DOCX rendered in its turn, then the PDF converted in its turn.
async fn render_pdf(
    workers: &Workers,
    converter: &super::pdf::Converter,
    body: Bytes,
    kind: InputKind,
    source: Option<String>,
) -> Result<Response, Refused> {
    let Some(ticket) = converter.admit() else {
        return Err(Box::new(super::busy(
            "PDF 转换排队已满，请稍后重试（Word、Excel 和网页版不受影响）",
        )));
    };
    let (report, files) =
        blocking(workers, move || rendered(&body, kind, source, Format::Docx)).await??;
    let [OutputFile { name, bytes }] = <[OutputFile; 1]>::try_from(files).map_err(|_| {
        refuse(
            StatusCode::INTERNAL_SERVER_ERROR,
            "服务内部错误：生成的文件数不对".into(),
        )
    })?;
    let pdf = converter.convert(bytes, ticket).await.ok_or_else(|| {
        refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            "服务内部错误：PDF 转换队列已停止".into(),
        )
    })?;
    let pdf = pdf.map_err(|e| {
        use crate::render::pdf::PdfError;
        let status = match e {
            PdfError::Missing => StatusCode::NOT_IMPLEMENTED,
            PdfError::Crashed(_) => StatusCode::BAD_GATEWAY,
            PdfError::Hung(_) => StatusCode::GATEWAY_TIMEOUT,
            PdfError::Io(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        refuse(status, e.to_string())
    })?;
    let name = format!("{}.pdf", name.trim_end_matches(".docx"));
    Ok(attachment(&name, PDF, pdf, report.report.year.0))
}

/// The report of the body and its files in `format` (a PDF's DOCX for `Pdf`).
fn rendered(
    body: &[u8],
    kind: InputKind,
    source: Option<String>,
    format: Format,
) -> Result<(Report, Vec<OutputFile>), Refused> {
    let file = source.clone().unwrap_or_else(|| BODY.to_string());
    let report =
        crate::read::read_bytes(body, kind, &file).map_err(|e| Box::new(load_error(&e)))?;
    let outputs = Outputs {
        docx: matches!(format, Format::Zip | Format::Docx | Format::Pdf),
        xlsx: matches!(format, Format::Zip | Format::Xlsx),
        html: (format == Format::Html).then_some(crate::render::Html::Page),
    };
    // Without a source the workbook records no input file, as for standard input.
    let recorded = source.as_deref().unwrap_or("-");
    let (files, _warnings) = crate::render::render(&report, recorded, outputs)
        .map_err(|e| Box::new(render_error(&e, &report)))?;
    Ok((report, files))
}

fn render_blocking(
    body: &[u8],
    kind: InputKind,
    source: Option<String>,
    format: Format,
) -> Result<Response, Refused> {
    let (report, files) = rendered(body, kind, source, format)?;
    let (name, media, bytes) = match (format, files.as_slice()) {
        (Format::Zip, _) => {
            let parts: Vec<(String, &[u8])> = files
                .iter()
                .map(|f| (safe_file_name(&f.name).0, f.bytes.as_slice()))
                .collect();
            let bytes = crate::render::ooxml::pack_stored(&parts).map_err(|e| {
                refuse(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    format!("生成 ZIP 失败：{e}"),
                )
            })?;
            (format!("{}.zip", report.title()), "application/zip", bytes)
        }
        (Format::Docx, [OutputFile { name, bytes }]) => (name.clone(), DOCX, bytes.clone()),
        (Format::Xlsx, [OutputFile { name, bytes }]) => (name.clone(), XLSX, bytes.clone()),
        (Format::Html, [OutputFile { name, bytes }]) => (name.clone(), HTML, bytes.clone()),
        _ => {
            return Err(refuse(
                StatusCode::INTERNAL_SERVER_ERROR,
                "服务内部错误：生成的文件数不对".into(),
            ));
        }
    };
    Ok(attachment(&name, media, bytes, report.report.year.0))
}

/// A file download: `Content-Type`, and `Content-Disposition` with an ASCII
/// fallback name and the official (safe) name in RFC 5987 form.
pub(super) fn attachment(name: &str, media: &'static str, bytes: Vec<u8>, year: u16) -> Response {
    let (safe, _) = safe_file_name(name);
    let extension = safe.rsplit_once('.').map(|(_, e)| e).unwrap_or("bin");
    let disposition = format!(
        "attachment; filename=\"nianbao-{year}.{extension}\"; filename*=UTF-8''{}",
        percent_encode(&safe)
    );
    let mut response = (StatusCode::OK, bytes).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(media));
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

/// RFC 5987 `value-chars`: `attr-char`s as they are, every other byte `%XX`.
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The query of `/api/convert`.
#[derive(Debug, Deserialize)]
pub struct ConvertQuery {
    /// `json` (default) or `toml`.
    to: Option<String>,
    /// As for `/api/check`.
    source: Option<String>,
}

/// `POST /api/convert?to=json|toml`: the report of any accepted body as JSON
/// or as TOML, not checked against the rules (a draft with findings can be
/// saved); 400 for bad input, 415. The page loads files and saves drafts
/// with it; reading the result back gives the same report.
pub async fn convert(
    Extension(workers): Extension<Workers>,
    q: Result<Query<ConvertQuery>, QueryRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let run = async {
        let q = query(q)?;
        let toml = match q.to.as_deref() {
            None | Some("json") => false,
            Some("toml") => true,
            Some(_) => {
                return Err(refuse(
                    StatusCode::BAD_REQUEST,
                    "to 应为 json 或 toml".into(),
                ));
            }
        };
        let kind = body_kind(&headers)?;
        let body = body_bytes(body)?;
        let file = source_name(q.source.as_deref())?.unwrap_or_else(|| BODY.to_string());
        blocking(&workers, move || {
            let report = crate::read::read_bytes(&body, kind, &file)
                .map_err(|e| Box::new(load_error(&e)))?;
            if !toml {
                return Ok(axum::Json(report).into_response());
            }
            let text = toml::to_string(&report).map_err(|e| {
                refuse(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    format!("生成 TOML 失败：{e}"),
                )
            })?;
            // A TOML comment ends at a line break and holds no control character.
            let title: String = report
                .title()
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect();
            let header = format!("# {title} — nianbao 输入文件\n\n");
            Ok((
                [(header::CONTENT_TYPE, "application/toml; charset=utf-8")],
                header + &text,
            )
                .into_response())
        })
        .await?
    };
    run.await.unwrap_or_else(|r| *r)
}

/// The query of `/api/import`.
#[derive(Debug, Deserialize)]
pub struct ImportQuery {
    /// The published file's name: used in messages, and its extension gives
    /// the kind when the `Content-Type` does not.
    name: Option<String>,
}

/// The media types `/api/import` reads, with their kinds.
const IMPORT_MEDIA: [(&str, ImportKind); 4] = [
    (DOCX, ImportKind::Docx),
    ("application/pdf", ImportKind::Pdf),
    ("text/plain", ImportKind::Text),
    ("text/html", ImportKind::Html),
];

/// The kind of a published file: by its `Content-Type`, else by the
/// extension of `name`; 415 when neither says.
fn import_kind(headers: &HeaderMap, name: Option<&str>) -> Result<ImportKind, Refused> {
    let media = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        });
    if let Some(kind) = IMPORT_MEDIA
        .iter()
        .find(|(m, _)| media.as_deref() == Some(*m))
        .map(|(_, k)| *k)
    {
        return Ok(kind);
    }
    if let Some(name) = name {
        return ImportKind::from_path(std::path::Path::new(name)).ok_or_else(|| {
            refuse(
                StatusCode::BAD_REQUEST,
                crate::import::ImportError::UnknownKind {
                    file: name.to_string(),
                }
                .to_string(),
            )
        });
    }
    Err(refuse(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        format!(
            "不支持的内容类型{}：应为 {DOCX}、application/pdf、text/plain 或 text/html，或以 name 参数给出文件名（如 name=年报.pdf）",
            media.map(|m| format!("「{m}」")).unwrap_or_default()
        ),
    ))
}

/// Less time than this left for a PDF when its turn comes: 503 (the
/// request waited too long for a worker), not a verdict on the file.
const MIN_PDF_TIME: Duration = Duration::from_secs(1);
/// What is kept of the request's time after pdftotext, for the rest of the
/// import and the answer.
const PDF_TIME_MARGIN: Duration = Duration::from_millis(500);

/// `POST /api/import?name=`: a published report (DOCX, PDF, text, HTML) →
/// 200 with `{report, summary}`: the report as `/api/convert` gives it and
/// what was read (cells found and missing, labels matched approximately,
/// the rule findings); 400 for a file that is not a readable report, 413,
/// 415. Rule failures are not refusals: they are in the summary. A PDF's
/// pdftotext runs in a worker's turn and is stopped when the request's time
/// is nearly up.
pub async fn import(
    Extension(workers): Extension<Workers>,
    Extension(Deadline(deadline)): Extension<Deadline>,
    q: Result<Query<ImportQuery>, QueryRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let run = async {
        let q = query(q)?;
        let name = file_name("name", q.name.as_deref())?;
        let kind = import_kind(&headers, name.as_deref())?;
        let body = body_bytes(body)?;
        let file = name.unwrap_or_else(|| BODY.to_string());
        blocking(&workers, move || {
            let left = deadline.saturating_duration_since(Instant::now());
            if kind == ImportKind::Pdf && left < MIN_PDF_TIME {
                return Err(Box::new(super::busy("服务繁忙，请稍后重试")));
            }
            let imported = crate::import::import_bytes_within(
                &body,
                kind,
                &file,
                left.saturating_sub(PDF_TIME_MARGIN),
            )
            .map_err(|e| Box::new(import_error(&e)))?;
            Ok(axum::Json(import_answer(&imported)).into_response())
        })
        .await?
    };
    run.await.unwrap_or_else(|r| *r)
}

/// The status of an import that failed: 400 for the file, 413 over the
/// reader's size limit, 500 when this server cannot read PDFs or write a
/// temporary file.
fn import_error(e: &crate::import::ImportError) -> Response {
    use crate::import::ImportError as E;
    let status = match e {
        E::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
        E::NoPdftotext { .. } | E::Io { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::BAD_REQUEST,
    };
    error(status, e.to_string())
}

/// `{report, summary: {found, total, missing, approximate, findings, text_missing, notes}}`.
fn import_answer(imported: &crate::import::Imported) -> Value {
    let s = &imported.summary;
    json!({
        "report": imported.report,
        "summary": {
            "found": s.cells_found,
            "total": s.cells_total,
            "missing": s.missing,
            "approximate": s.approximate,
            "findings": s.findings,
            "text_missing": s.text_missing,
            "notes": s.notes,
        },
    })
}

/// The query of `/api/form`.
#[derive(Debug, Deserialize)]
pub struct FormQuery {
    agency: Option<String>,
    year: Option<String>,
}

/// `GET /api/form?agency=…&year=…`: the fill-in workbook; 400 for a missing
/// or bad agency or year.
pub async fn form(
    Extension(workers): Extension<Workers>,
    q: Result<Query<FormQuery>, QueryRejection>,
) -> Response {
    let run = async {
        let q = query(q)?;
        let agency = q.agency.unwrap_or_default();
        if agency.trim().is_empty() {
            return Err(refuse(
                StatusCode::BAD_REQUEST,
                "缺少机关全称（agency）".into(),
            ));
        }
        let year = q
            .year
            .as_deref()
            .and_then(|y| y.trim().parse::<u16>().ok())
            .filter(|y| YEARS.contains(y))
            .ok_or_else(|| {
                refuse(
                    StatusCode::BAD_REQUEST,
                    format!(
                        "报告年度（year）应为 {} 至 {} 之间的整数",
                        YEARS.start(),
                        YEARS.end()
                    ),
                )
            })?;
        blocking(&workers, move || {
            let report = crate::render::form::new_report(&agency, year, None);
            crate::model::validate_text(&report).map_err(|p| {
                refuse_at(
                    StatusCode::BAD_REQUEST,
                    p.to_string(),
                    Some("agency"),
                    None,
                    None,
                    Vec::new(),
                )
            })?;
            let bytes = crate::render::form::form_bytes(&report, None).map_err(|e| {
                refuse(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    format!("生成填报表失败：{e}"),
                )
            })?;
            Ok(attachment(
                &format!("{}填报表.xlsx", report.title()),
                XLSX,
                bytes,
                year,
            ))
        })
        .await?
    };
    run.await.unwrap_or_else(|r| *r)
}

/// `GET /api/spec`: the mandated format as JSON (see [`super::spec_json`]).
pub async fn spec() -> Response {
    static SPEC: std::sync::LazyLock<String> =
        std::sync::LazyLock::new(|| super::spec_json::spec().to_string());
    ([(header::CONTENT_TYPE, "application/json")], SPEC.as_str()).into_response()
}

/// `GET /api/openapi.json`: the OpenAPI 3.0 document of this API.
pub async fn openapi() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        include_str!("openapi.json"),
    )
        .into_response()
}
