//! `kql serve`: the Kusto REST query protocol over a local lake, so the Kusto clients analysts
//! already use (the official SDKs, Kqlmagic, Kusto Explorer, the Azure Data Explorer web UI,
//! Grafana's data source) query Parquet files unchanged.
//!
//! Endpoints (Microsoft's REST API documentation, `data-explorer/kusto/api/rest/`):
//! `POST /v2/rest/query` (v2 frames, streamed), `POST /v1/rest/query` (v1 tables),
//! `POST /v1/rest/mgmt` (the management commands clients send on connect, see [`mgmt`]),
//! `GET /` (a status page) and CORS preflight for browser clients.
//!
//! The lake is one database. Requests are bounded: body size, query time (`servertimeout`, up to
//! the server's maximum), result rows (`truncationmaxrecords`, `notruncation`, up to the
//! server's maximum) and concurrent queries (beyond them a request is answered 429 at once).
//! Requests need `Authorization: Bearer <token>` when the server has a token, compared in
//! constant time. [`check_exposure`] refuses a non-loopback address without a token unless the
//! operator insists.
//!
//! ```no_run
//! # async fn f() -> Result<(), Box<dyn std::error::Error>> {
//! let ctx = kql_engine::KqlContext::new();
//! ctx.register_lake("lake").await?;
//! let config = kql_server::ServerConfig::new("lake");
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! kql_server::serve(listener, ctx, config, std::future::pending()).await?;
//! # Ok(()) }
//! ```

// The router tests (tests/protocol.rs) use these; the unit tests do not.
#[cfg(test)]
use {http_body_util as _, tower as _};

mod error;
pub mod mgmt;
mod request;
mod v1;
mod v2;
mod values;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use kql_engine::{KqlContext, KqlResult};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tower_http::compression::CompressionLayer;
use tower_http::cors::{Any, CorsLayer};
use tower_http::decompression::RequestDecompressionLayer;

use crate::error::ApiError;
use crate::request::Request;

/// Kusto's default limit on result rows (`truncationmaxrecords`).
pub const DEFAULT_MAX_RECORDS: u64 = 500_000;

/// How a server runs: its database name, who may call it, and its limits.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// The name of the lake's database (what `.show databases` lists and `db` may name).
    pub database: String,
    /// The bearer token every request must carry, if any.
    pub token: Option<String>,
    /// The largest request body, in bytes.
    pub max_body_bytes: usize,
    /// A query's time when the request does not set `servertimeout`.
    pub default_timeout: Duration,
    /// The longest time any query may take, whatever it asks for.
    pub max_timeout: Duration,
    /// The most rows a result may have, whatever the request asks for (`notruncation`
    /// included).
    pub max_rows: u64,
    /// The most queries and commands run at once; more wait their turn (within their time
    /// limit).
    pub max_concurrent: usize,
    /// The most requests that may wait for a turn; more are answered 429 (throttled) at once.
    pub max_queued: usize,
    /// Values of `declare query_parameters` for every query; a request's own `Parameters`
    /// override them.
    pub parameters: kql_engine::QueryParameters,
}

impl ServerConfig {
    /// Defaults: Kusto's 4-minute query timeout (10 minutes at most), 500,000 rows by default
    /// and 10 million at most, 1 MiB bodies, 16 concurrent queries and 256 waiting, no token.
    pub fn new(database: impl Into<String>) -> Self {
        Self {
            database: database.into(),
            token: None,
            max_body_bytes: 1 << 20,
            default_timeout: Duration::from_secs(4 * 60),
            max_timeout: Duration::from_secs(10 * 60),
            max_rows: 10_000_000,
            max_concurrent: 16,
            max_queued: 256,
            parameters: kql_engine::QueryParameters::new(),
        }
    }
}

/// Whether `addr` may be served with `config`: a loopback address always; any other address
/// only with a token, or when `insecure_no_auth` says so.
///
/// # Errors
/// A message saying what to add.
pub fn check_exposure(addr: SocketAddr, config: &ServerConfig, insecure_no_auth: bool) -> Result<(), String> {
    if addr.ip().is_loopback() || config.token.is_some() || insecure_no_auth {
        return Ok(());
    }
    Err(format!(
        "{addr} is reachable from other machines: give a bearer token (--token FILE) or, to serve without one, --insecure-no-auth"
    ))
}

/// What every request shares.
#[derive(Debug)]
struct AppState {
    ctx: KqlContext,
    config: ServerConfig,
    slots: Arc<Semaphore>,
    waiting: std::sync::atomic::AtomicUsize,
}

/// The protocol's routes over a context whose tables are the lake.
pub fn router(ctx: KqlContext, config: ServerConfig) -> Router {
    let limit = config.max_body_bytes;
    let state = Arc::new(AppState {
        slots: Arc::new(Semaphore::new(config.max_concurrent.max(1))),
        waiting: std::sync::atomic::AtomicUsize::new(0),
        ctx,
        config,
    });
    let cors = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
        .allow_headers(Any)
        .expose_headers(Any)
        .allow_private_network(true)
        .max_age(Duration::from_secs(3600));
    Router::new()
        .route("/", get(status))
        .route("/v2/rest/query", post(v2_query))
        .route("/v1/rest/query", post(v1_query))
        .route("/v1/rest/mgmt", post(mgmt_command))
        .route("/v2/rest/mgmt", post(mgmt_command))
        .fallback(not_found)
        .layer(axum::extract::DefaultBodyLimit::max(limit))
        .layer(RequestDecompressionLayer::new())
        .layer(CompressionLayer::new())
        .layer(cors)
        .with_state(state)
}

/// Serves the protocol on `listener` until `shutdown` completes (queries in flight finish).
///
/// # Errors
/// When the listener fails.
pub async fn serve(
    listener: tokio::net::TcpListener,
    ctx: KqlContext,
    config: ServerConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(ctx, config)).with_graceful_shutdown(shutdown).await
}

/// The request's ids: the client's `x-ms-client-request-id` (or one made up) and a new
/// activity id.
fn request_ids(headers: &HeaderMap) -> (String, String) {
    let request = headers
        .get("x-ms-client-request-id")
        .and_then(|v| v.to_str().ok())
        .map_or_else(|| format!("KQL.serve;{}", uuid::Uuid::new_v4()), str::to_owned);
    (uuid::Uuid::new_v4().to_string(), request)
}

/// Sets `x-ms-activity-id` and echoes `x-ms-client-request-id`.
pub(crate) fn ids(r: &mut Response, activity: &str, request: &str) {
    let h = r.headers_mut();
    if let Ok(v) = HeaderValue::from_str(activity) {
        h.insert("x-ms-activity-id", v);
    }
    if let Ok(v) = HeaderValue::from_str(request) {
        h.insert("x-ms-client-request-id", v);
    }
}

/// Whether the caller may call: the bearer token, compared in constant time.
fn authorize(state: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(token) = &state.config.token else { return Ok(()) };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .unwrap_or("");
    if subtle::ConstantTimeEq::ct_eq(given.trim().as_bytes(), token.as_bytes()).into() {
        Ok(())
    } else {
        Err(ApiError::status(
            StatusCode::UNAUTHORIZED,
            "Unauthorized",
            "this server needs `Authorization: Bearer <token>`",
        ))
    }
}

/// A request admitted to run: its ids, parsed body, limits and concurrency slot.
struct Admitted {
    activity: String,
    request_id: String,
    request: Request,
    limits: Limits,
    _slot: OwnedSemaphorePermit,
}

/// Checks a call (token, content type, body, slot) and parses it.
async fn admit(
    state: &AppState,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Admitted, Box<Response>> {
    let (activity, request_id) = request_ids(headers);
    let fail = |e: ApiError| Box::new(e.response(&activity, &request_id));
    authorize(state, headers).map_err(fail)?;
    if let Some(t) = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok())
        && !t.to_ascii_lowercase().starts_with("application/json")
    {
        return Err(fail(ApiError::status(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UnsupportedMediaType",
            format!("the request body must be JSON (Content-Type: application/json), not {t}"),
        )));
    }
    let body = body.map_err(|e| {
        let status = e.status();
        let message = if status == StatusCode::PAYLOAD_TOO_LARGE {
            format!("the request body is larger than this server's limit of {} bytes", state.config.max_body_bytes)
        } else {
            format!("the request body could not be read: {e}")
        };
        fail(ApiError::status(status, "BadRequest", message))
    })?;
    let request = Request::parse(&body).map_err(fail)?;
    if let Some(db) = &request.db
        && !db.eq_ignore_ascii_case(&state.config.database)
        && !db.eq_ignore_ascii_case("NetDefaultDB")
    {
        return Err(fail(ApiError::bad_request(format!(
            "database `{db}` does not exist here; this server's database is `{}`",
            state.config.database
        ))));
    }
    let limits = limits(state, &request).map_err(fail)?;
    let slot = match Arc::clone(&state.slots).try_acquire_owned() {
        Ok(slot) => slot,
        Err(_) => {
            use std::sync::atomic::Ordering;
            let throttled = || {
                fail(ApiError::status(
                    StatusCode::TOO_MANY_REQUESTS,
                    "TooManyRequests",
                    format!(
                        "the server is running its limit of {} queries with {} waiting; retry shortly",
                        state.config.max_concurrent, state.config.max_queued
                    ),
                ))
            };
            if state.waiting.fetch_add(1, Ordering::SeqCst) >= state.config.max_queued {
                state.waiting.fetch_sub(1, Ordering::SeqCst);
                return Err(throttled());
            }
            let turn = tokio::time::timeout_at(limits.deadline, Arc::clone(&state.slots).acquire_owned()).await;
            state.waiting.fetch_sub(1, Ordering::SeqCst);
            match turn {
                Ok(Ok(slot)) => slot,
                Ok(Err(_)) => return Err(throttled()),
                Err(_) => return Err(fail(timeout_error())),
            }
        }
    };
    Ok(Admitted { activity, request_id, request, limits, _slot: slot })
}

/// A query's limits, from the request and the server's bounds.
#[derive(Clone, Copy, Debug)]
struct Limits {
    deadline: tokio::time::Instant,
    rows: u64,
}

fn limits(state: &AppState, r: &Request) -> Result<Limits, ApiError> {
    let timeout = r.server_timeout()?.unwrap_or(state.config.default_timeout).min(state.config.max_timeout);
    let rows = if r.flag("notruncation") {
        state.config.max_rows
    } else {
        r.number("truncationmaxrecords")?.unwrap_or(DEFAULT_MAX_RECORDS).min(state.config.max_rows)
    };
    Ok(Limits { deadline: tokio::time::Instant::now() + timeout, rows })
}

/// Plans a query (the request's `query_now` and parameters), within its time limit.
async fn plan(state: &AppState, r: &Request, limits: Limits) -> Result<Vec<KqlResult>, ApiError> {
    let mut ctx = state.ctx.clone();
    if let Some(now) = r.query_now()? {
        ctx.set_now(Some(now));
    }
    let mut parameters = state.config.parameters.clone();
    parameters.extend(r.parameters.iter().map(|(k, v)| (k.clone(), v.clone())));
    match tokio::time::timeout_at(limits.deadline, ctx.results(&r.csl, &parameters)).await {
        Ok(Ok(results)) => Ok(results),
        Ok(Err(e)) => Err(ApiError::query(&e, &r.csl)),
        Err(_) => Err(timeout_error()),
    }
}

fn timeout_error() -> ApiError {
    ApiError::status(
        StatusCode::REQUEST_TIMEOUT,
        "Request timeout",
        "the query ran past its time limit (servertimeout, bounded by the server's maximum)",
    )
}

async fn v2_query(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let a = match admit(&state, &headers, body).await {
        Ok(a) => a,
        Err(r) => return *r,
    };
    if a.request.csl.trim_start().starts_with('.') {
        return ApiError::bad_request("management commands go to /v1/rest/mgmt").response(&a.activity, &a.request_id);
    }
    match plan(&state, &a.request, a.limits).await {
        Ok(results) => v2::respond(a, results),
        Err(e) => e.response(&a.activity, &a.request_id),
    }
}

async fn v1_query(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let a = match admit(&state, &headers, body).await {
        Ok(a) => a,
        Err(r) => return *r,
    };
    if a.request.csl.trim_start().starts_with('.') {
        return mgmt::respond(&state.ctx, &state.config, a).await;
    }
    match plan(&state, &a.request, a.limits).await {
        Ok(results) => v1::respond(a, results).await,
        Err(e) => e.response(&a.activity, &a.request_id),
    }
}

async fn mgmt_command(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    match admit(&state, &headers, body).await {
        Ok(a) => mgmt::respond(&state.ctx, &state.config, a).await,
        Err(r) => *r,
    }
}

async fn status(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    if let Err(e) = authorize(&state, &headers) {
        let (activity, request) = request_ids(&headers);
        return e.response(&activity, &request);
    }
    let tables = state.ctx.table_names();
    let page = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>kql serve</title></head><body>\
         <h1>kql serve</h1><p>The Kusto REST query protocol over a local lake: database <b>{}</b>, {} tables.</p>\
         <p>Endpoints: <code>POST /v2/rest/query</code>, <code>POST /v1/rest/query</code>, <code>POST /v1/rest/mgmt</code>.</p>\
         <p>Connect a Kusto client to this address (for the Python SDK: \
         <code>KustoConnectionStringBuilder.with_no_authentication(\"http://...\")</code>).</p></body></html>",
        html_escape(&state.config.database),
        tables.len()
    );
    Html(page).into_response()
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

async fn not_found(headers: HeaderMap, uri: axum::http::Uri) -> Response {
    let (activity, request) = request_ids(&headers);
    ApiError::status(StatusCode::NOT_FOUND, "NotFound", format!("no endpoint at {}", uri.path()))
        .response(&activity, &request)
}
