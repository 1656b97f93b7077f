//! Calls of the scalar function registry (`functions::scalar`): arity, each argument converted
//! to what its parameter takes (with a located error when Kusto would reject it), constants
//! checked and regular expressions compiled when the query is planned. A name outside every
//! registry is either a Kusto function we do not run (the catalogue in `catalog.rs`: a located
//! "not supported yet", or the reason it has no meaning over a lake) or an unknown name, with
//! the closest known names suggested.

use datafusion::arrow::datatypes::{DataType, TimeUnit};
use datafusion::logical_expr::{Expr as DfExpr, cast};
use kql_parser::Span;
use kql_parser::ast::{Arg, Ident};

use super::calls::dynamic_where_scalar;
use super::expr::{ExprCtx, string_of};
use super::statement::{as_literal, fold};
use super::types::KqlType;
use super::{KqlContextProvider, KqlToRel};
use crate::error::{KqlError, Result, closest_names, did_you_mean};
use crate::functions;
use crate::functions::scalar::{Def, Param};

impl<P: KqlContextProvider> KqlToRel<'_, P> {
    /// A call of `name` that no planner arm handles: the registry, or an error.
    pub(crate) fn library_call(&self, name: &Ident, args: &[Arg], span: Span, ctx: &ExprCtx<'_>) -> Result<DfExpr> {
        let fname = name.name.as_str();
        let Some(mut def) = functions::scalar::lookup(fname) else {
            return Err(super::catalog::unsupported(name));
        };
        super::check_arity(fname, span, args.len(), def.min, def.max)?;
        // `countof(text, search, 'regex')` counts matches of a regular expression.
        if def.name == "countof" && args.len() == 3 {
            let kind = self.constant_text(&args[2], fname, ctx)?;
            if let Some(check) = def.check {
                check(&kind).map_err(|m| KqlError::plan(args[2].value.span, m))?;
            }
            if kind == "regex" {
                def = functions::scalar::lookup_internal("countof_regex")
                    .ok_or_else(|| KqlError::Internal("countof_regex is registered".into()))?;
                return self.registry_call(def, &args[..2], fname, ctx);
            }
            return self.registry_call(def, &args[..2], fname, ctx);
        }
        // `extract_all(regex, groups, source)`: the groups are a constant array.
        if def.name == "extract_all" && args.len() == 3 {
            let groups = fold(self.expr(&args[1].value, &ctx.value())?);
            if as_literal(&groups).is_none() {
                return Err(KqlError::plan(
                    args[1].value.span,
                    "the capture groups of extract_all() must be a constant array",
                ));
            }
        }
        // `extract_all(regex, source)`: the short form has no groups argument.
        if def.name == "extract_all" && args.len() == 2 {
            def = functions::scalar::lookup_internal("extract_all_of_source")
                .ok_or_else(|| KqlError::Internal("extract_all_of_source is registered".into()))?;
        }
        self.registry_call(def, args, fname, ctx)
    }

    fn registry_call(&self, def: &'static Def, args: &[Arg], fname: &str, ctx: &ExprCtx<'_>) -> Result<DfExpr> {
        let v = ctx.value();
        let mut planned = Vec::with_capacity(args.len());
        let mut regex = None;
        for (i, a) in args.iter().enumerate() {
            let src = &a.value;
            let e = self.expr(src, &v)?;
            let t = self.kql_type(&e, ctx)?;
            let wrong = |want: &str| KqlError::plan(src.span, format!("`{fname}` needs {want}, got {}", t.name()));
            let param = def.param(i).ok_or_else(|| KqlError::Internal(format!("{fname} has no parameters")))?;
            let e = match param {
                Param::Str => match t {
                    KqlType::String => e,
                    KqlType::Null => cast(e, DataType::Utf8),
                    KqlType::Dynamic => super::dynamic::dynamic_text(e),
                    _ => {
                        return Err(wrong("a string").with_help(format!("convert it first: tostring({src})")));
                    }
                },
                Param::Num => match t {
                    KqlType::Int | KqlType::Long | KqlType::Null => cast(e, DataType::Int64),
                    KqlType::Real | KqlType::Decimal => cast(e, DataType::Float64),
                    KqlType::Dynamic => self.dynamic_as(e, KqlType::Real, src.span, ctx)?,
                    _ => return Err(wrong("a number")),
                },
                Param::StrOrLong => match t {
                    KqlType::String => e,
                    KqlType::Null => cast(e, DataType::Utf8),
                    KqlType::Int | KqlType::Long => cast(e, DataType::Int64),
                    KqlType::Dynamic => super::dynamic::dynamic_text(e),
                    _ => return Err(wrong("a string or a number")),
                },
                Param::StrOrList => {
                    if let Some(check) = def.check {
                        for item in constant_items(&e) {
                            check(&item).map_err(|m| KqlError::plan(src.span, m))?;
                        }
                    }
                    match t {
                        KqlType::String | KqlType::Dynamic => e,
                        KqlType::Null => cast(e, DataType::Utf8),
                        _ => return Err(wrong("a string or a dynamic array")),
                    }
                }
                Param::Text => match t {
                    KqlType::Null => cast(e, DataType::Utf8),
                    _ => self.as_text(e, ctx)?,
                },
                Param::Long => match t {
                    KqlType::Int | KqlType::Long | KqlType::Null => cast(e, DataType::Int64),
                    KqlType::Dynamic => self.dynamic_as(e, KqlType::Long, src.span, ctx)?,
                    _ => return Err(wrong("an int or long")),
                },
                Param::Real => match t {
                    t if t.is_numeric() || t == KqlType::Null => cast(e, DataType::Float64),
                    KqlType::Dynamic => self.dynamic_as(e, KqlType::Real, src.span, ctx)?,
                    _ => return Err(wrong("a number")),
                },
                Param::Time => match t {
                    KqlType::DateTime | KqlType::Null => {
                        cast(e, DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into())))
                    }
                    KqlType::Dynamic => return Err(dynamic_where_scalar(src, fname, "a datetime", "todatetime")),
                    _ => return Err(wrong("a datetime")),
                },
                Param::Span => match t {
                    KqlType::TimeSpan | KqlType::Null => cast(e, DataType::Duration(TimeUnit::Nanosecond)),
                    KqlType::Dynamic => return Err(dynamic_where_scalar(src, fname, "a timespan", "totimespan")),
                    _ => return Err(wrong("a timespan")),
                },
                Param::Bool => match t {
                    KqlType::Bool | KqlType::Null => cast(e, DataType::Boolean),
                    _ => return Err(wrong("a bool")),
                },
                Param::Dyn => match t {
                    KqlType::Dynamic => e,
                    KqlType::String => functions::dynamic::access::to_dynamic(e),
                    _ => functions::dynamic::value_of(e),
                },
                Param::Regex => {
                    let pattern = crate::functions::re2::to_rust(&self.constant_text(a, fname, ctx)?).into_owned();
                    let compiled = regex::Regex::new(&pattern)
                        .map_err(|err| KqlError::plan(src.span, format!("invalid regular expression: {err}")))?;
                    regex = Some(compiled);
                    datafusion::logical_expr::lit(pattern)
                }
                Param::ConstStr => {
                    let text = self.constant_text(a, fname, ctx)?;
                    if let Some(check) = def.check {
                        check(&text).map_err(|m| KqlError::plan(src.span, m))?;
                    }
                    datafusion::logical_expr::lit(text)
                }
            };
            planned.push(e);
        }
        Ok(functions::scalar::call(def, regex, planned))
    }

    /// `ingestion_time()` over a lake (a documented choice: a lake has no ingestion time of its
    /// own): the table's `ingestion_time`, `IngestionTime` or `_IngestionTime` column when it
    /// has one, else its event time (`TimeGenerated`, `Timestamp`), which Defender and Sentinel
    /// exports keep and which precedes ingestion by the service's latency.
    pub(crate) fn ingestion_time(&self, span: Span, ctx: &ExprCtx<'_>) -> Result<DfExpr> {
        const COLUMNS: [&str; 5] = ["ingestion_time", "IngestionTime", "_IngestionTime", "TimeGenerated", "Timestamp"];
        for name in COLUMNS {
            if let Some(c) = super::find_column(ctx.schema, name)
                && self.kql_type(&c, ctx)? == KqlType::DateTime
            {
                return Ok(c);
            }
        }
        Err(KqlError::plan(span, "ingestion_time(): the table has no ingestion or event time column")
            .with_help(format!("a lake's ingestion_time() reads the first datetime column of {}", COLUMNS.join(", "))))
    }

    /// A constant string argument (folded), or a located error.
    fn constant_text(&self, a: &Arg, fname: &str, ctx: &ExprCtx<'_>) -> Result<String> {
        let e = fold(self.expr(&a.value, &ctx.value())?);
        as_literal(&e).and_then(string_of).map(str::to_owned).ok_or_else(|| {
            KqlError::plan(a.value.span, format!("this argument of {fname}() must be a constant string"))
        })
    }
}

/// "did you mean" over every function name the engine knows.
pub(crate) fn suggest(name: &str) -> Option<String> {
    let known = super::catalog::known_names();
    let found: Vec<String> = closest_names(name, known.iter().copied()).iter().map(|n| format!("{n}()")).collect();
    did_you_mean(&found.iter().map(String::as_str).collect::<Vec<_>>())
}

/// A constant argument as a `dynamic` value (a `dynamic` literal parsed); `None` for arguments
/// that are not constants.
fn constant_dyn(e: &DfExpr) -> Option<crate::dynamic::Dyn> {
    use crate::dynamic::Dyn;
    use datafusion::common::ScalarValue;
    Some(match as_literal(&fold(e.clone()))? {
        ScalarValue::Utf8(Some(s)) | ScalarValue::LargeUtf8(Some(s)) | ScalarValue::Utf8View(Some(s)) => {
            Dyn::String(s.clone())
        }
        ScalarValue::Binary(Some(bytes)) => Dyn::parse(bytes),
        ScalarValue::Int64(Some(v)) => Dyn::Long(*v),
        ScalarValue::Int32(Some(v)) => Dyn::Long(i64::from(*v)),
        ScalarValue::Float64(Some(v)) => Dyn::Real(*v),
        ScalarValue::Boolean(Some(b)) => Dyn::Bool(*b),
        _ => return None,
    })
}

/// The texts of a constant string or `dynamic` array argument (nothing for other arguments),
/// for the checks of [`Param::StrOrList`] parameters.
fn constant_items(e: &DfExpr) -> Vec<String> {
    use crate::dynamic::Dyn;
    match constant_dyn(e) {
        Some(Dyn::Array(items)) => items.iter().map(Dyn::to_text).collect(),
        Some(Dyn::Null) | None => Vec::new(),
        Some(v) => vec![v.to_text()],
    }
}

/// Rejects constant arguments a row-wise function cannot take (an unknown trend, a percentile
/// out of range), at the argument.
pub(crate) fn check_rowwise_arguments(name: &str, planned: &[DfExpr], args: &[Arg]) -> Result<()> {
    let constants: Vec<_> = planned.iter().map(constant_dyn).collect();
    match crate::functions::dynamic::rowwise::check_arguments(name, &constants) {
        Some((i, message)) => {
            let span = args.get(i).or(args.first()).map(|a| a.span).unwrap_or_default();
            Err(KqlError::plan(span, format!("{name}: {message}")))
        }
        None => Ok(()),
    }
}
