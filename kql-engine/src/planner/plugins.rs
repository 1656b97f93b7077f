//! `evaluate` plugins that are KQL over their input (their documentation defines them by what
//! they compute): `narrow`, `dcount_intersect`, `sequence_detect`, `sliding_window_counts` and
//! `activity_counts_metrics`. Each checks its arguments (located errors on the user's text),
//! then writes the equivalent pipeline over the input (bound as [`INPUT`]) and plans it; an
//! error inside that pipeline is reported at the `evaluate`.

use datafusion::logical_expr::{Expr as DfExpr, LogicalPlan};
use kql_parser::Span;
use kql_parser::ast::{Arg, Evaluate, Expr, ExprKind, Ident, Statement};

use super::expr::ExprCtx;
use super::scope::Binding;
use super::statement::{as_literal, fold};
use super::types::KqlType;
use super::{KqlContextProvider, KqlToRel, Scope};
use crate::error::{KqlError, Result};

/// The name the input is bound to in a plugin's pipeline.
const INPUT: &str = "__kql_plugin_input";

/// A name as KQL text (quoted when needed).
fn q(name: &str) -> String {
    Ident::new(name, Span::default()).to_string()
}

/// The column an argument names.
fn column_arg<'e>(a: &'e Arg, what: &str, plugin: &str) -> Result<&'e str> {
    match &a.value.kind {
        ExprKind::Name(n) => Ok(n),
        _ => Err(KqlError::plan(a.value.span, format!("{plugin}: {what} is a column; name it"))),
    }
}

impl<P: KqlContextProvider> KqlToRel<'_, P> {
    /// Plans `text` (a pipeline over [`INPUT`]) with `input` bound to [`INPUT`].
    fn plugin_pipeline(
        &self,
        input: LogicalPlan,
        text: &str,
        e: &Evaluate,
        scope: &Scope,
        depth: usize,
    ) -> Result<LogicalPlan> {
        let query = kql_parser::parse(text)
            .map_err(|err| KqlError::Internal(format!("the {} rewrite does not parse: {err}", e.plugin.name)))?;
        let [Statement::Expr(pipeline)] = query.statements.as_slice() else {
            return Err(KqlError::Internal(format!("the {} rewrite is not one pipeline", e.plugin.name)));
        };
        let scope = scope.with(INPUT, Binding::Tabular(input));
        self.tabular_at(pipeline, &scope, depth).map_err(|err| match err {
            KqlError::Plan(mut l) | KqlError::NotSupported(mut l) if l.span.end <= text.len() => {
                l.message = format!("{}: {}", e.plugin.name, l.message);
                l.span = e.span;
                KqlError::Plan(l)
            }
            other => other,
        })
    }

    /// Checks that `a` names a column of `input` or is a valid expression over it.
    fn plugin_expr(&self, input: &LogicalPlan, a: &Expr, scope: &Scope, depth: usize) -> Result<KqlType> {
        let ctx = ExprCtx { schema: input.schema(), scope, depth, filter: false };
        let v = self.expr(a, &ctx)?;
        self.kql_type(&v, &ctx)
    }

    /// A constant argument's value as KQL text, and its type.
    fn plugin_constant(
        &self,
        input: &LogicalPlan,
        a: &Expr,
        scope: &Scope,
        depth: usize,
        what: &str,
    ) -> Result<(String, KqlType)> {
        let ctx = ExprCtx { schema: input.schema(), scope, depth, filter: false };
        let v = fold(self.expr(a, &ctx)?);
        if as_literal(&v).is_none() {
            return Err(KqlError::plan(a.span, format!("{what} must be a constant")));
        }
        Ok((format!("({a})"), self.kql_type(&v, &ctx)?))
    }

    /// `narrow()`: each cell as a row (`Row`, `Column`, `Value` as text), row by row, columns in
    /// order.
    pub(crate) fn narrow(&self, input: LogicalPlan, e: &Evaluate, scope: &Scope, depth: usize) -> Result<LogicalPlan> {
        if let Some(a) = e.args.first() {
            return Err(KqlError::plan(a.span, "narrow takes no arguments"));
        }
        let cells: Vec<String> = super::column_names(input.schema())
            .iter()
            .map(|c| format!("pack_array({}, tostring({}))", kql_string(c), q(c)))
            .collect();
        if cells.is_empty() {
            return Err(KqlError::plan(e.span, "narrow: the input has no columns"));
        }
        let text = format!(
            "{INPUT} | serialize Row = row_number(0) | project Row, __kql_cells = pack_array({}) \
             | mv-expand __kql_cell = __kql_cells | project Row, Column = tostring(__kql_cell[0]), \
             Value = tostring(__kql_cell[1])",
            cells.join(", ")
        );
        self.plugin_pipeline(input, &text, e, scope, depth)
    }

    /// `dcount_intersect(hll_1, hll_2, ...)`: `s0` the distinct count of the first set, `s1` of
    /// the first two's intersection, and so on (the sets are `hll()` results).
    pub(crate) fn dcount_intersect(
        &self,
        input: LogicalPlan,
        e: &Evaluate,
        scope: &Scope,
        depth: usize,
    ) -> Result<LogicalPlan> {
        if e.args.len() < 2 || e.args.len() > 16 {
            return Err(KqlError::plan(e.span, "dcount_intersect takes 2 to 16 hll values"));
        }
        let mut sets = Vec::new();
        let mut columns = Vec::new();
        for (i, a) in e.args.iter().enumerate() {
            if self.plugin_expr(&input, &a.value, scope, depth)? != KqlType::Dynamic {
                return Err(KqlError::plan(a.value.span, "dcount_intersect takes hll() values (dynamic)"));
            }
            sets.push(format!("({})", a.value));
            columns.push(if i == 0 {
                format!("s0 = dcount_hll({})", sets[0])
            } else {
                format!("s{i} = array_length(set_intersect({}))", sets.join(", "))
            });
        }
        let text = format!("{INPUT} | extend {}", columns.join(", "));
        self.plugin_pipeline(input, &text, e, scope, depth)
    }

    /// `sequence_detect(Timeline, MaxStepWindow, MaxSpan, e1, e2, ..., dim1, ...)`: every
    /// chain of rows, one per step, each later than the one before by at most the step window,
    /// the whole within the span, with equal dimensions.
    pub(crate) fn sequence_detect(
        &self,
        input: LogicalPlan,
        e: &Evaluate,
        scope: &Scope,
        depth: usize,
    ) -> Result<LogicalPlan> {
        const P: &str = "sequence_detect";
        if e.args.len() < 4 {
            return Err(KqlError::plan(
                e.span,
                "sequence_detect takes a timeline column, the step window, the span, steps and dimensions",
            ));
        }
        let timeline = column_arg(&e.args[0], "the timeline", P)?;
        let t_type = self.plugin_expr(&input, &e.args[0].value, scope, depth)?;
        let (window, _) = self.plugin_constant(&input, &e.args[1].value, scope, depth, "the step window")?;
        let (span, _) = self.plugin_constant(&input, &e.args[2].value, scope, depth, "the sequence span")?;
        // Steps are the boolean arguments; the rest are dimensions.
        let mut steps: Vec<(String, String)> = Vec::new();
        let mut dims: Vec<String> = Vec::new();
        for (i, a) in e.args.iter().enumerate().skip(3) {
            let t = self.plugin_expr(&input, &a.value, scope, depth)?;
            if t == KqlType::Bool && dims.is_empty() {
                let name = match &a.name {
                    Some(n) => n.name.clone(),
                    None => format!("Expr{}", i - 2),
                };
                steps.push((name, format!("({})", a.value)));
            } else if steps.is_empty() {
                return Err(KqlError::plan(a.value.span, "sequence_detect: a step is a boolean expression"));
            } else {
                dims.push(column_arg(a, "a dimension", P)?.to_owned());
            }
        }
        if t_type != KqlType::DateTime && !t_type.is_numeric() && t_type != KqlType::TimeSpan {
            return Err(KqlError::plan(
                e.args[0].value.span,
                "sequence_detect: the timeline is a datetime or a number",
            ));
        }
        let keys: Vec<String> = dims.iter().map(|d| q(d)).chain(["__kql_k".to_owned()]).collect();
        let times: Vec<String> = steps.iter().map(|(n, _)| q(&format!("{n}_{timeline}"))).collect();
        let step_rows = |i: usize| {
            format!(
                "{INPUT} | where {} | project {}, __kql_k = 1, {} = {}",
                steps[i].1,
                dims.iter().map(|d| q(d)).chain(std::iter::empty()).collect::<Vec<_>>().join(", "),
                times[i],
                q(timeline)
            )
            .replace("project , ", "project ")
        };
        let mut text = step_rows(0);
        for i in 1..steps.len() {
            text = format!(
                "{text} | join kind=inner ({}) on {} | where {t} > {p} and {t} - {p} <= {window} and {t} - {f} <= {span} \
                 | project {}, {}",
                step_rows(i),
                keys.join(", "),
                keys.join(", "),
                times[..=i].join(", "),
                t = times[i],
                p = times[i - 1],
                f = times[0],
            );
        }
        let out: Vec<String> = dims.iter().map(|d| q(d)).chain(times.iter().cloned()).collect();
        text = format!(
            "{text} | project {}, Duration = {} - {} | sort by {}",
            out.join(", "),
            times[times.len() - 1],
            times[0],
            times
                .iter()
                .chain(dims.iter().map(|d| q(d)).collect::<Vec<_>>().iter())
                .map(|c| format!("{c} asc"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        self.plugin_pipeline(input, &text, e, scope, depth)
    }

    /// `sliding_window_counts(Id, Timeline, Start, End, LookbackWindow, Bin, dim1, ...)`: per bin
    /// from Start to End (and dimensions), the rows and distinct ids of the lookback window
    /// that ends with the bin.
    pub(crate) fn sliding_window_counts(
        &self,
        input: LogicalPlan,
        e: &Evaluate,
        scope: &Scope,
        depth: usize,
    ) -> Result<LogicalPlan> {
        const P: &str = "sliding_window_counts";
        if e.args.len() < 6 {
            return Err(KqlError::plan(
                e.span,
                "sliding_window_counts takes Id, Timeline, Start, End, LookbackWindow, Bin and dimensions",
            ));
        }
        let id = column_arg(&e.args[0], "the id", P)?;
        let timeline = column_arg(&e.args[1], "the timeline", P)?;
        self.plugin_expr(&input, &e.args[0].value, scope, depth)?;
        self.plugin_expr(&input, &e.args[1].value, scope, depth)?;
        let (start, _) = self.plugin_constant(&input, &e.args[2].value, scope, depth, "the start")?;
        let (end, _) = self.plugin_constant(&input, &e.args[3].value, scope, depth, "the end")?;
        let lookback = self.constant_span_ns(&input, &e.args[4].value, scope, depth, "the lookback window")?;
        let bin = self.constant_span_ns(&input, &e.args[5].value, scope, depth, "the bin")?;
        if bin <= 0 || lookback <= 0 {
            return Err(KqlError::plan(
                e.span,
                "sliding_window_counts: the bin and the lookback window must be positive",
            ));
        }
        let windows = (lookback + bin - 1) / bin;
        let dims = self.plugin_dims(&input, &e.args[6..], scope, depth, P)?;
        let (bin_text, t) = (format!("({})", e.args[5].value), q(timeline));
        let by: Vec<String> = std::iter::once(t.clone()).chain(dims.iter().cloned()).collect();
        let text = format!(
            "{INPUT} | extend __kql_bin = bin_at({t}, {bin_text}, {start}) \
             | where __kql_bin >= {start} and __kql_bin <= {end} \
             | extend __kql_w = range(0, {last}, 1) | mv-expand __kql_w to typeof(long) \
             | extend {t} = __kql_bin + __kql_w * {bin_text} | where {t} <= {end} \
             | summarize Count = count(), Dcount = dcount({id}) by {by} | sort by {sort}",
            last = windows - 1,
            id = q(id),
            by = by.join(", "),
            sort = by.iter().map(|c| format!("{c} asc")).collect::<Vec<_>>().join(", "),
        );
        self.plugin_pipeline(input, &text, e, scope, depth)
    }

    /// `activity_counts_metrics(Id, Timeline, Start, End, Window, dim1, ...)`: per window (and
    /// dimensions) the rows, the distinct ids, the ids not seen in an earlier window, and the
    /// distinct ids of all windows so far.
    pub(crate) fn activity_counts_metrics(
        &self,
        input: LogicalPlan,
        e: &Evaluate,
        scope: &Scope,
        depth: usize,
    ) -> Result<LogicalPlan> {
        const P: &str = "activity_counts_metrics";
        if e.args.len() < 5 {
            return Err(KqlError::plan(
                e.span,
                "activity_counts_metrics takes Id, Timeline, Start, End, Window and dimensions",
            ));
        }
        let id = q(column_arg(&e.args[0], "the id", P)?);
        let t = q(column_arg(&e.args[1], "the timeline", P)?);
        self.plugin_expr(&input, &e.args[0].value, scope, depth)?;
        self.plugin_expr(&input, &e.args[1].value, scope, depth)?;
        let (start, _) = self.plugin_constant(&input, &e.args[2].value, scope, depth, "the start")?;
        let (end, _) = self.plugin_constant(&input, &e.args[3].value, scope, depth, "the end")?;
        let (window, _) = self.plugin_constant(&input, &e.args[4].value, scope, depth, "the window")?;
        let dims = self.plugin_dims(&input, &e.args[5..], scope, depth, P)?;
        let rows = format!(
            "{INPUT} | extend __kql_bin = bin_at({t}, {window}, {start}) | where __kql_bin >= {start} and __kql_bin <= {end}"
        );
        let keys: Vec<String> = std::iter::once("__kql_bin".to_owned()).chain(dims.iter().cloned()).collect();
        let dim_list = |lead: &str| dims.iter().map(|d| format!("{lead}{d}")).collect::<String>();
        // A new dimension combination restarts the running count.
        let restart = if dims.is_empty() {
            String::new()
        } else {
            format!(", {}", dims.iter().map(|d| format!("{d} != prev({d})")).collect::<Vec<_>>().join(" or "))
        };
        let text = format!(
            "{rows} | summarize ['count'] = count(), ['dcount'] = dcount({id}) by {keys} \
             | join kind=leftouter ({rows} | summarize __kql_bin = min(__kql_bin) by {id}{dims_by} \
                 | summarize new_dcount = count() by {keys}) on {keys} \
             | extend new_dcount = coalesce(new_dcount, 0) \
             | sort by {sort} \
             | extend aggregated_dcount = row_cumsum(new_dcount{restart}) \
             | project {t} = __kql_bin{dims_out}, ['count'], ['dcount'], new_dcount, aggregated_dcount",
            keys = keys.join(", "),
            dims_by = dim_list(", "),
            sort = dims
                .iter()
                .chain(std::iter::once(&"__kql_bin".to_owned()))
                .map(|c| format!("{c} asc"))
                .collect::<Vec<_>>()
                .join(", "),
            dims_out = dim_list(", "),
        );
        self.plugin_pipeline(input, &text, e, scope, depth)
    }

    /// `rolling_percentile(Value, Percentile, Index, BinSize, BinsPerWindow, dim1, ...)`: per bin
    /// of the index (from the first bin to the last one with rows) and dimensions, the
    /// percentile of the values of the window of BinsPerWindow bins ending with it.
    pub(crate) fn rolling_percentile(
        &self,
        input: LogicalPlan,
        e: &Evaluate,
        scope: &Scope,
        depth: usize,
    ) -> Result<LogicalPlan> {
        const P: &str = "rolling_percentile";
        if e.args.len() < 5 {
            return Err(KqlError::plan(
                e.span,
                "rolling_percentile takes Value, Percentile, Index, BinSize, BinsPerWindow and dimensions",
            ));
        }
        let value = column_arg(&e.args[0], "the value", P)?;
        self.plugin_expr(&input, &e.args[0].value, scope, depth)?;
        let (pct, _) = self.plugin_constant(&input, &e.args[1].value, scope, depth, "the percentile")?;
        let index = q(column_arg(&e.args[2], "the index", P)?);
        self.plugin_expr(&input, &e.args[2].value, scope, depth)?;
        let (bin, _) = self.plugin_constant(&input, &e.args[3].value, scope, depth, "the bin size")?;
        let bins = self.constant_span_ns(&input, &e.args[4].value, scope, depth, "the bins per window")?;
        if bins <= 0 {
            return Err(KqlError::plan(
                e.args[4].value.span,
                "rolling_percentile: the bins per window must be positive",
            ));
        }
        let dims = self.plugin_dims(&input, &e.args[5..], scope, depth, P)?;
        let pct_text = e.args[1].value.to_string();
        let out = q(&format!("rolling_{bins}_percentile_{value}_{pct_text}"));
        let by: Vec<String> = std::iter::once(index.clone()).chain(dims.iter().cloned()).collect();
        let sort: Vec<String> = dims.iter().chain(std::iter::once(&index)).map(|c| format!("{c} asc")).collect();
        let text = format!(
            "{INPUT} | extend __kql_bin = bin({index}, {bin}) \
             | extend __kql_w = range(0, {last}, 1) | mv-expand __kql_w to typeof(long) \
             | extend {index} = __kql_bin + __kql_w * {bin} \
             | where {index} <= toscalar({INPUT} | summarize max(bin({index}, {bin}))) \
             | summarize {out} = percentile({v}, {pct}) by {by} | sort by {sort}",
            last = bins - 1,
            v = q(value),
            by = by.join(", "),
            sort = sort.join(", "),
        );
        self.plugin_pipeline(input, &text, e, scope, depth)
    }

    /// `rows_near(Condition, NumRows [, RowsAfter])`: the rows in order that are at most NumRows
    /// before, or RowsAfter (NumRows unless given) after, a row meeting the condition.
    pub(crate) fn rows_near(
        &self,
        input: LogicalPlan,
        e: &Evaluate,
        scope: &Scope,
        depth: usize,
    ) -> Result<LogicalPlan> {
        use datafusion::logical_expr::expr::WindowFunction;
        use datafusion::logical_expr::{WindowFrame, WindowFrameBound, WindowFrameUnits, WindowFunctionDefinition};
        if !(2..=3).contains(&e.args.len()) {
            return Err(KqlError::plan(e.span, "rows_near takes a condition, the number of rows and the rows after"));
        }
        let ctx = ExprCtx { schema: input.schema(), scope, depth, filter: false };
        let cond = self.expr(&e.args[0].value, &ctx)?;
        let cond = self.boolean(cond, e.args[0].value.span, "rows_near's condition", &ctx)?;
        let count = |a: &Arg, what: &str| -> Result<u64> {
            let n = self.constant_span_ns(&input, &a.value, scope, depth, what)?;
            u64::try_from(n).map_err(|_| KqlError::plan(a.value.span, format!("{what} must not be negative")))
        };
        let before = count(&e.args[1], "the number of rows")?;
        let after = match e.args.get(2) {
            Some(a) => count(a, "the rows after")?,
            None => before,
        };
        let flag = datafusion::logical_expr::when(super::expr::total(cond, false), datafusion::prelude::lit(1i64))
            .otherwise(datafusion::prelude::lit(0i64))
            .map_err(super::tabular::df)?;
        // A row is kept when a row meeting the condition is at most `before` rows after it or
        // `after` rows before it.
        let mut w = WindowFunction::new(
            WindowFunctionDefinition::AggregateUDF(datafusion::functions_aggregate::min_max::max_udaf()),
            vec![flag],
        );
        w.params.window_frame = WindowFrame::new_bounds(
            WindowFrameUnits::Rows,
            WindowFrameBound::Preceding(datafusion::common::ScalarValue::UInt64(Some(after))),
            WindowFrameBound::Following(datafusion::common::ScalarValue::UInt64(Some(before))),
        );
        let near = DfExpr::WindowFunction(Box::new(w)).eq(datafusion::prelude::lit(1i64));
        let names = super::column_names(input.schema());
        let (plan, near) = self.plan_windows(input, near)?;
        datafusion::logical_expr::LogicalPlanBuilder::from(plan)
            .filter(near)
            .and_then(|b| b.project(names.iter().map(|n| super::col(n))))
            .and_then(datafusion::logical_expr::LogicalPlanBuilder::build)
            .map_err(super::tabular::df)
    }

    /// Dimension arguments: columns of the input.
    fn plugin_dims(
        &self,
        input: &LogicalPlan,
        args: &[Arg],
        scope: &Scope,
        depth: usize,
        plugin: &str,
    ) -> Result<Vec<String>> {
        let mut dims = Vec::with_capacity(args.len());
        for a in args {
            let name = column_arg(a, "a dimension", plugin)?;
            self.plugin_expr(input, &a.value, scope, depth)?;
            dims.push(q(name));
        }
        Ok(dims)
    }

    /// A constant timespan (or number) argument, in nanoseconds (numbers as they are).
    fn constant_span_ns(&self, input: &LogicalPlan, a: &Expr, scope: &Scope, depth: usize, what: &str) -> Result<i64> {
        let ctx = ExprCtx { schema: input.schema(), scope, depth, filter: false };
        let v = fold(self.expr(a, &ctx)?);
        match as_literal(&v) {
            Some(s) => {
                if let Some(ns) = super::types::duration_nanos(s) {
                    return Ok(ns);
                }
                match s.cast_to(&datafusion::arrow::datatypes::DataType::Int64) {
                    Ok(datafusion::common::ScalarValue::Int64(Some(n))) => Ok(n),
                    _ => Err(KqlError::plan(a.span, format!("{what} must be a timespan or a number"))),
                }
            }
            None => Err(KqlError::plan(a.span, format!("{what} must be a constant"))),
        }
    }
}

/// A string literal's KQL text.
fn kql_string(s: &str) -> String {
    kql_parser::ast::Literal::String(s.to_owned()).to_string()
}
