//! Errors as Kusto's clients read them: an HTTP status and the OneApi error body
//! (`{"error": {"code", "message", "@type", "@message", "@context", "@permanent"}}`), where
//! `@message` holds the located KQL error text (the query line and a caret).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kql_engine::KqlError;
use serde_json::{Value, json};

/// A request that fails before its answer starts.
#[derive(Debug)]
pub(crate) struct ApiError {
    pub(crate) status: StatusCode,
    pub(crate) code: &'static str,
    pub(crate) kind: &'static str,
    pub(crate) message: String,
    pub(crate) permanent: bool,
}

impl ApiError {
    /// A malformed request (not the query's fault).
    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            code: "BadRequest",
            kind: "Kusto.Common.Svc.Exceptions.BadRequestException",
            message: message.into(),
            permanent: true,
        }
    }

    /// Any other status, with its own code.
    pub(crate) fn status(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            kind: "Kusto.Common.Svc.Exceptions.ServiceException",
            message: message.into(),
            permanent: false,
        }
    }

    /// A query that could not be planned or failed: the located error against its text.
    pub(crate) fn query(e: &KqlError, csl: &str) -> Self {
        let (status, code, kind, permanent) = match e {
            KqlError::Parse(_) => {
                (StatusCode::BAD_REQUEST, "General_BadRequest", "Kusto.Data.Exceptions.SyntaxException", true)
            }
            KqlError::Plan(_) => {
                (StatusCode::BAD_REQUEST, "General_BadRequest", "Kusto.Data.Exceptions.SemanticException", true)
            }
            KqlError::NotSupported(_) => (
                StatusCode::BAD_REQUEST,
                "General_BadRequest",
                "Kusto.Data.Exceptions.KustoNotSupportedException",
                true,
            ),
            KqlError::Lake(_) | KqlError::DataFusion(_) | KqlError::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Internal service error",
                "Kusto.Data.Exceptions.KustoServiceException",
                false,
            ),
        };
        Self { status, code, kind, message: e.render(csl).trim_end().to_owned(), permanent }
    }

    /// The OneApi error object (`{"error": {...}}`).
    pub(crate) fn body(&self, activity: &str, request: &str) -> Value {
        json!({
            "error": {
                "code": self.code,
                "message": match self.status.as_u16() {
                    400 => "Request is invalid and cannot be executed.",
                    429 => "The request was throttled: the server runs as many queries as it allows.",
                    _ => "The request failed.",
                },
                "@type": self.kind,
                "@message": self.message,
                "@context": {
                    "timestamp": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
                    "serviceAlias": "KQL-LAKE",
                    "clientRequestId": request,
                    "activityId": activity,
                },
                "@permanent": self.permanent,
            }
        })
    }

    /// The answer: status, OneApi body, and the request's ids.
    pub(crate) fn response(&self, activity: &str, request: &str) -> Response {
        let mut r = (self.status, axum::Json(self.body(activity, request))).into_response();
        crate::ids(&mut r, activity, request);
        r
    }
}

/// A response naming the content type JSON, for hand-built bodies.
pub(crate) fn json_content(r: &mut Response) {
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json; charset=utf-8"));
}
