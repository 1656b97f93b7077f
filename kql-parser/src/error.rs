//! Parse errors: located, and worded for analysts rather than in grammar-rule names.

use std::collections::BTreeSet;

use pest::error::{ErrorVariant, InputLocation};

use crate::grammar::Rule;
use crate::span::{LineCol, Span};

/// A syntax error with its location and a message such as
/// "expected a tabular operator such as `where`, found `Sha1`".
///
/// The details live behind one pointer so `Result<_, ParseError>` stays small; they are
/// reachable as fields through `Deref` (`err.line`, `err.message`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{} at line {}, column {}", .0.message, .0.line, .0.column)]
pub struct ParseError(Box<ErrorDetails>);

impl std::ops::Deref for ParseError {
    type Target = ErrorDetails;
    fn deref(&self) -> &ErrorDetails {
        &self.0
    }
}

/// The details of a [`ParseError`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ErrorDetails {
    /// What went wrong, in words.
    pub message: String,
    /// The offending text (empty at the end of the query).
    pub span: Span,
    /// 1-based line of `span.start`.
    pub line: usize,
    /// 1-based column (in characters) of `span.start`.
    pub column: usize,
    /// What was found there: "`Sha1`", "`)`", "the end of the query". Empty for errors
    /// that are not about an unexpected token.
    pub found: String,
    /// What would have been accepted, as phrases ("`;`", "an expression").
    pub expected: Vec<String>,
    /// A suggestion, when there is an obvious fix.
    pub help: Option<String>,
}

impl ParseError {
    /// An error with a free-form message at `span`.
    pub(crate) fn custom(text: &str, span: Span, message: impl Into<String>) -> Self {
        let LineCol { line, column } = LineCol::of(text, span.start);
        Self(Box::new(ErrorDetails {
            message: message.into(),
            span,
            line,
            column,
            found: String::new(),
            expected: Vec::new(),
            help: None,
        }))
    }

    pub(crate) fn with_help(mut self, help: impl Into<String>) -> Self {
        self.0.help = Some(help.into());
        self
    }

    /// The details, owned.
    pub fn into_details(self) -> ErrorDetails {
        *self.0
    }

    /// Renders the error as a report with the source line and a caret, without colour:
    ///
    /// ```text
    /// Error: expected a tabular operator such as `where`, found `Sha1`
    ///    ╭─[ query:8:3 ]
    ///  8 │ | Sha1 in (rmmInitialFileSet)
    ///    │   ──┬─
    ///    │     ╰─── expected a tabular operator such as `where`
    /// ```
    pub fn render(&self, source: &str) -> String {
        self.render_named(source, "query", false)
    }

    /// Like [`render`](Self::render), naming the source (a file name) and optionally coloured.
    pub fn render_named(&self, source: &str, source_name: &str, color: bool) -> String {
        crate::render::render(self, source, source_name, color)
    }

    pub(crate) fn from_pest(text: &str, err: &pest::error::Error<Rule>) -> Self {
        let located = match err.location {
            InputLocation::Pos(p) => p,
            InputLocation::Span((s, _)) => s,
        };
        let (message_override, positives) = match &err.variant {
            ErrorVariant::ParsingError { positives, .. } => (None, positives.clone()),
            ErrorVariant::CustomError { message } => (Some(message.clone()), Vec::new()),
        };
        if let Some(message) = message_override {
            // pest's own limits ("call limit reached", "stack limit reached").
            let message = if message.contains("limit") {
                "the query is too deeply nested or too complex to parse".to_owned()
            } else {
                message
            };
            let pos = located.min(text.len());
            return Self::custom(text, Span::new(pos, pos), message);
        }
        // pest tracks rules and literal tokens separately; the literal tokens may have got
        // further (`has_all has_any (`: the `(` after `has_all` is the real problem).
        // `ParsingToken` is not exported by pest; its `Display` is the token text.
        let attempts = err.parse_attempts();
        let (pos, rules, tokens) = match &attempts {
            // Tokens inside a word (`has` matched in `hasy`) are not a useful position.
            Some(a) if a.max_position > located && !mid_word(text, a.max_position) => {
                let rules = a.call_stacks().iter().filter_map(|c| c.deepest.get_rule().copied()).collect();
                (a.max_position, rules, a.expected_tokens().iter().map(ToString::to_string).collect())
            }
            Some(a) => (located, positives, a.expected_tokens().iter().map(ToString::to_string).collect()),
            None => (located, positives, Vec::new()),
        };
        let pos = pos.min(text.len());
        if let Some(start) = crate::hints::unterminated_string(text).filter(|s| *s <= pos) {
            let end = text[start..].find('\n').map_or(text.len(), |n| start + n);
            return Self::custom(text, Span::new(start, end), "this string is never closed")
                .with_help("end it with the same quote it starts with; a line break cannot be inside `'...'` or `\"...\"` (use ```...``` for multi-line text)");
        }
        let expected = Expected::collect(&rules, &tokens);
        let (found, found_span) = found_token(text, pos);
        let phrases = expected.phrases();
        let mut message = if phrases.is_empty() {
            format!("unexpected {found}")
        } else {
            format!("expected {}, found {found}", join_or(&phrases))
        };
        let LineCol { line, column } = LineCol::of(text, pos);
        let mut help = None;
        crate::hints::improve(text, pos, &found, &expected, &mut message, &mut help);
        Self(Box::new(ErrorDetails { message, span: found_span, line, column, found, expected: phrases, help }))
    }
}

/// What the parser would have accepted at the error position, grouped into phrases.
#[derive(Debug, Default)]
pub(crate) struct Expected {
    pub(crate) operator: bool,
    pub(crate) expression: bool,
    pub(crate) name: bool,
    pub(crate) binary_operator: bool,
    pub(crate) end: bool,
    pub(crate) tokens: BTreeSet<String>,
}

impl Expected {
    fn collect(rules: &[Rule], tokens: &[String]) -> Self {
        let mut e = Self::default();
        for r in rules {
            e.add_rule(*r);
        }
        for t in tokens {
            e.add_token(t);
        }
        // After a name, `:` is only wanted by search's `Column:"term"`; where a statement or an
        // operator could go on instead, listing it would mislead.
        if e.end || e.operator || e.has_token(";") || e.has_token("|") {
            e.tokens.remove("`:`");
        }
        e
    }

    fn add_rule(&mut self, r: Rule) {
        use Rule::*;
        match r {
            kw_where | kw_filter | kw_summarize | kw_project | kw_project_away | kw_project_keep
            | kw_project_rename | kw_project_reorder | kw_extend | kw_take | kw_limit | kw_top | kw_sort | kw_order
            | kw_count | kw_distinct | kw_join | kw_lookup | kw_union | kw_mv_expand | kw_mv_apply | kw_parse
            | kw_as | kw_getschema | kw_serialize | kw_evaluate | operator | sub_pipeline => {
                self.operator = true;
            }
            expr | primary | literal | string_lit | goo_lit | dynamic_lit | raw_guid | timespan_lit | real_lit
            | hex_lit | long_lit | bool_lit | paren | name_or_call | star | typeof_expr | neg | plus | pipeline
            | named_expr | pipe_source | datatable | print_source | union_source | range_source | sq_string
            | dq_string | verbatim_string | multiline_string | obfuscated_string => self.expression = true,
            name | identifier | quoted_name | option_name | name_pattern | pattern_word => self.name = true,
            op_or | op_and | op_eq | op_rel | op_add | op_mul | op_str | list_op | between_op | list_postfix
            | between_postfix | member | index => self.binary_operator = true,
            EOI => self.end = true,
            semi => self.tok("`;`"),
            pipe => self.tok("`|`"),
            kw_by => self.tok("`by`"),
            kw_on => self.tok("`on`"),
            kw_with => self.tok("`with`"),
            kw_to => self.tok("`to`"),
            kw_from => self.tok("`from`"),
            kw_step => self.tok("`step`"),
            dotdot => self.tok("`..`"),
            type_name => self.tok("a type such as `string`"),
            column_decl | output_schema => self.tok("a column such as `Name:string`"),
            sort_order | kw_asc | kw_desc => self.tok("`asc` or `desc`"),
            nulls_order | kw_nulls => self.tok("`nulls first` or `nulls last`"),
            kw_first | kw_last => self.tok("`first` or `last`"),
            hint_param | hint_name | join_param | union_param | mv_expand_param | parse_param | kw_kind => {
                self.tok("a parameter such as `kind=inner`");
            }
            param => self.tok("a parameter such as `x:long`"),
            function_body | let_stmt | set_stmt => self.expression = true,
            timespan_unit => self.tok("a timespan unit such as `d`, `h` or `m`"),
            _ => {}
        }
    }

    fn tok(&mut self, phrase: &str) {
        self.tokens.insert(phrase.to_owned());
    }

    fn add_token(&mut self, t: &str) {
        // Punctuation the grammar writes inline (`[` and `.` only start postfix operators,
        // which "an operator" covers).
        const PUNCT: &[&str] = &["(", ")", "]", "{", "}", ",", "=", ":", "..", "|", ";"];
        const WORDS: &[&str] = &["by", "on", "with", "to", "from", "step"];
        if PUNCT.contains(&t) || WORDS.contains(&t) {
            self.tokens.insert(format!("`{t}`"));
        } else if t == "where" {
            // `where` is attempted exactly where a tabular operator may start (other
            // operator words such as `union` and `print` also start expressions).
            self.operator = true;
        }
    }

    pub(crate) fn has_token(&self, t: &str) -> bool {
        self.tokens.contains(&format!("`{t}`"))
    }

    /// The phrases, most useful first.
    pub(crate) fn phrases(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut tokens: Vec<&String> = self.tokens.iter().collect();
        // `;` and `|` read best before the general phrases.
        tokens.sort_by_key(|t| match t.as_str() {
            "`;`" => 0,
            "`|`" => 1,
            _ => 2,
        });
        out.extend(tokens.iter().filter(|t| t.as_str() == "`;`" || t.as_str() == "`|`").map(|t| (*t).clone()));
        if self.operator {
            out.push("a tabular operator such as `where`".to_owned());
        }
        if self.expression {
            out.push("an expression".to_owned());
        } else if self.name {
            out.push("a name".to_owned());
        }
        // An expression can start with `(`, so `(` adds nothing next to "an expression".
        out.extend(
            tokens
                .iter()
                .filter(|t| t.as_str() != "`;`" && t.as_str() != "`|`")
                .filter(|t| !(self.expression && t.as_str() == "`(`"))
                .map(|t| (*t).clone()),
        );
        if self.binary_operator && out.is_empty() {
            out.push("an operator".to_owned());
        }
        if self.end && out.len() < 4 {
            out.push("the end of the query".to_owned());
        }
        out
    }
}

/// Whether `pos` splits a word (`has|y`).
fn mid_word(text: &str, pos: usize) -> bool {
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    let before = text.get(..pos).and_then(|t| t.chars().next_back());
    let at = text.get(pos..).and_then(|t| t.chars().next());
    matches!((before, at), (Some(b), Some(a)) if is_word(b) && is_word(a))
}

/// "a, b or c"
pub(crate) fn join_or(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// The token at `pos`, described for a message, and its span.
pub(crate) fn found_token(text: &str, pos: usize) -> (String, Span) {
    let rest = &text[pos..];
    let Some(c) = rest.chars().next() else {
        return ("the end of the query".to_owned(), Span::new(pos, pos));
    };
    let is_word = |c: char| c.is_alphanumeric() || c == '_' || c == '$';
    let len = if is_word(c) {
        let word: usize = rest.chars().take_while(|c| is_word(*c)).map(char::len_utf8).sum();
        // Operator words such as `project-away` and `!has` read better whole.
        let extra: usize = rest[word..]
            .strip_prefix('-')
            .filter(|_| ["project", "mv"].contains(&&rest[..word]))
            .map_or(0, |r| 1 + r.chars().take_while(|c| is_word(*c)).map(char::len_utf8).sum::<usize>());
        word + extra
    } else if c == '\'' || c == '"' {
        // A string: up to its closing quote on the same line.
        let end = rest[1..].find([c, '\n']).map_or(rest.len(), |i| i + 2);
        end.min(rest.len())
    } else if c == '!' && rest.len() > 1 && rest[1..].starts_with(|c: char| c.is_alphabetic()) {
        1 + rest[1..].chars().take_while(|c| is_word(*c)).map(char::len_utf8).sum::<usize>()
    } else {
        let two = ["==", "!=", "<=", ">=", "=~", "!~", "..", "<>"];
        if two.iter().any(|t| rest.starts_with(t)) { 2 } else { c.len_utf8() }
    };
    let token = &rest[..len];
    let shown: String = token.chars().take(40).collect();
    let ellipsis = if shown.len() < token.len() { "…" } else { "" };
    if c == '\n' || c == '\r' {
        return ("a line break".to_owned(), Span::new(pos, pos + len));
    }
    (format!("`{shown}{ellipsis}`"), Span::new(pos, pos + len))
}
