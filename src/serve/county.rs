//! `nianbao serve --data DIR`: the county collection server's routes, on
//! [`crate::store`] (which decides who may do what; these routes only carry
//! the session and map the store's answers to HTTP).
//!
//! | endpoint | who | what |
//! |---|---|---|
//! | `POST /api/login` | anyone | `{login, password}` → the session cookie and `Me` |
//! | `POST /api/logout` | logged in | ends the session |
//! | `GET /api/me` | logged in | login, role, agency, county, CSRF token |
//! | `POST /api/password` | logged in | `{old, new}` |
//! | `GET /api/agencies`, `POST /api/agencies` | all / administrator | the agencies the caller sees; a new agency |
//! | `POST /api/agencies/import` | administrator | a CSV (`text/csv`) of agencies |
//! | `POST /api/agencies/{id}/clerks` | administrator | `{login}` → a clerk and a one-time password |
//! | `GET /api/reports/{agency}/{year}` | own agency / administrator | the report, its status and findings; `ETag` = version |
//! | `PUT /api/reports/{agency}/{year}` | own agency | a draft (the JSON input), `If-Match` the version read |
//! | `POST /api/reports/{agency}/{year}/submit` | own agency | `{version, acknowledge_warnings}` |
//! | `POST /api/reports/{agency}/{year}/return` | administrator | `{version, reason}` |
//! | `GET /api/reports/{agency}/{year}/history` | own agency / administrator | every version: who, when, what |
//! | `GET /api/reports/{agency}/{year}/versions/{version}` | own agency / administrator | the data of a version |
//! | `GET /api/county/{year}` | administrator | every agency's status, findings, late |
//! | `PUT /api/county/{year}/deadline` | administrator | `{date}` (or null) |
//! | `GET /api/county/{year}/zip` | administrator | the county ZIP: `nianbao batch` over the submitted reports |
//!
//! The session is a cookie (`HttpOnly`, `SameSite=Strict`, `Secure` when
//! [`super::Config::secure_cookie`]); every request that changes something
//! carries the session's CSRF token in the `X-CSRF-Token` header (else 403),
//! and `POST /api/login` takes JSON only, which a page of another site cannot
//! send without asking first. No secret and no report data is logged.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;
use std::sync::Arc;

use axum::Extension;
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, JsonRejection, PathRejection};
use axum::extract::{ConnectInfo, Path as UrlPath};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use serde::Deserialize;
use serde_json::{Value, json};

use super::api::{self, Refused, Workers, blocking, refuse};
use crate::model::{Date, YEARS};
use crate::render::names::safe_file_name;
use crate::store::{Principal, SESSION_MAX_SECONDS, Store, StoreError};

/// The session cookie's name.
pub const COOKIE: &str = "nianbao_session";
/// The header that carries the CSRF token.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The store and how cookies are set.
#[derive(Debug)]
pub struct County {
    /// The county's state.
    pub store: Arc<Store>,
    /// Set `Secure` on the session cookie (behind TLS).
    pub secure_cookie: bool,
}

type Shared = Extension<Arc<County>>;

/// The routes of the collection server (all under `/api/`).
pub fn routes() -> Router {
    Router::new()
        .route("/api/login", post(login))
        .route("/api/logout", post(logout))
        .route("/api/me", get(me))
        .route("/api/password", post(password))
        .route("/api/agencies", get(agencies).post(create_agency))
        .route("/api/agencies/import", post(import_agencies))
        .route("/api/agencies/{id}/clerks", post(create_clerk))
        .route("/api/reports/{agency}/{year}", get(report).put(save))
        .route("/api/reports/{agency}/{year}/submit", post(submit))
        .route("/api/reports/{agency}/{year}/return", post(give_back))
        .route("/api/reports/{agency}/{year}/history", get(history))
        .route(
            "/api/reports/{agency}/{year}/versions/{version}",
            get(version),
        )
        .route("/api/county/{year}", get(county))
        .route("/api/county/{year}/deadline", put(deadline))
        .route("/api/county/{year}/zip", get(county_zip))
}

/// The two requests that may take longer than the others
/// ([`super::Config::long_request_timeout`]): `POST /api/agencies/import`
/// hashes a one-time password per new clerk (300 clerks: over 10 s on two
/// cores; cut off at the usual 10 s, the import was answered 503 and yet
/// committed, and the passwords were lost), and `GET /api/county/{year}/zip`
/// runs a batch over every submitted report.
pub(super) fn takes_long(method: &Method, path: &str) -> bool {
    match *method {
        Method::POST => path == "/api/agencies/import",
        Method::GET => path
            .strip_prefix("/api/county/")
            .and_then(|rest| rest.strip_suffix("/zip"))
            .is_some_and(|year| !year.is_empty() && !year.contains('/')),
        _ => false,
    }
}

// ---------------------------------------------------------------------------
// Errors and the caller

/// The answer for a refusal of the store: its status with the JSON error
/// body; 422 adds the findings, 409 the current version, 429 `Retry-After`.
fn store_error(e: StoreError) -> Refused {
    let status = StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut body =
        json!({ "error": { "message": e.to_string(), "key": null, "line": null, "column": null } });
    match &e {
        StoreError::Findings { findings } => body["findings"] = json!(findings),
        StoreError::Conflict {
            current_version, ..
        } => {
            body["current_version"] = json!(current_version);
        }
        _ => {}
    }
    let mut response = (status, axum::Json(body)).into_response();
    if let StoreError::RetryAfter { seconds } = e
        && let Ok(value) = HeaderValue::from_str(&seconds.to_string())
    {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    Box::new(response)
}

/// The session token of the request's cookie.
fn session_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.to_string())
        .filter(|v| !v.is_empty() && v.len() <= 256)
}

/// Runs `work` with the store on the blocking pool.
async fn with_store<T: Send + 'static>(
    county: &Arc<County>,
    workers: &Workers,
    work: impl FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
) -> Result<T, Refused> {
    let county = Arc::clone(county);
    blocking(workers, move || work(&county.store))
        .await?
        .map_err(store_error)
}

/// The caller of the request: 401 without a valid session; for a request
/// that changes something, 403 without the session's CSRF token.
async fn caller(
    county: &Arc<County>,
    workers: &Workers,
    method: &Method,
    headers: &HeaderMap,
) -> Result<Principal, Refused> {
    let Some(token) = session_token(headers) else {
        return Err(store_error(StoreError::Unauthenticated));
    };
    let principal = with_store(county, workers, move |s| s.session(&token))
        .await?
        .ok_or_else(|| store_error(StoreError::Unauthenticated))?;
    let safe = matches!(*method, Method::GET | Method::HEAD);
    if !safe {
        let given = headers
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !principal.csrf_matches(given) {
            return Err(refuse(
                StatusCode::FORBIDDEN,
                "缺少或错误的 CSRF 令牌（X-CSRF-Token）：请刷新页面后重试".into(),
            ));
        }
    }
    Ok(principal)
}

fn json_body<T>(body: Result<axum::Json<T>, JsonRejection>) -> Result<T, Refused> {
    body.map(|axum::Json(v)| v).map_err(|e| {
        let status = match e {
            JsonRejection::MissingJsonContentType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            JsonRejection::BytesRejection(_) => StatusCode::PAYLOAD_TOO_LARGE,
            _ => StatusCode::BAD_REQUEST,
        };
        refuse(status, format!("请求正文有误：{}", e.body_text()))
    })
}

fn path_year(year: &str) -> Result<u16, Refused> {
    year.parse::<u16>()
        .ok()
        .filter(|y| YEARS.contains(y))
        .ok_or_else(|| {
            refuse(
                StatusCode::BAD_REQUEST,
                format!("年度应为 {} 至 {} 之间的整数", YEARS.start(), YEARS.end()),
            )
        })
}

fn path_id(id: &str, what: &str) -> Result<i64, Refused> {
    id.parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| refuse(StatusCode::NOT_FOUND, format!("{what}不存在")))
}

fn path_of<T>(p: Result<UrlPath<T>, PathRejection>) -> Result<T, Refused> {
    p.map(|UrlPath(v)| v).map_err(|e| {
        refuse(
            StatusCode::BAD_REQUEST,
            format!("地址有误：{}", e.body_text()),
        )
    })
}

/// `"3"` (an `ETag` of a version) → 3.
fn etag(version: i64) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{version}\"")).unwrap_or(HeaderValue::from_static("\"0\""))
}

fn with_etag(mut response: Response, version: i64) -> Response {
    response.headers_mut().insert(header::ETAG, etag(version));
    response
}

fn done(r: Result<Response, Refused>) -> Response {
    r.unwrap_or_else(|e| *e)
}

// ---------------------------------------------------------------------------
// Sessions

#[derive(Deserialize)]
struct LoginBody {
    login: String,
    password: String,
}

fn me_json(store: &Store, principal: &Principal) -> Result<Value, StoreError> {
    let agency = match principal.agency_id {
        Some(id) => Some(store.agency(principal, id)?),
        None => None,
    };
    Ok(json!({
        "login": principal.login,
        "role": principal.role,
        "role_label": principal.role.label(),
        "agency": agency,
        "county": store.county_name()?,
        "must_change_password": principal.must_change_password,
        "csrf": principal.csrf_token(),
    }))
}

fn session_cookie(county: &County, token: &str, max_age: u64) -> Option<HeaderValue> {
    let secure = if county.secure_cookie { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
    ))
    .ok()
}

async fn login(
    Extension(county): Shared,
    Extension(workers): Extension<Workers>,
    address: Option<Extension<ConnectInfo<SocketAddr>>>,
    body: Result<axum::Json<LoginBody>, JsonRejection>,
) -> Response {
    done(
        async {
            let LoginBody { login, password } = json_body(body)?;
            let address = address.map_or(IpAddr::V4(Ipv4Addr::LOCALHOST), |a| a.0.0.ip());
            let (token, me) = with_store(&county, &workers, move |s| {
                let session = s.login(&login, &password, address)?;
                let me = me_json(s, &session.principal)?;
                Ok((session.token.expose().to_string(), me))
            })
            .await?;
            let mut response = axum::Json(me).into_response();
            if let Some(cookie) = session_cookie(&county, &token, SESSION_MAX_SECONDS.max(0) as u64)
            {
                response.headers_mut().insert(header::SET_COOKIE, cookie);
            }
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            Ok(response)
        }
        .await,
    )
}

async fn logout(
    Extension(county): Shared,
    Extension(workers): Extension<Workers>,
    method: Method,
    headers: HeaderMap,
) -> Response {
    done(
        async {
            caller(&county, &workers, &method, &headers).await?;
            let token = session_token(&headers).unwrap_or_default();
            with_store(&county, &workers, move |s| s.logout(&token)).await?;
            let mut response = StatusCode::NO_CONTENT.into_response();
            if let Some(cookie) = session_cookie(&county, "", 0) {
                response.headers_mut().insert(header::SET_COOKIE, cookie);
            }
            Ok(response)
        }
        .await,
    )
}

async fn me(
    Extension(county): Shared,
    Extension(workers): Extension<Workers>,
    method: Method,
    headers: HeaderMap,
) -> Response {
    done(
        async {
            let principal = caller(&county, &workers, &method, &headers).await?;
            let me = with_store(&county, &workers, move |s| me_json(s, &principal)).await?;
            let mut response = axum::Json(me).into_response();
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            Ok(response)
        }
        .await,
    )
}

#[derive(Deserialize)]
struct PasswordBody {
    old: String,
    new: String,
}

async fn password(
    Extension(county): Shared,
    Extension(workers): Extension<Workers>,
    method: Method,
    headers: HeaderMap,
    body: Result<axum::Json<PasswordBody>, JsonRejection>,
) -> Response {
    done(
        async {
            let principal = caller(&county, &workers, &method, &headers).await?;
            let PasswordBody { old, new } = json_body(body)?;
            with_store(&county, &workers, move |s| {
                s.change_password(&principal, &old, &new)
            })
            .await?;
            Ok(StatusCode::NO_CONTENT.into_response())
        }
        .await,
    )
}

// ---------------------------------------------------------------------------
// Agencies and accounts

async fn agencies(
    Extension(county): Shared,
    Extension(workers): Extension<Workers>,
    method: Method,
    headers: HeaderMap,
) -> Response {
    done(
        async {
            let principal = caller(&county, &workers, &method, &headers).await?;
            let list = with_store(&county, &workers, move |s| s.agencies(&principal)).await?;
            Ok(axum::Json(list).into_response())
        }
        .await,
    )
}

#[derive(Deserialize)]
struct AgencyBody {
    name: String,
    short_name: Option<String>,
    region: Option<String>,
}

async fn create_agency(
    Extension(county): Shared,
    Extension(workers): Extension<Workers>,
    method: Method,
    headers: HeaderMap,
    body: Result<axum::Json<AgencyBody>, JsonRejection>,
) -> Response {
    done(
        async {
            let principal = caller(&county, &workers, &method, &headers).await?;
            let body = json_body(body)?;
            let agency = with_store(&county, &workers, move |s| {
                let mut new = crate::store::NewAgency::named(&body.name);
                new.short_name = body.short_name.filter(|v| !v.trim().is_empty());
                new.region = body.region.filter(|v| !v.trim().is_empty());
                s.create_agency(&principal, &new)
            })
            .await?;
            Ok((StatusCode::CREATED, axum::Json(agency)).into_response())
        }
        .await,
    )
}

async fn import_agencies(
    Extension(county): Shared,
    Extension(workers): Extension<Workers>,
    method: Method,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    done(
        async {
            let principal = caller(&county, &workers, &method, &headers).await?;
            let media = headers
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if !media.to_ascii_lowercase().starts_with("text/csv") {
                return Err(refuse(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "机关名单应为 CSV（Content-Type: text/csv）".into(),
                ));
            }
            let csv = body.map_err(|e| refuse(e.status(), e.body_text()))?;
            let summary = with_store(&county, &workers, move |s| {
                s.import_agencies_csv(&principal, &csv)
            })
            .await?;
            let clerks: Vec<Value> = summary
                .clerks
                .iter()
                .map(|c| json!({ "account": c.account, "password": c.password.expose() }))
                .collect();
            let mut response = axum::Json(json!({
                "created": summary.created,
                "existing": summary.existing,
                "clerks": clerks,
            }))
            .into_response();
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            Ok(response)
        }
        .await,
    )
}

#[derive(Deserialize)]
struct ClerkBody {
    login: String,
}

async fn create_clerk(
    Extension(county): Shared,
    Extension(workers): Extension<Workers>,
    method: Method,
    headers: HeaderMap,
    id: Result<UrlPath<String>, PathRejection>,
    body: Result<axum::Json<ClerkBody>, JsonRejection>,
) -> Response {
    done(
        async {
            let principal = caller(&county, &workers, &method, &headers).await?;
            let agency_id = path_id(&path_of(id)?, "机关")?;
            let ClerkBody { login } = json_body(body)?;
            let created = with_store(&county, &workers, move |s| {
                s.create_clerk(&principal, agency_id, &login)
            })
            .await?;
            let mut response = (
                StatusCode::CREATED,
                axum::Json(json!({
                    "account": created.account,
                    "password": created.password.expose(),
                })),
            )
                .into_response();
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            Ok(response)
        }
        .await,
    )
}

// ---------------------------------------------------------------------------
// Reports

fn report_path(p: Result<UrlPath<(String, String)>, PathRejection>) -> Result<(i64, u16), Refused> {
    let (agency, year) = path_of(p)?;
    Ok((path_id(&agency, "机关")?, path_year(&year)?))
}

async fn report(
    Extension(county): Shared,
    Extension(workers): Extension<Workers>,
    method: Method,
    headers: HeaderMap,
    p: Result<UrlPath<(String, String)>, PathRejection>,
) -> Response {
    done(
        async {
            let principal = caller(&county, &workers, &method, &headers).await?;
            let (agency, year) = report_path(p)?;
            let state = with_store(&county, &workers, move |s| {
                s.report(&principal, agency, year)
            })
            .await?;
            let version = state.version;
            Ok(with_etag(axum::Json(state).into_response(), version))
        }
        .await,
    )
}

/// The version named by `If-Match` (`"3"`, `3` or `W/"3"`): 428 without it.
fn if_match(headers: &HeaderMap) -> Result<i64, Refused> {
    let Some(value) = headers.get(header::IF_MATCH) else {
        return Err(refuse(
            StatusCode::PRECONDITION_REQUIRED,
            "保存草稿须带 If-Match：读取报告时得到的版本号（ETag）".into(),
        ));
    };
    value
        .to_str()
        .ok()
        .map(|v| v.trim().trim_start_matches("W/").trim_matches('"'))
        .and_then(|v| v.parse::<i64>().ok())
        .filter(|v| *v >= 0)
        .ok_or_else(|| {
            refuse(
                StatusCode::BAD_REQUEST,
                "If-Match 应为版本号，如 \"3\"".into(),
            )
        })
}

async fn save(
    Extension(county): Shared,
    Extension(workers): Extension<Workers>,
    method: Method,
    headers: HeaderMap,
    p: Result<UrlPath<(String, String)>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    done(
        async {
            let principal = caller(&county, &workers, &method, &headers).await?;
            let (agency, year) = report_path(p)?;
            let media = headers
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if !media.to_ascii_lowercase().starts_with("application/json") {
                return Err(refuse(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "草稿应为 JSON（Content-Type: application/json）".into(),
                ));
            }
            let expected = if_match(&headers)?;
            let json = body.map_err(|e| refuse(e.status(), e.body_text()))?;
            let saved = with_store(&county, &workers, move |s| {
                s.save_draft(&principal, agency, year, expected, &json)
            })
            .await?;
            let version = saved.version;
            Ok(with_etag(axum::Json(saved).into_response(), version))
        }
        .await,
    )
}

#[derive(Deserialize)]
struct SubmitBody {
    version: i64,
    #[serde(default)]
    acknowledge_warnings: bool,
}

async fn submit(
    Extension(county): Shared,
    Extension(workers): Extension<Workers>,
    method: Method,
    headers: HeaderMap,
    p: Result<UrlPath<(String, String)>, PathRejection>,
    body: Result<axum::Json<SubmitBody>, JsonRejection>,
) -> Response {
    done(
        async {
            let principal = caller(&county, &workers, &method, &headers).await?;
            let (agency, year) = report_path(p)?;
            let SubmitBody {
                version,
                acknowledge_warnings,
            } = json_body(body)?;
            let saved = with_store(&county, &workers, move |s| {
                s.submit(&principal, agency, year, version, acknowledge_warnings)
            })
            .await?;
            let version = saved.version;
            Ok(with_etag(axum::Json(saved).into_response(), version))
        }
        .await,
    )
}

#[derive(Deserialize)]
struct ReturnBody {
    version: i64,
    reason: String,
}

async fn give_back(
    Extension(county): Shared,
    Extension(workers): Extension<Workers>,
    method: Method,
    headers: HeaderMap,
    p: Result<UrlPath<(String, String)>, PathRejection>,
    body: Result<axum::Json<ReturnBody>, JsonRejection>,
) -> Response {
    done(
        async {
            let principal = caller(&county, &workers, &method, &headers).await?;
            let (agency, year) = report_path(p)?;
            let ReturnBody { version, reason } = json_body(body)?;
            let saved = with_store(&county, &workers, move |s| {
                s.return_report(&principal, agency, year, version, &reason)
            })
            .await?;
            let version = saved.version;
            Ok(with_etag(axum::Json(saved).into_response(), version))
        }
        .await,
    )
}

async fn history(
    Extension(county): Shared,
    Extension(workers): Extension<Workers>,
    method: Method,
    headers: HeaderMap,
    p: Result<UrlPath<(String, String)>, PathRejection>,
) -> Response {
    done(
        async {
            let principal = caller(&county, &workers, &method, &headers).await?;
            let (agency, year) = report_path(p)?;
            let list = with_store(&county, &workers, move |s| {
                s.history(&principal, agency, year)
            })
            .await?;
            Ok(axum::Json(list).into_response())
        }
        .await,
    )
}

async fn version(
    Extension(county): Shared,
    Extension(workers): Extension<Workers>,
    method: Method,
    headers: HeaderMap,
    p: Result<UrlPath<(String, String, String)>, PathRejection>,
) -> Response {
    done(
        async {
            let principal = caller(&county, &workers, &method, &headers).await?;
            let (agency, year, version) = path_of(p)?;
            let (agency, year) = (path_id(&agency, "机关")?, path_year(&year)?);
            let version = path_id(&version, "版本")?;
            let json = with_store(&county, &workers, move |s| {
                s.version_json(&principal, agency, year, version)
            })
            .await?;
            Ok(([(header::CONTENT_TYPE, "application/json")], json).into_response())
        }
        .await,
    )
}

// ---------------------------------------------------------------------------
// The county

async fn county(
    Extension(county): Shared,
    Extension(workers): Extension<Workers>,
    method: Method,
    headers: HeaderMap,
    year: Result<UrlPath<String>, PathRejection>,
) -> Response {
    done(
        async {
            let principal = caller(&county, &workers, &method, &headers).await?;
            let year = path_year(&path_of(year)?)?;
            let view = with_store(&county, &workers, move |s| s.county(&principal, year)).await?;
            Ok(axum::Json(view).into_response())
        }
        .await,
    )
}

#[derive(Deserialize)]
struct DeadlineBody {
    date: Option<String>,
}

async fn deadline(
    Extension(county): Shared,
    Extension(workers): Extension<Workers>,
    method: Method,
    headers: HeaderMap,
    year: Result<UrlPath<String>, PathRejection>,
    body: Result<axum::Json<DeadlineBody>, JsonRejection>,
) -> Response {
    done(
        async {
            let principal = caller(&county, &workers, &method, &headers).await?;
            let year = path_year(&path_of(year)?)?;
            let DeadlineBody { date } = json_body(body)?;
            let date =
                match date.as_deref().map(str::trim) {
                    None | Some("") => None,
                    Some(text) => Some(text.parse::<Date>().map_err(|e| {
                        refuse(StatusCode::BAD_REQUEST, format!("截止日期有误：{e}"))
                    })?),
                };
            with_store(&county, &workers, move |s| {
                s.set_deadline(&principal, year, date)
            })
            .await?;
            Ok(StatusCode::NO_CONTENT.into_response())
        }
        .await,
    )
}

/// `GET /api/county/{year}/zip`: the submitted reports of `year` as the
/// inputs of a batch (`输入/`, one JSON file per agency), last year's
/// submitted reports for R5/R6 (`上年/`), and exactly what `nianbao batch
/// 输入 -o 输出 --previous 上年` writes (`输出/`), in one ZIP under
/// `{county}{year}/`. `nianbao verify` passes on `输出/`, and
/// `nianbao batch 输入 -o 输出 --name {county} [--previous 上年]` run in that
/// folder gives the same bytes.
async fn county_zip(
    Extension(county): Shared,
    Extension(workers): Extension<Workers>,
    method: Method,
    headers: HeaderMap,
    year: Result<UrlPath<String>, PathRejection>,
) -> Response {
    done(
        async {
            let principal = caller(&county, &workers, &method, &headers).await?;
            let year = path_year(&path_of(year)?)?;
            let (name, bytes) =
                with_store(&county, &workers, move |s| build_zip(s, &principal, year)).await?;
            Ok(api::attachment(&name, "application/zip", bytes, year))
        }
        .await,
    )
}

fn build_zip(store: &Store, admin: &Principal, year: u16) -> Result<(String, Vec<u8>), StoreError> {
    let reports = store.submitted_reports(admin, year)?;
    if reports.is_empty() {
        return Err(StoreError::NotFound {
            what: "已提交的报告",
        });
    }
    let previous = match year.checked_sub(1) {
        Some(last) if YEARS.contains(&last) => store.submitted_reports(admin, last)?,
        _ => Vec::new(),
    };
    let county = store.county_name()?;
    let work = tempfile::tempdir()
        .map_err(|e| StoreError::Internal(format!("无法建立临时文件夹：{e}")))?;
    let write_inputs =
        |folder: &Path, reports: &[crate::store::SubmittedReport]| -> Result<(), StoreError> {
            std::fs::create_dir_all(folder)
                .map_err(|e| StoreError::Internal(format!("写临时文件失败：{e}")))?;
            for r in reports {
                let (stem, _) = safe_file_name(&r.agency.name);
                std::fs::write(folder.join(format!("{stem}.json")), &r.json)
                    .map_err(|e| StoreError::Internal(format!("写临时文件失败：{e}")))?;
            }
            Ok(())
        };
    let inputs = work.path().join(INPUTS);
    let last_year = work.path().join(PREVIOUS);
    let out = work.path().join(OUTPUTS);
    write_inputs(&inputs, &reports)?;
    let mut options = crate::batch::Options::new(vec![inputs.clone()], out.clone());
    // One report at a time: the service's other requests keep the other cores.
    options.jobs = Some(1);
    options.name = Some(county.clone());
    options.input_base = Some(work.path().to_path_buf());
    if !previous.is_empty() {
        write_inputs(&last_year, &previous)?;
        options.previous = Some(last_year.clone());
    }
    crate::batch::run(&options, &|_, _, _| {})
        .map_err(|e| StoreError::Internal(format!("生成全县文件失败：{e}")))?;
    let root = format!("{}{year}", safe_file_name(&county).0);
    let mut parts: Vec<(String, Vec<u8>)> = Vec::new();
    for folder in [INPUTS, PREVIOUS, OUTPUTS] {
        let base = work.path().join(folder);
        if !base.is_dir() {
            continue;
        }
        let mut files: Vec<_> = walkdir::WalkDir::new(&base)
            .sort_by_file_name()
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_file())
            .map(|e| e.into_path())
            .collect();
        files.sort();
        for file in files {
            let relative = file.strip_prefix(&base).unwrap_or(&file);
            let name = format!("{root}/{folder}/{}", relative.to_string_lossy());
            let bytes = std::fs::read(&file)
                .map_err(|e| StoreError::Internal(format!("读临时文件失败：{e}")))?;
            parts.push((name, bytes));
        }
    }
    let zip = crate::render::ooxml::pack_stored(&parts)
        .map_err(|e| StoreError::Internal(format!("生成 ZIP 失败：{e}")))?;
    Ok((format!("{root}政府信息公开工作年度报告.zip"), zip))
}

/// The folders of the county ZIP.
pub const INPUTS: &str = "输入";
/// See [`INPUTS`].
pub const PREVIOUS: &str = "上年";
/// See [`INPUTS`].
pub const OUTPUTS: &str = "输出";
