//! Functions that return several columns (a tuple): `extend series_stats(s)` adds
//! `series_stats_s_min`, `series_stats_s_min_idx`, ... and `extend (a, b) = series_fit_line(s)`
//! names the first columns. Each is computed once as its `dynamic` twin's bag, then read field
//! by field with the field's type. Names follow `Kusto.Language` (`MakePrefixedTuple`: the
//! function, the argument's name and the field, joined by `_`).

use datafusion::logical_expr::{Expr as DfExpr, LogicalPlan, LogicalPlanBuilder, lit};
use kql_parser::ast::{Arg, Expr, ExprKind, NamedExpr};

use super::expr::ExprCtx;
use super::names::{Namer, passthrough};
use super::tabular::{build, df};
use super::types::KqlType;
use super::{KqlContextProvider, KqlToRel, Scope};
use crate::error::{KqlError, Result};

/// A tuple function: its `dynamic` twin and its fields with their types.
#[derive(Debug)]
pub(crate) struct Tuple {
    name: &'static str,
    twin: &'static str,
    /// Whether a query can call the twin (Kusto has `series_fit_line_dynamic`, but no one-bag
    /// form of `series_decompose`).
    public_twin: bool,
    pub(crate) fields: &'static [(&'static str, KqlType)],
}

const TUPLES: &[Tuple] = &[
    Tuple {
        name: "series_stats",
        twin: "series_stats_dynamic",
        public_twin: true,
        fields: &[
            ("min", KqlType::Real),
            ("min_idx", KqlType::Long),
            ("max", KqlType::Real),
            ("max_idx", KqlType::Long),
            ("avg", KqlType::Real),
            ("stdev", KqlType::Real),
            ("variance", KqlType::Real),
        ],
    },
    Tuple {
        name: "series_fit_line",
        twin: "series_fit_line_dynamic",
        public_twin: true,
        fields: &[
            ("rsquare", KqlType::Real),
            ("slope", KqlType::Real),
            ("variance", KqlType::Real),
            ("rvariance", KqlType::Real),
            ("interception", KqlType::Real),
            ("line_fit", KqlType::Dynamic),
        ],
    },
    Tuple {
        name: "series_fit_2lines",
        twin: "series_fit_2lines_dynamic",
        public_twin: true,
        fields: &[
            ("rsquare", KqlType::Real),
            ("split_idx", KqlType::Long),
            ("variance", KqlType::Real),
            ("rvariance", KqlType::Real),
            ("line_fit", KqlType::Dynamic),
            ("right_rsquare", KqlType::Real),
            ("right_slope", KqlType::Real),
            ("right_interception", KqlType::Real),
            ("right_variance", KqlType::Real),
            ("right_rvariance", KqlType::Real),
            ("left_rsquare", KqlType::Real),
            ("left_slope", KqlType::Real),
            ("left_interception", KqlType::Real),
            ("left_variance", KqlType::Real),
            ("left_rvariance", KqlType::Real),
        ],
    },
    Tuple {
        name: "series_decompose",
        twin: "series_decompose_bag",
        public_twin: false,
        fields: &[
            ("baseline", KqlType::Dynamic),
            ("seasonal", KqlType::Dynamic),
            ("trend", KqlType::Dynamic),
            ("residual", KqlType::Dynamic),
        ],
    },
    Tuple {
        name: "series_decompose_anomalies",
        twin: "series_decompose_anomalies_bag",
        public_twin: false,
        fields: &[("ad_flag", KqlType::Dynamic), ("ad_score", KqlType::Dynamic), ("baseline", KqlType::Dynamic)],
    },
    Tuple {
        name: "series_fft",
        twin: "series_fft_bag",
        public_twin: false,
        fields: &[("real", KqlType::Dynamic), ("imag", KqlType::Dynamic)],
    },
    Tuple {
        name: "series_ifft",
        twin: "series_ifft_bag",
        public_twin: false,
        fields: &[("real", KqlType::Dynamic), ("imag", KqlType::Dynamic)],
    },
    Tuple {
        name: "series_fit_poly",
        twin: "series_fit_poly_bag",
        public_twin: false,
        fields: &[
            ("rsquare", KqlType::Real),
            ("coefficients", KqlType::Dynamic),
            ("variance", KqlType::Real),
            ("rvariance", KqlType::Real),
            ("poly_fit", KqlType::Dynamic),
        ],
    },
];

/// The tuple function `e` calls, with its arguments.
/// The single-bag function of a function that returns several columns (`series_stats` →
/// `series_stats_dynamic`).
pub(crate) fn tuple_twin(name: &str) -> Option<&'static str> {
    TUPLES.iter().find(|t| t.name == name && t.public_twin).map(|t| t.twin)
}

pub(crate) fn tuple_call(e: &Expr) -> Option<(&'static Tuple, &[Arg])> {
    let ExprKind::Call { name, args } = &e.kind else { return None };
    TUPLES.iter().find(|t| t.name == name.name).map(|t| (t, args.as_slice()))
}

/// The names of the tuple functions.
pub(crate) fn tuple_names() -> impl Iterator<Item = &'static str> {
    TUPLES.iter().map(|t| t.name)
}

/// Whether `name` is a tuple function.
pub(crate) fn is_tuple_function(name: &str) -> bool {
    TUPLES.iter().any(|t| t.name == name)
}

impl<P: KqlContextProvider> KqlToRel<'_, P> {
    /// `extend` of a tuple function: its columns after (or in place of) the input's.
    pub(crate) fn extend_tuple(
        &self,
        plan: LogicalPlan,
        c: &NamedExpr,
        (tuple, args): (&'static Tuple, &[Arg]),
        scope: &Scope,
        depth: usize,
        namer: &mut Namer,
    ) -> Result<LogicalPlan> {
        let def = crate::functions::dynamic::rowwise::lookup_any(tuple.twin)
            .ok_or_else(|| KqlError::Internal(format!("{} is registered", tuple.twin)))?;
        super::check_arity(tuple.name, c.expr.span, args.len(), def.min, def.max)?;
        if c.names.len() > tuple.fields.len() {
            return Err(KqlError::plan(c.span, format!("{} names for {} columns", c.names.len(), tuple.fields.len())));
        }
        let ctx = ExprCtx { schema: plan.schema(), scope, depth, filter: false };
        let planned = args.iter().map(|a| self.expr(&a.value, &ctx)).collect::<Result<Vec<_>>>()?;
        super::library::check_rowwise_arguments(tuple.name, &planned, args)?;
        let bag = crate::functions::dynamic::rowwise::call(def, planned);
        let input: Vec<DfExpr> = plan
            .schema()
            .iter()
            .map(|(q, f)| DfExpr::Column(datafusion::common::Column::new(q.cloned(), f.name())))
            .collect();
        let hidden = "__kql_tuple";
        let mut with_bag = input.clone();
        with_bag.push(bag.alias(hidden));
        let staged = build(LogicalPlanBuilder::from(plan).project(with_bag).map_err(df)?)?;
        let ctx = ExprCtx { schema: staged.schema(), scope, depth, filter: false };
        let prefix = match args.first().and_then(|a| passthrough(&a.value)) {
            Some(arg) => format!("{}_{arg}", tuple.name),
            None => tuple.name.to_owned(),
        };
        let mut fields = Vec::with_capacity(tuple.fields.len());
        for (i, (field, ty)) in tuple.fields.iter().enumerate() {
            let name = match c.names.get(i) {
                Some(n) => n.name.clone(),
                None => namer.unique(&format!("{prefix}_{field}")),
            };
            let value = crate::functions::dynamic::access::get(super::col(hidden), vec![lit(*field)]);
            let value = if *ty == KqlType::Dynamic { value } else { self.dynamic_as(value, *ty, c.expr.span, &ctx)? };
            fields.push((name, value));
        }
        // A new column of an existing name replaces it where it stands.
        let mut exprs: Vec<DfExpr> = Vec::with_capacity(input.len() + fields.len());
        for e in input {
            let existing = match &e {
                DfExpr::Column(col) => fields.iter().position(|(n, _)| *n == col.name),
                _ => None,
            };
            match existing {
                Some(k) => {
                    let (n, v) = fields.remove(k);
                    exprs.push(v.alias(n));
                }
                None => exprs.push(e),
            }
        }
        exprs.extend(fields.into_iter().map(|(n, v)| v.alias(n)));
        build(LogicalPlanBuilder::from(staged).project(exprs).map_err(df)?)
    }
}
