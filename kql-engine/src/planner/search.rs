//! `search` (search-operator.md): the rows of the piped table, of the tables of `in (...)`, or
//! of every table, where the predicate holds. A bare string in the predicate (alone or under
//! `and`, `or`, `not`) is a term looked for in every string and `dynamic` column with `has`
//! (`"x*"` is `hasprefix`, `"*x"` `hassuffix`, `"*x*"` `contains`); `Column:"x"` is
//! `Column has "x"`; any other expression is a predicate as in `where`. `kind=case_sensitive`
//! makes the terms case-sensitive. Over several tables, a table whose columns the predicate
//! does not have gives no rows, and the result has a `$table` column naming each row's table.

use datafusion::logical_expr::{Expr as DfExpr, LogicalPlan, LogicalPlanBuilder, lit};
use kql_parser::ast::{Expr, ExprKind, Literal, LogicalOp, ParamValue, Search};

use super::expr::ExprCtx;
use super::tabular::{build, df};
use super::types::KqlType;
use super::{KqlContextProvider, KqlToRel, Scope};
use crate::error::{KqlError, Result};
use crate::functions::has::{HasUdf, MatchOp};
use crate::functions::term::TermKind;

impl<P: KqlContextProvider> KqlToRel<'_, P> {
    pub(super) fn search(
        &self,
        input: Option<LogicalPlan>,
        s: &Search,
        scope: &Scope,
        depth: usize,
    ) -> Result<LogicalPlan> {
        let mut case_sensitive = false;
        for p in &s.params {
            match (p.name.as_str(), &p.value) {
                ("kind", ParamValue::Name(k)) if k == "case_sensitive" => case_sensitive = true,
                ("kind", ParamValue::Name(k)) if k == "case_insensitive" => case_sensitive = false,
                (n, _) if n.starts_with("hint.") => {}
                _ => {
                    return Err(KqlError::plan(
                        p.span,
                        format!("`{}` is not a parameter of search (kind=case_sensitive|case_insensitive)", p.name),
                    ));
                }
            }
        }
        // One table searched: its rows as they are. Several: each labeled in `$table`.
        let several = input.is_none();
        let inputs: Vec<(String, LogicalPlan)> = match input {
            Some(plan) => vec![(String::new(), plan)],
            None if s.tables.is_empty() => {
                let mut names = self.provider.table_names();
                names.sort();
                names
                    .into_iter()
                    .map(|n| Ok((n.clone(), self.named_table(&n, s.span, scope, depth)?)))
                    .collect::<Result<_>>()?
            }
            None => self.union_inputs(&s.tables, false, 0, scope, depth)?,
        };
        let mut found = Vec::new();
        for (label, plan) in inputs {
            let ctx = ExprCtx { schema: plan.schema(), scope, depth, filter: true };
            let predicate = match self.search_predicate(&s.predicate, case_sensitive, &ctx) {
                Ok(p) => p,
                // A table without the predicate's columns has nothing to find.
                Err(KqlError::Plan(e)) if several && e.message.starts_with("unknown column") => continue,
                Err(e) => return Err(e),
            };
            let mut plan = build(LogicalPlanBuilder::from(plan).filter(predicate).map_err(df)?)?;
            if several {
                let mut exprs = vec![lit(label.clone()).alias("$table")];
                exprs.extend(plan.schema().columns().into_iter().map(DfExpr::Column));
                plan = build(LogicalPlanBuilder::from(plan).project(exprs).map_err(df)?)?;
            }
            found.push(plan);
        }
        super::tabular::union_filled(found, s.span, "no table searched has the columns this predicate names")
    }

    /// The predicate, with bare strings as terms over every text column.
    fn search_predicate(&self, e: &Expr, case_sensitive: bool, ctx: &ExprCtx<'_>) -> Result<DfExpr> {
        match &e.kind {
            ExprKind::Literal(Literal::String(term)) => self.term_anywhere(term, e, case_sensitive, ctx),
            ExprKind::Logical { op, operands } => {
                let parts = operands
                    .iter()
                    .map(|o| self.search_predicate(o, case_sensitive, ctx))
                    .collect::<Result<Vec<_>>>()?;
                let combine = |a: DfExpr, b: DfExpr| if *op == LogicalOp::And { a.and(b) } else { a.or(b) };
                parts.into_iter().reduce(combine).ok_or_else(|| KqlError::Internal("an empty and/or".into()))
            }
            ExprKind::Call { name, args } if name.name == "not" && args.len() == 1 => {
                Ok(!self.search_predicate(&args[0].value, case_sensitive, ctx)?)
            }
            _ => self.expr(e, ctx),
        }
    }

    /// `"term"`: some string or `dynamic` column has it.
    fn term_anywhere(&self, term: &str, e: &Expr, case_sensitive: bool, ctx: &ExprCtx<'_>) -> Result<DfExpr> {
        let starts = term.starts_with('*');
        let ends = term.len() > 1 && term.ends_with('*');
        let core = term.trim_start_matches('*').trim_end_matches('*');
        if core.contains('*') {
            return Err(KqlError::not_supported(e.span, "a `*` inside a search term (only at its start or end)"));
        }
        let (kind, name) = match (starts, ends) {
            (true, true) => (TermKind::Contains, if case_sensitive { "contains_cs" } else { "contains" }),
            (false, true) => (TermKind::Prefix, if case_sensitive { "hasprefix_cs" } else { "hasprefix" }),
            (true, false) => (TermKind::Suffix, if case_sensitive { "hassuffix_cs" } else { "hassuffix" }),
            (false, false) => (TermKind::Has, if case_sensitive { "has_cs" } else { "has" }),
        };
        let op = MatchOp { kind, case_sensitive, negated: false, all: false, name };
        let mut tests = Vec::new();
        for (q, f) in ctx.schema.iter() {
            let c = DfExpr::Column(datafusion::common::Column::new(q.cloned(), f.name()));
            let text = match KqlType::of(f.data_type()) {
                KqlType::String => c,
                KqlType::Dynamic => super::dynamic::dynamic_text(c),
                _ => continue,
            };
            tests.push(HasUdf::call(op, text, vec![core.to_owned()]));
        }
        Ok(tests.into_iter().reduce(DfExpr::or).unwrap_or_else(|| lit(false)))
    }
}

impl<P: KqlContextProvider> KqlToRel<'_, P> {
    /// `find [withsource=C] [in (T, ...)] where predicate project c[:type], ..., pack_all()`
    /// (find-operator.md): the rows of each table where the predicate holds (a column the
    /// predicate names that a table lacks is null there, as in a union), with the source column (`source_` unless named) and
    /// the projected columns (null where a table lacks one; `""` for strings), `pack_all()`
    /// packing each row's columns into a bag.
    pub(super) fn find(&self, f: &kql_parser::ast::Find, scope: &Scope, depth: usize) -> Result<LogicalPlan> {
        use kql_parser::ast::FindColumn;
        let mut source = "source_".to_owned();
        for p in &f.params {
            match (p.name.as_str(), &p.value) {
                ("withsource" | "with_source", ParamValue::Name(n)) => source.clone_from(n),
                (n, _) if n.starts_with("hint.") => {}
                _ => return Err(KqlError::plan(p.span, format!("`{}` is not a parameter of find", p.name))),
            }
        }
        let inputs: Vec<(String, LogicalPlan)> = if f.tables.is_empty() {
            let mut names = self.provider.table_names();
            names.sort();
            names
                .into_iter()
                .map(|n| Ok((n.clone(), self.named_table(&n, f.span, scope, depth)?)))
                .collect::<Result<_>>()?
        } else {
            self.union_inputs(&f.tables, false, 0, scope, depth)?
        };
        let Some(columns) = &f.project else {
            return self.find_smart(f, inputs, &source, scope, depth);
        };
        // Each projected column's type: declared, or the first table's that has it.
        let mut types = Vec::new();
        for c in columns {
            if let FindColumn::Column { name, ty } = c {
                let t = match ty {
                    Some(t) => super::types::arrow_type(*t),
                    None => inputs
                        .iter()
                        .find_map(|(_, p)| {
                            p.schema().field_with_unqualified_name(&name.name).ok().map(|f| f.data_type().clone())
                        })
                        .ok_or_else(|| {
                            super::unknown_column(name.span, &name.name, &datafusion::common::DFSchema::empty(), &[])
                        })?,
                };
                types.push((name, t));
            }
        }
        // Columns the predicate names that some tables lack are null there (as in a union).
        let mut referenced = Vec::new();
        {
            use kql_parser::ast::visit::{Visitor, walk_expr};
            struct Names<'a>(&'a mut Vec<String>);
            impl Visitor for Names<'_> {
                fn visit_expr(&mut self, e: &Expr) {
                    if let ExprKind::Name(n) = &e.kind {
                        self.0.push(n.clone());
                    }
                }
            }
            walk_expr(&mut Names(&mut referenced), &f.predicate);
        }
        let shared: Vec<(String, datafusion::arrow::datatypes::DataType)> = referenced
            .iter()
            .filter_map(|n| {
                inputs.iter().find_map(|(_, p)| {
                    p.schema().field_with_unqualified_name(n).ok().map(|fl| (n.clone(), fl.data_type().clone()))
                })
            })
            .collect();
        let mut found = Vec::new();
        for (label, plan) in inputs {
            let missing: Vec<&(String, datafusion::arrow::datatypes::DataType)> =
                shared.iter().filter(|(n, _)| plan.schema().field_with_unqualified_name(n).is_err()).collect();
            let plan = if missing.is_empty() {
                plan
            } else {
                let mut exprs: Vec<DfExpr> = plan.schema().columns().into_iter().map(DfExpr::Column).collect();
                for (n, t) in missing {
                    let null = lit(datafusion::common::ScalarValue::try_from(t).map_err(df)?);
                    let null = if KqlType::of(t) == KqlType::String { super::non_null_string_expr(null) } else { null };
                    exprs.push(null.alias(n.as_str()));
                }
                build(LogicalPlanBuilder::from(plan).project(exprs).map_err(df)?)?
            };
            let ctx = ExprCtx { schema: plan.schema(), scope, depth, filter: true };
            let predicate = self.expr(&f.predicate, &ctx)?;
            let plan = build(LogicalPlanBuilder::from(plan).filter(predicate).map_err(df)?)?;
            let ctx = ExprCtx { schema: plan.schema(), scope, depth, filter: false };
            let mut exprs = vec![lit(label.clone()).alias(source.as_str())];
            let mut typed = types.iter();
            for c in columns {
                match c {
                    FindColumn::Column { .. } => {
                        let Some((name, t)) = typed.next() else { continue };
                        let value = if plan.schema().field_with_unqualified_name(&name.name).is_ok() {
                            datafusion::logical_expr::cast(super::col(&name.name), t.clone())
                        } else if KqlType::of(t) == KqlType::String {
                            lit("")
                        } else {
                            lit(datafusion::common::ScalarValue::try_from(t).map_err(df)?)
                        };
                        exprs.push(value.alias(name.name.as_str()));
                    }
                    FindColumn::PackAll => {
                        let span = &f.span;
                        let call = Expr {
                            kind: ExprKind::Call {
                                name: kql_parser::ast::Ident { name: "pack_all".into(), span: *span },
                                args: Vec::new(),
                            },
                            span: *span,
                        };
                        exprs.push(self.expr(&call, &ctx)?.alias("pack_"));
                    }
                }
            }
            found.push(build(LogicalPlanBuilder::from(plan).project(exprs).map_err(df)?)?);
        }
        super::tabular::union_filled(found, f.span, "no table has the columns this predicate names")
    }
}
