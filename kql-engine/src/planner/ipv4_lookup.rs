//! `evaluate ipv4_lookup(LookupTable, SourceIPv4Key, IPv4LookupKey [, ExtraKey ...] [,
//! return_unmatched])` (`ipv4-lookup-plugin.md`) and `ipv6_lookup` (the same over IPv6
//! addresses, IPv4 text read as IPv4-mapped): each row joined with the lookup rows whose
//! network (`IP-prefix notation` or one address) contains its address, as `lookup` joins: the
//! source's columns, then the lookup table's; with `return_unmatched = true` a row that matches
//! nothing is kept once with empty lookup columns. Extra keys must also be equal.
//!
//! Plan: the lookup table's distinct keys are read while planning (a data round, as for a table
//! on the right of `in`); a matcher indexed by prefix length lists each row's matching keys,
//! the list is unnested, and the rows are joined with the lookup table on the key (an equi-join,
//! so a large source is one scan and one hash probe per row).

use datafusion::common::Column;
use datafusion::logical_expr::{LogicalPlan, LogicalPlanBuilder};
use kql_parser::ast::{Evaluate, Expr, ExprKind, Join, Literal, OpParam, ParamValue};

use super::expr::ExprCtx;
use super::scope::Binding;
use super::tabular::df;
use super::{KqlContextProvider, KqlToRel, Scope, col, column_names};
use crate::error::{KqlError, Result};
use crate::functions::ipv4_lookup::{Family, Ipv4LookupUdf};

/// The planner's names for the matched key and the lookup table (no query can write them).
const KEY: &str = "__kql_ipv4_key";
const TABLE: &str = "__kql_ipv4_table";

/// What a row that matches nothing carries as its key: no lookup key can be this text.
const UNMATCHED: &str = "\u{0}unmatched";

fn column_name(e: &Expr, what: &str) -> Result<String> {
    match &e.kind {
        ExprKind::Name(n) => Ok(n.clone()),
        _ => Err(KqlError::plan(e.span, format!("ipv4_lookup takes {what} as a column name"))),
    }
}

impl<P: KqlContextProvider> KqlToRel<'_, P> {
    pub(crate) fn ip_lookup(
        &self,
        family: Family,
        input: LogicalPlan,
        e: &Evaluate,
        scope: &Scope,
        depth: usize,
    ) -> Result<LogicalPlan> {
        let mut unmatched = false;
        let mut positional = Vec::new();
        for a in &e.args {
            match &a.name {
                Some(n) if n.name == "return_unmatched" => {
                    unmatched = bool_arg(&a.value)?;
                }
                Some(n) => {
                    return Err(KqlError::plan(n.span, format!("{} has no argument `{}`", e.plugin.name, n.name)));
                }
                None => positional.push(&a.value),
            }
        }
        // A trailing bool is return_unmatched.
        if let Some(last) = positional.last()
            && matches!(last.kind, ExprKind::Literal(Literal::Bool(_)))
        {
            unmatched = bool_arg(last)?;
            positional.pop();
        }
        let [table, source, key, extras @ ..] = positional.as_slice() else {
            return Err(KqlError::plan(
                e.span,
                format!(
                    "{} needs the lookup table, the source address column and the lookup key column",
                    e.plugin.name
                ),
            ));
        };
        let lookup = self.tabular_at(table, scope, depth)?;
        let source_name = column_name(source, "the source address")?;
        let key_name = column_name(key, "the lookup key")?;
        let source_col = super::find_column(input.schema(), &source_name)
            .ok_or_else(|| super::unknown_column(source.span, &source_name, input.schema(), &[]))?;
        let key_col = super::find_column(lookup.schema(), &key_name)
            .ok_or_else(|| super::unknown_column(key.span, &key_name, lookup.schema(), &[]))?;
        let extra_names = extras.iter().map(|x| column_name(x, "extra keys")).collect::<Result<Vec<_>>>()?;
        // The lookup keys, from the data.
        let lctx = ExprCtx { schema: lookup.schema(), scope, depth, filter: false };
        let key_text = self.as_text(key_col, &lctx)?;
        let keyed = LogicalPlanBuilder::from(lookup.clone())
            .project(column_names(lookup.schema()).iter().map(|c| col(c)).chain([key_text.clone().alias(KEY)]))
            .and_then(LogicalPlanBuilder::build)
            .map_err(df)?;
        let keys = self.distinct_texts(&lookup, key_text, table.span, "an ip lookup table")?.ok_or_else(|| {
            KqlError::plan(
                table.span,
                format!("the {} table has more than {} distinct keys", e.plugin.name, super::MAX_TABLE_VALUES),
            )
        })?;
        // Each row with its matching keys, one row per key.
        let ctx = ExprCtx { schema: input.schema(), scope, depth, filter: false };
        let address = self.as_text(source_col, &ctx)?;
        let matches = Ipv4LookupUdf::call(family, keys, unmatched.then(|| UNMATCHED.to_owned()), address);
        let names = column_names(input.schema());
        if names.iter().any(|n| n == KEY) {
            return Err(KqlError::Internal(format!("{KEY} is a planner name")));
        }
        let expanded = LogicalPlanBuilder::from(input)
            .project(names.iter().map(|c| col(c)).chain([matches.alias(KEY)]))
            .and_then(|b| b.unnest_column(Column::new_unqualified(KEY)))
            .and_then(LogicalPlanBuilder::build)
            .map_err(df)?;
        // `lookup` on the key (and the extra keys): the lookup's columns after the source's.
        let span = e.span;
        let name = |n: &str| Expr { kind: ExprKind::Name(n.to_owned()), span };
        let join = Join {
            params: vec![OpParam {
                name: "kind".into(),
                value: ParamValue::Name(if unmatched { "leftouter" } else { "inner" }.into()),
                span,
            }],
            right: name(TABLE),
            on: std::iter::once(KEY).chain(extra_names.iter().map(String::as_str)).map(name).collect(),
            span,
        };
        let scope = scope.with(TABLE, Binding::Tabular(keyed));
        let joined = self.join(expanded, &join, true, &scope, depth)?;
        let kept: Vec<_> = column_names(joined.schema()).into_iter().filter(|c| c != KEY).map(|c| col(&c)).collect();
        LogicalPlanBuilder::from(joined).project(kept).and_then(LogicalPlanBuilder::build).map_err(df)
    }
}

fn bool_arg(e: &Expr) -> Result<bool> {
    match &e.kind {
        ExprKind::Literal(Literal::Bool(b)) => Ok(*b),
        _ => Err(KqlError::plan(e.span, "return_unmatched is true or false")),
    }
}
