//! `find ... where predicate` without `project` (or with `project-smart`), as
//! find-operator.md describes its output: the source column, the columns the predicate names
//! (one per type, `name_type`, where tables disagree on a column's type), the columns every
//! table has (same name and type), and `pack_`, a bag of each row's other columns. Tables that
//! have none of the columns the predicate names are left out.

use datafusion::arrow::datatypes::DataType;
use datafusion::logical_expr::{Expr as DfExpr, LogicalPlan, LogicalPlanBuilder, lit};
use kql_parser::ast::{Arg, Expr, ExprKind, Find, Ident, Literal};

use super::expr::ExprCtx;
use super::tabular::df;
use super::types::KqlType;
use super::{KqlContextProvider, KqlToRel, Scope, col, column_names};
use crate::error::{KqlError, Result};

impl<P: KqlContextProvider> KqlToRel<'_, P> {
    pub(super) fn find_smart(
        &self,
        f: &Find,
        inputs: Vec<(String, LogicalPlan)>,
        source: &str,
        scope: &Scope,
        depth: usize,
    ) -> Result<LogicalPlan> {
        // The columns the predicate names, in order, that some table has.
        let mut named: Vec<String> = Vec::new();
        {
            use kql_parser::ast::visit::{Visitor, walk_expr};
            struct Names<'a>(&'a mut Vec<String>);
            impl Visitor for Names<'_> {
                fn visit_expr(&mut self, e: &Expr) {
                    if let ExprKind::Name(n) = &e.kind
                        && !self.0.contains(n)
                    {
                        self.0.push(n.clone());
                    }
                }
            }
            walk_expr(&mut Names(&mut named), &f.predicate);
        }
        let type_of = |plan: &LogicalPlan, n: &str| -> Option<DataType> {
            plan.schema().field_with_unqualified_name(n).ok().map(|fl| fl.data_type().clone())
        };
        named.retain(|n| inputs.iter().any(|(_, p)| type_of(p, n).is_some()));
        let inputs: Vec<(String, LogicalPlan)> = if named.is_empty() {
            inputs
        } else {
            inputs.into_iter().filter(|(_, p)| named.iter().any(|n| type_of(p, n).is_some())).collect()
        };
        // A named column's types across the tables: one output column per type.
        let mut outputs: Vec<(String, String, DataType)> = Vec::new(); // (output, column, type)
        for n in &named {
            let mut types: Vec<DataType> = Vec::new();
            for (_, p) in &inputs {
                if let Some(t) = type_of(p, n)
                    && !types.contains(&t)
                {
                    types.push(t);
                }
            }
            let several = types.len() > 1;
            for t in types {
                let out = if several { format!("{n}_{}", KqlType::of(&t).name()) } else { n.clone() };
                outputs.push((out, n.clone(), t));
            }
        }
        // Columns every table has with one type (the first table's order).
        let common: Vec<(String, DataType)> = match inputs.first() {
            Some((_, first)) => first
                .schema()
                .fields()
                .iter()
                .filter(|fl| !named.contains(fl.name()))
                .filter(|fl| inputs.iter().all(|(_, p)| type_of(p, fl.name()).as_ref() == Some(fl.data_type())))
                .map(|fl| (fl.name().clone(), fl.data_type().clone()))
                .collect(),
            None => Vec::new(),
        };
        let mut found = Vec::new();
        for (label, plan) in inputs {
            // Named columns a table lacks are null there (as in a union).
            let mut exprs: Vec<DfExpr> = plan.schema().columns().into_iter().map(DfExpr::Column).collect();
            for (_, n, t) in outputs.iter().filter(|(_, n, _)| type_of(&plan, n).is_none()) {
                if !exprs.iter().any(|e| matches!(e, DfExpr::Alias(a) if a.name == *n)) {
                    let null = lit(datafusion::common::ScalarValue::try_from(t).map_err(df)?);
                    let null = if KqlType::of(t) == KqlType::String { super::non_null_string_expr(null) } else { null };
                    exprs.push(null.alias(n.as_str()));
                }
            }
            let own = column_names(plan.schema());
            let plan = LogicalPlanBuilder::from(plan).project(exprs).and_then(LogicalPlanBuilder::build).map_err(df)?;
            let ctx = ExprCtx { schema: plan.schema(), scope, depth, filter: true };
            let predicate = self.expr(&f.predicate, &ctx)?;
            let plan =
                LogicalPlanBuilder::from(plan).filter(predicate).and_then(LogicalPlanBuilder::build).map_err(df)?;
            let ctx = ExprCtx { schema: plan.schema(), scope, depth, filter: false };
            let mut out = vec![lit(label.clone()).alias(source)];
            for (name, n, t) in &outputs {
                let value = if type_of(&plan, n).as_ref() == Some(t) && own.contains(n) {
                    col(n)
                } else if KqlType::of(t) == KqlType::String {
                    lit("")
                } else {
                    lit(datafusion::common::ScalarValue::try_from(t).map_err(df)?)
                };
                out.push(value.alias(name.as_str()));
            }
            out.extend(common.iter().map(|(n, _)| col(n)));
            // The rest of this table's columns, packed.
            let rest: Vec<&String> =
                own.iter().filter(|n| !named.contains(n) && !common.iter().any(|(c, _)| c == *n)).collect();
            let span = f.span;
            let mut args = Vec::with_capacity(rest.len() * 2);
            for n in rest {
                args.push(Arg {
                    name: None,
                    value: Expr { kind: ExprKind::Literal(Literal::String(n.clone())), span },
                    span,
                });
                args.push(Arg { name: None, value: Expr { kind: ExprKind::Name(n.clone()), span }, span });
            }
            let pack = Expr { kind: ExprKind::Call { name: Ident::new("bag_pack", span), args }, span };
            out.push(self.expr(&pack, &ctx)?.alias("pack_"));
            found.push(LogicalPlanBuilder::from(plan).project(out).and_then(LogicalPlanBuilder::build).map_err(df)?);
        }
        if found.is_empty() {
            return Err(KqlError::plan(f.span, "find: no table has the columns this predicate names"));
        }
        super::tabular::union_filled(found, f.span, "find: no table to search")
    }
}
