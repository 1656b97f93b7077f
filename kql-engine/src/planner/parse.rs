//! `parse` and `parse-where` (parse-operator.md, parse-where-operator.md): the pattern becomes
//! one regular expression with a named group per column, run once per row
//! ([`ParseUdf`](crate::functions::parse::ParseUdf)); each capture is converted to its
//! column's type by the `to*` rules.
//!
//! The pattern, as Kusto documents it: `*` skips text (`.*?`); in `simple` and `relaxed`
//! modes string constants match literally and the match starts at the beginning of the value
//! (so patterns that skip a prefix start with `*`); a column takes the text up to the next
//! constant, or the rest of the value when it comes last; `int`/`long` columns take a number
//! (`-?\d+`), `real`/`decimal` a decimal number. In `regex` mode the constants are regular
//! expressions, columns are greedy (`flags=U` makes them lazy; `i`, `m`, `s` as in RE2) and the
//! match may start anywhere. `simple` and `regex` are strict: when a typed column's text does
//! not convert, every column of the row is null; `relaxed` nulls only that column (a typed
//! column ended by a constant takes the text up to it, a number before `*` may be missing). Rows that do
//! not match get nulls (`""` for strings); `parse-where` drops them instead.

use datafusion::functions::core::expr_fn as core_fn;
use datafusion::logical_expr::{Expr as DfExpr, LogicalPlan, LogicalPlanBuilder, lit, when};
use kql_parser::ast::{Ident, ParamValue, Parse, ParsePart, ScalarType};

use super::expr::ExprCtx;
use super::external::{conversion, converted_call};
use super::tabular::{build, df};
use super::{KqlContextProvider, KqlToRel, Scope, col};
use crate::error::{KqlError, Result};
use crate::functions::parse::ParseUdf;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Simple,
    Regex,
    Relaxed,
}

/// The name of the struct of captures and of capture `i` while the operator is planned.
const CAPTURES: &str = "__kql_parse";
fn capture(i: usize) -> String {
    format!("__kql_parse_{i}")
}

impl<P: KqlContextProvider> KqlToRel<'_, P> {
    pub(super) fn parse_op(&self, input: LogicalPlan, p: &Parse, scope: &Scope, depth: usize) -> Result<LogicalPlan> {
        let (kind, flags) = parse_params(p)?;
        let columns: Vec<(&Ident, ScalarType)> = p
            .pattern
            .iter()
            .filter_map(|part| match part {
                ParsePart::Column { name, ty } => Some((name, ty.unwrap_or(ScalarType::String))),
                _ => None,
            })
            .collect();
        let mut seen = std::collections::HashSet::new();
        for (name, _) in &columns {
            if !seen.insert(name.name.as_str()) {
                return Err(KqlError::plan(name.span, format!("the column `{}` is extracted twice", name.name)));
            }
        }
        let regex = pattern_regex(p, kind, flags.as_deref())?;

        // The parsed text: any type is read as its `tostring`.
        let ctx = ExprCtx { schema: input.schema(), scope, depth, filter: false };
        let source = self.as_text(self.expr(&p.source, &ctx)?, &ctx)?;

        let captures = ParseUdf::call(regex, columns.len(), source);
        self.extend_captures(input, captures, &columns, kind != Kind::Relaxed, p.where_, scope, depth)
    }

    /// The input extended with one column per field of the struct `captures` (each text
    /// converted to its column's type). `strict`: a typed text that does not convert nulls
    /// every column of the row; `drop_unmatched`: rows whose struct is null (or, strict, does
    /// not convert) are dropped.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn extend_captures(
        &self,
        input: LogicalPlan,
        captures: DfExpr,
        columns: &[(&Ident, ScalarType)],
        strict: bool,
        drop_unmatched: bool,
        scope: &Scope,
        depth: usize,
    ) -> Result<LogicalPlan> {
        // 1. the input, the struct of captures and each capture as a column
        let kept: Vec<DfExpr> = input.schema().iter().map(|(q, f)| col_of(q, f.name())).collect();
        let mut step = kept.clone();
        step.push(captures.alias(CAPTURES));
        let plan = build(LogicalPlanBuilder::from(input).project(step).map_err(df)?)?;
        let mut step: Vec<DfExpr> = plan.schema().iter().map(|(q, f)| col_of(q, f.name())).collect();
        for i in 0..columns.len() {
            step.push(core_fn::get_field(col(CAPTURES), ParseUdf::group_name(i)).alias(capture(i)));
        }
        let mut plan = build(LogicalPlanBuilder::from(plan).project(step).map_err(df)?)?;

        // 2. each capture converted; a strict parse needs every typed capture to convert
        let ctx = ExprCtx { schema: plan.schema(), scope, depth, filter: false };
        let mut converted = Vec::with_capacity(columns.len());
        let mut converts = Vec::new();
        for (i, (name, ty)) in columns.iter().enumerate() {
            let tmp = Ident { name: capture(i), span: name.span };
            let value = match conversion(*ty) {
                None => col(&capture(i)),
                Some(function) => {
                    let v = self.expr(&converted_call(function, &tmp), &ctx)?;
                    converts.push(col(&capture(i)).is_null().or(v.clone().is_not_null()));
                    v
                }
            };
            converted.push(value);
        }
        let ok = strict.then(|| converts.into_iter().reduce(DfExpr::and)).flatten();
        if drop_unmatched {
            let mut keep = col(CAPTURES).is_not_null();
            if let Some(ok) = &ok {
                keep = keep.and(ok.clone());
            }
            plan = build(LogicalPlanBuilder::from(plan).filter(keep).map_err(df)?)?;
        }

        // 3. the input's columns (a parsed column replaces one of the same name) and the new ones
        let finals: Vec<(String, DfExpr)> = columns
            .iter()
            .zip(converted)
            .map(|((name, ty), v)| {
                let v = match &ok {
                    Some(ok) => when(ok.clone(), v).end().map_err(df)?,
                    None => v,
                };
                let v = if *ty == ScalarType::String { core_fn::coalesce(vec![v, lit("")]) } else { v };
                Ok((name.name.clone(), v))
            })
            .collect::<Result<_>>()?;
        let mut out = Vec::new();
        let mut used = std::collections::HashSet::new();
        for e in kept {
            let DfExpr::Column(c) = &e else { continue };
            match finals.iter().find(|(n, _)| *n == c.name) {
                Some((n, v)) => {
                    used.insert(n.clone());
                    out.push(v.clone().alias(n));
                }
                None => out.push(e),
            }
        }
        out.extend(finals.into_iter().filter(|(n, _)| !used.contains(n)).map(|(n, v)| v.alias(n)));
        build(LogicalPlanBuilder::from(plan).project(out).map_err(df)?)
    }
}

fn col_of(q: Option<&datafusion::common::TableReference>, name: &str) -> DfExpr {
    DfExpr::Column(datafusion::common::Column::new(q.cloned(), name))
}

fn parse_params(p: &Parse) -> Result<(Kind, Option<String>)> {
    let mut kind = Kind::Simple;
    let mut flags = None;
    for param in &p.params {
        let text = match &param.value {
            ParamValue::Name(n) => n.clone(),
            ParamValue::Literal(kql_parser::ast::Literal::String(s)) => s.clone(),
            ParamValue::Literal(l) => l.to_string(),
        };
        match param.name.as_str() {
            "kind" => {
                kind = match text.as_str() {
                    "simple" => Kind::Simple,
                    "regex" => Kind::Regex,
                    "relaxed" if !p.where_ => Kind::Relaxed,
                    _ => {
                        let kinds = if p.where_ { "simple or regex" } else { "simple, regex or relaxed" };
                        return Err(KqlError::plan(param.span, format!("`kind` is {kinds}, not `{text}`")));
                    }
                }
            }
            "flags" => {
                if let Some(bad) = text.chars().find(|c| !"Uimsx".contains(*c)) {
                    return Err(KqlError::plan(
                        param.span,
                        format!("`{bad}` is not a regex flag; flags are U (ungreedy), i, m, s"),
                    ));
                }
                flags = Some(text);
            }
            other => return Err(KqlError::plan(param.span, format!("`{other}` is not a parameter of parse"))),
        }
    }
    if flags.is_some() && kind != Kind::Regex {
        return Err(KqlError::plan(p.span, "`flags` needs `kind=regex`"));
    }
    Ok((kind, flags))
}

const NUMBER: &str = r"-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?";
const RELAXED_NUMBER: &str = r"(?:-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)?";

/// The pattern as one regular expression with named groups `g0`, `g1`, ...
fn pattern_regex(p: &Parse, kind: Kind, flags: Option<&str>) -> Result<regex::Regex> {
    let mut re = String::new();
    if let Some(f) = flags.filter(|f| !f.is_empty()) {
        re.push_str(&format!("(?{f})"));
    }
    if kind != Kind::Regex {
        // A delimiter scan over the whole value, line breaks included.
        re.push_str("(?s)^");
    }
    let mut group = 0;
    for (i, part) in p.pattern.iter().enumerate() {
        match part {
            ParsePart::Wildcard => re.push_str(".*?"),
            ParsePart::Literal(s) if kind == Kind::Regex => {
                re.push_str("(?:");
                re.push_str(&crate::functions::re2::to_rust(s));
                re.push(')');
            }
            ParsePart::Literal(s) => re.push_str(&regex::escape(s)),
            ParsePart::Column { name, ty } => {
                let ty = ty.unwrap_or(ScalarType::String);
                let last = i + 1 == p.pattern.len();
                let star_next = matches!(p.pattern.get(i + 1), Some(ParsePart::Wildcard));
                let open_end = star_next || last;
                let body = match ty {
                    ScalarType::Int | ScalarType::Long if kind != Kind::Relaxed => r"-?\d+",
                    ScalarType::Real | ScalarType::Decimal if kind != Kind::Relaxed => NUMBER,
                    // Relaxed: a number may be missing (its column is then null), and a typed
                    // column ended by a constant takes the text up to it.
                    ScalarType::Int | ScalarType::Long if open_end => r"(?:-?\d+)?",
                    ScalarType::Real | ScalarType::Decimal if open_end => RELAXED_NUMBER,
                    ScalarType::String if star_next => {
                        return Err(KqlError::plan(
                            name.span,
                            format!("`*` cannot follow the string column `{}`: there is nothing to end it", name.name),
                        ));
                    }
                    _ if star_next => {
                        return Err(KqlError::not_supported(
                            name.span,
                            format!("a `*` after the {ty} column `{}` in parse", name.name),
                        ));
                    }
                    _ if kind == Kind::Regex || last => ".*",
                    _ => ".*?",
                };
                re.push_str(&format!("(?P<{}>{body})", ParseUdf::group_name(group)));
                group += 1;
            }
        }
    }
    regex::RegexBuilder::new(&re)
        .build()
        .map_err(|e| KqlError::plan(p.span, format!("the parse pattern is not a valid regular expression: {e}")))
}

impl<P: KqlContextProvider> KqlToRel<'_, P> {
    /// `parse-kv expr as (key:type, ...) with (...)`: the keys' values found by
    /// [`ParseKvUdf`](crate::functions::parse_kv::ParseKvUdf), each converted to its type (a
    /// value that does not convert is null, a missing key null or `""`).
    pub(super) fn parse_kv(
        &self,
        input: LogicalPlan,
        p: &kql_parser::ast::ParseKv,
        scope: &Scope,
        depth: usize,
    ) -> Result<LogicalPlan> {
        use crate::functions::parse_kv::{KvMode, KvOptions, ParseKvUdf};
        let mut pair = None;
        let mut kv = None;
        let mut greedy = false;
        let mut regex = None;
        let mut quotes = Vec::new();
        let mut escapes = Vec::new();
        for prop in &p.properties {
            let text = || match &prop.value {
                ParamValue::Literal(kql_parser::ast::Literal::String(s)) => Ok(s.clone()),
                _ => Err(KqlError::plan(prop.span, format!("`{}` takes a string literal", prop.name))),
            };
            match prop.name.as_str() {
                "pair_delimiter" => pair = Some(text()?),
                "kv_delimiter" => kv = Some(text()?),
                "regex" => regex = Some((text()?, prop.span)),
                "quote" => {
                    let q: Vec<char> = text()?.chars().collect();
                    match q.as_slice() {
                        [c] => quotes.push((*c, *c)),
                        [o, c] => quotes.push((*o, *c)),
                        _ => {
                            return Err(KqlError::plan(
                                prop.span,
                                "`quote` is one character, or an opening and a closing one",
                            ));
                        }
                    }
                }
                "escape" => match text()?.chars().collect::<Vec<_>>().as_slice() {
                    [c] => escapes.push(*c),
                    _ => return Err(KqlError::plan(prop.span, "`escape` is one character")),
                },
                "greedy" => {
                    greedy = match &prop.value {
                        ParamValue::Literal(kql_parser::ast::Literal::Bool(b)) => *b,
                        _ => return Err(KqlError::plan(prop.span, "`greedy` takes true or false")),
                    }
                }
                other => {
                    return Err(KqlError::plan(
                        prop.span,
                        format!(
                            "`{other}` is not a parameter of parse-kv; parameters: pair_delimiter, kv_delimiter, quote, \
                             escape, greedy, regex"
                        ),
                    ));
                }
            }
        }
        let (mode, compiled) = match (pair, kv, regex) {
            (None, None, Some((r, span))) => {
                let re = regex::Regex::new(&crate::functions::re2::to_rust(&r))
                    .map_err(|e| KqlError::plan(span, format!("invalid regular expression: {e}")))?;
                if re.captures_len() != 3 {
                    return Err(KqlError::plan(
                        span,
                        "the regex of parse-kv needs exactly two groups: the key and the value",
                    ));
                }
                (KvMode::Regex(r), Some(re))
            }
            (Some(pair), Some(kv), None) if !pair.is_empty() && !kv.is_empty() => {
                (KvMode::Delimited { pair, kv, greedy }, None)
            }
            (None, None, None) => (KvMode::Words, None),
            _ => {
                return Err(KqlError::plan(
                    p.span,
                    "parse-kv takes both `pair_delimiter` and `kv_delimiter` (non-empty), or `regex`, or neither",
                ));
            }
        };
        if greedy && !matches!(mode, KvMode::Delimited { .. }) {
            return Err(KqlError::plan(p.span, "`greedy` needs `pair_delimiter` and `kv_delimiter`"));
        }
        let mut seen = std::collections::HashSet::new();
        for k in &p.keys {
            if !seen.insert(k.name.name.as_str()) {
                return Err(KqlError::plan(k.name.span, format!("the key `{}` is listed twice", k.name.name)));
            }
        }
        let ctx = ExprCtx { schema: input.schema(), scope, depth, filter: false };
        let source = self.as_text(self.expr(&p.source, &ctx)?, &ctx)?;
        let keys: Vec<String> = p.keys.iter().map(|k| k.name.name.clone()).collect();
        let captures = ParseKvUdf::call(KvOptions { mode, quotes, escapes }, keys, compiled, source);
        let columns: Vec<(&Ident, ScalarType)> =
            p.keys.iter().map(|k| (&k.name, k.ty.unwrap_or(ScalarType::String))).collect();
        self.extend_captures(input, captures, &columns, false, false, scope, depth)
    }
}
