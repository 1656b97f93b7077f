//! Rendering located errors as reports with the source line and a caret (ariadne).
//!
//! Shared by parse errors and by the engine's planning errors, so every error an analyst sees
//! looks the same.

use ariadne::{CharSet, Config, IndexType, Label, Report, ReportKind, Source};

use crate::{ParseError, Span};

/// One located problem to render: a message, an optional label under the caret and an
/// optional help line.
#[derive(Clone, Copy, Debug)]
pub struct Diagnostic<'a> {
    /// The headline.
    pub message: &'a str,
    /// Where in the source.
    pub span: Span,
    /// Text shown under the caret (defaults to the message).
    pub label: Option<&'a str>,
    /// A suggestion.
    pub help: Option<&'a str>,
}

/// Renders `diagnostic` against `source` as a report:
///
/// ```text
/// Error: expected `(`, found `has_any`
///    ╭─[ query:5:30 ]
///    │
///  5 │     and FolderPath has_all has_any (
///    │                            ───┬───
///    │                               ╰───── expected `(`
/// ───╯
/// ```
///
/// `color` adds ANSI colours for terminals.
pub fn render_diagnostic(source: &str, source_name: &str, diagnostic: &Diagnostic<'_>, color: bool) -> String {
    // Clamp to the text and to character boundaries so any span renders.
    let clamp = |mut o: usize| {
        o = o.min(source.len());
        while o > 0 && !source.is_char_boundary(o) {
            o -= 1;
        }
        o
    };
    let start = clamp(diagnostic.span.start);
    let mut end = clamp(diagnostic.span.end.max(start));
    if end == start {
        // An empty span (end of input): point at one position.
        end = start;
    }
    let config = Config::default()
        .with_color(color)
        .with_index_type(IndexType::Byte)
        .with_char_set(CharSet::Unicode)
        .with_compact(false);
    let label_text = diagnostic.label.unwrap_or(diagnostic.message);
    let mut report = Report::build(ReportKind::Error, (source_name, start..end))
        .with_config(config)
        .with_message(diagnostic.message)
        .with_label(Label::new((source_name, start..end)).with_message(label_text));
    if let Some(h) = diagnostic.help {
        report = report.with_help(h);
    }
    let mut out = Vec::new();
    if report.finish().write((source_name, Source::from(source)), &mut out).is_err() {
        // Rendering only fails on I/O into a Vec, which cannot happen; fall back to one line.
        return format!("Error: {}", diagnostic.message);
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub(crate) fn render(err: &ParseError, source: &str, source_name: &str, color: bool) -> String {
    let label = if !err.expected.is_empty() {
        format!("expected {}", crate::error::join_or(&err.expected))
    } else if err.message.chars().count() <= 48 {
        err.message.clone()
    } else {
        "here".to_owned()
    };
    let label = Some(label);
    render_diagnostic(
        source,
        source_name,
        &Diagnostic { message: &err.message, span: err.span, label: label.as_deref(), help: err.help.as_deref() },
        color,
    )
}
