//! `nianbao serve`: the library as an HTTP service (axum on tokio).
//!
//! The JSON API, documented as OpenAPI at `GET /api/openapi.json`:
//!
//! | endpoint | what |
//! |---|---|
//! | `POST /api/check` | a report (JSON, TOML or a filled form) → [`crate::CheckResult`] |
//! | `POST /api/render?format=zip\|docx\|xlsx\|html\|pdf` | the same bodies → the files, with their official names |
//! | `POST /api/convert?to=json\|toml` | the same bodies → the report as JSON or TOML, unchecked |
//! | `POST /api/import?name=` | a published report (DOCX, PDF, text, HTML) → the report JSON and what was read ([`crate::import`]) |
//! | `GET /api/form?agency=&year=` | the fill-in workbook |
//! | `GET /api/spec` | the mandated tables, the outline and the rules (what a page is built from) |
//! | `GET /api/openapi.json` | the OpenAPI 3.0 document |
//! | `GET /healthz` | `ok` |
//!
//! `GET /` is the fill-in page (`assets/`, embedded; see [`page`]): the three
//! tables built from `/api/spec`, live totals, findings next to their cells,
//! the text blocks, downloads, and a draft kept in the browser.
//!
//! The service is stateless: it needs no set-up and writes nothing to disk
//! but a PDF being imported, in a temporary folder while `pdftotext` reads
//! it (killed when the request's time is nearly up).
//! Its limits ([`Config`]) hold under abuse: a body limit (413), a read
//! timeout on request bodies (408), a timeout per request (503), a limit
//! on requests in flight that answers 503 with `Retry-After: 1` at once
//! instead of queueing, and, per connection, a timeout on sending a
//! request's head (also the idle keep-alive time), a timeout on a response
//! the client does not read, and a limit on open connections (see `conn`).
//! Reading, checking and rendering run on tokio's blocking pool, at most
//! `workers` at once in arrival order, so the async workers stay free and
//! the cores are not shared among more reports than they can work on;
//! hostile templates and forms meet the library's own bounds and are
//! answered 400. Every request
//! is logged to stderr as one line (method, path, status, milliseconds),
//! without query values or report data.
//!
//! ```no_run
//! // What `nianbao serve --addr 127.0.0.1:8080` does:
//! nianbao::serve::run("127.0.0.1:8080".parse().unwrap(), nianbao::serve::Config::default()).unwrap();
//! ```

mod api;
mod conn;
mod county;
pub use county::{COOKIE, CSRF_HEADER};
mod page;
mod pdf;
mod spec_json;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tokio::sync::Semaphore;

/// The limits of the service.
#[derive(Debug, Clone)]
pub struct Config {
    /// The largest request body in bytes (larger: 413). A real report is a few KB.
    pub body_limit: usize,
    /// The largest body of `POST /api/import` in bytes (larger: 413): a
    /// published PDF with its fonts is often a few MB.
    pub import_body_limit: usize,
    /// How long a client may take to send its body (longer: 408).
    pub body_timeout: Duration,
    /// How long one request may take in all (longer: 503).
    pub request_timeout: Duration,
    /// How long the county's two long requests may take (longer: 503): an
    /// import of agencies, which hashes a one-time password per new clerk
    /// (argon2, tens of milliseconds each), and the county ZIP, a batch.
    pub long_request_timeout: Duration,
    /// Requests of `/api/` in flight at once; one more is answered 503 with
    /// `Retry-After: 1` at once.
    pub max_in_flight: usize,
    /// Reports read, checked or rendered at once; the other requests in
    /// flight wait their turn in order.
    pub workers: usize,
    /// How long a client may take to send a request's head, and how long a
    /// keep-alive connection may stay idle (longer: the connection is closed).
    pub header_timeout: Duration,
    /// How long a response may wait for a client that reads none of it
    /// (longer: the connection is closed).
    pub write_timeout: Duration,
    /// Connections open at once; past them no more are accepted until one
    /// closes.
    pub max_connections: usize,
    /// The county collection server's state (`nianbao serve --data DIR`):
    /// with it, the routes of accounts, drafts, submissions and the county
    /// (see the `county` routes); without it the service is stateless.
    pub store: Option<Arc<crate::store::Store>>,
    /// Mark the session cookie `Secure` (set it when the server is reached
    /// over TLS, e.g. behind a reverse proxy).
    pub secure_cookie: bool,
    /// PDF conversions (`format=pdf`) admitted at once, waiting or running;
    /// one more is answered 503 with `Retry-After` at once.
    pub pdf_queue: usize,
    /// LibreOffice runs side by side (each converts on one core).
    pub pdf_converters: usize,
    /// How long a `format=pdf` request may take in all (longer: 503).
    pub pdf_timeout: Duration,
    /// How long a LibreOffice run may take, besides 5 s per document
    /// (longer: it is killed and its requests get a 504).
    pub pdf_run_timeout: Duration,
    /// Where LibreOffice's private profiles go; the system's temporary
    /// folder when `None`.
    pub pdf_dir: Option<std::path::PathBuf>,
}

impl Default for Config {
    /// 2 MiB (8 MiB for a published report to import), 10 s to send a body,
    /// 10 s a request (10 minutes for the county's import and ZIP, 2 minutes
    /// for a PDF; 16 PDFs queued, a LibreOffice per core, 60 s a run),
    /// 64 requests in flight,
    /// a worker per core, 10 s to send a head or idle, 10 s of a response
    /// unread, 1024 connections.
    fn default() -> Config {
        Config {
            body_limit: 2 * 1024 * 1024,
            import_body_limit: 8 * 1024 * 1024,
            body_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(10),
            long_request_timeout: Duration::from_secs(600),
            max_in_flight: 64,
            workers: std::thread::available_parallelism().map_or(2, |n| n.get()),
            header_timeout: Duration::from_secs(10),
            write_timeout: Duration::from_secs(10),
            max_connections: 1024,
            store: None,
            secure_cookie: false,
            pdf_queue: 16,
            pdf_converters: std::thread::available_parallelism().map_or(1, |n| n.get()),
            pdf_timeout: Duration::from_secs(120),
            pdf_run_timeout: Duration::from_secs(60),
            pdf_dir: None,
        }
    }
}

/// The service's routes with every limit and the request log.
pub fn router(config: Config) -> Router {
    let limits = Arc::new(Limits {
        in_flight: Semaphore::new(config.max_in_flight),
        workers: api::Workers::new(config.workers),
        pdf: pdf::Converter::start(pdf::Settings {
            capacity: config.pdf_queue,
            threads: config.pdf_converters,
            dir: config.pdf_dir.clone(),
            run_timeout: config.pdf_run_timeout,
        }),
        config: config.clone(),
    });
    let mut api = Router::new()
        .route("/api/check", post(api::check))
        .route("/api/render", post(api::render))
        .route("/api/convert", post(api::convert))
        .route("/api/form", get(api::form))
        .route("/api/spec", get(api::spec))
        .route("/api/openapi.json", get(api::openapi))
        .route(
            IMPORT_PATH,
            post(api::import).layer(DefaultBodyLimit::max(config.import_body_limit)),
        );
    if let Some(store) = &config.store {
        let shared = Arc::new(county::County {
            store: Arc::clone(store),
            secure_cookie: config.secure_cookie,
        });
        api = api.merge(county::routes().layer(axum::Extension(shared)));
    }
    let api = api
        .layer(DefaultBodyLimit::max(config.body_limit))
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
            config.body_timeout,
        ))
        .layer(middleware::from_fn_with_state(limits, limit));
    Router::new()
        .route("/", get(page::index))
        .route("/assets/app.js", get(page::script))
        .route("/assets/style.css", get(page::style))
        .route("/healthz", get(|| async { "ok" }))
        .merge(api)
        .fallback(|| async { api::error(StatusCode::NOT_FOUND, "没有这个地址".into()) })
        .method_not_allowed_fallback(api::method_not_allowed)
        .layer(middleware::from_fn(log))
}

/// Serves `router(config)` on `listener` until `shutdown` completes, then
/// finishes the requests in flight.
pub async fn serve(
    listener: tokio::net::TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    conn::serve(listener, router(config.clone()), &config, shutdown).await
}

/// `nianbao serve`: binds `addr`, says where it listens on stderr, and serves
/// until SIGINT or SIGTERM, finishing the requests in flight.
pub fn run(addr: SocketAddr, config: Config) -> std::io::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        eprintln!("nianbao serve: http://{}", listener.local_addr()?);
        serve(listener, config, stop_signal()).await?;
        eprintln!("nianbao serve: 已停止");
        Ok(())
    })
}

/// A server on its own thread and runtime (for tests and embedding): see
/// [`Server::start`].
pub struct Server {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<std::io::Result<()>>>,
}

impl Server {
    /// Binds `addr` (port 0: any free port) and serves on a background
    /// thread until [`Server::stop`] or drop.
    pub fn start(addr: SocketAddr, config: Config) -> std::io::Result<Server> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        let listener = runtime.block_on(tokio::net::TcpListener::bind(addr))?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("nianbao-serve".into())
            .spawn(move || {
                runtime.block_on(serve(listener, config, async {
                    let _ = stopped.await;
                }))
            })?;
        Ok(Server {
            addr,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting, finishes the requests in flight and returns.
    pub fn stop(mut self) -> std::io::Result<()> {
        self.shut_down()
    }

    fn shut_down(&mut self) -> std::io::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.thread.take().map(|t| t.join()) {
            Some(Ok(result)) => result,
            Some(Err(_)) => Err(std::io::Error::other("服务线程异常退出")),
            None => Ok(()),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.shut_down();
    }
}

/// Completes on SIGINT (Ctrl-C) or, on Unix, SIGTERM.
async fn stop_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

struct Limits {
    in_flight: Semaphore,
    workers: api::Workers,
    pdf: pdf::Converter,
    config: Config,
}

/// The path of the import of a published report (its own body limit).
const IMPORT_PATH: &str = "/api/import";

/// When a request's time is up (`request_timeout` after it came in; the
/// handlers that run a tool of their own give it what is left).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Deadline(pub(crate) Instant);

/// The limits of `/api/`: a declared body over the limit is refused before it
/// is read (413); past `max_in_flight` requests, 503 at once; a request that
/// takes longer than `request_timeout` (`long_request_timeout` for the
/// county's import and ZIP, `pdf_timeout` for a PDF), 503.
async fn limit(State(limits): State<Arc<Limits>>, mut request: Request, next: Next) -> Response {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let body_limit = if request.uri().path() == IMPORT_PATH {
        limits.config.import_body_limit
    } else {
        limits.config.body_limit
    };
    if declared.is_some_and(|n| n > body_limit as u64) {
        return api::too_large(body_limit);
    }
    let Ok(_permit) = limits.in_flight.try_acquire() else {
        return busy("服务繁忙，请稍后重试");
    };
    request.extensions_mut().insert(limits.workers.clone());
    request.extensions_mut().insert(limits.pdf.clone());
    let timeout = if limits.config.store.is_some()
        && county::takes_long(request.method(), request.uri().path())
    {
        limits.config.long_request_timeout
    } else if request.uri().path() == "/api/render" && asks_for_pdf(request.uri().query()) {
        limits.config.pdf_timeout
    } else {
        limits.config.request_timeout
    };
    request
        .extensions_mut()
        .insert(Deadline(Instant::now() + timeout));
    match tokio::time::timeout(timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => busy(&format!(
            "处理超时（上限 {} 秒），请稍后重试",
            timeout.as_secs_f64()
        )),
    }
}

/// Whether a query holds `format=pdf`.
fn asks_for_pdf(query: Option<&str>) -> bool {
    query.is_some_and(|q| q.split('&').any(|pair| pair == "format=pdf"))
}

/// 503 with `Retry-After: 1`.
pub(crate) fn busy(message: &str) -> Response {
    let mut response = api::error(StatusCode::SERVICE_UNAVAILABLE, message.to_string());
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    response
}

/// One line per request on stderr: method, path, status, milliseconds. No
/// query, no body: nothing of a report goes into the log.
async fn log(request: Request, next: Next) -> impl IntoResponse {
    let started = Instant::now();
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let response = next.run(request).await;
    eprintln!(
        "{method} {} {} {:.1}ms",
        path.escape_debug(),
        response.status().as_u16(),
        started.elapsed().as_secs_f64() * 1000.0
    );
    response
}
