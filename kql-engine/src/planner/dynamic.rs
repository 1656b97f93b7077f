//! `dynamic` in expressions: member access chains, `parse_json`, and the implicit conversions
//! Kusto applies where a `dynamic` meets a typed value.
//!
//! * `d.a.b[0]`, `d['a']`, `d[i]` become one `kql_get(d, 'a', 'b', 0)` call (a chain extends
//!   the call instead of nesting), and `tostring()` of it (what `has`, `==`, `in` and group
//!   keys need) is `kql_get_text`, which unescapes the string it reaches in the same pass.
//! * A `dynamic` compared with a string is compared as `tostring(d)`; with a number, as a
//!   `real`; with a `bool`, `datetime` or `timespan`, converted to that type; two `dynamic`
//!   values compare by their JSON text.
//! * Where a function wants a string (`tolower`, `strlen`, `extract`, ...), a `dynamic` is
//!   read through `tostring`, which is what Kusto's engine does for the functions its binder
//!   declares as taking any scalar; where it wants a number, a `datetime` or a `timespan` (for
//!   example `bin`, `datetime_diff`, `sum`), a `dynamic` is a located error naming both types.

use datafusion::arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::logical_expr::{Expr as DfExpr, ExprSchemable, cast, lit};
use kql_parser::Span;
use kql_parser::ast::{Expr, ExprKind};

use super::expr::ExprCtx;
use super::statement::{as_literal, fold};
use super::tabular::df;
use super::types::KqlType;
use super::{KqlContextProvider, KqlToRel};
use crate::dynamic::{DYNAMIC_TYPE, is_json_type};
use crate::error::{KqlError, Result};
use crate::functions::dynamic::access::{as_get, get, get_text, to_dynamic};
use crate::functions::dynamic::convert::{Target, dynamic_to};
use crate::functions::dynamic::value_of;

impl<P: KqlContextProvider> KqlToRel<'_, P> {
    /// `base.member` and `base[index]`.
    pub(crate) fn member_access(&self, e: &Expr, ctx: &ExprCtx<'_>) -> Result<DfExpr> {
        // The chain, innermost base first.
        let mut steps: Vec<&Expr> = Vec::new();
        let mut root = e;
        while let ExprKind::Member { base, .. } | ExprKind::Index { base, .. } = &root.kind {
            steps.push(root);
            root = base;
        }
        steps.reverse();
        // `Step.Column` inside `scan`: the state column, then any further members.
        if let (Some(first), ExprKind::Name(b)) = (steps.first(), &root.kind)
            && let ExprKind::Member { member, .. } = &first.kind
            && matches!(ctx.scope.get(b), Some(super::scope::Binding::Prefix(_)))
        {
            let name = format!("{b}.{}", member.name);
            let state = super::find_column(ctx.schema, &name)
                .ok_or_else(|| KqlError::plan(member.span, format!("`{b}` has no property `{}`", member.name)))?;
            if steps.len() == 1 {
                return Ok(state);
            }
            return self.members_of(state, first, &steps[1..], e, ctx);
        }
        let base = self.expr(root, &ctx.value())?;
        self.members_of(base, root, &steps, e, ctx)
    }

    /// `base` (the value of `root`) read through `steps` (the whole access is `e`).
    fn members_of(&self, base: DfExpr, root: &Expr, steps: &[&Expr], e: &Expr, ctx: &ExprCtx<'_>) -> Result<DfExpr> {
        let base_type = base.get_type(ctx.schema).map_err(df)?;
        // `split(s, ",")[0]` and other constant indexes into an Arrow list stay a list lookup.
        if let ([step], DataType::List(_) | DataType::LargeList(_)) = (steps, &base_type)
            && let ExprKind::Index { index, .. } = &step.kind
            && let Some(ScalarValue::Int64(Some(n))) =
                as_literal(&fold(self.expr(index, &ctx.value())?)).and_then(|v| v.cast_to(&DataType::Int64).ok())
        {
            // array_element is 1-based and counts negative positions from the end.
            let pos = if n >= 0 { n + 1 } else { n };
            return Ok(datafusion::functions_nested::expr_fn::array_element(base, lit(pos)));
        }
        match KqlType::of(&base_type) {
            KqlType::Dynamic | KqlType::Null => {}
            KqlType::String => {
                return Err(KqlError::plan(
                    root.span,
                    format!("`{root}` is a string; members can only be read from a dynamic value"),
                )
                .with_help(format!(
                    "parse it first: parse_json({root}){} (a lake column that a table's documented schema types \
                     as dynamic, such as DeviceEvents.AdditionalFields, reads as dynamic once the documented \
                     schemas are loaded)",
                    &e.to_string()[root.to_string().len()..]
                )));
            }
            t => {
                return Err(KqlError::plan(
                    root.span,
                    format!("`{root}` is {}; members can only be read from a dynamic value", t.name()),
                ));
            }
        }
        let mut args = Vec::with_capacity(steps.len());
        for s in steps {
            args.push(self.step(s, ctx)?);
        }
        // Continue an existing chain (`let x = d.a; x.b`).
        Ok(match as_get(&base) {
            Some(existing) => {
                let mut all = existing.to_vec();
                let d = all.remove(0);
                all.extend(args);
                get(d, all)
            }
            None => get(base, args),
        })
    }

    /// One step: a member name, or an index or key expression.
    fn step(&self, s: &Expr, ctx: &ExprCtx<'_>) -> Result<DfExpr> {
        match &s.kind {
            ExprKind::Member { member, .. } => Ok(lit(member.name.clone())),
            ExprKind::Index { index, .. } => {
                let i = fold(self.expr(index, &ctx.value())?);
                match self.kql_type(&i, ctx)? {
                    KqlType::String | KqlType::Null => Ok(i),
                    KqlType::Int | KqlType::Long => Ok(cast(i, DataType::Int64)),
                    KqlType::Bool => Ok(cast(cast(i, DataType::Int8), DataType::Int64)),
                    KqlType::Dynamic => Ok(self.dynamic_as(i, KqlType::String, index.span, ctx)?),
                    t => Err(KqlError::plan(
                        index.span,
                        format!("an index is a number (for arrays) or a string (for bags), got {}", t.name()),
                    )),
                }
            }
            _ => Err(KqlError::Internal("member_access step".into())),
        }
    }

    /// `parse_json(x)`, `todynamic(x)`: a string read as JSON (text that is not JSON is the
    /// string itself), a `dynamic` as it is.
    pub(crate) fn parse_json(&self, x: DfExpr, span: Span, fname: &str, ctx: &ExprCtx<'_>) -> Result<DfExpr> {
        match self.kql_type(&x, ctx)? {
            KqlType::Dynamic => Ok(x),
            KqlType::String | KqlType::Null => Ok(to_dynamic(x)),
            t => Err(KqlError::plan(span, format!("`{fname}` needs a string (JSON text), got {}", t.name()))
                .with_help(format!("to wrap a {} in a dynamic value, use pack_array() or bag_pack()", t.name()))),
        }
    }

    /// A `dynamic` expression as a value of another type, for an operator or a function that
    /// needs that type. Strings come through `tostring`; numbers, booleans, datetimes and
    /// timespans through Kusto's conversions (null when a value does not convert).
    pub(crate) fn dynamic_as(&self, e: DfExpr, want: KqlType, span: Span, ctx: &ExprCtx<'_>) -> Result<DfExpr> {
        let _ = ctx;
        Ok(match want {
            KqlType::String => dynamic_text(e),
            KqlType::Int | KqlType::Long => dynamic_to(Target::Long, e),
            KqlType::Real | KqlType::Decimal => dynamic_to(Target::Real, e),
            KqlType::Bool => dynamic_to(Target::Bool, e),
            KqlType::DateTime => dynamic_to(Target::DateTime, e),
            KqlType::TimeSpan => dynamic_to(Target::TimeSpan, e),
            KqlType::Dynamic | KqlType::Null => e,
            KqlType::Other => return Err(KqlError::plan(span, "a dynamic value cannot be converted to this type")),
        })
    }

    /// `e` as a `dynamic` value of the engine's own layout (for `iff`, `case`, `coalesce` and
    /// `union` branches that mix layouts or mix `dynamic` with other types): JSON text stays,
    /// strings become JSON strings, lists and structs are rendered.
    pub(crate) fn as_dynamic_value(&self, e: DfExpr, ctx: &ExprCtx<'_>) -> Result<DfExpr> {
        let t = e.get_type(ctx.schema).map_err(df)?;
        Ok(if t == DYNAMIC_TYPE {
            e
        } else if is_json_type(&t) {
            cast(e, DYNAMIC_TYPE)
        } else {
            value_of(e)
        })
    }

    /// Two branches of `iff`/`coalesce`: when either is `dynamic`, both become `dynamic` values of
    /// one layout (Kusto's common type of `dynamic` and anything is `dynamic`).
    pub(crate) fn unify_dynamic(&self, a: DfExpr, b: DfExpr, ctx: &ExprCtx<'_>) -> Result<(DfExpr, DfExpr)> {
        let (ta, tb) = (self.kql_type(&a, ctx)?, self.kql_type(&b, ctx)?);
        if ta != KqlType::Dynamic && tb != KqlType::Dynamic {
            return Ok((a, b));
        }
        Ok((self.as_dynamic_value(a, ctx)?, self.as_dynamic_value(b, ctx)?))
    }

    /// Brings `dynamic` operands of a comparison to a common type: the other side's type, or
    /// text when both are `dynamic`.
    pub(crate) fn compare_dynamic(
        &self,
        l: DfExpr,
        r: DfExpr,
        lt: KqlType,
        rt: KqlType,
        span: Span,
        ctx: &ExprCtx<'_>,
    ) -> Result<(DfExpr, DfExpr, KqlType, KqlType)> {
        let numeric = |t: KqlType| if t.is_numeric() { KqlType::Real } else { t };
        Ok(match (lt, rt) {
            (KqlType::Dynamic, KqlType::Dynamic) => {
                (dynamic_text(l), dynamic_text(r), KqlType::String, KqlType::String)
            }
            (KqlType::Dynamic, KqlType::Null) | (KqlType::Null, KqlType::Dynamic) => (l, r, lt, rt),
            (KqlType::Dynamic, t) => {
                let want = numeric(t);
                let r = if want == KqlType::Real && t != KqlType::Real { cast(r, DataType::Float64) } else { r };
                (self.dynamic_as(l, want, span, ctx)?, r, want, want)
            }
            (_, KqlType::Dynamic) => {
                let (r, l, rt, lt) = self.compare_dynamic(r, l, rt, lt, span, ctx)?;
                (l, r, lt, rt)
            }
            _ => (l, r, lt, rt),
        })
    }
}

/// A `dynamic` expression whose Arrow null is exactly Kusto's null (JSON `null` text and empty
/// text included), for `isnull`.
pub(crate) fn dynamic_is_null(e: DfExpr) -> DfExpr {
    match as_get(&e) {
        Some(_) => e,
        None => get(e, vec![]),
    }
}

/// `tostring(d)` for a `dynamic` expression; member access fuses into `kql_get_text`.
pub(crate) fn dynamic_text(e: DfExpr) -> DfExpr {
    match as_get(&e) {
        Some(args) => {
            let mut args = args.to_vec();
            let d = args.remove(0);
            get_text(d, args)
        }
        None => dynamic_to(Target::String, e),
    }
}
