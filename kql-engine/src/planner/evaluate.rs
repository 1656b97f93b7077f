//! `evaluate` plugins. `bag_unpack(column [, prefix] [, columnsConflict] [, ignoredProperties])
//! [: (schema)]` (`bag-unpack-plugin.md`): each top-level slot of the bags becomes a column.
//!
//! Without an output schema the columns depend on the data, so planning needs the data: the
//! planner asks for the bags' slots (a plan of the one `dynamic` column), the context runs it
//! and plans again with the answer ([`PlannerOptions::unpacked`]). The columns are the slots,
//! sorted by name, typed by their values (`long`, `real`, `string`, `bool`; `dynamic` when
//! values differ in type or are arrays and bags; null values are ignored), after the input's
//! other columns.

use std::collections::BTreeMap;

use datafusion::logical_expr::{Expr as DfExpr, LogicalPlan, LogicalPlanBuilder, lit};
use kql_parser::ast::{Evaluate, ExprKind, ScalarType};

use super::expr::ExprCtx;
use super::statement::{as_literal, fold};
use super::tabular::df;
use super::types::{KqlType, arrow_type};
use super::{KqlContextProvider, KqlToRel, Scope, col, column_names};
use crate::dynamic::Dyn;
use crate::error::{KqlError, Result};
use crate::functions::dynamic::access::get;

/// What a context found out about bags to unpack: per `bag_unpack` (by the byte offset of the
/// `evaluate` in the query text), its slots and their types.
pub type Unpacked = BTreeMap<usize, Vec<(String, KqlType)>>;

/// The slots of bags, sorted by name, each with the type its non-null values share
/// (`dynamic` when they differ).
#[derive(Debug, Default)]
pub struct SlotTypes {
    slots: BTreeMap<String, KqlType>,
}

impl SlotTypes {
    /// Notes the slots of one value (values that are not bags have none).
    pub fn add(&mut self, v: &Dyn) {
        let Dyn::Bag(map) = v else { return };
        for (k, v) in map {
            let t = match v {
                Dyn::Null => continue,
                Dyn::Bool(_) => KqlType::Bool,
                Dyn::Long(_) => KqlType::Long,
                Dyn::Real(_) => KqlType::Real,
                Dyn::String(_) => KqlType::String,
                Dyn::Array(_) | Dyn::Bag(_) => KqlType::Dynamic,
            };
            self.slots
                .entry(k.clone())
                .and_modify(|seen| {
                    if *seen != t {
                        *seen = KqlType::Dynamic;
                    }
                })
                .or_insert(t);
        }
    }

    /// The slots found, by name.
    pub fn finish(self) -> Vec<(String, KqlType)> {
        self.slots.into_iter().collect()
    }
}

/// `columnsConflict`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Conflict {
    Error,
    ReplaceSource,
    KeepSource,
}

impl<P: KqlContextProvider> KqlToRel<'_, P> {
    pub(crate) fn evaluate(
        &self,
        input: LogicalPlan,
        e: &Evaluate,
        scope: &Scope,
        depth: usize,
    ) -> Result<LogicalPlan> {
        match e.plugin.name.as_str() {
            "bag_unpack" => self.bag_unpack(input, e, scope, depth),
            "pivot" => self.pivot(input, e, scope, depth),
            "ipv4_lookup" => self.ip_lookup(crate::functions::ipv4_lookup::Family::V4, input, e, scope, depth),
            "ipv6_lookup" => self.ip_lookup(crate::functions::ipv4_lookup::Family::V6, input, e, scope, depth),
            "narrow" => self.narrow(input, e, scope, depth),
            "rows_near" => self.rows_near(input, e, scope, depth),
            "rolling_percentile" => self.rolling_percentile(input, e, scope, depth),
            "dcount_intersect" => self.dcount_intersect(input, e, scope, depth),
            "sequence_detect" => self.sequence_detect(input, e, scope, depth),
            "sliding_window_counts" => self.sliding_window_counts(input, e, scope, depth),
            "activity_counts_metrics" | "activity-counts-metrics" => {
                self.activity_counts_metrics(input, e, scope, depth)
            }
            other => Err(KqlError::not_supported(e.plugin.span, format!("the `{other}` plugin"))),
        }
    }

    fn bag_unpack(&self, input: LogicalPlan, e: &Evaluate, scope: &Scope, depth: usize) -> Result<LogicalPlan> {
        let ctx = ExprCtx { schema: input.schema(), scope, depth, filter: false };
        // Arguments: the column, then prefix, columnsConflict, ignoredProperties by position or
        // by name.
        let mut column = None;
        let mut prefix = String::new();
        let mut conflict = Conflict::Error;
        let mut ignored: Vec<String> = Vec::new();
        for (i, a) in e.args.iter().enumerate() {
            let which = match (&a.name, i) {
                (Some(n), _) => n.name.as_str(),
                (None, 0) => "column",
                (None, 1) => "OutputColumnPrefix",
                (None, 2) => "columnsConflict",
                (None, 3) => "ignoredProperties",
                (None, _) => return Err(KqlError::plan(a.span, "bag_unpack takes at most four arguments")),
            };
            let constant = |what: &str| -> Result<datafusion::common::ScalarValue> {
                let v = fold(self.expr(&a.value, &ctx)?);
                as_literal(&v)
                    .cloned()
                    .ok_or_else(|| KqlError::plan(a.value.span, format!("{what} must be a constant")))
            };
            match which {
                "column" => {
                    let ExprKind::Name(n) = &a.value.kind else {
                        return Err(KqlError::plan(a.value.span, "bag_unpack unpacks a column: name it"));
                    };
                    column = Some((n.clone(), a.value.span));
                }
                "OutputColumnPrefix" => {
                    prefix = super::expr::string_of(&constant("the prefix")?)
                        .ok_or_else(|| KqlError::plan(a.value.span, "the prefix of bag_unpack is a string"))?
                        .to_owned();
                }
                "columnsConflict" => {
                    let v = constant("columnsConflict")?;
                    conflict = match super::expr::string_of(&v) {
                        Some("error") => Conflict::Error,
                        Some("replace_source") => Conflict::ReplaceSource,
                        Some("keep_source") => Conflict::KeepSource,
                        _ => {
                            return Err(KqlError::plan(
                                a.value.span,
                                "columnsConflict is 'error', 'replace_source' or 'keep_source'",
                            ));
                        }
                    };
                }
                "ignoredProperties" => {
                    let v = constant("ignoredProperties")?;
                    ignored = super::types::flatten(v).iter().map(super::expr::scalar_text).collect();
                }
                other => {
                    return Err(KqlError::plan(a.span, format!("bag_unpack has no argument `{other}`")));
                }
            }
        }
        let Some((column, column_span)) = column else {
            return Err(KqlError::plan(e.span, "bag_unpack needs the column to unpack"));
        };
        let source = super::find_column(input.schema(), &column)
            .ok_or_else(|| super::unknown_column(column_span, &column, input.schema(), &[]))?;
        let t = self.kql_type(&source, &ctx)?;
        if t != KqlType::Dynamic {
            return Err(KqlError::plan(
                column_span,
                format!("bag_unpack unpacks a dynamic column; `{column}` is {}", t.name()),
            ));
        }
        // The slots: declared, or found in the data.
        let (slots, star) = match &e.schema {
            Some(s) => {
                let declared = s.columns.iter().map(|c| (c.name.name.clone(), Some(c.ty))).collect::<Vec<_>>();
                (declared, s.star)
            }
            None => {
                let Some(found) = self.options.unpacked.get(&e.span.start) else {
                    let plan = LogicalPlanBuilder::from(input)
                        .project(vec![source.alias("bag")])
                        .and_then(LogicalPlanBuilder::build)
                        .map_err(df)?;
                    *self.pending.borrow_mut() = Some(super::DataRequest::Slots { at: e.span.start, plan });
                    return Err(KqlError::not_supported(
                        e.span,
                        "bag_unpack without an output schema here (its columns depend on the data); declare them: \
                         `evaluate bag_unpack(d) : (*, Name:string, ...)`",
                    ));
                };
                let slots = found
                    .iter()
                    .filter(|(k, _)| !ignored.contains(k))
                    .map(|(k, t)| (format!("{prefix}{k}"), Some(scalar_type(*t))))
                    .collect();
                (slots, true)
            }
        };
        // The input's columns (without the unpacked one) and the slot columns.
        let existing: Vec<String> = column_names(input.schema()).into_iter().filter(|c| *c != column).collect();
        let mut kept: Vec<DfExpr> = Vec::new();
        let mut unpacked: Vec<DfExpr> = Vec::new();
        let mut replaced: Vec<String> = Vec::new();
        for (name, ty) in &slots {
            let key = if e.schema.is_some() { name.clone() } else { name[prefix.len()..].to_owned() };
            if star && existing.contains(name) {
                match conflict {
                    Conflict::Error => {
                        return Err(KqlError::plan(e.span, format!("bag_unpack would make a second column `{name}`"))
                            .with_help("use columnsConflict='replace_source' or 'keep_source', or a prefix"));
                    }
                    Conflict::KeepSource => continue,
                    Conflict::ReplaceSource => replaced.push(name.clone()),
                }
            }
            let value = get(source.clone(), vec![lit(key)]);
            let value = match ty {
                None | Some(ScalarType::Dynamic) => value,
                Some(t) => self.dynamic_as(value, KqlType::of(&arrow_type(*t)), e.span, &ctx)?,
            };
            unpacked.push(value.alias(name));
        }
        if star {
            kept = existing.iter().filter(|c| !replaced.contains(c)).map(|c| col(c)).collect();
        }
        kept.extend(unpacked);
        LogicalPlanBuilder::from(input).project(kept).and_then(LogicalPlanBuilder::build).map_err(df)
    }
}

/// The KQL type name of a slot type.
fn scalar_type(t: KqlType) -> ScalarType {
    match t {
        KqlType::Bool => ScalarType::Bool,
        KqlType::Long | KqlType::Int => ScalarType::Long,
        KqlType::Real => ScalarType::Real,
        KqlType::String => ScalarType::String,
        _ => ScalarType::Dynamic,
    }
}
