//! Scopes as values: `let` bindings visible to the rest of the query. A nested scope (a
//! function body) is a clone with more bindings; nothing is mutated and restored.

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::logical_expr::{Expr as DfExpr, LogicalPlan};
use kql_parser::ast::FunctionDecl;

/// What a name is bound to.
#[derive(Clone, Debug)]
pub(crate) enum Binding {
    /// A scalar: a folded literal for `let x = now(-5d)`, or an argument expression inside a
    /// function body.
    Scalar(DfExpr),
    /// A table: `let T = X | where ...` (re-planned on each use, as in Kusto).
    Tabular(LogicalPlan),
    /// A user function: `let f = (a:long) { ... }`.
    Function(Arc<FunctionBinding>),
    /// A name whose columns the expressions' schema holds as `Name.Column`: a `scan` step in
    /// the scan's conditions and assignments (its state), a `graph-match` pattern variable
    /// (its node's or edge's properties). The text says what it is.
    Prefix(&'static str),
    /// A graph (`let G = E | make-graph ...`), for a graph operator.
    Graph(std::sync::Arc<super::graph::Graph>),
}

/// A declared function and the scope it closes over.
#[derive(Debug)]
pub(crate) struct FunctionBinding {
    pub(crate) name: String,
    pub(crate) decl: FunctionDecl,
    pub(crate) closure: Scope,
}

/// The bindings visible at one point of a query.
#[derive(Clone, Debug, Default)]
pub(crate) struct Scope {
    bindings: HashMap<String, Binding>,
}

impl Scope {
    /// The binding of `name`, if any.
    pub(crate) fn get(&self, name: &str) -> Option<&Binding> {
        self.bindings.get(name)
    }

    /// This scope plus `name` bound to `binding`.
    pub(crate) fn with(&self, name: &str, binding: Binding) -> Self {
        let mut bindings = self.bindings.clone();
        bindings.insert(name.to_owned(), binding);
        Self { bindings }
    }

    /// Every bound name (for suggestions).
    pub(crate) fn names(&self) -> impl Iterator<Item = &str> {
        self.bindings.keys().map(String::as_str)
    }

    /// The names of scalar bindings (for suggestions next to columns).
    pub(crate) fn scalar_names(&self) -> Vec<&str> {
        self.bindings.iter().filter(|(_, b)| matches!(b, Binding::Scalar(_))).map(|(n, _)| n.as_str()).collect()
    }
}
