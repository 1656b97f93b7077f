//! `join` and `lookup` (spec §10): every kind, `innerunique` by default (the left side keeps
//! one row per key), null keys matching null keys, and Kusto's output columns (left, then
//! right with colliding names suffixed `1`, `2`, ...; `lookup` drops the right keys).

use datafusion::common::{Column, NullEquality, TableReference};
use datafusion::logical_expr::{Expr as DfExpr, JoinType, LogicalPlan, LogicalPlanBuilder};
use kql_parser::ast::{BinaryOp, Expr, ExprKind, Join, LogicalOp, ParamValue};

use super::names::Namer;
use super::tabular::{df, unsupported_param};
use super::{KqlContextProvider, KqlToRel, Scope, column_names, unknown_column};
use crate::error::{KqlError, Result};

const LEFT: &str = "$left";
const RIGHT: &str = "$right";

fn side(name: &str) -> TableReference {
    TableReference::bare(name)
}

/// `$left.a == $right.b` (either order) → `(a, b)`.
fn key_pair(e: &Expr) -> Option<(String, String)> {
    let member = |e: &Expr| match &e.kind {
        ExprKind::Member { base, member } => base.as_name().map(|b| (b.to_owned(), member.name.clone())),
        _ => None,
    };
    match &e.kind {
        ExprKind::Name(n) => Some((n.clone(), n.clone())),
        ExprKind::Binary { op: BinaryOp::Eq, left, right } => match (member(left)?, member(right)?) {
            ((l, a), (r, b)) if l == "$left" && r == "$right" => Some((a, b)),
            ((l, a), (r, b)) if l == "$right" && r == "$left" => Some((b, a)),
            _ => None,
        },
        _ => None,
    }
}

impl<P: KqlContextProvider> KqlToRel<'_, P> {
    pub(crate) fn join(
        &self,
        left: LogicalPlan,
        j: &Join,
        lookup: bool,
        scope: &Scope,
        depth: usize,
    ) -> Result<LogicalPlan> {
        let op = if lookup { "lookup" } else { "join" };
        let mut kind = if lookup { "leftouter".to_owned() } else { "innerunique".to_owned() };
        for p in &j.params {
            match (p.name.as_str(), &p.value) {
                ("kind", ParamValue::Name(k)) => kind.clone_from(k),
                (n, _) if n.starts_with("hint.") => {}
                _ => return Err(unsupported_param(p, op)),
            }
        }
        let join_type = match (kind.as_str(), lookup) {
            ("innerunique" | "inner", false) | ("inner", true) => JoinType::Inner,
            ("leftouter", _) => JoinType::Left,
            ("rightouter", false) => JoinType::Right,
            ("fullouter", false) => JoinType::Full,
            ("leftsemi", false) => JoinType::LeftSemi,
            ("rightsemi", false) => JoinType::RightSemi,
            ("leftanti" | "anti" | "leftantisemi", false) => JoinType::LeftAnti,
            ("rightanti" | "rightantisemi", false) => JoinType::RightAnti,
            (other, _) => {
                let span = j.params.iter().find(|p| p.name == "kind").map_or(j.span, |p| p.span);
                let kinds = if lookup {
                    "leftouter, inner"
                } else {
                    "innerunique, inner, leftouter, rightouter, fullouter, leftsemi, rightsemi, leftanti, rightanti"
                };
                return Err(KqlError::plan(span, format!("unknown {op} kind `{other}`; the kinds are {kinds}")));
            }
        };
        let right = self.tabular_at(&j.right, scope, depth)?;
        // Keys: names present on both sides, or $left.a == $right.b, joined by `,` or `and`.
        let mut keys: Vec<(String, String)> = Vec::new();
        if j.on.is_empty() {
            return Err(KqlError::plan(j.span, format!("`{op}` needs `on` with the key columns")));
        }
        for cond in &j.on {
            let parts: Vec<&Expr> = match &cond.kind {
                ExprKind::Logical { op: LogicalOp::And, operands } => operands.iter().collect(),
                _ => vec![cond],
            };
            for p in parts {
                let Some((l, r)) = key_pair(p) else {
                    return Err(KqlError::not_supported(
                        p.span,
                        format!("this `{op}` condition (only `Key` and `$left.a == $right.b` are supported)"),
                    ));
                };
                if !column_names(left.schema()).contains(&l) {
                    return Err(unknown_column(p.span, &l, left.schema(), &[])
                        .with_help(format!("the left side of the {op} has no column `{l}`")));
                }
                if !column_names(right.schema()).contains(&r) {
                    return Err(unknown_column(p.span, &r, right.schema(), &[]));
                }
                keys.push((l, r));
            }
        }
        // A KQL string is never null: string keys read a null as "" on both sides, so a row an
        // earlier outer join left empty meets "" here.
        let left = non_null_strings(left, keys.iter().map(|(l, _)| l.as_str()))?;
        let right = non_null_strings(right, keys.iter().map(|(_, r)| r.as_str()))?;
        let left_names = column_names(left.schema());
        let right_names = column_names(right.schema());
        // innerunique: one (arbitrary) left row per key.
        let left = if kind == "innerunique" && !lookup {
            let on: Vec<DfExpr> = keys.iter().map(|(l, _)| super::col(l)).collect();
            let all: Vec<DfExpr> = left_names.iter().map(|n| super::col(n)).collect();
            LogicalPlanBuilder::from(left).distinct_on(on, all, None).and_then(LogicalPlanBuilder::build).map_err(df)?
        } else {
            left
        };
        let l = LogicalPlanBuilder::from(left).alias(side(LEFT)).and_then(LogicalPlanBuilder::build).map_err(df)?;
        let r = LogicalPlanBuilder::from(right).alias(side(RIGHT)).and_then(LogicalPlanBuilder::build).map_err(df)?;
        let lk: Vec<Column> = keys.iter().map(|(a, _)| Column::new(Some(side(LEFT)), a)).collect();
        let rk: Vec<Column> = keys.iter().map(|(_, b)| Column::new(Some(side(RIGHT)), b)).collect();
        let joined = LogicalPlanBuilder::from(l)
            .join_detailed(r, join_type, (lk, rk), None, NullEquality::NullEqualsNull)
            .and_then(LogicalPlanBuilder::build)
            .map_err(df)?;
        // Output columns; the strings of a side an outer join may leave empty read "" there.
        let (left_empty, right_empty) = match join_type {
            JoinType::Left => (false, true),
            JoinType::Right => (true, false),
            JoinType::Full => (true, true),
            _ => (false, false),
        };
        let joined_schema = std::sync::Arc::clone(joined.schema());
        let column = |q: &str, n: &str, empty: bool| {
            let c = DfExpr::Column(Column::new(Some(side(q)), n));
            let is_string = joined_schema
                .field_with_qualified_name(&side(q), n)
                .is_ok_and(|f| super::KqlType::of(f.data_type()) == super::KqlType::String);
            if empty && is_string { super::non_null_string_expr(c) } else { c }
        };
        let left_col = |n: &str| column(LEFT, n, left_empty);
        let right_col = |n: &str| column(RIGHT, n, right_empty);
        let mut exprs = Vec::new();
        match join_type {
            JoinType::LeftSemi | JoinType::LeftAnti => exprs.extend(left_names.iter().map(|n| left_col(n).alias(n))),
            JoinType::RightSemi | JoinType::RightAnti => {
                exprs.extend(right_names.iter().map(|n| right_col(n).alias(n)))
            }
            _ => {
                let mut namer = Namer::with_used(left_names.iter().map(String::as_str));
                exprs.extend(left_names.iter().map(|n| left_col(n).alias(n)));
                for n in &right_names {
                    if lookup && keys.iter().any(|(_, r)| r == n) {
                        continue;
                    }
                    exprs.push(right_col(n).alias(namer.unique(n)));
                }
            }
        }
        LogicalPlanBuilder::from(joined).project(exprs).and_then(LogicalPlanBuilder::build).map_err(df)
    }
}

/// `plan` with the named string columns read as `""` where null.
fn non_null_strings<'a>(plan: LogicalPlan, names: impl Iterator<Item = &'a str>) -> Result<LogicalPlan> {
    let names: Vec<&str> = names.collect();
    let schema = std::sync::Arc::clone(plan.schema());
    let nullable_string = |f: &datafusion::arrow::datatypes::Field| {
        f.is_nullable()
            && super::KqlType::of(f.data_type()) == super::KqlType::String
            && names.contains(&f.name().as_str())
    };
    if !schema.fields().iter().any(|f| nullable_string(f)) {
        return Ok(plan);
    }
    let exprs: Vec<DfExpr> = schema
        .iter()
        .map(|(q, f)| {
            let c = DfExpr::Column(Column::new(q.cloned(), f.name()));
            if nullable_string(f) { super::non_null_string_expr(c).alias(f.name()) } else { c }
        })
        .collect();
    LogicalPlanBuilder::from(plan).project(exprs).and_then(LogicalPlanBuilder::build).map_err(df)
}
