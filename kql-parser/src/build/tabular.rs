//! Pipelines, sources and tabular operators.

use pest::iterators::Pair;

use super::{Builder, Result, span_of};
use crate::ast::{
    As, Datatable, Distinct, Evaluate, ExternalData, ExternalUri, Find, FindColumn, ForkLeg, Invoke, Join, KvKey,
    MakeSeries, MvApply, MvExpand, MvExpandItem, NamePattern, NamedExpr, NullsOrder, OpParam, Operator, OperatorKind,
    OutputSchema, ParamValue, Parse, ParseKv, ParsePart, Partition, PartitionBody, Pipeline, Print, Range, Rename,
    Render, RenderProperty, RenderValue, ReorderItem, Search, SeriesAggregate, SortKey, SortOrder, Source, Summarize,
    Top, TopNestedClause, Union, UnionTable,
};
use crate::grammar::Rule;

impl Builder<'_> {
    pub(crate) fn pipeline_node(&self, pair: Pair<'_, Rule>) -> Result<Pipeline> {
        let span = span_of(&pair);
        let mut inner = pair.clone().into_inner();
        let first = self.next(&pair, &mut inner)?;
        let source = match first.as_rule() {
            Rule::expr => Source::Expr(self.expr(first)?),
            Rule::datatable => Source::Datatable(Box::new(self.datatable(first)?)),
            Rule::print_source => {
                Source::Print(Print { span: span_of(&first), columns: self.named_exprs(first.into_inner().skip(1))? })
            }
            Rule::union_source => Source::Union(Box::new(self.union(first)?)),
            Rule::range_source => Source::Range(Box::new(self.range(first)?)),
            Rule::externaldata => Source::ExternalData(Box::new(self.externaldata(first)?)),
            Rule::search_source => Source::Search(Box::new(self.search(first)?)),
            Rule::find_source => Source::Find(Box::new(self.find(first)?)),
            _ => return Err(self.internal(&first, "the start of a pipeline")),
        };
        let operators =
            inner.filter(|p| p.as_rule() != Rule::pipe).map(|op| self.operator(op)).collect::<Result<_>>()?;
        Ok(Pipeline { source, operators, span })
    }

    fn operator(&self, pair: Pair<'_, Rule>) -> Result<Operator> {
        let span = span_of(&pair);
        let rule = pair.as_rule();
        // Every operator rule starts with its keyword; skip it.
        let mut inner = pair.clone().into_inner();
        let _keyword = inner.next();
        let kind = match rule {
            Rule::where_op => OperatorKind::Where(self.expr(self.expect(&pair, &mut inner, Rule::expr)?)?),
            Rule::summarize_op => OperatorKind::Summarize(self.summarize(pair)?),
            Rule::project_op => OperatorKind::Project(self.named_exprs(inner)?),
            Rule::extend_op => OperatorKind::Extend(self.named_exprs(inner)?),
            Rule::serialize_op => OperatorKind::Serialize(self.named_exprs(inner)?),
            Rule::project_away_op => OperatorKind::ProjectAway(self.patterns(inner)?),
            Rule::project_keep_op => OperatorKind::ProjectKeep(self.patterns(inner)?),
            Rule::project_rename_op => OperatorKind::ProjectRename(
                inner
                    .map(|r| {
                        let span = span_of(&r);
                        let mut names = r.clone().into_inner();
                        let new = self.name(self.expect(&r, &mut names, Rule::name)?)?;
                        let old = self.name(self.expect(&r, &mut names, Rule::name)?)?;
                        Ok(Rename { new, old, span })
                    })
                    .collect::<Result<_>>()?,
            ),
            Rule::project_reorder_op => OperatorKind::ProjectReorder(
                inner
                    .map(|r| {
                        let span = span_of(&r);
                        let mut parts = r.clone().into_inner();
                        let column = self.pattern(self.expect(&r, &mut parts, Rule::name_pattern)?)?;
                        let order = parts.next().map(|o| self.sort_order(&o)).transpose()?;
                        Ok(ReorderItem { column, order, span })
                    })
                    .collect::<Result<_>>()?,
            ),
            Rule::take_op => OperatorKind::Take(self.expr(self.expect(&pair, &mut inner, Rule::expr)?)?),
            Rule::top_op => {
                let count = self.expr(self.expect(&pair, &mut inner, Rule::expr)?)?;
                self.expect(&pair, &mut inner, Rule::kw_by)?;
                let key = self.sort_key(self.expect(&pair, &mut inner, Rule::sort_key)?)?;
                OperatorKind::Top(Top { count, key, span })
            }
            Rule::sort_op => OperatorKind::Sort(
                inner.filter(|p| p.as_rule() == Rule::sort_key).map(|k| self.sort_key(k)).collect::<Result<_>>()?,
            ),
            Rule::count_op => OperatorKind::Count,
            Rule::getschema_op => OperatorKind::GetSchema,
            Rule::distinct_op => {
                let mut params = Vec::new();
                let mut columns = Vec::new();
                for p in inner {
                    match p.as_rule() {
                        Rule::hint_param => params.push(self.op_param(p)?),
                        Rule::star => {}
                        Rule::named_expr => columns.push(self.named_expr(p)?),
                        _ => return Err(self.internal(&p, "distinct")),
                    }
                }
                OperatorKind::Distinct(Distinct { params, columns, span })
            }
            Rule::join_op => OperatorKind::Join(self.join(pair)?),
            Rule::lookup_op => OperatorKind::Lookup(self.join(pair)?),
            Rule::union_op => OperatorKind::Union(self.union(pair)?),
            Rule::mv_expand_op => OperatorKind::MvExpand(self.mv_expand(pair)?),
            Rule::mv_apply_op => OperatorKind::MvApply(self.mv_apply(pair)?),
            Rule::partition_op => OperatorKind::Partition(self.partition(pair)?),
            Rule::scan_op => OperatorKind::Scan(Box::new(self.scan(pair)?)),
            Rule::make_graph_op => OperatorKind::MakeGraph(Box::new(self.make_graph(pair)?)),
            Rule::graph_match_op | Rule::graph_shortest_paths_op => {
                OperatorKind::GraphMatch(Box::new(self.graph_match(pair)?))
            }
            Rule::graph_to_table_op => OperatorKind::GraphToTable(self.graph_to_table(pair)?),
            Rule::graph_mark_components_op => OperatorKind::GraphMarkComponents(self.graph_mark_components(pair)?),
            Rule::evaluate_op => OperatorKind::Evaluate(self.evaluate(pair)?),
            Rule::invoke_op => {
                let function = self.name(self.expect(&pair, &mut inner, Rule::name)?)?;
                let call = self.expect(&pair, &mut inner, Rule::call_args)?;
                let args = call.into_inner().map(|a| self.arg(a)).collect::<Result<_>>()?;
                OperatorKind::Invoke(Invoke { function, args, span })
            }
            Rule::parse_op => OperatorKind::Parse(self.parse_op(pair)?),
            Rule::search_op => OperatorKind::Search(Box::new(self.search(pair)?)),
            Rule::sample_op => OperatorKind::Sample(
                self.expr(inner.find(|p| p.as_rule() == Rule::expr).ok_or_else(|| self.internal(&pair, "sample"))?)?,
            ),
            Rule::fork_op => {
                let mut legs = Vec::new();
                for leg in inner.filter(|p| p.as_rule() == Rule::fork_leg) {
                    let span = span_of(&leg);
                    let mut name = None;
                    let mut body = Vec::new();
                    for p in leg.into_inner() {
                        match p.as_rule() {
                            Rule::name => name = Some(self.name(p)?),
                            Rule::assign => {}
                            Rule::sub_pipeline => {
                                for op in p.into_inner().filter(|o| o.as_rule() != Rule::pipe) {
                                    body.push(self.operator(op)?);
                                }
                            }
                            _ => return Err(self.internal(&p, "fork")),
                        }
                    }
                    legs.push(ForkLeg { name, body, span });
                }
                OperatorKind::Fork(legs)
            }
            Rule::facet_op => {
                let mut columns = Vec::new();
                let mut with = None;
                for p in inner {
                    match p.as_rule() {
                        Rule::kw_facet | Rule::kw_by | Rule::kw_with => {}
                        Rule::name => columns.push(self.name(p)?),
                        Rule::sub_pipeline => {
                            let ops = p.into_inner().filter(|o| o.as_rule() != Rule::pipe).map(|o| self.operator(o));
                            with = Some(ops.collect::<Result<Vec<_>>>()?);
                        }
                        _ => return Err(self.internal(&p, "facet")),
                    }
                }
                OperatorKind::Facet { columns, with }
            }
            Rule::top_hitters_op => {
                let mut count = None;
                let mut of = None;
                let mut by = None;
                for p in inner {
                    match p.as_rule() {
                        Rule::kw_top_hitters | Rule::kw_of | Rule::kw_by => {}
                        Rule::expr if count.is_none() => count = Some(self.expr(p)?),
                        Rule::named_expr => of = Some(self.named_expr(p)?),
                        Rule::expr => by = Some(self.expr(p)?),
                        _ => return Err(self.internal(&p, "top-hitters")),
                    }
                }
                match (count, of) {
                    (Some(count), Some(of)) => OperatorKind::TopHitters { count, of, by },
                    _ => return Err(self.internal(&pair, "top-hitters")),
                }
            }
            Rule::sample_distinct_op => {
                let mut exprs = inner.filter(|p| p.as_rule() == Rule::expr);
                let count = self.expr(exprs.next().ok_or_else(|| self.internal(&pair, "sample-distinct"))?)?;
                let of = self.expr(exprs.next().ok_or_else(|| self.internal(&pair, "sample-distinct"))?)?;
                OperatorKind::SampleDistinct { count, of }
            }
            Rule::top_nested_op => {
                let mut clauses = Vec::new();
                for c in inner.filter(|p| p.as_rule() == Rule::tn_clause) {
                    let cspan = span_of(&c);
                    let (mut count, mut of, mut others, mut by, mut order) = (None, None, None, None, None);
                    let mut after_with = false;
                    for p in c.clone().into_inner() {
                        match p.as_rule() {
                            Rule::kw_of | Rule::kw_by | Rule::kw_others => {}
                            Rule::kw_with => after_with = true,
                            Rule::expr if of.is_none() => count = Some(self.expr(p)?),
                            Rule::expr if after_with => others = Some(self.expr(p)?),
                            Rule::named_expr => of = Some(self.named_expr(p)?),
                            Rule::tn_agg => by = Some(self.named_expr(self.next(&p, &mut p.clone().into_inner())?)?),
                            Rule::sort_order => order = Some(self.sort_order(&p)?),
                            _ => return Err(self.internal(&p, "top-nested")),
                        }
                    }
                    let of = of.ok_or_else(|| self.internal(&c, "top-nested"))?;
                    let by = by.ok_or_else(|| self.internal(&c, "top-nested"))?;
                    clauses.push(TopNestedClause { count, of, others, by, order, span: cspan });
                }
                OperatorKind::TopNested(clauses)
            }
            Rule::render_op => {
                let kind = self.name(self.expect(&pair, &mut inner, Rule::name)?)?;
                let mut properties = Vec::new();
                for p in inner.filter(|p| p.as_rule() == Rule::render_prop) {
                    let pspan = span_of(&p);
                    let mut parts = p.clone().into_inner();
                    let name = self.name(self.expect(&p, &mut parts, Rule::name)?)?;
                    let v = self.expect(&p, &mut parts, Rule::render_value)?;
                    let items: Vec<_> = v.clone().into_inner().collect();
                    let value = match items.first().map(Pair::as_rule) {
                        Some(Rule::name) => {
                            RenderValue::Names(items.into_iter().map(|n| self.name(n)).collect::<Result<_>>()?)
                        }
                        Some(_) => RenderValue::Literal(
                            self.literal(items.into_iter().next().ok_or_else(|| self.internal(&v, "a value"))?)?,
                        ),
                        None => return Err(self.internal(&v, "a render value")),
                    };
                    properties.push(RenderProperty { name, value, span: pspan });
                }
                OperatorKind::Render(Render { kind, properties, span })
            }
            Rule::make_series_op => {
                let mut m = MakeSeries {
                    params: Vec::new(),
                    aggregates: Vec::new(),
                    axis: crate::ast::Expr { kind: crate::ast::ExprKind::Star, span },
                    from: None,
                    to: None,
                    step: crate::ast::Expr { kind: crate::ast::ExprKind::Star, span },
                    by: Vec::new(),
                    range_syntax: false,
                    span,
                };
                let mut exprs = 0;
                for p in inner {
                    match p.as_rule() {
                        Rule::kw_on | Rule::kw_from | Rule::kw_to | Rule::kw_step => {}
                        Rule::join_param => m.params.push(self.op_param(p)?),
                        Rule::make_series_agg => {
                            let mut parts = p.clone().into_inner();
                            let aggregate = self.named_expr(self.expect(&p, &mut parts, Rule::named_expr)?)?;
                            let default =
                                parts.find(|x| x.as_rule() == Rule::expr).map(|e| self.expr(e)).transpose()?;
                            m.aggregates.push(SeriesAggregate { aggregate, default });
                        }
                        Rule::ms_from => m.from = Some(self.expr(self.next(&p, &mut p.clone().into_inner())?)?),
                        Rule::ms_to => m.to = Some(self.expr(self.next(&p, &mut p.clone().into_inner())?)?),
                        Rule::expr => {
                            if exprs == 0 {
                                m.axis = self.expr(p)?;
                            } else {
                                m.step = self.expr(p)?;
                            }
                            exprs += 1;
                        }
                        Rule::summarize_by => m.by = self.named_exprs(p.into_inner().skip(1))?,
                        Rule::ms_range => {
                            m.range_syntax = true;
                            for r in p.clone().into_inner() {
                                match r.as_rule() {
                                    Rule::ms_from => {
                                        m.from = Some(self.expr(self.next(&r, &mut r.clone().into_inner())?)?);
                                    }
                                    Rule::ms_to => m.to = Some(self.expr(self.next(&r, &mut r.clone().into_inner())?)?),
                                    Rule::expr => m.step = self.expr(r)?,
                                    _ => {}
                                }
                            }
                        }
                        _ => return Err(self.internal(&p, "make-series")),
                    }
                }
                OperatorKind::MakeSeries(Box::new(m))
            }
            Rule::parse_kv_op => {
                let mut source = None;
                let mut keys = Vec::new();
                let mut properties = Vec::new();
                for p in inner {
                    match p.as_rule() {
                        Rule::kw_as | Rule::kw_with => {}
                        Rule::expr => source = Some(self.expr(p)?),
                        Rule::parse_column => {
                            let mut c = p.clone().into_inner();
                            let name = self.name(self.expect(&p, &mut c, Rule::name)?)?;
                            let ty = c.next().map(|t| self.type_name(&t)).transpose()?;
                            keys.push(KvKey { name, ty });
                        }
                        Rule::external_prop => properties.push(self.op_param(p)?),
                        _ => return Err(self.internal(&p, "parse-kv")),
                    }
                }
                let source = source.ok_or_else(|| self.internal(&pair, "parse-kv"))?;
                OperatorKind::ParseKv(ParseKv { source, keys, properties, span })
            }
            Rule::as_op => {
                let mut params = Vec::new();
                let mut name = None;
                for p in inner {
                    match p.as_rule() {
                        Rule::hint_param => params.push(self.op_param(p)?),
                        Rule::name => name = Some(self.name(p)?),
                        _ => return Err(self.internal(&p, "as")),
                    }
                }
                let name = name.ok_or_else(|| self.internal(&pair, "as"))?;
                OperatorKind::As(As { params, name, span })
            }
            _ => return Err(self.internal(&pair, "a tabular operator")),
        };
        Ok(Operator { kind, span })
    }

    fn summarize(&self, pair: Pair<'_, Rule>) -> Result<Summarize> {
        let span = span_of(&pair);
        let mut params = Vec::new();
        let mut aggregates = Vec::new();
        let mut by = Vec::new();
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::kw_summarize => {}
                Rule::hint_param => params.push(self.op_param(p)?),
                Rule::aggregates => aggregates = self.named_exprs(p.into_inner())?,
                Rule::summarize_by => by = self.named_exprs(p.into_inner().skip(1))?,
                _ => return Err(self.internal(&p, "summarize")),
            }
        }
        Ok(Summarize { params, aggregates, by, span })
    }

    fn join(&self, pair: Pair<'_, Rule>) -> Result<Join> {
        let span = span_of(&pair);
        let mut params = Vec::new();
        let mut right = None;
        let mut on = Vec::new();
        for p in pair.clone().into_inner() {
            match p.as_rule() {
                Rule::kw_join | Rule::kw_lookup => {}
                Rule::join_param => params.push(self.op_param(p)?),
                Rule::expr => right = Some(self.expr(p)?),
                Rule::join_on => {
                    on = p
                        .into_inner()
                        .filter(|c| c.as_rule() == Rule::expr)
                        .map(|c| self.expr(c))
                        .collect::<Result<_>>()?;
                }
                _ => return Err(self.internal(&p, "join")),
            }
        }
        let right = right.ok_or_else(|| self.internal(&pair, "join"))?;
        Ok(Join { params, right, on, span })
    }

    fn search(&self, pair: Pair<'_, Rule>) -> Result<Search> {
        let span = span_of(&pair);
        let whole = pair.clone();
        let mut params = Vec::new();
        let mut tables = Vec::new();
        let mut predicate = None;
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::kw_search => {}
                Rule::search_param => params.push(self.op_param(p)?),
                Rule::search_in => {
                    for t in p.into_inner().filter(|t| t.as_rule() != Rule::kw_in) {
                        tables.push(self.union_table(t)?);
                    }
                }
                Rule::expr => predicate = Some(self.expr(p)?),
                _ => return Err(self.internal(&p, "search")),
            }
        }
        let predicate = predicate.ok_or_else(|| self.internal(&whole, "search"))?;
        Ok(Search { params, tables, predicate, span })
    }

    fn find(&self, pair: Pair<'_, Rule>) -> Result<Find> {
        let span = span_of(&pair);
        let whole = pair.clone();
        let mut params = Vec::new();
        let mut tables = Vec::new();
        let mut predicate = None;
        let mut project = None;
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::kw_find | Rule::kw_where | Rule::kw_project_smart => {}
                Rule::union_param => params.push(self.op_param(p)?),
                Rule::search_in => {
                    for t in p.into_inner().filter(|t| t.as_rule() != Rule::kw_in) {
                        tables.push(self.union_table(t)?);
                    }
                }
                Rule::expr => predicate = Some(self.expr(p)?),
                Rule::find_project => {
                    let mut cols = Vec::new();
                    for c in p.into_inner().filter(|c| c.as_rule() == Rule::find_column) {
                        let text = c.as_str();
                        let mut inner = c.clone().into_inner();
                        let name = self.name(self.expect(&c, &mut inner, Rule::name)?)?;
                        if text.trim_end().ends_with(')') && name.name == "pack_all" {
                            cols.push(FindColumn::PackAll);
                        } else {
                            let ty = inner.next().map(|t| self.type_name(&t)).transpose()?;
                            cols.push(FindColumn::Column { name, ty });
                        }
                    }
                    project = Some(cols);
                }
                _ => return Err(self.internal(&p, "find")),
            }
        }
        let predicate = predicate.ok_or_else(|| self.internal(&whole, "find"))?;
        Ok(Find { params, tables, predicate, project, span })
    }

    /// A table of `union`, `search in (...)` or `find in (...)`: an expression or a name pattern.
    fn union_table(&self, p: Pair<'_, Rule>) -> Result<UnionTable> {
        match p.as_rule() {
            Rule::table_pattern => {
                Ok(UnionTable::Pattern(NamePattern { pattern: p.as_str().to_owned(), span: span_of(&p) }))
            }
            Rule::expr => Ok(UnionTable::Expr(self.expr(p)?)),
            _ => Err(self.internal(&p, "a table")),
        }
    }

    fn union(&self, pair: Pair<'_, Rule>) -> Result<Union> {
        let span = span_of(&pair);
        let mut params = Vec::new();
        let mut tables = Vec::new();
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::kw_union => {}
                Rule::union_param => params.push(self.op_param(p)?),
                Rule::table_pattern | Rule::expr => tables.push(self.union_table(p)?),
                _ => return Err(self.internal(&p, "union")),
            }
        }
        Ok(Union { params, tables, span })
    }

    fn mv_expand(&self, pair: Pair<'_, Rule>) -> Result<MvExpand> {
        let span = span_of(&pair);
        let mut params = Vec::new();
        let mut items = Vec::new();
        let mut limit = None;
        let mut legacy = false;
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::kw_mv_expand => legacy = p.as_str() == "mvexpand",
                Rule::kw_limit => {}
                Rule::mv_expand_param => params.push(self.op_param(p)?),
                Rule::mv_expand_item => items.push(self.mv_expand_item(p)?),
                Rule::expr => limit = Some(self.expr(p)?),
                _ => return Err(self.internal(&p, "mv-expand")),
            }
        }
        Ok(MvExpand { params, items, limit, legacy, span })
    }

    fn mv_expand_item(&self, p: Pair<'_, Rule>) -> Result<MvExpandItem> {
        let item_span = span_of(&p);
        let mut column = None;
        let mut to_type = None;
        for c in p.clone().into_inner() {
            match c.as_rule() {
                Rule::named_expr => column = Some(self.named_expr(c)?),
                Rule::kw_to | Rule::kw_typeof => {}
                Rule::type_name => to_type = Some(self.type_name(&c)?),
                _ => return Err(self.internal(&c, "mv-expand")),
            }
        }
        let column = column.ok_or_else(|| self.internal(&p, "mv-expand"))?;
        Ok(MvExpandItem { column, to_type, span: item_span })
    }

    fn mv_apply(&self, pair: Pair<'_, Rule>) -> Result<MvApply> {
        let span = span_of(&pair);
        let mut params = Vec::new();
        let mut items = Vec::new();
        let mut limit = None;
        let mut body = Vec::new();
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::kw_mv_apply | Rule::kw_limit | Rule::kw_on => {}
                Rule::mv_expand_param => params.push(self.op_param(p)?),
                Rule::mv_expand_item => items.push(self.mv_expand_item(p)?),
                Rule::expr => limit = Some(self.expr(p)?),
                Rule::sub_pipeline => {
                    for op in p.into_inner().filter(|o| o.as_rule() != Rule::pipe) {
                        body.push(self.operator(op)?);
                    }
                }
                _ => return Err(self.internal(&p, "mv-apply")),
            }
        }
        Ok(MvApply { params, items, limit, body, span })
    }

    fn partition(&self, pair: Pair<'_, Rule>) -> Result<Partition> {
        let span = span_of(&pair);
        let mut params = Vec::new();
        let mut by = None;
        let mut body = None;
        for p in pair.clone().into_inner() {
            match p.as_rule() {
                Rule::kw_partition | Rule::kw_by => {}
                Rule::hint_param => params.push(self.op_param(p)?),
                Rule::name => by = Some(self.name(p)?),
                Rule::sub_pipeline => {
                    let ops = p.into_inner().filter(|o| o.as_rule() != Rule::pipe).map(|o| self.operator(o));
                    body = Some(PartitionBody::Operators(ops.collect::<Result<Vec<_>>>()?));
                }
                Rule::pipeline => body = Some(PartitionBody::Source(Box::new(self.pipeline(p)?))),
                _ => return Err(self.internal(&p, "partition")),
            }
        }
        match (by, body) {
            (Some(by), Some(body)) => Ok(Partition { params, by, body, span }),
            _ => Err(self.internal(&pair, "partition")),
        }
    }

    fn evaluate(&self, pair: Pair<'_, Rule>) -> Result<Evaluate> {
        let span = span_of(&pair);
        let mut params = Vec::new();
        let mut plugin = None;
        let mut args = Vec::new();
        let mut schema = None;
        for p in pair.clone().into_inner() {
            match p.as_rule() {
                Rule::kw_evaluate => {}
                Rule::hint_param => params.push(self.op_param(p)?),
                Rule::name => plugin = Some(self.name(p)?),
                Rule::call_args => {
                    for a in p.into_inner() {
                        args.push(self.arg(a)?);
                    }
                }
                Rule::output_schema => {
                    let mut s = OutputSchema { star: false, columns: Vec::new() };
                    for c in p.into_inner() {
                        match c.as_rule() {
                            Rule::star => s.star = true,
                            Rule::column_decl => s.columns.push(self.column_decl(c)?),
                            _ => return Err(self.internal(&c, "an output schema")),
                        }
                    }
                    schema = Some(s);
                }
                _ => return Err(self.internal(&p, "evaluate")),
            }
        }
        let plugin = plugin.ok_or_else(|| self.internal(&pair, "evaluate"))?;
        Ok(Evaluate { params, plugin, args, schema, span })
    }

    fn parse_op(&self, pair: Pair<'_, Rule>) -> Result<Parse> {
        let span = span_of(&pair);
        let mut params = Vec::new();
        let mut source = None;
        let mut pattern = Vec::new();
        let mut where_ = false;
        for p in pair.clone().into_inner() {
            match p.as_rule() {
                Rule::kw_parse | Rule::kw_with => {}
                Rule::kw_parse_where => where_ = true,
                Rule::parse_param => params.push(self.op_param(p)?),
                Rule::expr => source = Some(self.expr(p)?),
                Rule::star => pattern.push(ParsePart::Wildcard),
                Rule::string_lit => pattern.push(ParsePart::Literal(self.string_lit(&p)?)),
                Rule::parse_column => {
                    let mut c = p.clone().into_inner();
                    let name = self.name(self.expect(&p, &mut c, Rule::name)?)?;
                    let ty = c.next().map(|t| self.type_name(&t)).transpose()?;
                    pattern.push(ParsePart::Column { name, ty });
                }
                _ => return Err(self.internal(&p, "parse")),
            }
        }
        let source = source.ok_or_else(|| self.internal(&pair, "parse"))?;
        Ok(Parse { where_, params, source, pattern, span })
    }

    fn datatable(&self, pair: Pair<'_, Rule>) -> Result<Datatable> {
        let span = span_of(&pair);
        let mut columns = Vec::new();
        let mut values = Vec::new();
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::kw_datatable => {}
                Rule::column_decl => columns.push(self.column_decl(p)?),
                Rule::expr => values.push(self.expr(p)?),
                _ => return Err(self.internal(&p, "datatable")),
            }
        }
        Ok(Datatable { columns, values, span })
    }

    fn externaldata(&self, pair: Pair<'_, Rule>) -> Result<ExternalData> {
        let span = span_of(&pair);
        let mut columns = Vec::new();
        let mut uris = Vec::new();
        let mut properties = Vec::new();
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::kw_externaldata | Rule::kw_with => {}
                Rule::column_decl => columns.push(self.column_decl(p)?),
                Rule::string_lit => uris.push(ExternalUri { value: self.string_lit(&p)?, span: span_of(&p) }),
                Rule::external_prop => properties.push(self.op_param(p)?),
                _ => return Err(self.internal(&p, "externaldata")),
            }
        }
        Ok(ExternalData { columns, uris, properties, span })
    }

    fn range(&self, pair: Pair<'_, Rule>) -> Result<Range> {
        let span = span_of(&pair);
        let mut inner = pair.clone().into_inner();
        self.expect(&pair, &mut inner, Rule::kw_range)?;
        let column = self.name(self.expect(&pair, &mut inner, Rule::name)?)?;
        self.expect(&pair, &mut inner, Rule::kw_from)?;
        let from = self.expr(self.expect(&pair, &mut inner, Rule::expr)?)?;
        self.expect(&pair, &mut inner, Rule::kw_to)?;
        let to = self.expr(self.expect(&pair, &mut inner, Rule::expr)?)?;
        self.expect(&pair, &mut inner, Rule::kw_step)?;
        let step = self.expr(self.expect(&pair, &mut inner, Rule::expr)?)?;
        Ok(Range { column, from, to, step, span })
    }

    // ------------------------------------------------------------------ pieces

    fn op_param(&self, pair: Pair<'_, Rule>) -> Result<OpParam> {
        let span = span_of(&pair);
        let mut inner = pair.clone().into_inner();
        let name = self.next(&pair, &mut inner)?.as_str().to_owned();
        let v = self.expect(&pair, &mut inner, Rule::param_value)?;
        let vi = v.clone().into_inner().next().ok_or_else(|| self.internal(&v, "a parameter value"))?;
        let value = match vi.as_rule() {
            Rule::name => ParamValue::Name(self.name(vi)?.name),
            _ => ParamValue::Literal(self.literal(vi)?),
        };
        Ok(OpParam { name, value, span })
    }

    pub(crate) fn named_exprs<'p>(&self, pairs: impl Iterator<Item = Pair<'p, Rule>>) -> Result<Vec<NamedExpr>> {
        pairs.map(|p| self.named_expr(p)).collect()
    }

    pub(crate) fn named_expr(&self, pair: Pair<'_, Rule>) -> Result<NamedExpr> {
        if pair.as_rule() != Rule::named_expr {
            return Err(self.internal(&pair, "a named expression"));
        }
        let span = span_of(&pair);
        let mut names = Vec::new();
        let mut expr = None;
        for p in pair.clone().into_inner() {
            match p.as_rule() {
                Rule::name => names.push(self.name(p)?),
                Rule::expr => expr = Some(self.expr(p)?),
                _ => return Err(self.internal(&p, "a named expression")),
            }
        }
        let expr = expr.ok_or_else(|| self.internal(&pair, "a named expression"))?;
        Ok(NamedExpr { names, expr, span })
    }

    fn patterns<'p>(&self, pairs: impl Iterator<Item = Pair<'p, Rule>>) -> Result<Vec<NamePattern>> {
        pairs.map(|p| self.pattern(p)).collect()
    }

    fn pattern(&self, pair: Pair<'_, Rule>) -> Result<NamePattern> {
        let span = span_of(&pair);
        let inner = pair.clone().into_inner().next().ok_or_else(|| self.internal(&pair, "a column pattern"))?;
        let pattern = match inner.as_rule() {
            Rule::pattern_word => inner.as_str().to_owned(),
            Rule::quoted_name => {
                let part = inner.clone().into_inner().next().ok_or_else(|| self.internal(&inner, "a quoted name"))?;
                self.string_part(&part)?
            }
            _ => return Err(self.internal(&inner, "a column pattern")),
        };
        Ok(NamePattern { pattern, span })
    }

    fn sort_key(&self, pair: Pair<'_, Rule>) -> Result<SortKey> {
        let span = span_of(&pair);
        let mut expr = None;
        let mut order = None;
        let mut nulls = None;
        for p in pair.clone().into_inner() {
            match p.as_rule() {
                Rule::expr => expr = Some(self.expr(p)?),
                Rule::sort_order => order = Some(self.sort_order(&p)?),
                Rule::nulls_order => {
                    nulls = Some(if p.as_str().trim_end().ends_with("first") {
                        NullsOrder::First
                    } else {
                        NullsOrder::Last
                    })
                }
                _ => return Err(self.internal(&p, "a sort key")),
            }
        }
        let expr = expr.ok_or_else(|| self.internal(&pair, "a sort key"))?;
        Ok(SortKey { expr, order, nulls, span })
    }

    fn sort_order(&self, pair: &Pair<'_, Rule>) -> Result<SortOrder> {
        match pair.as_str() {
            "asc" => Ok(SortOrder::Asc),
            "desc" => Ok(SortOrder::Desc),
            _ => Err(self.internal(pair, "a sort order")),
        }
    }
}
