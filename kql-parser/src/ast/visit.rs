//! A read-only walk over the tree ([`walk_query`]), and a rewrite of scalar expressions
//! ([`map_expr`]).
//!
//! ```
//! use kql_parser::ast::{Expr, ExprKind, visit::{Visitor, walk_query}};
//!
//! /// Every bare name, in order.
//! struct Names(Vec<String>);
//! impl Visitor for Names {
//!     fn visit_expr(&mut self, e: &Expr) {
//!         if let ExprKind::Name(n) = &e.kind {
//!             self.0.push(n.clone());
//!         }
//!     }
//! }
//! let q = kql_parser::parse("T | where x > 1 | join (U) on k")?;
//! let mut names = Names(Vec::new());
//! walk_query(&mut names, &q);
//! assert_eq!(names.0, ["T", "x", "U", "k"]);
//! # Ok::<(), kql_parser::ParseError>(())
//! ```

use super::{
    Arg, Expr, ExprKind, LetValue, NamePattern, Operator, OperatorKind, Pipeline, Query, Source, Statement, UnionTable,
};

/// Callbacks for [`walk_query`]; every expression (scalar or tabular, at any depth) is visited
/// before its children.
pub trait Visitor {
    /// Called for every expression.
    fn visit_expr(&mut self, _expr: &Expr) {}
    /// Called for every table-name pattern of `union` (`Device*`).
    fn visit_table_pattern(&mut self, _pattern: &NamePattern) {}
    /// Called for every tabular operator, before its expressions.
    fn visit_operator(&mut self, _op: &Operator) {}
}

/// Visits every statement of `query`.
pub fn walk_query(v: &mut impl Visitor, query: &Query) {
    for s in &query.statements {
        walk_statement(v, s);
    }
}

/// Visits a statement.
pub fn walk_statement(v: &mut impl Visitor, statement: &Statement) {
    match statement {
        Statement::Let(l) => match &l.value {
            LetValue::Expr(e) => walk_expr(v, e),
            LetValue::Function(f) => {
                for p in &f.params {
                    if let Some(d) = &p.default {
                        walk_expr(v, d);
                    }
                }
                for s in &f.body {
                    walk_statement(v, s);
                }
            }
        },
        Statement::Set(s) => {
            if let Some(e) = &s.value {
                walk_expr(v, e);
            }
        }
        Statement::Declare(d) => d.params.iter().filter_map(|p| p.default.as_ref()).for_each(|e| walk_expr(v, e)),
        Statement::Expr(e) => walk_expr(v, e),
    }
}

/// Visits `expr` and everything below it.
pub fn walk_expr(v: &mut impl Visitor, expr: &Expr) {
    v.visit_expr(expr);
    match &expr.kind {
        ExprKind::Literal(_) | ExprKind::Name(_) | ExprKind::Star | ExprKind::TypeOf(_) => {}
        ExprKind::Unary { operand, .. } => walk_expr(v, operand),
        ExprKind::Logical { operands, .. } => operands.iter().for_each(|o| walk_expr(v, o)),
        ExprKind::Binary { left, right, .. } => {
            walk_expr(v, left);
            walk_expr(v, right);
        }
        ExprKind::Between { operand, low, high, .. } => {
            walk_expr(v, operand);
            walk_expr(v, low);
            walk_expr(v, high);
        }
        ExprKind::InList { operand, items, .. } => {
            walk_expr(v, operand);
            items.iter().for_each(|i| walk_expr(v, i));
        }
        ExprKind::Call { args, .. } => args.iter().for_each(|a| walk_expr(v, &a.value)),
        ExprKind::Member { base, .. } => walk_expr(v, base),
        ExprKind::Index { base, index } => {
            walk_expr(v, base);
            walk_expr(v, index);
        }
        ExprKind::Tabular(p) => walk_pipeline(v, p),
    }
}

/// Visits a pipeline's source and operators.
pub fn walk_pipeline(v: &mut impl Visitor, pipeline: &Pipeline) {
    match &pipeline.source {
        Source::Expr(e) => walk_expr(v, e),
        Source::Datatable(d) => d.values.iter().for_each(|e| walk_expr(v, e)),
        Source::Print(p) => p.columns.iter().for_each(|c| walk_expr(v, &c.expr)),
        Source::Union(u) => walk_union_tables(v, &u.tables),
        Source::Find(f) => {
            if f.tables.is_empty() {
                v.visit_table_pattern(&NamePattern { pattern: "*".to_owned(), span: f.span });
            }
            walk_union_tables(v, &f.tables);
            walk_expr(v, &f.predicate);
        }
        Source::Search(s) => {
            if s.tables.is_empty() {
                // `search` with no `in (...)` reads every table.
                v.visit_table_pattern(&NamePattern { pattern: "*".to_owned(), span: s.span });
            }
            walk_union_tables(v, &s.tables);
            walk_expr(v, &s.predicate);
        }
        Source::ExternalData(_) => {}
        Source::Range(r) => {
            walk_expr(v, &r.from);
            walk_expr(v, &r.to);
            walk_expr(v, &r.step);
        }
    }
    for op in &pipeline.operators {
        walk_operator(v, op);
    }
}

fn walk_union_tables(v: &mut impl Visitor, tables: &[UnionTable]) {
    for t in tables {
        match t {
            UnionTable::Expr(e) => walk_expr(v, e),
            UnionTable::Pattern(p) => v.visit_table_pattern(p),
        }
    }
}

/// Visits the expressions of one operator.
pub fn walk_operator(v: &mut impl Visitor, op: &Operator) {
    v.visit_operator(op);
    match &op.kind {
        OperatorKind::Where(e) | OperatorKind::Take(e) => walk_expr(v, e),
        OperatorKind::Summarize(s) => {
            s.aggregates.iter().chain(&s.by).for_each(|c| walk_expr(v, &c.expr));
        }
        OperatorKind::Project(cols) | OperatorKind::Extend(cols) | OperatorKind::Serialize(cols) => {
            cols.iter().for_each(|c| walk_expr(v, &c.expr));
        }
        OperatorKind::ProjectAway(_)
        | OperatorKind::ProjectKeep(_)
        | OperatorKind::ProjectRename(_)
        | OperatorKind::ProjectReorder(_)
        | OperatorKind::Count
        | OperatorKind::GetSchema
        | OperatorKind::As(_) => {}
        OperatorKind::Top(t) => {
            walk_expr(v, &t.count);
            walk_expr(v, &t.key.expr);
        }
        OperatorKind::Sort(keys) => keys.iter().for_each(|k| walk_expr(v, &k.expr)),
        OperatorKind::Distinct(d) => d.columns.iter().for_each(|c| walk_expr(v, &c.expr)),
        OperatorKind::Join(j) | OperatorKind::Lookup(j) => {
            walk_expr(v, &j.right);
            j.on.iter().for_each(|e| walk_expr(v, e));
        }
        OperatorKind::Union(u) => walk_union_tables(v, &u.tables),
        OperatorKind::MvExpand(m) => {
            m.items.iter().for_each(|i| walk_expr(v, &i.column.expr));
            if let Some(l) = &m.limit {
                walk_expr(v, l);
            }
        }
        OperatorKind::MvApply(m) => {
            m.items.iter().for_each(|i| walk_expr(v, &i.column.expr));
            if let Some(l) = &m.limit {
                walk_expr(v, l);
            }
            m.body.iter().for_each(|op| walk_operator(v, op));
        }
        OperatorKind::Fork(legs) => legs.iter().flat_map(|l| &l.body).for_each(|op| walk_operator(v, op)),
        OperatorKind::Facet { with, .. } => with.iter().flatten().for_each(|op| walk_operator(v, op)),
        OperatorKind::MakeGraph(m) => m.tables.iter().for_each(|(t, _)| walk_expr(v, t)),
        OperatorKind::GraphMatch(m) => {
            m.condition.iter().for_each(|c| walk_expr(v, c));
            m.project.iter().for_each(|c| walk_expr(v, &c.expr));
        }
        OperatorKind::GraphToTable(_) | OperatorKind::GraphMarkComponents(_) => {}
        OperatorKind::Scan(s) => {
            s.declare.iter().filter_map(|d| d.default.as_ref()).for_each(|e| walk_expr(v, e));
            for step in &s.steps {
                walk_expr(v, &step.condition);
                step.assignments.iter().for_each(|(_, e)| walk_expr(v, e));
            }
        }
        OperatorKind::TopHitters { count, of, by } => {
            walk_expr(v, count);
            walk_expr(v, &of.expr);
            if let Some(b) = by {
                walk_expr(v, b);
            }
        }
        OperatorKind::Partition(p) => match &p.body {
            crate::ast::PartitionBody::Operators(ops) => ops.iter().for_each(|op| walk_operator(v, op)),
            crate::ast::PartitionBody::Source(e) => walk_expr(v, e),
        },
        OperatorKind::Evaluate(e) => e.args.iter().for_each(|a| walk_expr(v, &a.value)),
        OperatorKind::Invoke(i) => i.args.iter().for_each(|a| walk_expr(v, &a.value)),
        OperatorKind::Parse(p) => walk_expr(v, &p.source),
        OperatorKind::ParseKv(p) => walk_expr(v, &p.source),
        OperatorKind::Render(_) => {}
        OperatorKind::Sample(n) => walk_expr(v, n),
        OperatorKind::SampleDistinct { count, of } => {
            walk_expr(v, count);
            walk_expr(v, of);
        }
        OperatorKind::TopNested(clauses) => {
            for c in clauses {
                c.count.iter().chain(c.others.iter()).for_each(|e| walk_expr(v, e));
                walk_expr(v, &c.of.expr);
                walk_expr(v, &c.by.expr);
            }
        }
        OperatorKind::Search(s) => {
            walk_union_tables(v, &s.tables);
            walk_expr(v, &s.predicate);
        }
        OperatorKind::MakeSeries(m) => {
            for a in &m.aggregates {
                walk_expr(v, &a.aggregate.expr);
                if let Some(d) = &a.default {
                    walk_expr(v, d);
                }
            }
            walk_expr(v, &m.axis);
            m.from.iter().chain(m.to.iter()).for_each(|e| walk_expr(v, e));
            walk_expr(v, &m.step);
            m.by.iter().for_each(|b| walk_expr(v, &b.expr));
        }
    }
}

/// `expr` rebuilt bottom-up: each expression `f` replaces (`Some`) is taken as it is, every
/// other one keeps its kind with its operands mapped. Tabular subexpressions are left alone
/// (a rewrite of scalar expressions, such as substituting calls by column names).
///
/// ```
/// use kql_parser::ast::{Expr, ExprKind, visit::map_expr};
///
/// // Every call to `f` becomes the name `x`.
/// let q = kql_parser::parse("print g(f(1)) + f(2)")?;
/// # let kql_parser::ast::Statement::Expr(e) = &q.statements[0] else { unreachable!() };
/// # let kql_parser::ast::ExprKind::Tabular(p) = &e.kind else { unreachable!() };
/// # let kql_parser::ast::Source::Print(print) = &p.source else { unreachable!() };
/// let e = &print.columns[0].expr;
/// let out = map_expr(e, &mut |x: &Expr| -> Result<Option<Expr>, ()> {
///     Ok(match &x.kind {
///         ExprKind::Call { name, .. } if name.name == "f" => Some(Expr::new(ExprKind::Name("x".into()), x.span)),
///         _ => None,
///     })
/// }).unwrap();
/// assert_eq!(out.to_string(), "g(x) + x");
/// # Ok::<(), kql_parser::ParseError>(())
/// ```
///
/// # Errors
/// The first error `f` returns.
pub fn map_expr<E>(expr: &Expr, f: &mut impl FnMut(&Expr) -> Result<Option<Expr>, E>) -> Result<Expr, E> {
    if let Some(replaced) = f(expr)? {
        return Ok(replaced);
    }
    let mut go = |x: &Expr| map_expr(x, f);
    let kind = match &expr.kind {
        ExprKind::Call { name, args } => ExprKind::Call {
            name: name.clone(),
            args: args
                .iter()
                .map(|a| Ok(Arg { name: a.name.clone(), value: go(&a.value)?, span: a.span }))
                .collect::<Result<_, E>>()?,
        },
        ExprKind::Unary { op, operand } => ExprKind::Unary { op: *op, operand: Box::new(go(operand)?) },
        ExprKind::Logical { op, operands } => {
            ExprKind::Logical { op: *op, operands: operands.iter().map(&mut go).collect::<Result<_, E>>()? }
        }
        ExprKind::Binary { op, left, right } => {
            ExprKind::Binary { op: *op, left: Box::new(go(left)?), right: Box::new(go(right)?) }
        }
        ExprKind::Between { operand, negated, low, high } => ExprKind::Between {
            operand: Box::new(go(operand)?),
            negated: *negated,
            low: Box::new(go(low)?),
            high: Box::new(go(high)?),
        },
        ExprKind::InList { operand, op, items } => ExprKind::InList {
            operand: Box::new(go(operand)?),
            op: *op,
            items: items.iter().map(&mut go).collect::<Result<_, E>>()?,
        },
        ExprKind::Member { base, member } => ExprKind::Member { base: Box::new(go(base)?), member: member.clone() },
        ExprKind::Index { base, index } => ExprKind::Index { base: Box::new(go(base)?), index: Box::new(go(index)?) },
        ExprKind::Literal(_) | ExprKind::Name(_) | ExprKind::Star | ExprKind::TypeOf(_) | ExprKind::Tabular(_) => {
            expr.kind.clone()
        }
    };
    Ok(Expr::new(kind, expr.span))
}
