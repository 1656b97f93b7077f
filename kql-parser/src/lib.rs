//! A syntax-only parser for KQL, the Kusto Query Language used by Microsoft Sentinel and
//! Defender hunting queries.
//!
//! [`parse`] turns query text into a typed [`ast::Query`] whose every node carries its byte
//! [`Span`]. Nothing is resolved here (no tables, columns or types): that is the engine's job.
//! `Display` on the AST prints canonical KQL that parses back to an equal tree.
//!
//! ```
//! let q = kql_parser::parse(
//!     "let Time_start = now(-5d);
//!      DeviceNetworkEvents
//!      | where Timestamp > Time_start and RemoteUrl has_any ('atera.com', 'atera-agent-heartbeat')
//!      | summarize Count = count() by DeviceId",
//! )?;
//! assert_eq!(q.statements.len(), 2);
//! let again = kql_parser::parse(&q.to_string())?;
//! assert_eq!(q, again);
//! # Ok::<(), kql_parser::ParseError>(())
//! ```
//!
//! Errors say where and what, in words an analyst understands:
//!
//! ```
//! let err = kql_parser::parse("T\n| Sha1 in ('a')").unwrap_err();
//! assert_eq!((err.line, err.column), (2, 3));
//! assert_eq!(err.message, "expected a tabular operator such as `where`, found `Sha1`");
//! ```

// Unit tests see the dev-dependencies meant for the integration tests.
#![cfg_attr(test, allow(unused_crate_dependencies))]

pub mod ast;
mod build;
mod error;
mod grammar;
mod hints;
mod render;
mod span;
mod time;

use std::sync::{Mutex, Once, PoisonError};

use pest::Parser as _;

pub use error::{ErrorDetails, ParseError};
pub use render::{Diagnostic, render_diagnostic};
pub use span::{LineCol, Span};

use crate::ast::Query;
use crate::grammar::{KqlGrammar, Rule};

/// Upper bound on grammar rule calls for one parse, so no input can make the parser run
/// for long (PEG backtracking is linear in practice for this grammar; this is a backstop).
const CALL_LIMIT: usize = 20_000_000;

static PEST_SETUP: Once = Once::new();

/// Serialises the detailed re-parse of failing queries (pest's switch is process-wide).
static DETAIL: Mutex<()> = Mutex::new(());

/// Parses a KQL query (one or more `;`-separated statements, at least one of them a tabular
/// expression).
///
/// # Errors
/// A [`ParseError`] with the location and a description of the first syntax problem.
pub fn parse(text: &str) -> Result<Query, ParseError> {
    PEST_SETUP.call_once(|| {
        pest::set_call_limit(std::num::NonZeroUsize::new(CALL_LIMIT));
    });
    let mut pairs = match KqlGrammar::parse(Rule::query, text) {
        Ok(pairs) => pairs,
        Err(fast) => {
            // Tracking every attempted token makes parsing about twice as slow, so it is only
            // switched on to explain a failure: parse again with it to learn what was expected.
            let detailed = {
                let _serial = DETAIL.lock().unwrap_or_else(PoisonError::into_inner);
                pest::set_error_detail(true);
                let again = KqlGrammar::parse(Rule::query, text);
                pest::set_error_detail(false);
                again
            };
            let err = detailed.err().unwrap_or(fast);
            return Err(ParseError::from_pest(text, &err));
        }
    };
    let query = pairs
        .next()
        .ok_or_else(|| ParseError::custom(text, Span::new(0, 0), "internal parser error (a bug): no query"))?;
    build::Builder::new(text).query(query)
}
