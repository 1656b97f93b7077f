//! Scalar functions (spec §11): Kusto names and semantics mapped onto DataFusion functions or
//! our UDFs. A function outside this list is a located "not supported yet" error.

use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, TimeUnit};
use datafusion::common::ScalarValue;
use datafusion::functions::expr_fn as f;
use datafusion::logical_expr::Operator as DfOp;
use datafusion::logical_expr::{
    Expr as DfExpr, ExprSchemable, LogicalPlanBuilder, Subquery, binary_expr, cast, lit, try_cast, when,
};
use kql_parser::Span;
use kql_parser::ast::{Arg, Expr, ExprKind, Ident};

use super::expr::{ExprCtx, constant_nanos, non_null_string, now_plus};
use super::scope::Binding;
use super::statement::{Value, as_literal, fold};
use super::tabular::df;
use super::types::{KqlType, arrow_type};
use super::{KqlContextProvider, KqlToRel};
use crate::error::{KqlError, Result};
use crate::functions;

/// The aggregate functions (only valid in `summarize`).
pub(crate) const AGGREGATES: &[&str] = &[
    "count",
    "countif",
    "dcount",
    "dcountif",
    "sum",
    "sumif",
    "min",
    "max",
    "avg",
    "avgif",
    "make_set",
    "make_set_if",
    "make_list",
    "make_list_if",
    "makeset",
    "makelist",
    "make_bag",
    "make_bag_if",
    "make_dictionary",
    "arg_max",
    "arg_min",
    "argmax",
    "argmin",
    "take_any",
    "any",
    "stdev",
    "variance",
    "minif",
    "maxif",
    "stdevif",
    "stdevp",
    "varianceif",
    "variancep",
    "count_distinct",
    "count_distinctif",
    "take_anyif",
    "anyif",
    "binary_all_and",
    "binary_all_or",
    "binary_all_xor",
    "percentile",
    "percentiles",
    "percentiles_array",
    "hll",
    "hll_if",
    "hll_merge",
    "tdigest",
    "tdigest_merge",
    "merge_tdigest",
    "percentilew",
    "percentilesw",
    "percentilesw_array",
    "covariance",
    "covariancep",
    "covarianceif",
    "covariancepif",
    "make_list_with_nulls",
    "buildschema",
];

impl<P: KqlContextProvider> KqlToRel<'_, P> {
    pub(crate) fn call(&self, name: &Ident, args: &[Arg], span: Span, ctx: &ExprCtx<'_>) -> Result<DfExpr> {
        if let Some(Binding::Function(func)) = ctx.scope.get(&name.name) {
            return match self.call_function(func, args, span, ctx.scope, ctx.schema, ctx.depth + 1)? {
                Value::Scalar(e) => Ok(e),
                Value::Tabular(_) => Err(KqlError::plan(span, format!("`{}` returns a table, not a value", name.name))),
            };
        }
        // A built-in function takes `name = value` arguments by position: Kusto does not match
        // their names to its parameters (KL `Signature.AllowsNamedArguments`); the name only
        // names the result (`names::arg_name`).
        let fname = name.name.as_str();
        // `hll_merge(h1, h2)` and `tdigest_merge(t1, t2)` are scalar functions too.
        let scalar_merge = matches!(fname, "hll_merge" | "tdigest_merge" | "merge_tdigest") && args.len() >= 2;
        if AGGREGATES.contains(&fname) && !scalar_merge {
            return Err(KqlError::plan(span, format!("`{fname}()` is an aggregation; use it in `summarize`")));
        }
        let arity = |lo: usize, hi: usize| super::check_arity(fname, span, args.len(), lo, hi);
        let v = ctx.value();
        let arg = |i: usize| -> Result<DfExpr> { self.expr(&args[i].value, &v) };
        let ty = |e: &DfExpr| -> Result<KqlType> { self.kql_type(e, ctx) };
        let constant_span = |i: usize, what: &str| -> Result<i64> {
            let e = fold(arg(i)?);
            constant_nanos(&e)
                .ok_or_else(|| KqlError::plan(args[i].value.span, format!("{what} must be a constant timespan")))
        };
        Ok(match fname {
            "now" => {
                arity(0, 1)?;
                let offset = if args.is_empty() { 0 } else { constant_span(0, "the offset of now()")? };
                now_plus(self.options.now, offset)
            }
            "ago" => {
                arity(1, 1)?;
                now_plus(self.options.now, -constant_span(0, "the argument of ago()")?)
            }
            "bin" | "floor" if args.len() == 2 => self.bin(arg(0)?, fold(arg(1)?), span, ctx)?,
            "floor" => {
                return Err(KqlError::plan(span, "`floor` takes two arguments (a value and a bin size); use bin()"));
            }
            "tostring" => {
                arity(1, 1)?;
                let x = arg(0)?;
                if ty(&x)? == KqlType::Dynamic { super::dynamic::dynamic_text(x) } else { functions::tostring::call(x) }
            }
            "toguid" => {
                arity(1, 1)?;
                use functions::dynamic::convert::{Target, dynamic_to};
                let x = arg(0)?;
                match ty(&x)? {
                    KqlType::Dynamic => dynamic_to(Target::Guid, x),
                    KqlType::String | KqlType::Null => dynamic_to(Target::Guid, functions::dynamic::value_of(x)),
                    t => {
                        return Err(KqlError::plan(
                            args[0].value.span,
                            format!("`toguid` needs a string, got {}", t.name()),
                        ));
                    }
                }
            }
            "parse_json" | "todynamic" | "parsejson" | "toobject" => {
                arity(1, 1)?;
                self.parse_json(arg(0)?, args[0].value.span, fname, ctx)?
            }
            "tolower" | "toupper" => {
                arity(1, 1)?;
                let s = self.string_arg(&args[0].value, arg(0)?, fname, ctx)?;
                if fname == "tolower" { f::lower(s) } else { f::upper(s) }
            }
            "strcat" => {
                if args.is_empty() || args.len() > 64 {
                    return Err(KqlError::plan(span, "`strcat` takes 1 to 64 arguments"));
                }
                let parts = (0..args.len()).map(|i| self.as_text(arg(i)?, ctx)).collect::<Result<Vec<_>>>()?;
                non_null_string(f::concat(parts))
            }
            "strlen" => {
                arity(1, 1)?;
                let s = self.string_arg(&args[0].value, arg(0)?, fname, ctx)?;
                cast(f::character_length(non_null_string(s)), DataType::Int64)
            }
            "substring" => {
                arity(2, 3)?;
                let s = self.as_text(arg(0)?, ctx)?;
                let mut a = vec![s, cast(arg(1)?, DataType::Int64)];
                if args.len() == 3 {
                    a.push(cast(arg(2)?, DataType::Int64));
                }
                functions::substring::call(a)
            }
            "extract" => {
                arity(3, 4)?;
                let re = fold(arg(0)?);
                let Some(pattern) = as_literal(&re).and_then(super::expr::string_of) else {
                    return Err(KqlError::plan(
                        args[0].value.span,
                        "the regular expression of extract() must be a constant string",
                    ));
                };
                let regex = regex::Regex::new(&functions::re2::to_rust(pattern))
                    .map_err(|e| KqlError::plan(args[0].value.span, format!("invalid regular expression: {e}")))?;
                let group = fold(arg(1)?);
                let Some(ScalarValue::Int64(Some(g))) =
                    as_literal(&group).and_then(|v| v.cast_to(&DataType::Int64).ok())
                else {
                    return Err(KqlError::plan(
                        args[1].value.span,
                        "the capture group of extract() must be a constant number",
                    ));
                };
                let g = usize::try_from(g).ok().filter(|g| *g < regex.captures_len()).ok_or_else(|| {
                    KqlError::plan(
                        args[1].value.span,
                        format!("the expression has {} capture group(s)", regex.captures_len() - 1),
                    )
                })?;
                let text = self.as_text(arg(2)?, ctx)?;
                let out = functions::extract::call(regex, g, text);
                match args.get(3).map(|a| &a.value.kind) {
                    None => out,
                    Some(ExprKind::TypeOf(t)) => try_cast(functions::extract::nullif_empty(out), arrow_type(*t)),
                    Some(_) => {
                        return Err(KqlError::plan(args[3].value.span, "the last argument of extract() is typeof(T)"));
                    }
                }
            }
            "iff" | "iif" => {
                arity(3, 3)?;
                let c = self.boolean(arg(0)?, args[0].value.span, fname, ctx)?;
                let (a, b) = (arg(1)?, arg(2)?);
                let (a, b) = self.unify_dynamic(a, b, ctx)?;
                self.same_type(&a, &b, args[2].value.span, fname, ctx)?;
                when(c, a).otherwise(b).map_err(df)?
            }
            "case" => {
                if args.len() < 3 || args.len().is_multiple_of(2) {
                    return Err(KqlError::plan(span, "`case` takes pairs of (condition, value) and an else value"));
                }
                let mut builder: Option<datafusion::logical_expr::conditional_expressions::CaseBuilder> = None;
                let values =
                    args[..args.len() - 1].chunks(2).map(|p| self.expr(&p[1].value, &v)).collect::<Result<Vec<_>>>()?;
                let any_dynamic =
                    values.iter().chain([&arg(args.len() - 1)?]).any(|e| ty(e).is_ok_and(|t| t == KqlType::Dynamic));
                let otherwise = arg(args.len() - 1)?;
                let otherwise = if any_dynamic { self.as_dynamic_value(otherwise, ctx)? } else { otherwise };
                for (pair, value) in args[..args.len() - 1].chunks(2).zip(values) {
                    let c = self.boolean(self.expr(&pair[0].value, &v)?, pair[0].value.span, "case", ctx)?;
                    let value = if any_dynamic { self.as_dynamic_value(value, ctx)? } else { value };
                    self.same_type(&otherwise, &value, pair[1].value.span, fname, ctx)?;
                    builder = Some(match builder {
                        None => when(c, value),
                        Some(mut b) => {
                            b.when(c, value);
                            b
                        }
                    });
                }
                builder.ok_or_else(|| KqlError::Internal("empty case".into()))?.otherwise(otherwise).map_err(df)?
            }
            "isempty" | "isnotempty" | "notempty" => {
                arity(1, 1)?;
                let x = arg(0)?;
                // A `dynamic` is empty when it is null or the empty string (`[]` and `{}` are not).
                let x = if ty(&x)? == KqlType::Dynamic { super::dynamic::dynamic_text(x) } else { x };
                let empty = if ty(&x)? == KqlType::String {
                    x.clone().is_null().or(binary_expr(x, DfOp::Eq, lit("")))
                } else {
                    x.is_null()
                };
                if fname == "isempty" { empty } else { !empty }
            }
            "isnull" | "isnotnull" | "notnull" => {
                arity(1, 1)?;
                let x = arg(0)?;
                let x = if ty(&x)? == KqlType::Dynamic { super::dynamic::dynamic_is_null(x) } else { x };
                // A KQL string is never null (spec §3).
                if ty(&x)? == KqlType::String {
                    lit(fname != "isnull")
                } else if fname == "isnull" {
                    x.is_null()
                } else {
                    x.is_not_null()
                }
            }
            "not" => {
                arity(1, 1)?;
                let x = self.boolean(arg(0)?, args[0].value.span, "not", ctx)?;
                !x
            }
            "coalesce" => {
                if args.len() < 2 {
                    return Err(KqlError::plan(span, "`coalesce` takes at least two arguments"));
                }
                let values = (0..args.len()).map(arg).collect::<Result<Vec<_>>>()?;
                let values = if values.iter().any(|e| ty(e).is_ok_and(|t| t == KqlType::Dynamic)) {
                    values.into_iter().map(|e| self.as_dynamic_value(e, ctx)).collect::<Result<Vec<_>>>()?
                } else {
                    values
                };
                // For strings the first non-empty value wins.
                if ty(&values[0])? == KqlType::String {
                    let mut vs: Vec<DfExpr> = values.into_iter().map(|e| f::nullif(e, lit(""))).collect();
                    vs.push(lit(""));
                    f::coalesce(vs)
                } else {
                    f::coalesce(values)
                }
            }
            "toint" | "tolong" | "toreal" | "todouble" | "tobool" | "toboolean" | "todatetime" | "totimespan"
            | "totime" | "todecimal" => {
                arity(1, 1)?;
                let target = match fname {
                    "toint" => DataType::Int32,
                    "tolong" => DataType::Int64,
                    "toreal" | "todouble" => DataType::Float64,
                    "tobool" | "toboolean" => DataType::Boolean,
                    "todatetime" => DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into())),
                    "totimespan" | "totime" => DataType::Duration(TimeUnit::Nanosecond),
                    _ => DataType::Decimal128(38, 10),
                };
                let x = arg(0)?;
                if ty(&x)? == KqlType::Dynamic {
                    use functions::dynamic::convert::{Target, dynamic_to};
                    let to = match fname {
                        "toint" => Target::Int,
                        "tolong" => Target::Long,
                        "toreal" | "todouble" | "todecimal" => Target::Real,
                        "tobool" | "toboolean" => Target::Bool,
                        "todatetime" => Target::DateTime,
                        _ => Target::TimeSpan,
                    };
                    let v = dynamic_to(to, x);
                    return Ok(if fname == "todecimal" { try_cast(v, target) } else { v });
                }
                // Text is read with Kusto's own rules for booleans, datetimes and timespans.
                let text_reader = match fname {
                    "tobool" | "toboolean" => Some("tobool_of_string"),
                    "todatetime" => Some("todatetime_of_string"),
                    "totimespan" | "totime" => Some("totimespan_of_string"),
                    _ => None,
                };
                if let (KqlType::String, Some(reader)) = (ty(&x)?, text_reader) {
                    let def = functions::scalar::lookup_internal(reader)
                        .ok_or_else(|| KqlError::Internal(format!("{reader} is registered")))?;
                    return Ok(functions::scalar::call(def, None, vec![x]));
                }
                // A number as a timespan is a count of ticks (100 ns), as in a dynamic value.
                if matches!(fname, "totimespan" | "totime") && matches!(ty(&x)?, KqlType::Int | KqlType::Long) {
                    let ns = binary_expr(cast(x, DataType::Int64), DfOp::Multiply, lit(100i64));
                    return Ok(cast(ns, DataType::Duration(TimeUnit::Nanosecond)));
                }
                let x = if ty(&x)? == KqlType::String { f::nullif(x, lit("")) } else { x };
                try_cast(x, target)
            }
            "abs" | "sqrt" | "exp" | "log" | "log10" | "log2" | "ceiling" | "sign" => {
                arity(1, 1)?;
                let x = self.number_arg(&args[0].value, arg(0)?, fname, ctx)?;
                match fname {
                    "abs" => f::abs(x),
                    "sqrt" => f::sqrt(cast(x, DataType::Float64)),
                    "exp" => f::exp(cast(x, DataType::Float64)),
                    "log" => f::ln(cast(x, DataType::Float64)),
                    "log10" => f::log10(cast(x, DataType::Float64)),
                    "log2" => f::log2(cast(x, DataType::Float64)),
                    "ceiling" => f::ceil(cast(x, DataType::Float64)),
                    _ => f::signum(cast(x, DataType::Float64)),
                }
            }
            "round" => {
                arity(1, 2)?;
                let x = self.number_arg(&args[0].value, arg(0)?, fname, ctx)?;
                let digits = if args.len() == 2 { cast(arg(1)?, DataType::Int64) } else { lit(0i64) };
                f::round(vec![cast(x, DataType::Float64), digits])
            }
            "pow" => {
                arity(2, 2)?;
                f::power(cast(arg(0)?, DataType::Float64), cast(arg(1)?, DataType::Float64))
            }
            "min_of" | "max_of" => {
                if args.len() < 2 {
                    return Err(KqlError::plan(span, format!("`{fname}` takes at least two arguments")));
                }
                let values = (0..args.len()).map(arg).collect::<Result<Vec<_>>>()?;
                if fname == "min_of" { f::least(values) } else { f::greatest(values) }
            }
            "trim" | "trim_start" | "trim_end" => {
                arity(2, 2)?;
                let re = fold(arg(0)?);
                let Some(pattern) = as_literal(&re).and_then(super::expr::string_of) else {
                    return Err(KqlError::plan(
                        args[0].value.span,
                        format!("the regular expression of {fname}() must be a constant string"),
                    ));
                };
                let pattern = functions::re2::to_rust(pattern);
                regex::Regex::new(&pattern)
                    .map_err(|e| KqlError::plan(args[0].value.span, format!("invalid regular expression: {e}")))?;
                let anchored = match fname {
                    "trim_start" => format!("^(?:{pattern})+"),
                    "trim_end" => format!("(?:{pattern})+$"),
                    _ => format!("^(?:{pattern})+|(?:{pattern})+$"),
                };
                let s = non_null_string(self.as_text(arg(1)?, ctx)?);
                f::regexp_replace(s, lit(anchored), lit(""), Some(lit("g")))
            }
            "replace_string" => {
                arity(3, 3)?;
                let s = non_null_string(self.as_text(arg(0)?, ctx)?);
                f::replace(s, arg(1)?, arg(2)?)
            }
            "split" => {
                arity(2, 3)?;
                let s = non_null_string(self.as_text(arg(0)?, ctx)?);
                let parts =
                    datafusion::functions_nested::expr_fn::string_to_array(s, arg(1)?, lit(ScalarValue::Utf8(None)));
                if args.len() == 3 {
                    let i = cast(arg(2)?, DataType::Int64);
                    let one_based = when(i.clone().gt_eq(lit(0i64)), binary_expr(i.clone(), DfOp::Plus, lit(1i64)))
                        .otherwise(i)
                        .map_err(df)?;
                    datafusion::functions_nested::expr_fn::make_array(vec![
                        datafusion::functions_nested::expr_fn::array_element(parts, one_based),
                    ])
                } else {
                    parts
                }
            }
            "array_length"
                if args.len() == 1 && matches!(ty(&arg(0)?)?, KqlType::Dynamic) && is_list(&arg(0)?, ctx) =>
            {
                cast(datafusion::functions_nested::expr_fn::cardinality(arg(0)?), DataType::Int64)
            }
            "pack_all" => {
                arity(0, 1)?;
                let skip_empty = match args.first() {
                    None => false,
                    Some(a) => match as_literal(&fold(arg(0)?)) {
                        Some(ScalarValue::Boolean(Some(b))) => *b,
                        _ => return Err(KqlError::plan(a.value.span, "the argument of pack_all() is a constant bool")),
                    },
                };
                let mut pairs = Vec::new();
                for name in super::column_names(ctx.schema) {
                    pairs.push(lit(name.clone()));
                    pairs.push(super::col(&name));
                }
                functions::dynamic::rowwise::pack(pairs, skip_empty)
            }
            "bag_pack_columns" => {
                if args.is_empty() {
                    return Err(KqlError::plan(span, "`bag_pack_columns` takes one or more columns"));
                }
                let mut pairs = Vec::new();
                for a in args {
                    let Some(n) = a.value.as_name() else {
                        return Err(KqlError::plan(
                            a.value.span,
                            "the arguments of bag_pack_columns() are column names",
                        ));
                    };
                    pairs.push(lit(n.to_owned()));
                    pairs.push(self.expr(&a.value, &v)?);
                }
                functions::dynamic::rowwise::pack(pairs, false)
            }
            "extract_json" | "extractjson" => {
                arity(2, 3)?;
                let path = fold(arg(0)?);
                let Some(text) = as_literal(&path).and_then(super::expr::string_of) else {
                    return Err(KqlError::plan(
                        args[0].value.span,
                        "the JSONPath of extract_json() must be a constant string",
                    ));
                };
                let Some(steps) = functions::dynamic::jsonpath::parse(text) else {
                    return Err(KqlError::plan(
                        args[0].value.span,
                        format!("`{text}` is not a JSONPath Kusto supports (`$`, `.name`, `['name']`, `[n]`)"),
                    ));
                };
                let source = arg(1)?;
                let source = match ty(&source)? {
                    KqlType::Dynamic => source,
                    KqlType::String | KqlType::Null => functions::dynamic::access::to_dynamic(source),
                    t => {
                        return Err(KqlError::plan(
                            args[1].value.span,
                            format!("`{fname}` needs JSON text, got {}", t.name()),
                        ));
                    }
                };
                let steps: Vec<DfExpr> = steps
                    .into_iter()
                    .map(|s| match s {
                        crate::dynamic::Step::Key(k) => lit(k),
                        crate::dynamic::Step::Index(i) => lit(i),
                    })
                    .collect();
                match args.get(2).map(|a| &a.value.kind) {
                    None => functions::dynamic::access::get_text(source, steps),
                    Some(ExprKind::TypeOf(t)) => {
                        let value = functions::dynamic::access::get(source, steps);
                        let want = KqlType::of(&arrow_type(*t));
                        self.dynamic_as(value, want, args[2].value.span, ctx)?
                    }
                    Some(_) => {
                        return Err(KqlError::plan(
                            args[2].value.span,
                            "the last argument of extract_json() is typeof(T)",
                        ));
                    }
                }
            }
            "gettype" if args.len() == 1 && !matches!(ty(&arg(0)?)?, KqlType::Dynamic) => {
                let t = ty(&arg(0)?)?;
                lit(match t {
                    KqlType::Other => "unknown".to_owned(),
                    KqlType::Null => "null".to_owned(),
                    t => t.name().to_owned(),
                })
            }
            _ if functions::dynamic::rowwise::lookup(fname).is_some() => {
                let Some(def) = functions::dynamic::rowwise::lookup(fname) else {
                    return Err(KqlError::Internal("registry lookup".into()));
                };
                arity(def.min, def.max)?;
                if matches!(def.name, "bag_pack") && !args.len().is_multiple_of(2) {
                    return Err(KqlError::plan(
                        span,
                        format!("`{fname}` takes key/value pairs (an even number of arguments)"),
                    ));
                }
                let planned = (0..args.len()).map(arg).collect::<Result<Vec<_>>>()?;
                super::library::check_rowwise_arguments(def.name, &planned, args)?;
                functions::dynamic::rowwise::call(def, planned)
            }
            "getyear" | "getmonth" | "dayofmonth" | "hourofday" | "dayofyear" => {
                arity(1, 1)?;
                let part = match fname {
                    "getyear" => "year",
                    "getmonth" => "month",
                    "dayofmonth" => "day",
                    "hourofday" => "hour",
                    _ => "doy",
                };
                self.time_arg(&args[0].value, arg(0)?, fname, ctx)?;
                cast(f::date_part(lit(part), arg(0)?), DataType::Int32)
            }
            "datetime_diff" => {
                arity(3, 3)?;
                self.datetime_diff(args, ctx)?
            }
            "toscalar" => {
                arity(1, 1)?;
                // A scalar (a `partition { ... }` key, a `let` value) is its own value.
                if let ExprKind::Name(n) = &args[0].value.kind
                    && let Some(Binding::Scalar(v)) = ctx.scope.get(n)
                {
                    return Ok(v.clone());
                }
                let plan = self.tabular_at(&args[0].value, ctx.scope, ctx.depth)?;
                let first = plan
                    .schema()
                    .columns()
                    .into_iter()
                    .next()
                    .ok_or_else(|| KqlError::plan(span, "the table has no columns"))?;
                let plan = LogicalPlanBuilder::from(plan)
                    .project(vec![DfExpr::Column(first)])
                    .and_then(|b| b.limit(0, Some(1)))
                    .and_then(LogicalPlanBuilder::build)
                    .map_err(df)?;
                DfExpr::ScalarSubquery(Subquery {
                    subquery: Arc::new(plan),
                    outer_ref_columns: vec![],
                    spans: Default::default(),
                })
            }
            "bin_at" => {
                arity(3, 3)?;
                // bin_at(x, size, fixed) = fixed + bin(x - fixed, size).
                let at = &args[2].value;
                let shifted = Expr {
                    kind: ExprKind::Binary {
                        op: kql_parser::ast::BinaryOp::Sub,
                        left: Box::new(args[0].value.clone()),
                        right: Box::new(at.clone()),
                    },
                    span: args[0].value.span,
                };
                let fixed = arg(2)?;
                let fixed_type = ty(&fixed)?;
                let x_type = ty(&arg(0)?)?;
                if fixed_type != x_type && !(fixed_type.is_numeric() && x_type.is_numeric()) {
                    return Err(KqlError::plan(
                        at.span,
                        format!("the fixed point of bin_at() must be a {}, got {}", x_type.name(), fixed_type.name()),
                    ));
                }
                let binned = self.bin(self.expr(&shifted, &v)?, fold(arg(1)?), span, ctx)?;
                match (fixed_type, self.kql_type(&binned, ctx)?) {
                    (KqlType::DateTime, KqlType::TimeSpan) | (KqlType::TimeSpan, KqlType::TimeSpan) => {
                        binary_expr(fixed, DfOp::Plus, binned)
                    }
                    _ => binary_expr(binned, DfOp::Plus, fixed),
                }
            }
            "around" => {
                arity(3, 3)?;
                // around(x, center, delta): center - delta <= x <= center + delta.
                let (c, d) = (&args[1].value, &args[2].value);
                let bound = |op| Expr {
                    kind: ExprKind::Binary { op, left: Box::new(c.clone()), right: Box::new(d.clone()) },
                    span: c.span,
                };
                let between = Expr {
                    kind: ExprKind::Between {
                        operand: Box::new(args[0].value.clone()),
                        negated: false,
                        low: Box::new(bound(kql_parser::ast::BinaryOp::Sub)),
                        high: Box::new(bound(kql_parser::ast::BinaryOp::Add)),
                    },
                    span,
                };
                self.expr(&between, &v)?
            }
            "assert" => {
                arity(2, 2)?;
                // The condition is a constant, checked when the query is planned.
                let condition = fold(self.boolean(arg(0)?, args[0].value.span, fname, ctx)?);
                let message = fold(arg(1)?);
                match as_literal(&condition) {
                    Some(ScalarValue::Boolean(Some(true))) => lit(true),
                    Some(ScalarValue::Boolean(_)) => {
                        let text = as_literal(&message).and_then(super::expr::string_of).unwrap_or("assertion failed");
                        return Err(KqlError::plan(args[0].value.span, format!("assert() failed: {text}")));
                    }
                    _ => {
                        return Err(KqlError::plan(
                            args[0].value.span,
                            "the condition of assert() must be a constant (Kusto checks it before running the query)",
                        ));
                    }
                }
            }
            f if super::rows::ROW_FUNCTIONS.contains(&f) => self.row_function(fname, args, span, ctx)?,
            "ingestion_time" => {
                arity(0, 0)?;
                self.ingestion_time(span, ctx)?
            }
            "column_ifexists" | "columnifexists" => {
                arity(2, 2)?;
                let column = fold(arg(0)?);
                let Some(column) = as_literal(&column).and_then(super::expr::string_of) else {
                    return Err(KqlError::plan(
                        args[0].value.span,
                        "the column name of column_ifexists() is a constant string",
                    ));
                };
                match super::find_column(ctx.schema, column) {
                    Some(c) => c,
                    None => arg(1)?,
                }
            }
            "bin_auto" => {
                arity(1, 1)?;
                // bin_auto(x) is bin_at(x, size, at) with the query's `set query_bin_auto_size`
                // and `set query_bin_auto_at` (bin(x, size) when no fixed point is set).
                let settings = self.bin_auto.borrow().clone();
                let Some(size) = settings.size else {
                    return Err(KqlError::plan(span, "bin_auto() needs the bin size of the query")
                        .with_help("set it before the query: `set query_bin_auto_size = 1h;`"));
                };
                let mut call_args = vec![args[0].clone(), Arg { name: None, span: size.span, value: size }];
                let target = match settings.at {
                    Some(at) => {
                        call_args.push(Arg { name: None, span: at.span, value: at });
                        "bin_at"
                    }
                    None => "bin",
                };
                let target = Ident { name: target.to_owned(), span: name.span };
                return self.call(&target, &call_args, span, ctx);
            }
            "iscolumnexists" => {
                arity(1, 1)?;
                let column = fold(arg(0)?);
                let Some(column) = as_literal(&column).and_then(super::expr::string_of) else {
                    return Err(KqlError::plan(
                        args[0].value.span,
                        "the column name of iscolumnexists() is a constant string",
                    ));
                };
                lit(super::find_column(ctx.schema, column).is_some())
            }
            _ => return self.library_call(name, args, span, ctx),
        })
    }

    /// A string argument, or a clear error.
    fn string_arg(&self, src: &Expr, e: DfExpr, fname: &str, ctx: &ExprCtx<'_>) -> Result<DfExpr> {
        match self.kql_type(&e, ctx)? {
            KqlType::String | KqlType::Null => Ok(e),
            KqlType::Dynamic => Ok(super::dynamic::dynamic_text(e)),
            t => Err(KqlError::plan(src.span, format!("`{fname}` needs a string, got {}", t.name()))
                .with_help(format!("convert it first: {fname}(tostring({src}))"))),
        }
    }

    fn number_arg(&self, src: &Expr, e: DfExpr, fname: &str, ctx: &ExprCtx<'_>) -> Result<DfExpr> {
        match self.kql_type(&e, ctx)? {
            t if t.is_numeric() || t == KqlType::Null => Ok(e),
            KqlType::Dynamic => Err(dynamic_where_scalar(src, fname, "a number", "toreal")),
            t => Err(KqlError::plan(src.span, format!("`{fname}` needs a number, got {}", t.name()))),
        }
    }

    pub(crate) fn time_arg(&self, src: &Expr, e: DfExpr, fname: &str, ctx: &ExprCtx<'_>) -> Result<()> {
        match self.kql_type(&e, ctx)? {
            KqlType::DateTime | KqlType::Null => Ok(()),
            KqlType::Dynamic => Err(dynamic_where_scalar(src, fname, "a datetime", "todatetime")),
            t => Err(KqlError::plan(src.span, format!("`{fname}` needs a datetime, got {}", t.name()))),
        }
    }

    fn same_type(&self, a: &DfExpr, b: &DfExpr, span: Span, fname: &str, ctx: &ExprCtx<'_>) -> Result<()> {
        let (ta, tb) = (self.kql_type(a, ctx)?, self.kql_type(b, ctx)?);
        if ta == tb || ta == KqlType::Null || tb == KqlType::Null || (ta.is_numeric() && tb.is_numeric()) {
            Ok(())
        } else {
            Err(KqlError::plan(
                span,
                format!("both values of `{fname}` must have one type, got {} and {}", ta.name(), tb.name()),
            ))
        }
    }

    /// Text for string functions: strings as they are, other values through `tostring`.
    pub(crate) fn as_text(&self, e: DfExpr, ctx: &ExprCtx<'_>) -> Result<DfExpr> {
        Ok(match self.kql_type(&e, ctx)? {
            KqlType::String => e,
            KqlType::Dynamic => super::dynamic::dynamic_text(e),
            _ => functions::tostring::call(e),
        })
    }
}

/// `array_sort_asc(a, b)` as a column: Kusto gives one column per array (a tuple result), which
/// is not supported yet; indexing the result (`array_sort_asc(a, b)[1]`) picks one array.
pub(crate) fn tuple_result(e: &Expr) -> Option<Span> {
    let ExprKind::Call { name, args } = &e.kind else { return None };
    if super::tuples::is_tuple_function(&name.name) {
        return Some(e.span);
    }
    if !matches!(name.name.as_str(), "array_sort_asc" | "array_sort_desc") {
        return None;
    }
    let arrays = match args.last().map(|a| &a.value.kind) {
        Some(ExprKind::Literal(kql_parser::ast::Literal::Bool(_))) => args.len() - 1,
        _ => args.len(),
    };
    (arrays > 1).then_some(e.span)
}

/// Whether an expression is an Arrow list (the native `dynamic` array `make_set` and `split`
/// give).
fn is_list(e: &DfExpr, ctx: &ExprCtx<'_>) -> bool {
    matches!(e.get_type(ctx.schema), Ok(DataType::List(_) | DataType::LargeList(_)))
}

/// A `dynamic` argument where a function needs a typed value: a located error naming both types
/// and the conversion to write.
pub(crate) fn dynamic_where_scalar(src: &Expr, fname: &str, want: &str, convert: &str) -> KqlError {
    KqlError::plan(src.span, format!("`{fname}` needs {want}, got dynamic"))
        .with_help(format!("convert it explicitly: {fname}({convert}({src}), ...)"))
}
