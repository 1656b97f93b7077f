//! The body of a query or management request: `{"db": ..., "csl": ..., "properties": ...}`.
//!
//! `properties` arrives as a JSON object or as a JSON string holding the object (the Python
//! SDK sends a string); its `Options` and `Parameters` (any case) hold the client request
//! properties and the values of `declare query_parameters`. Option names are matched without
//! regard to case.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use serde_json::{Map, Value};

use crate::error::ApiError;

/// A parsed request.
#[derive(Debug, Default)]
pub(crate) struct Request {
    /// The database named by the request (`db`), if any.
    pub(crate) db: Option<String>,
    /// The query or command text (`csl`).
    pub(crate) csl: String,
    /// Client request options, by lower-case name.
    pub(crate) options: HashMap<String, Value>,
    /// Query parameters, by name, as text.
    pub(crate) parameters: BTreeMap<String, String>,
}

fn member<'a>(object: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    object.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v)
}

/// A parameter value as the text `declare query_parameters` reads.
fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

impl Request {
    /// Reads a request body.
    pub(crate) fn parse(body: &[u8]) -> Result<Self, ApiError> {
        let value: Value = serde_json::from_slice(body)
            .map_err(|e| ApiError::bad_request(format!("the request body is not JSON: {e}")))?;
        let Value::Object(object) = value else {
            return Err(ApiError::bad_request("the request body must be a JSON object with `csl` (and `db`)"));
        };
        let csl = match member(&object, "csl") {
            Some(Value::String(s)) => s.clone(),
            Some(_) => return Err(ApiError::bad_request("`csl` must be a string")),
            None => return Err(ApiError::bad_request("the request has no `csl` (the query text)")),
        };
        let db = match member(&object, "db") {
            Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
            Some(Value::String(_) | Value::Null) | None => None,
            Some(_) => return Err(ApiError::bad_request("`db` must be a string")),
        };
        let properties = match member(&object, "properties") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(p)) => p.clone(),
            Some(Value::String(s)) if s.trim().is_empty() => Map::new(),
            Some(Value::String(s)) => match serde_json::from_str::<Value>(s) {
                Ok(Value::Object(p)) => p,
                _ => return Err(ApiError::bad_request("`properties` holds text that is not a JSON object")),
            },
            Some(_) => return Err(ApiError::bad_request("`properties` must be a JSON object or a string holding one")),
        };
        let options = match member(&properties, "Options") {
            Some(Value::Object(o)) => o.iter().map(|(k, v)| (k.to_ascii_lowercase(), v.clone())).collect(),
            None | Some(Value::Null) => HashMap::new(),
            Some(_) => return Err(ApiError::bad_request("`properties.Options` must be a JSON object")),
        };
        let parameters = match member(&properties, "Parameters") {
            Some(Value::Object(p)) => p.iter().map(|(k, v)| (k.clone(), text(v))).collect(),
            None | Some(Value::Null) => BTreeMap::new(),
            Some(_) => return Err(ApiError::bad_request("`properties.Parameters` must be a JSON object")),
        };
        Ok(Self { db, csl, options, parameters })
    }

    /// An option's value, by name (any case).
    pub(crate) fn option(&self, name: &str) -> Option<&Value> {
        self.options.get(&name.to_ascii_lowercase()).filter(|v| !v.is_null())
    }

    /// A boolean option (`true`, or the text `true`).
    pub(crate) fn flag(&self, name: &str) -> bool {
        match self.option(name) {
            Some(Value::Bool(b)) => *b,
            Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
            _ => false,
        }
    }

    /// A whole-number option.
    pub(crate) fn number(&self, name: &str) -> Result<Option<u64>, ApiError> {
        match self.option(name) {
            None => Ok(None),
            Some(Value::Number(n)) => n
                .as_u64()
                .map(Some)
                .ok_or_else(|| ApiError::bad_request(format!("option `{name}` must be a whole number"))),
            Some(Value::String(s)) => s
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| ApiError::bad_request(format!("option `{name}` must be a whole number, got `{s}`"))),
            Some(_) => Err(ApiError::bad_request(format!("option `{name}` must be a whole number"))),
        }
    }

    /// `servertimeout`, if given (`00:04:00`, `1.00:00:00`, `4m`).
    pub(crate) fn server_timeout(&self) -> Result<Option<Duration>, ApiError> {
        match self.option("servertimeout") {
            None => Ok(None),
            Some(v) => kql_engine::settings::parse_duration(&text(v))
                .map(Some)
                .map_err(|e| ApiError::bad_request(format!("option `servertimeout`: {e}"))),
        }
    }

    /// `query_now`, if given, as nanoseconds since the epoch.
    pub(crate) fn query_now(&self) -> Result<Option<i64>, ApiError> {
        match self.option("query_now") {
            None => Ok(None),
            Some(v) => {
                let t = text(v);
                let inner = t.trim().strip_prefix("datetime(").and_then(|r| r.strip_suffix(')')).unwrap_or(&t);
                kql_engine::settings::parse_now(inner)
                    .map(Some)
                    .map_err(|e| ApiError::bad_request(format!("option `query_now`: {e}")))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Request;

    #[test]
    fn properties_as_text_or_object_any_case() {
        let body = br#"{"db":"lake","csl":"T | take 1","properties":"{\"Options\":{\"QUERY_NOW\":\"2024-06-01T12:00:00Z\",\"servertimeout\":\"00:01:00\"},\"Parameters\":{\"x\":\"5\",\"n\":7}}"}"#;
        let r = Request::parse(body).unwrap_or_default();
        assert_eq!(r.db.as_deref(), Some("lake"));
        assert_eq!(r.query_now().ok().flatten(), Some(1_717_243_200_000_000_000));
        assert_eq!(r.server_timeout().ok().flatten(), Some(std::time::Duration::from_secs(60)));
        assert_eq!(r.parameters.get("n").map(String::as_str), Some("7"));
        let body = br#"{"csl":"print 1","properties":{"options":{"notruncation":true}}}"#;
        let r = Request::parse(body).unwrap_or_default();
        assert!(r.flag("NoTruncation"));
        assert!(Request::parse(b"[1]").is_err());
        assert!(Request::parse(b"{\"db\":\"x\"}").is_err());
        assert!(Request::parse(b"{\"csl\":\"x\",\"properties\":\"not json\"}").is_err());
    }
}
