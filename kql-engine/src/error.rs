//! Errors: every problem the planner finds in a query carries the span of the KQL text it is
//! about, so it renders with the source line and a caret. User mistakes, unsupported
//! constructs and internal bugs are distinct variants.

use datafusion::error::DataFusionError;
use kql_parser::{Diagnostic, ParseError, Span, render_diagnostic};

/// A KQL query could not be planned or run.
#[derive(Debug, thiserror::Error)]
pub enum KqlError {
    /// The text is not valid KQL.
    #[error(transparent)]
    Parse(#[from] ParseError),
    /// The query is valid KQL but wrong for these tables (an unknown column, a type error).
    #[error("{}", .0.message)]
    Plan(Box<Located>),
    /// The query uses KQL this engine does not run yet.
    #[error("{}", .0.message)]
    NotSupported(Box<Located>),
    /// A lake, file or folder could not be registered (the message names the path).
    #[error("{0}")]
    Lake(String),
    /// A defect in this engine (the message says where).
    #[error("internal error (a bug in kql-engine): {0}")]
    Internal(String),
    /// DataFusion failed (reading files, executing).
    #[error(transparent)]
    DataFusion(Box<DataFusionError>),
}

/// A message about a place in the query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Located {
    /// What is wrong.
    pub message: String,
    /// Where (byte offsets into the query text).
    pub span: Span,
    /// A suggestion ("did you mean `SHA1`?").
    pub help: Option<String>,
}

impl From<DataFusionError> for KqlError {
    fn from(e: DataFusionError) -> Self {
        // An exhausted memory pool: say which operator and what limit, with a hint, rather
        // than DataFusion's list of consumers.
        if let DataFusionError::ResourcesExhausted(text) = e.find_root() {
            return Self::DataFusion(Box::new(DataFusionError::ResourcesExhausted(worded_memory_error(text))));
        }
        // An error raised by our own planning code inside a DataFusion callback comes back
        // wrapped; unwrap it so the span survives.
        match e {
            DataFusionError::External(inner) => match inner.downcast::<Self>() {
                Ok(kql) => *kql,
                Err(other) => Self::DataFusion(Box::new(DataFusionError::External(other))),
            },
            other => Self::DataFusion(Box::new(other)),
        }
    }
}

impl KqlError {
    /// A user error at `span`.
    pub fn plan(span: Span, message: impl Into<String>) -> Self {
        Self::Plan(Box::new(Located { message: message.into(), span, help: None }))
    }

    /// An unsupported construct at `span`.
    pub fn not_supported(span: Span, what: impl std::fmt::Display) -> Self {
        Self::NotSupported(Box::new(Located { message: format!("{what} is not supported yet"), span, help: None }))
    }

    /// Adds a suggestion to a located error.
    #[must_use]
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        match &mut self {
            Self::Plan(l) | Self::NotSupported(l) => l.help = Some(help.into()),
            _ => {}
        }
        self
    }

    /// Where in the query text the problem is, when it is about a place.
    pub fn span(&self) -> Option<Span> {
        match self {
            Self::Parse(e) => Some(e.span),
            Self::Plan(l) | Self::NotSupported(l) => Some(l.span),
            _ => None,
        }
    }

    /// The suggestion, if any.
    pub fn help(&self) -> Option<&str> {
        match self {
            Self::Parse(e) => e.help.as_deref(),
            Self::Plan(l) | Self::NotSupported(l) => l.help.as_deref(),
            _ => None,
        }
    }

    /// Renders the error against the query text: the source line with a caret when the error
    /// is about a place, else the message.
    pub fn render(&self, source: &str) -> String {
        self.render_named(source, "query", false)
    }

    /// Like [`render`](Self::render), naming the source and optionally with colours.
    pub fn render_named(&self, source: &str, name: &str, color: bool) -> String {
        match self {
            Self::Parse(e) => e.render_named(source, name, color),
            Self::Plan(l) | Self::NotSupported(l) => render_diagnostic(
                source,
                name,
                &Diagnostic { message: &l.message, span: l.span, label: None, help: l.help.as_deref() },
                color,
            ),
            other => format!("Error: {other}\n"),
        }
    }
}

/// Results of planning.
pub type Result<T, E = KqlError> = std::result::Result<T, E>;

/// The names closest to `name` among `candidates`, best first: equal ignoring case, then
/// containing it (`AccountUpn` → `InitiatingProcessAccountUpn`), then a small edit distance.
pub fn closest_names<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    let lower = name.to_lowercase();
    let mut scored: Vec<(usize, &str)> = candidates
        .into_iter()
        .filter_map(|c| {
            let cl = c.to_lowercase();
            let score = if cl == lower {
                0
            } else if lower.len() >= 3 && (cl.ends_with(&lower) || cl.starts_with(&lower)) {
                1
            } else if lower.len() >= 4 && cl.contains(&lower) {
                2
            } else {
                let d = strsim::damerau_levenshtein(&lower, &cl);
                if d <= (lower.len() / 3).clamp(1, 3) { 3 + d } else { return None }
            };
            Some((score, c))
        })
        .collect();
    scored.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.len().cmp(&b.1.len())).then(a.1.cmp(b.1)));
    scored.dedup_by(|a, b| a.1 == b.1);
    // Only the best kind of match: a close spelling beats a far one.
    let best = scored.first().map_or(0, |(s, _)| *s);
    scored.into_iter().take_while(|(s, _)| *s == best).take(3).map(|(_, c)| c).collect()
}

/// "did you mean `a`, `b` or `c`?"
pub(crate) fn did_you_mean(names: &[&str]) -> Option<String> {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    match quoted.as_slice() {
        [] => None,
        [one] => Some(format!("did you mean {one}?")),
        [init @ .., last] => Some(format!("did you mean {} or {last}?", init.join(", "))),
    }
}

/// DataFusion's words for a problem, without its prefixes ("Error during planning: ") and its
/// plea to report a bug (the cause is the query, which the caller locates).
pub(crate) fn datafusion_message(e: &DataFusionError) -> String {
    let root = e.find_root();
    let mut text = root.message().into_owned();
    for noise in ["Error during planning: ", "Internal error: ", "Schema error: "] {
        while let Some(rest) = text.strip_prefix(noise) {
            text = rest.to_owned();
        }
    }
    if let Some(at) = text.find(".\nThis issue was likely caused by a bug") {
        text.truncate(at);
    }
    if let Some(at) = text.find("This issue was likely caused by a bug") {
        text.truncate(at);
    }
    format!("the types do not fit: {}", text.trim_end())
}

/// DataFusion's "additional allocation failed" text as a sentence: the operator that asked,
/// what it held, the limit, and what to do.
pub(crate) fn worded_memory_error(text: &str) -> String {
    let number_after = |key: &str| -> Option<String> {
        let at = text.find(key)? + key.len();
        let rest = &text[at..];
        let end = rest.find([')', ',', '\n']).unwrap_or(rest.len());
        Some(rest[..end].trim().to_owned())
    };
    let limit = number_after("pool_size:");
    // "Failed to allocate additional 544.0 MB for HashJoinInput with 899.8 MB already allocated"
    let operator = text
        .find(" for ")
        .map(|at| &text[at + 5..])
        .and_then(|rest| rest.split([' ', '[', '#']).next())
        .filter(|w| !w.is_empty());
    let what = |op: &str| -> String {
        let kind = if op.starts_with("HashJoin") || op.contains("Join") {
            "a join's build side"
        } else if op.contains("Sort") {
            "a sort"
        } else if op.contains("Aggregate") || op.contains("GroupedHash") {
            "an aggregation"
        } else if op.contains("Window") {
            "a window (row functions)"
        } else if op.contains("Repartition") {
            "a repartition"
        } else {
            return format!("`{op}`");
        };
        format!("{kind} (`{op}`)")
    };
    let mut out = String::from("the query needs more memory than its limit");
    if let Some(l) = &limit {
        out.push_str(&format!(" of {l}"));
    }
    if let Some(op) = operator {
        out.push_str(&format!(": {} could not grow", what(op)));
    }
    out.push_str(
        ". Narrow it (a time window, fewer columns, a shorter variable length edge, a `take` before \
         a join) or raise the limit (`--memory-limit`, `KqlContextBuilder::memory_limit`, \
         `memory_limit=` in Python)",
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_errors_are_worded() {
        let raw = "Additional allocation failed for HashJoinInput with top memory consumers (across reservations) as:\n  \
                   HashJoinInput#21(can spill: false) consumed 899.8 MB, peak 899.8 MB.\nError: Failed to allocate \
                   additional 544.0 MB for HashJoinInput with 899.8 MB already allocated for this reservation - 479.7 MB \
                   remain available for the total memory pool: greedy(used: 1427.6 MB, pool_size: 1907.3 MB)";
        let worded = worded_memory_error(raw);
        assert!(worded.starts_with("the query needs more memory than its limit of 1907.3 MB"), "{worded}");
        assert!(worded.contains("a join's build side (`HashJoinInput`)"), "{worded}");
        assert!(worded.contains("--memory-limit"), "{worded}");
        let e = KqlError::from(DataFusionError::ResourcesExhausted(raw.to_owned()));
        assert!(e.to_string().contains("a join's build side"), "{e}");
    }

    #[test]
    fn suggestions() {
        let cols = ["SHA1", "InitiatingProcessAccountUpn", "DeviceName", "DeviceId", "Timestamp"];
        assert_eq!(closest_names("Sha1", cols), vec!["SHA1"]);
        assert_eq!(closest_names("AccountUpn", cols), vec!["InitiatingProcessAccountUpn"]);
        assert_eq!(closest_names("DeviceNme", cols), vec!["DeviceName"]);
        assert_eq!(closest_names("Timestmp", cols), vec!["Timestamp"]);
        assert!(closest_names("Zebra", cols).is_empty());
        assert_eq!(did_you_mean(&["a", "b"]).as_deref(), Some("did you mean `a` or `b`?"));
    }
}
