//! `partition [hint.strategy=...] by Column (subquery)` and `{ subquery with a source }`
//! (`partition-operator.md`): the subquery runs on the rows of each value of the column, and the
//! results are unioned.
//!
//! The column's distinct values are read while planning (a data round, as their text); each
//! value's rows (`tostring(Column) == value`) go through the subquery, and the branches are
//! unioned (columns aligned by name, as `union` does). The `legacy` strategy (the default)
//! refuses more than 64 values, as Kusto does; `native` and `shuffle` take more when the
//! subquery is one [`super::partition_rewrite`] can run once over all the rows, and otherwise up
//! to [`MAX_BRANCHES`] values. In `{ ... }`, the column's name (and `toscalar(Column)`) is the
//! partition's value.

use datafusion::logical_expr::{Expr as DfExpr, LogicalPlan, LogicalPlanBuilder, lit};
use kql_parser::ast::{ParamValue, Partition, PartitionBody};

use super::expr::ExprCtx;
use super::scope::Binding;
use super::tabular::{df, unsupported_param};
use super::types::KqlType;
use super::{KqlContextProvider, KqlToRel, Scope};
use crate::error::{KqlError, Result};

/// Kusto's limit of the legacy strategy.
const LEGACY_LIMIT: usize = 64;

/// The most values the per-value plan takes (each value's branch reads the input again).
pub(crate) const MAX_BRANCHES: usize = 256;

/// The partition strategy.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Strategy {
    Legacy,
    Native,
    Shuffle,
}

impl<P: KqlContextProvider> KqlToRel<'_, P> {
    pub(crate) fn partition(
        &self,
        input: LogicalPlan,
        p: &Partition,
        scope: &Scope,
        depth: usize,
    ) -> Result<LogicalPlan> {
        let mut strategy = Strategy::Legacy;
        for param in &p.params {
            match (param.name.as_str(), &param.value) {
                ("hint.strategy", ParamValue::Name(s)) => {
                    strategy = match s.as_str() {
                        "legacy" => Strategy::Legacy,
                        "native" => Strategy::Native,
                        "shuffle" => Strategy::Shuffle,
                        other => {
                            return Err(KqlError::plan(
                                param.span,
                                format!(
                                    "unknown partition strategy `{other}`; the strategies are legacy, native, shuffle"
                                ),
                            ));
                        }
                    };
                }
                (n, _) if n.starts_with("hint.") => {}
                _ => return Err(unsupported_param(param, "partition")),
            }
        }
        if strategy != Strategy::Legacy && matches!(p.body, PartitionBody::Source(_)) {
            return Err(KqlError::plan(
                p.span,
                "a partition subquery with its own source (`{ ... }`) needs the legacy strategy",
            ));
        }
        let key = super::find_column(input.schema(), &p.by.name)
            .ok_or_else(|| super::unknown_column(p.by.span, &p.by.name, input.schema(), &[]))?;
        // Operators the rewrite runs once over every row: no data round needed.
        if strategy != Strategy::Legacy
            && let PartitionBody::Operators(ops) = &p.body
            && let Some(plan) = self.partition_rewrite(input.clone(), &p.by.name, ops, scope, depth)?
        {
            return Ok(plan);
        }
        let ctx = ExprCtx { schema: input.schema(), scope, depth, filter: false };
        let key_type = self.kql_type(&key, &ctx)?;
        let text = self.as_text(key.clone(), &ctx)?;
        let values = self.distinct_texts(&input, text.clone(), p.span, "partition")?.ok_or_else(|| {
            KqlError::not_supported(p.span, format!("partition over more than {} values", super::MAX_TABLE_VALUES))
        })?;
        let limit = if strategy == Strategy::Legacy { LEGACY_LIMIT } else { MAX_BRANCHES };
        if values.len() > limit {
            return Err(if strategy == Strategy::Legacy {
                KqlError::plan(
                    p.by.span,
                    format!(
                        "partition: `{}` has {} distinct values, more than the legacy strategy's {LEGACY_LIMIT}",
                        p.by.name,
                        values.len()
                    ),
                )
                .with_help("use `partition hint.strategy=native by ...`")
            } else {
                KqlError::not_supported(
                    p.span,
                    format!(
                        "partition over more than {MAX_BRANCHES} values with this subquery (it runs once per value; \
                         where, extend, project, summarize, top, take, count and distinct run over any number)"
                    ),
                )
            });
        }
        let mut branches = Vec::with_capacity(values.len());
        for v in &values {
            let rows = LogicalPlanBuilder::from(input.clone())
                .filter(text.clone().eq(lit(v.clone())))
                .and_then(LogicalPlanBuilder::build)
                .map_err(df)?;
            let branch = match &p.body {
                PartitionBody::Operators(ops) => self.operators_over(rows, ops, scope, depth)?,
                PartitionBody::Source(e) => {
                    let value = partition_value(v, key_type, p)?;
                    let scope = scope.with(&p.by.name, Binding::Scalar(value));
                    self.tabular_at(e, &scope, depth)?
                }
            };
            branches.push(branch);
        }
        if branches.is_empty() {
            // No rows: the subquery over an empty input gives the result's columns.
            let empty =
                LogicalPlanBuilder::from(input).limit(0, Some(0)).and_then(LogicalPlanBuilder::build).map_err(df)?;
            return match &p.body {
                PartitionBody::Operators(ops) => self.operators_over(empty, ops, scope, depth).and_then(|plan| {
                    LogicalPlanBuilder::from(plan).limit(0, Some(0)).and_then(LogicalPlanBuilder::build).map_err(df)
                }),
                PartitionBody::Source(_) => Err(KqlError::plan(p.span, "partition of no rows: nothing to run")),
            };
        }
        super::tabular::union_filled(branches, p.span, "partition: nothing to union")
    }
}

/// A partition's value (its text) as the column's type, for `{ ... }` subqueries.
fn partition_value(text: &str, t: KqlType, p: &Partition) -> Result<DfExpr> {
    Ok(match t {
        KqlType::String => lit(text.to_owned()),
        KqlType::Long | KqlType::Int => lit(text.parse::<i64>().map_err(|_| bad_value(p))?),
        KqlType::Real => lit(text.parse::<f64>().map_err(|_| bad_value(p))?),
        KqlType::Bool => lit(text == "true"),
        other => {
            return Err(KqlError::not_supported(
                p.by.span,
                format!("a partition subquery with its own source keyed by a {} column", other.name()),
            ));
        }
    })
}

fn bad_value(p: &Partition) -> KqlError {
    KqlError::Internal(format!("a value of `{}` does not read back", p.by.name))
}
