//! Scalar expressions: names, literals, arithmetic, comparisons, `and`/`or`, `between`, `in`.
//!
//! Kusto's comparisons are total where SQL's are not (spec §3): `x == 5` is false, and
//! `x != 5` true, when `x` is null; a null string is `""`. Inside a `where` predicate (no
//! negation above) false and null both drop the row, so the plain SQL form is kept there
//! (Parquet statistics can prune with it); elsewhere the planner writes the total form.

use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, TimeUnit};
use datafusion::common::{DFSchema, ScalarValue};
use datafusion::logical_expr::expr::InSubquery;
use datafusion::logical_expr::{
    Expr as DfExpr, ExprSchemable, LogicalPlanBuilder, Operator as DfOp, Subquery, binary_expr, cast, lit, when,
};
use kql_parser::Span;
use kql_parser::ast::{BinaryOp, Expr, ExprKind, ListOp, LogicalOp, UnaryOp};

use super::scope::Binding;
use super::statement::{Value, as_literal, fold};
use super::tabular::df;
use super::types::{
    KqlType, Rounding, duration_nanos, flatten, literal, timestamp_for, timestamp_nanos, timestamp_scalar,
};
use super::{KqlContextProvider, KqlToRel, Scope, find_column, unknown_column};
use crate::error::{KqlError, Result};
use crate::functions::has::{HasUdf, MatchOp};
use crate::functions::term::TermKind;

/// Where an expression is planned.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ExprCtx<'a> {
    /// The input columns.
    pub(crate) schema: &'a DFSchema,
    /// `let` bindings.
    pub(crate) scope: &'a Scope,
    /// User-function call depth.
    pub(crate) depth: usize,
    /// Directly under a `where` (through `and`/`or` only): null and false mean the same.
    pub(crate) filter: bool,
}

impl ExprCtx<'_> {
    /// The same place, but where the value itself matters.
    pub(crate) fn value(&self) -> Self {
        Self { filter: false, ..*self }
    }
}

/// `coalesce(e, default)`: a total boolean.
pub(crate) fn total(e: DfExpr, default: bool) -> DfExpr {
    datafusion::functions::expr_fn::coalesce(vec![e, lit(default)])
}

/// A string that is `""` instead of null (a KQL string is never null).
pub(crate) fn non_null_string(e: DfExpr) -> DfExpr {
    datafusion::functions::expr_fn::coalesce(vec![e, lit("")])
}

impl<P: KqlContextProvider> KqlToRel<'_, P> {
    /// Plans a scalar expression.
    pub(crate) fn expr(&self, e: &Expr, ctx: &ExprCtx<'_>) -> Result<DfExpr> {
        match &e.kind {
            ExprKind::Literal(l) => Ok(lit(literal(l, e.span)?)),
            ExprKind::Name(n) => self.name(n, e.span, ctx),
            ExprKind::Star => Err(KqlError::plan(e.span, "`*` is not allowed here")),
            ExprKind::Unary { op, operand } => {
                let x = self.expr(operand, &ctx.value())?;
                let mut t = self.kql_type(&x, ctx)?;
                let x = if t == KqlType::Dynamic {
                    t = KqlType::Real;
                    self.dynamic_as(x, KqlType::Real, operand.span, ctx)?
                } else {
                    x
                };
                if !(t.is_numeric() || t == KqlType::TimeSpan || t == KqlType::Null) {
                    return Err(KqlError::plan(
                        e.span,
                        format!("a sign needs a number or a timespan, got {}", t.name()),
                    ));
                }
                Ok(match (op, as_literal(&x)) {
                    (UnaryOp::Neg, Some(v)) => match negate(v) {
                        Ok(n) => lit(n),
                        Err(_) => fold(DfExpr::Negative(Box::new(x))),
                    },
                    (UnaryOp::Neg, None) => DfExpr::Negative(Box::new(x)),
                    (UnaryOp::Plus, _) => x,
                })
            }
            ExprKind::Logical { op, operands } => {
                let mut out: Option<DfExpr> = None;
                for o in operands {
                    let x = self.boolean(self.expr(o, ctx)?, o.span, op.token(), ctx)?;
                    out = Some(match (out, op) {
                        (None, _) => x,
                        (Some(acc), LogicalOp::And) => acc.and(x),
                        (Some(acc), LogicalOp::Or) => acc.or(x),
                    });
                }
                out.ok_or_else(|| KqlError::Internal("empty and/or chain".into()))
            }
            ExprKind::Binary { op: BinaryOp::String(op), left, right } => self.string_op(*op, left, right, e.span, ctx),
            ExprKind::Binary { op, left, right } => self.binary(*op, left, right, e.span, ctx),
            ExprKind::Between { operand, negated, low, high } => self.between(operand, *negated, low, high, ctx),
            ExprKind::InList { operand, op, items } => self.in_list(operand, *op, items, e.span, ctx),
            ExprKind::Call { name, args } => {
                let call = self.call(name, args, e.span, ctx)?;
                // A call lowered to a DataFusion function whose signature rejects the argument
                // types: say so at the call, in KQL's type names.
                if call.get_type(ctx.schema).is_err() {
                    let types: Vec<&str> = args
                        .iter()
                        .map(|a| self.expr(&a.value, &ctx.value()).and_then(|x| self.kql_type(&x, ctx)))
                        .map(|t| t.map_or("?", KqlType::name))
                        .collect();
                    return Err(KqlError::plan(
                        e.span,
                        format!("`{}` cannot take arguments of types ({})", name.name, types.join(", ")),
                    ));
                }
                Ok(call)
            }
            ExprKind::Index { .. } | ExprKind::Member { .. } => self.member_access(e, ctx),
            ExprKind::TypeOf(_) => {
                Err(KqlError::plan(e.span, "typeof(...) is only an argument of functions such as extract()"))
            }
            ExprKind::Tabular(_) => Err(KqlError::plan(
                e.span,
                "a table is not allowed here; use toscalar(...) for a single value, or `in (...)`",
            )),
        }
    }

    /// The KQL type of a planned expression.
    pub(crate) fn kql_type(&self, e: &DfExpr, ctx: &ExprCtx<'_>) -> Result<KqlType> {
        Ok(KqlType::of(&e.get_type(ctx.schema).map_err(df)?))
    }

    /// A predicate: a boolean, or a `dynamic` read as one (`where d.IsAdmin`).
    pub(crate) fn boolean(&self, e: DfExpr, span: Span, what: &str, ctx: &ExprCtx<'_>) -> Result<DfExpr> {
        let e =
            if self.kql_type(&e, ctx)? == KqlType::Dynamic { self.dynamic_as(e, KqlType::Bool, span, ctx)? } else { e };
        self.expect_bool(&e, span, what, ctx)?;
        Ok(e)
    }

    pub(crate) fn expect_bool(&self, e: &DfExpr, span: Span, what: &str, ctx: &ExprCtx<'_>) -> Result<()> {
        match self.kql_type(e, ctx)? {
            KqlType::Bool | KqlType::Null => Ok(()),
            t => Err(KqlError::plan(span, format!("`{what}` needs a boolean (true/false) value, got {}", t.name()))),
        }
    }

    /// A column of the input (it shadows a `let` of the same name), a scalar `let`, or a
    /// function parameter.
    fn name(&self, n: &str, span: Span, ctx: &ExprCtx<'_>) -> Result<DfExpr> {
        if let Some(c) = find_column(ctx.schema, n) {
            return Ok(c);
        }
        match ctx.scope.get(n) {
            Some(Binding::Scalar(e)) => Ok(e.clone()),
            Some(Binding::Tabular(_)) => Err(KqlError::plan(
                span,
                format!("`{n}` is a table; use it with `in ({n})`, `join ({n})`, or toscalar({n})"),
            )),
            Some(Binding::Function(f)) => {
                match self.call_function(f, &[], span, ctx.scope, ctx.schema, ctx.depth + 1)? {
                    Value::Scalar(e) => Ok(e),
                    Value::Tabular(_) => Err(KqlError::plan(span, format!("`{n}` returns a table, not a value"))),
                }
            }
            Some(Binding::Prefix(what)) => {
                Err(KqlError::plan(span, format!("`{n}` is a {what}; read its columns as `{n}.Column`")))
            }
            Some(Binding::Graph(_)) => Err(KqlError::plan(
                span,
                format!("`{n}` is a graph; use it with a graph operator (`{n} | graph-match ...`)"),
            )),
            None => Err(unknown_column(span, n, ctx.schema, &ctx.scope.scalar_names())),
        }
    }

    fn binary(&self, op: BinaryOp, left: &Expr, right: &Expr, span: Span, ctx: &ExprCtx<'_>) -> Result<DfExpr> {
        let l = self.expr(left, &ctx.value())?;
        let r = self.expr(right, &ctx.value())?;
        let (lt, rt) = (self.kql_type(&l, ctx)?, self.kql_type(&r, ctx)?);
        // A `dynamic` operand takes the other side's type (Kusto's binder: `dynamic > long`,
        // `dynamic + real`, `dynamic == string`).
        let (l, r, lt, rt) = if lt == KqlType::Dynamic || rt == KqlType::Dynamic {
            if matches!(op, BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod)
                && lt == KqlType::Dynamic
                && rt == KqlType::Dynamic
            {
                let l = self.dynamic_as(l, KqlType::Real, left.span, ctx)?;
                let r = self.dynamic_as(r, KqlType::Real, right.span, ctx)?;
                (l, r, KqlType::Real, KqlType::Real)
            } else if matches!(op, BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod) {
                // `dynamic + long` is a long, `dynamic + real` a real, `dynamic + timespan` a
                // timespan (Kusto's binder).
                let want = |t: KqlType| if t == KqlType::Int { KqlType::Long } else { t };
                if lt == KqlType::Dynamic {
                    (self.dynamic_as(l, want(rt), left.span, ctx)?, r, want(rt), rt)
                } else {
                    (l, self.dynamic_as(r, want(lt), right.span, ctx)?, lt, want(lt))
                }
            } else {
                self.compare_dynamic(l, r, lt, rt, span, ctx)?
            }
        } else {
            (l, r, lt, rt)
        };
        // A bool compares with a number as 0 or 1 (Kusto's binder: `bool == scalar`, `bool <
        // number`; `IsSigned == 1` is common in hunts).
        let comparison =
            matches!(op, BinaryOp::Eq | BinaryOp::NotEq | BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge);
        let (l, r, lt, rt) = match (lt, rt) {
            (KqlType::Bool, t) if comparison && t.is_numeric() => (cast(l, DataType::Int64), r, KqlType::Long, rt),
            (t, KqlType::Bool) if comparison && t.is_numeric() => (l, cast(r, DataType::Int64), lt, KqlType::Long),
            _ => (l, r, lt, rt),
        };
        // `==` and `!=` take any two scalars (Kusto's binder: `Equal(NotBool, Scalar)`; hunts
        // write `LocalPort == "88"`, `IsInternetFacing == "1"`, `RegistryValueData == 1`): the
        // string side is read as the other side's type, and text that does not convert is
        // equal to nothing. Ordering a string against a number stays an error, as in Kusto.
        let equality = matches!(op, BinaryOp::Eq | BinaryOp::NotEq);
        let (l, r, lt, rt) = match (lt, rt) {
            (KqlType::String, t) if equality && self.converts_text_to(t) => (self.text_as(l, t)?, r, t, t),
            (t, KqlType::String) if equality && self.converts_text_to(t) => {
                let r = self.text_as(r, t)?;
                (l, r, t, t)
            }
            _ => (l, r, lt, rt),
        };
        let type_error =
            || KqlError::plan(span, format!("`{}` cannot combine {} and {}", op.token(), lt.name(), rt.name()));
        match op {
            BinaryOp::Eq | BinaryOp::NotEq => self.equality(op == BinaryOp::NotEq, l, r, lt, rt, span, ctx),
            BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => {
                let comparable =
                    lt == rt || (lt.is_numeric() && rt.is_numeric()) || lt == KqlType::Null || rt == KqlType::Null;
                if !comparable {
                    return Err(type_error());
                }
                let (dop, rounding) = match op {
                    BinaryOp::Lt => (DfOp::Lt, Rounding::Up),
                    BinaryOp::Le => (DfOp::LtEq, Rounding::Down),
                    BinaryOp::Gt => (DfOp::Gt, Rounding::Down),
                    _ => (DfOp::GtEq, Rounding::Up),
                };
                let r = self.time_literal_for(&l, r, rounding, ctx)?;
                Ok(binary_expr(l, dop, r))
            }
            BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod => {
                self.arithmetic(op, l, r, lt, rt, span).map(fold)
            }
            BinaryOp::String(_) => Err(KqlError::Internal("string operator in binary()".into())),
        }
    }

    /// Whether a string compared with a `t` is read as a `t`.
    fn converts_text_to(&self, t: KqlType) -> bool {
        t.is_numeric() || matches!(t, KqlType::Bool | KqlType::DateTime | KqlType::TimeSpan)
    }

    /// A string read as a `t` (null when it does not convert).
    fn text_as(&self, e: DfExpr, t: KqlType) -> Result<DfExpr> {
        let e = fold(e);
        let text = datafusion::functions::expr_fn::nullif(datafusion::functions::expr_fn::btrim(vec![e]), lit(""));
        Ok(match t {
            KqlType::Bool => {
                let def = crate::functions::scalar::lookup_internal("tobool_of_string")
                    .ok_or_else(|| KqlError::Internal("tobool_of_string is registered".into()))?;
                crate::functions::scalar::call(def, None, vec![text])
            }
            KqlType::Int | KqlType::Long => fold(datafusion::logical_expr::try_cast(text, DataType::Int64)),
            KqlType::DateTime => fold(datafusion::logical_expr::try_cast(
                text,
                DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into())),
            )),
            KqlType::TimeSpan => {
                fold(datafusion::logical_expr::try_cast(text, DataType::Duration(TimeUnit::Nanosecond)))
            }
            _ => fold(datafusion::logical_expr::try_cast(text, DataType::Float64)),
        })
    }

    /// `==` / `!=` with Kusto's null rules (spec §3) and `""` for null strings.
    #[allow(clippy::too_many_arguments)]
    fn equality(
        &self,
        negated: bool,
        l: DfExpr,
        r: DfExpr,
        lt: KqlType,
        rt: KqlType,
        span: Span,
        ctx: &ExprCtx<'_>,
    ) -> Result<DfExpr> {
        let comparable = lt == rt || (lt.is_numeric() && rt.is_numeric()) || lt == KqlType::Null || rt == KqlType::Null;
        if !comparable {
            let op = if negated { "!=" } else { "==" };
            let err = KqlError::plan(span, format!("`{op}` cannot compare {} with {}", lt.name(), rt.name()));
            let number_and_text = (lt.is_numeric() || lt == KqlType::Bool) && rt == KqlType::String
                || (rt.is_numeric() || rt == KqlType::Bool) && lt == KqlType::String;
            return Err(if number_and_text {
                err.with_help("Kusto does not convert between numbers and strings here: write the number without quotes, or convert one side (tostring(x) or tolong(x))")
            } else {
                err
            });
        }
        // Put a literal on the right.
        let (l, r) = if as_literal(&l).is_some() && as_literal(&r).is_none() { (r, l) } else { (l, r) };
        if lt == KqlType::String || rt == KqlType::String {
            return Ok(match as_literal(&r).and_then(string_of) {
                Some("") => {
                    if negated {
                        l.clone().is_not_null().and(binary_expr(l, DfOp::NotEq, lit("")))
                    } else {
                        l.clone().is_null().or(binary_expr(l, DfOp::Eq, lit("")))
                    }
                }
                Some(s) => {
                    if negated {
                        l.clone().is_null().or(binary_expr(l, DfOp::NotEq, lit(s)))
                    } else if ctx.filter {
                        binary_expr(l, DfOp::Eq, lit(s))
                    } else {
                        total(binary_expr(l, DfOp::Eq, lit(s)), false)
                    }
                }
                None => {
                    let dop = if negated { DfOp::NotEq } else { DfOp::Eq };
                    binary_expr(non_null_string(l), dop, non_null_string(r))
                }
            });
        }
        // A datetime literal against a timestamp column, in the column's unit; a value the
        // column cannot hold is never equal.
        let mut r = r;
        if let Some(ns) = as_literal(&r).and_then(timestamp_nanos) {
            let target = l.get_type(ctx.schema).map_err(df)?;
            if matches!(target, DataType::Timestamp(..)) {
                match timestamp_for(&target, ns, Rounding::Exact) {
                    Some(v) => r = lit(v),
                    None => return Ok(lit(negated)),
                }
            }
        }
        let literal_right = as_literal(&r).is_some_and(|v| !v.is_null());
        if negated {
            let ne = binary_expr(l.clone(), DfOp::NotEq, r.clone());
            Ok(if literal_right { l.is_null().or(ne) } else { both_null_or(l, r, total(ne, true)) })
        } else {
            let eq = binary_expr(l.clone(), DfOp::Eq, r.clone());
            Ok(if ctx.filter {
                eq
            } else if literal_right {
                total(eq, false)
            } else {
                both_null_or(l, r, total(eq, false))
            })
        }
    }

    /// A datetime literal compared with a timestamp column, re-expressed in the column's unit
    /// and zone (so no cast is needed and statistics prune). Other expressions pass through.
    pub(crate) fn time_literal_for(
        &self,
        column: &DfExpr,
        value: DfExpr,
        rounding: Rounding,
        ctx: &ExprCtx<'_>,
    ) -> Result<DfExpr> {
        let Some(ns) = as_literal(&value).and_then(timestamp_nanos) else { return Ok(value) };
        let target = column.get_type(ctx.schema).map_err(df)?;
        Ok(timestamp_for(&target, ns, rounding).map_or(value, lit))
    }

    fn arithmetic(&self, op: BinaryOp, l: DfExpr, r: DfExpr, lt: KqlType, rt: KqlType, span: Span) -> Result<DfExpr> {
        use KqlType::{DateTime, Null, TimeSpan};
        let err = || KqlError::plan(span, format!("`{}` cannot combine {} and {}", op.token(), lt.name(), rt.name()));
        let as_nanos = |e: DfExpr| cast(cast(e, DataType::Duration(TimeUnit::Nanosecond)), DataType::Int64);
        let numeric = |t: KqlType| t.is_numeric() || t == Null;
        let integer = |t: KqlType| matches!(t, KqlType::Int | KqlType::Long | Null);
        Ok(match (op, lt, rt) {
            (BinaryOp::Add, DateTime, TimeSpan)
            | (BinaryOp::Add, TimeSpan, DateTime)
            | (BinaryOp::Sub, DateTime, TimeSpan) => {
                let dop = if op == BinaryOp::Add { DfOp::Plus } else { DfOp::Minus };
                binary_expr(l, dop, r)
            }
            (BinaryOp::Sub, DateTime, DateTime) => {
                let ns = |e: DfExpr| cast(cast(e, DataType::Timestamp(TimeUnit::Nanosecond, None)), DataType::Int64);
                cast(binary_expr(ns(l), DfOp::Minus, ns(r)), DataType::Duration(TimeUnit::Nanosecond))
            }
            (BinaryOp::Add | BinaryOp::Sub, TimeSpan, TimeSpan) => {
                let dop = if op == BinaryOp::Add { DfOp::Plus } else { DfOp::Minus };
                cast(binary_expr(as_nanos(l), dop, as_nanos(r)), DataType::Duration(TimeUnit::Nanosecond))
            }
            (BinaryOp::Div, TimeSpan, TimeSpan) => {
                binary_expr(cast(as_nanos(l), DataType::Float64), DfOp::Divide, cast(as_nanos(r), DataType::Float64))
            }
            (BinaryOp::Mul | BinaryOp::Div, TimeSpan, t) if numeric(t) => {
                let dop = if op == BinaryOp::Mul { DfOp::Multiply } else { DfOp::Divide };
                cast(
                    cast(
                        binary_expr(cast(as_nanos(l), DataType::Float64), dop, cast(r, DataType::Float64)),
                        DataType::Int64,
                    ),
                    DataType::Duration(TimeUnit::Nanosecond),
                )
            }
            (BinaryOp::Mul, t, TimeSpan) if numeric(t) => cast(
                cast(
                    binary_expr(cast(l, DataType::Float64), DfOp::Multiply, cast(as_nanos(r), DataType::Float64)),
                    DataType::Int64,
                ),
                DataType::Duration(TimeUnit::Nanosecond),
            ),
            (BinaryOp::Div | BinaryOp::Mod, a, b) if integer(a) && integer(b) => {
                // An integer divided by zero is null, not an error (Kusto).
                let r = datafusion::functions::expr_fn::nullif(r, lit(0i64));
                if op == BinaryOp::Div {
                    binary_expr(l, DfOp::Divide, r)
                } else {
                    let abs = |e: DfExpr| datafusion::functions::expr_fn::abs(e);
                    binary_expr(
                        binary_expr(binary_expr(l, DfOp::Modulo, r.clone()), DfOp::Plus, abs(r.clone())),
                        DfOp::Modulo,
                        abs(r),
                    )
                }
            }
            (BinaryOp::Mod, a, b) if numeric(a) && numeric(b) => {
                // Kusto's modulo is never negative: -10 % 4 is 2, 10 % -4 is 2 (spec §11).
                let abs = |e: DfExpr| datafusion::functions::expr_fn::abs(e);
                binary_expr(
                    binary_expr(binary_expr(l, DfOp::Modulo, r.clone()), DfOp::Plus, abs(r.clone())),
                    DfOp::Modulo,
                    abs(r),
                )
            }
            (_, a, b) if numeric(a) && numeric(b) => {
                // `int` arithmetic is done in `long` (spec §3: int(2147483647) + int(1) is
                // 2147483648).
                let (l, r) = if a == KqlType::Int && b == KqlType::Int {
                    (cast(l, DataType::Int64), cast(r, DataType::Int64))
                } else {
                    (l, r)
                };
                let dop = match op {
                    BinaryOp::Add => DfOp::Plus,
                    BinaryOp::Sub => DfOp::Minus,
                    BinaryOp::Mul => DfOp::Multiply,
                    _ => DfOp::Divide,
                };
                binary_expr(l, dop, r)
            }
            _ => return Err(err()),
        })
    }

    /// `x between (a .. b)` as `x >= a and x <= b` (native comparisons, so Parquet statistics
    /// and partitions prune). A datetime with a timespan upper bound means `a .. a + b`.
    fn between(&self, operand: &Expr, negated: bool, low: &Expr, high: &Expr, ctx: &ExprCtx<'_>) -> Result<DfExpr> {
        let v = ctx.value();
        let x = self.expr(operand, &v)?;
        let a = self.expr(low, &v)?;
        let b = self.expr(high, &v)?;
        let (mut xt, at, bt) = (self.kql_type(&x, ctx)?, self.kql_type(&a, ctx)?, self.kql_type(&b, ctx)?);
        // `d.Count between (1 .. 5)`: the dynamic takes the bounds' type.
        let x = if xt == KqlType::Dynamic {
            let want = if at.is_numeric() { KqlType::Real } else { at };
            xt = want;
            self.dynamic_as(x, want, operand.span, ctx)?
        } else {
            x
        };
        if !(xt.is_numeric() || matches!(xt, KqlType::DateTime | KqlType::TimeSpan | KqlType::Null)) {
            return Err(KqlError::plan(
                operand.span,
                format!("`between` needs a number, datetime or timespan, got {}", xt.name()),
            ));
        }
        // Each bound must compare with the operand; a datetime range may end with a timespan.
        let fits = |t: KqlType| {
            t == KqlType::Null
                || xt == KqlType::Null && (t.is_numeric() || matches!(t, KqlType::DateTime | KqlType::TimeSpan))
                || t == xt
                || t.is_numeric() && xt.is_numeric()
        };
        let datetime_plus_span =
            matches!(xt, KqlType::DateTime | KqlType::Null) && at == KqlType::DateTime && bt == KqlType::TimeSpan;
        for (bound, t) in [(low, at), (high, bt)] {
            if !(fits(t) || datetime_plus_span && bound.span == high.span) {
                return Err(KqlError::plan(
                    bound.span,
                    format!("`between` compares {} with a {} bound", xt.name(), t.name()),
                ));
            }
        }
        let b = if datetime_plus_span { fold(binary_expr(a.clone(), DfOp::Plus, b)) } else { b };
        let a = fold(a);
        Ok(if negated {
            let a = self.time_literal_for(&x, a, Rounding::Up, ctx)?;
            let b = self.time_literal_for(&x, b, Rounding::Down, ctx)?;
            binary_expr(x.clone(), DfOp::Lt, a).or(binary_expr(x, DfOp::Gt, b))
        } else {
            let a = self.time_literal_for(&x, a, Rounding::Up, ctx)?;
            let b = self.time_literal_for(&x, b, Rounding::Down, ctx)?;
            binary_expr(x.clone(), DfOp::GtEq, a).and(binary_expr(x, DfOp::LtEq, b))
        })
    }

    /// `in`, `!in`, `in~`, `!in~`, `has_any`, `has_all` with a list, dynamic arrays, or a table.
    fn in_list(&self, operand: &Expr, op: ListOp, items: &[Expr], span: Span, ctx: &ExprCtx<'_>) -> Result<DfExpr> {
        let x = self.expr(operand, &ctx.value())?;
        // A single tabular item: its first column is the list.
        if let [item] = items
            && self.is_tabular(item, ctx.scope)
        {
            let plan = self.tabular_at(item, ctx.scope, ctx.depth)?;
            return self.in_table(x, op, plan, operand, item.span, span, ctx);
        }
        let mut values = Vec::new();
        let mut per_row = Vec::new();
        for item in items {
            let e = fold(self.expr(item, &ctx.value())?);
            match as_literal(&e) {
                Some(v) => values.extend(flatten(v.clone()).into_iter().filter(|v| !v.is_null())),
                None => per_row.push((e, item.span)),
            }
        }
        if per_row.is_empty() {
            return self.in_values(x, op, values, operand, ctx);
        }
        self.in_per_row(x, op, values, per_row, operand, ctx)
    }

    /// A list with values that change per row (`x in (a, b)` over columns): the constant part
    /// tested as usual, each other value by its own comparison, combined with `or` (`and` for
    /// `has_all`), the `!` forms negating the whole.
    fn in_per_row(
        &self,
        x: DfExpr,
        op: ListOp,
        values: Vec<ScalarValue>,
        per_row: Vec<(DfExpr, Span)>,
        operand: &Expr,
        ctx: &ExprCtx<'_>,
    ) -> Result<DfExpr> {
        use crate::functions::pair::PairMatchUdf;
        let (positive, negated) = match op {
            ListOp::NotIn => (ListOp::In, true),
            ListOp::NotInCi => (ListOp::InCi, true),
            other => (other, false),
        };
        let all = positive == ListOp::HasAll;
        let mut parts = Vec::new();
        if !values.is_empty() {
            parts.push(self.in_values(x.clone(), positive, values, operand, ctx)?);
        }
        let xt = self.kql_type(&x, ctx)?;
        let text = |e: DfExpr, t: KqlType| if t == KqlType::Dynamic { super::dynamic::dynamic_text(e) } else { e };
        for (e, span) in per_row {
            let et = self.kql_type(&e, ctx)?;
            let string_pair = matches!(xt, KqlType::String | KqlType::Dynamic | KqlType::Null)
                && matches!(et, KqlType::String | KqlType::Dynamic | KqlType::Null);
            let part = match positive {
                ListOp::In if !string_pair => total(x.clone().eq(e), false),
                _ => {
                    if !string_pair {
                        return Err(KqlError::plan(
                            span,
                            format!("`{}` compares strings; this value is {}", op.token(), et.name()),
                        ));
                    }
                    let (kind, case_sensitive) = match positive {
                        ListOp::In => (TermKind::Equals, true),
                        ListOp::InCi => (TermKind::Equals, false),
                        _ => (TermKind::Has, false),
                    };
                    let m = MatchOp { kind, case_sensitive, negated: false, all: false, name: positive.token() };
                    PairMatchUdf::call(m, text(x.clone(), xt), text(e, et))
                }
            };
            parts.push(part);
        }
        let combined =
            parts.into_iter().reduce(|a, b| if all { a.and(b) } else { a.or(b) }).unwrap_or_else(|| lit(all));
        Ok(if negated { !combined } else { combined })
    }

    /// The test of `x` against constant values.
    fn in_values(
        &self,
        x: DfExpr,
        op: ListOp,
        values: Vec<ScalarValue>,
        operand: &Expr,
        ctx: &ExprCtx<'_>,
    ) -> Result<DfExpr> {
        let mut xt = self.kql_type(&x, ctx)?;
        // A `dynamic` operand is compared as text with strings (and for the string operators),
        // as a number with numbers.
        let x = if xt == KqlType::Dynamic {
            let numbers = !values.is_empty() && values.iter().all(|v| v.data_type().is_numeric());
            let string_op = matches!(op, ListOp::HasAny | ListOp::HasAll | ListOp::InCi | ListOp::NotInCi);
            let want = if numbers && !string_op { KqlType::Real } else { KqlType::String };
            xt = want;
            self.dynamic_as(x, want, operand.span, ctx)?
        } else {
            x
        };
        match op {
            ListOp::HasAny | ListOp::HasAll | ListOp::InCi | ListOp::NotInCi => {
                if !matches!(xt, KqlType::String | KqlType::Null) {
                    return Err(KqlError::plan(
                        operand.span,
                        format!("`{}` needs a string on its left, got {}", op.token(), xt.name()),
                    ));
                }
                let needles: Vec<String> = values.iter().map(scalar_text).collect();
                let (kind, all, negated) = match op {
                    ListOp::HasAny => (TermKind::Has, false, false),
                    ListOp::HasAll => (TermKind::Has, true, false),
                    ListOp::InCi => (TermKind::Equals, false, false),
                    _ => (TermKind::Equals, false, true),
                };
                let m = MatchOp { kind, case_sensitive: false, negated, all, name: op.token() };
                Ok(HasUdf::call(m, x, needles))
            }
            ListOp::In | ListOp::NotIn => {
                let negated = op == ListOp::NotIn;
                let string = xt == KqlType::String;
                let list: Vec<DfExpr> = values
                    .into_iter()
                    .map(|v| {
                        if string {
                            lit(scalar_text(&v))
                        } else {
                            let t = x.get_type(ctx.schema).ok();
                            match (t, timestamp_nanos(&v)) {
                                (Some(t), Some(ns)) => lit(timestamp_for(&t, ns, Rounding::Exact).unwrap_or(v)),
                                _ => lit(v),
                            }
                        }
                    })
                    .collect();
                if list.is_empty() {
                    return Ok(lit(negated));
                }
                let has_empty =
                    string && list.iter().any(|e| as_literal(e).and_then(string_of).is_some_and(str::is_empty));
                let subject = if has_empty { non_null_string(x.clone()) } else { x.clone() };
                let test = subject.in_list(list, negated);
                Ok(if has_empty {
                    test
                } else if negated {
                    x.is_null().or(test)
                } else if ctx.filter {
                    test
                } else {
                    total(test, false)
                })
            }
        }
    }

    /// `x in (T)`, `x has_any (T)`, ...: T's first column, run once while planning (as Kusto
    /// evaluates the right side first), is the list of values. A table with more than
    /// [`MAX_TABLE_VALUES`] distinct values is a semi join (`in`, `!in`) or an error.
    #[allow(clippy::too_many_arguments)]
    fn in_table(
        &self,
        x: DfExpr,
        op: ListOp,
        plan: datafusion::logical_expr::LogicalPlan,
        operand: &Expr,
        item_span: Span,
        span: Span,
        ctx: &ExprCtx<'_>,
    ) -> Result<DfExpr> {
        let (first, first_field) = plan
            .schema()
            .iter()
            .next()
            .map(|(q, f)| (datafusion::common::Column::new(q.cloned(), f.name()), Arc::clone(f)))
            .ok_or_else(|| KqlError::plan(item_span, "the table has no columns"))?;
        let column = DfExpr::Column(first);
        let column = if crate::dynamic::is_json_type(first_field.data_type()) {
            super::dynamic::dynamic_text(column)
        } else {
            column
        };
        let plan = LogicalPlanBuilder::from(plan)
            .project(vec![column.alias("value")])
            .and_then(LogicalPlanBuilder::build)
            .map_err(df)?;
        let key = super::ValuesKey::of(item_span, &plan);
        match self.options.values.get(&key) {
            Some(Some(values)) => return self.in_values(x, op, values.as_ref().clone(), operand, ctx),
            Some(None) => {}
            None => {
                *self.pending.borrow_mut() = Some(super::DataRequest::Values { key, plan });
                return Err(KqlError::not_supported(item_span, "a table on the right of this operator here"));
            }
        }
        let negated = match op {
            ListOp::In => false,
            ListOp::NotIn => true,
            other => {
                return Err(KqlError::not_supported(
                    span,
                    format!(
                        "`{}` with a table of more than {} distinct values on its right",
                        other.token(),
                        super::MAX_TABLE_VALUES
                    ),
                ));
            }
        };
        let sub = Subquery { subquery: Arc::new(plan), outer_ref_columns: vec![], spans: Default::default() };
        let test = DfExpr::InSubquery(InSubquery::new(Box::new(x.clone()), sub, negated));
        Ok(if negated { x.is_null().or(test) } else { test })
    }
}

/// `-v` for a literal (DataFusion cannot negate durations).
fn negate(v: &ScalarValue) -> datafusion::error::Result<ScalarValue> {
    let overflow = || datafusion::error::DataFusionError::Execution("overflow".into());
    Ok(match v {
        ScalarValue::DurationSecond(Some(x)) => {
            ScalarValue::DurationSecond(Some(x.checked_neg().ok_or_else(overflow)?))
        }
        ScalarValue::DurationMillisecond(Some(x)) => {
            ScalarValue::DurationMillisecond(Some(x.checked_neg().ok_or_else(overflow)?))
        }
        ScalarValue::DurationMicrosecond(Some(x)) => {
            ScalarValue::DurationMicrosecond(Some(x.checked_neg().ok_or_else(overflow)?))
        }
        ScalarValue::DurationNanosecond(Some(x)) => {
            ScalarValue::DurationNanosecond(Some(x.checked_neg().ok_or_else(overflow)?))
        }
        other => other.arithmetic_negate()?,
    })
}

/// `CASE WHEN l IS NULL AND r IS NULL THEN NULL ELSE otherwise END`.
fn both_null_or(l: DfExpr, r: DfExpr, otherwise: DfExpr) -> DfExpr {
    when(l.is_null().and(r.is_null()), lit(ScalarValue::Boolean(None)))
        .otherwise(otherwise.clone())
        .unwrap_or(otherwise)
}

/// The string of a string literal.
pub(crate) fn string_of(v: &ScalarValue) -> Option<&str> {
    match v {
        ScalarValue::Utf8(Some(s)) | ScalarValue::LargeUtf8(Some(s)) | ScalarValue::Utf8View(Some(s)) => Some(s),
        ScalarValue::Dictionary(_, inner) => string_of(inner),
        _ => None,
    }
}

/// A literal as text, the way Kusto converts list values for string operators.
pub(crate) fn scalar_text(v: &ScalarValue) -> String {
    match string_of(v) {
        Some(s) => s.to_owned(),
        None => match v {
            ScalarValue::Boolean(Some(b)) => if *b { "true" } else { "false" }.to_owned(),
            other => other.to_string(),
        },
    }
}

/// The nanoseconds of a timespan literal (for `now(-5d)`, `ago(1h)`).
pub(crate) fn constant_nanos(e: &DfExpr) -> Option<i64> {
    as_literal(e).and_then(duration_nanos)
}

/// `now` plus an offset, as a literal.
pub(crate) fn now_plus(now: i64, offset: i64) -> DfExpr {
    lit(timestamp_scalar(now.saturating_add(offset)))
}
