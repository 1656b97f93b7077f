//! `scan` (scan-operator.md): plans each step's condition and assignments over one row of the
//! input, the declared columns and the steps' state, and hands them to
//! [`crate::physical::ScanNode`], which runs the steps' state machine over the serialized rows.
//!
//! `Step.Column` reads the state (the columns of the row the step last matched, extended by its
//! assignments): the expressions see it as a column named `Step.Column`. A declared column
//! named without a step is its default (the row is not extended yet); an unassigned declared
//! column of an output row is its default, as the documentation says.

use std::collections::HashSet;
use std::sync::Arc;

use datafusion::arrow::datatypes::DataType;
use datafusion::common::{DFSchema, ScalarValue};
use datafusion::logical_expr::{Expr as DfExpr, ExprSchemable as _, Extension, LogicalPlan, cast};
use kql_parser::ast::{Expr, ExprKind, ScalarType, Scan};

use super::expr::ExprCtx;
use super::scope::Binding;
use super::statement::{as_literal, fold};
use super::tabular::df;
use super::types::{KqlType, arrow_type};
use super::{KqlContextProvider, KqlToRel, Scope, column_names};
use crate::error::{KqlError, Result};
use crate::physical::{ScanNode, ScanSpec, ScanStepSpec, StateRef, eval_schema};

impl<P: KqlContextProvider> KqlToRel<'_, P> {
    /// `T | scan ...`; `key` names a partition column whose values each run their own scan
    /// (`partition hint.strategy=native by K (... | scan ...)`).
    pub(crate) fn scan(
        &self,
        input: LogicalPlan,
        s: &Scan,
        scope: &Scope,
        depth: usize,
        key: Option<&str>,
    ) -> Result<LogicalPlan> {
        let in_names = column_names(input.schema());
        let taken: HashSet<&str> = in_names.iter().map(String::as_str).collect();
        // Declared columns: names, types, defaults.
        let mut declared: Vec<(String, ScalarValue)> = Vec::new();
        let empty = DFSchema::empty();
        for d in &s.declare {
            let name = d.name.name.as_str();
            if taken.contains(name) || declared.iter().any(|(n, _)| n == name) {
                return Err(KqlError::plan(
                    d.name.span,
                    format!("scan declares `{name}`, which is already a column; declare a new name"),
                ));
            }
            let ty = arrow_type(d.ty);
            let default = match &d.default {
                Some(e) => {
                    let ctx = ExprCtx { schema: &empty, scope, depth, filter: false };
                    let v = fold(self.expr(e, &ctx)?);
                    let v = self.conform(v, d.ty, &ty, e.span, name, &ctx)?;
                    as_literal(&fold(v))
                        .cloned()
                        .ok_or_else(|| KqlError::plan(e.span, format!("the default of `{name}` must be a constant")))?
                }
                // A string is never null in Kusto: its default is "".
                None if d.ty == ScalarType::String => ScalarValue::Utf8(Some(String::new())),
                None => ScalarValue::try_from(&ty).map_err(df)?,
            };
            declared.push((name.to_owned(), default));
        }
        if let Some(m) = &s.match_id
            && (taken.contains(m.name.as_str()) || declared.iter().any(|(n, _)| *n == m.name))
        {
            return Err(KqlError::plan(m.span, format!("the match id column `{}` is already a column", m.name)));
        }
        // Steps: unique names.
        let mut steps_seen: Vec<&str> = Vec::new();
        for st in &s.steps {
            if steps_seen.contains(&st.name.name.as_str()) {
                return Err(KqlError::plan(st.name.span, format!("two steps are named `{}`", st.name.name)));
            }
            steps_seen.push(&st.name.name);
        }
        // The row: input columns, then declared columns (their defaults).
        let in_schema = Arc::clone(input.schema());
        let row_names: Vec<&str> =
            in_names.iter().map(String::as_str).chain(declared.iter().map(|(n, _)| n.as_str())).collect();
        // State references `Step.Column`, found in every condition and assignment.
        let mut state: Vec<StateRef> = Vec::new();
        for st in &s.steps {
            let mut refs = Vec::new();
            collect_state_refs(&st.condition, &steps_seen, &mut refs);
            for (_, e) in &st.assignments {
                collect_state_refs(e, &steps_seen, &mut refs);
            }
            for (step_name, column, span) in refs {
                let step = steps_seen.iter().position(|n| *n == step_name).unwrap_or_default();
                let Some(col) = row_names.iter().position(|n| *n == column) else {
                    return Err(super::unknown_column(span, &column, &in_schema, &row_names[in_names.len()..])
                        .with_help(format!("`{step_name}.Column` reads a column of the input or a declared column")));
                };
                if !state.iter().any(|r| r.step == step && r.column == col) {
                    state.push(StateRef { step, column: col });
                }
            }
        }
        let eval = eval_schema(&in_schema, &declared, &state, &steps_seen).map_err(df)?;
        let step_scope = steps_seen.iter().fold(scope.clone(), |sc, n| sc.with(n, Binding::Prefix("scan step")));
        let ctx = ExprCtx { schema: &eval, scope: &step_scope, depth, filter: false };
        let mut steps = Vec::with_capacity(s.steps.len());
        for st in &s.steps {
            let cond = self.expr(&st.condition, &ExprCtx { filter: true, ..ctx })?;
            let condition = self.boolean(cond, st.condition.span, "a scan step's condition", &ctx)?;
            let mut assignments = Vec::with_capacity(st.assignments.len());
            for (c, e) in &st.assignments {
                let Some(i) = declared.iter().position(|(n, _)| *n == c.name) else {
                    return Err(KqlError::plan(
                        c.span,
                        format!("`{}` is not declared; a step assigns only the columns of `declare (...)`", c.name),
                    ));
                };
                if assignments.iter().any(|(j, _)| *j == i) {
                    return Err(KqlError::plan(c.span, format!("the step assigns `{}` twice", c.name)));
                }
                let ty = declared[i].1.data_type();
                let decl = s.declare[i].ty;
                let v = self.expr(e, &ctx)?;
                assignments.push((i, self.conform(v, decl, &ty, e.span, &c.name, &ctx)?));
            }
            steps.push(ScanStepSpec { name: st.name.name.clone(), output: st.output, condition, assignments });
        }
        let key =
            match key {
                Some(k) => Some(in_names.iter().position(|n| n == k).ok_or_else(|| {
                    KqlError::Internal(format!("scan: the partition column `{k}` is not in the input"))
                })?),
                None => None,
            };
        let spec = ScanSpec {
            eval_schema: Arc::new(eval),
            declared,
            state,
            steps,
            match_id: s.match_id.as_ref().map(|m| m.name.clone()),
            key,
        };
        let node = ScanNode::try_new(input, spec).map_err(df)?;
        Ok(LogicalPlan::Extension(Extension { node: Arc::new(node) }))
    }

    /// A value of a declared column's type: numbers convert among themselves, a null fits
    /// anything, other types must match.
    fn conform(
        &self,
        v: DfExpr,
        decl: ScalarType,
        ty: &DataType,
        span: kql_parser::Span,
        name: &str,
        ctx: &ExprCtx<'_>,
    ) -> Result<DfExpr> {
        let have = self.kql_type(&v, ctx)?;
        let want = KqlType::of(ty);
        if have == want && v.get_type(ctx.schema).map_err(df)? == *ty {
            return Ok(v);
        }
        if have == want || have == KqlType::Null || (have.is_numeric() && want.is_numeric()) {
            return Ok(cast(v, ty.clone()));
        }
        if want == KqlType::Dynamic {
            return self.as_dynamic_value(v, ctx);
        }
        Err(KqlError::plan(span, format!("`{name}` is declared {decl}; this value is {}", have.name())))
    }
}

/// The `Step.Column` references of an expression (step name, column, where).
fn collect_state_refs(e: &Expr, steps: &[&str], out: &mut Vec<(String, String, kql_parser::Span)>) {
    struct Refs<'a> {
        steps: &'a [&'a str],
        out: &'a mut Vec<(String, String, kql_parser::Span)>,
    }
    impl kql_parser::ast::visit::Visitor for Refs<'_> {
        fn visit_expr(&mut self, e: &Expr) {
            if let ExprKind::Member { base, member } = &e.kind
                && let ExprKind::Name(b) = &base.kind
                && self.steps.contains(&b.as_str())
            {
                self.out.push((b.clone(), member.name.clone(), member.span));
            }
        }
    }
    kql_parser::ast::visit::walk_expr(&mut Refs { steps, out }, e);
}
