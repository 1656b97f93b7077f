//! Connected components for `graph-mark-components`: a logical node over pairs of node keys
//! (an edge's ends, or a node with itself) whose execution gives each node key its component:
//! weak components (edges taken both ways) by union-find, strong ones by Tarjan's algorithm.
//! Components are numbered from 0 in the order of their smallest node key.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray, Int64Array, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::common::{DFSchema, DFSchemaRef, Result as DfResult};
use datafusion::execution::TaskContext;
use datafusion::logical_expr::{Expr, LogicalPlan, UserDefinedLogicalNodeCore};
use datafusion::physical_expr::{EquivalenceProperties, PhysicalExpr};
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType, ReplaceChildrenOptions};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, Distribution, ExecutionPlan, Partitioning, PlanProperties, SendableRecordBatchStream,
};
use futures::TryStreamExt as _;

/// The output columns: the node key and its component.
pub(crate) const KEY: &str = "__kql_component_node";
pub(crate) const COMPONENT: &str = "__kql_component";

fn output_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![Field::new(KEY, DataType::Utf8, false), Field::new(COMPONENT, DataType::Int64, false)]))
}

/// Pairs of node keys (two string columns) in, each node key's component out.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct ComponentsNode {
    pub(crate) input: LogicalPlan,
    pub(crate) strong: bool,
    schema: DFSchemaRef,
}

impl PartialOrd for ComponentsNode {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        (self == other).then_some(std::cmp::Ordering::Equal)
    }
}

impl ComponentsNode {
    pub(crate) fn try_new(input: LogicalPlan, strong: bool) -> DfResult<Self> {
        if input.schema().fields().len() != 2 {
            return Err(datafusion::common::internal_datafusion_err!("components take pairs of node keys"));
        }
        let schema = Arc::new(DFSchema::try_from(output_schema().as_ref().clone())?);
        Ok(Self { input, strong, schema })
    }
}

impl UserDefinedLogicalNodeCore for ComponentsNode {
    fn name(&self) -> &str {
        "KqlGraphComponents"
    }
    fn inputs(&self) -> Vec<&LogicalPlan> {
        vec![&self.input]
    }
    fn schema(&self) -> &DFSchemaRef {
        &self.schema
    }
    fn expressions(&self) -> Vec<Expr> {
        Vec::new()
    }
    fn fmt_for_explain(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KqlGraphComponents: kind={}", if self.strong { "strong" } else { "weak" })
    }
    fn with_exprs_and_inputs(&self, _exprs: Vec<Expr>, mut inputs: Vec<LogicalPlan>) -> DfResult<Self> {
        let input = inputs.pop().ok_or_else(|| datafusion::common::internal_datafusion_err!("one input"))?;
        Self::try_new(input, self.strong)
    }
    fn necessary_children_exprs(&self, _output_columns: &[usize]) -> Option<Vec<Vec<usize>>> {
        Some(vec![vec![0, 1]])
    }
}

/// The execution of [`ComponentsNode`]: reads every pair, then gives one batch.
#[derive(Debug)]
pub(crate) struct ComponentsExec {
    input: Arc<dyn ExecutionPlan>,
    pub(crate) strong: bool,
    properties: Arc<PlanProperties>,
}

impl ComponentsExec {
    pub(crate) fn new(input: Arc<dyn ExecutionPlan>, strong: bool) -> Self {
        let properties = Arc::new(PlanProperties::new(
            EquivalenceProperties::new(output_schema()),
            Partitioning::UnknownPartitioning(1),
            EmissionType::Final,
            Boundedness::Bounded,
        ));
        Self { input, strong, properties }
    }
}

impl DisplayAs for ComponentsExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KqlGraphComponentsExec: kind={}", if self.strong { "strong" } else { "weak" })
    }
}

impl ExecutionPlan for ComponentsExec {
    fn name(&self) -> &str {
        "KqlGraphComponentsExec"
    }
    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }
    fn required_input_distribution(&self) -> Vec<Distribution> {
        vec![Distribution::SinglePartition]
    }
    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.input]
    }
    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> DfResult<TreeNodeRecursion>,
    ) -> DfResult<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }
    fn replace_children(
        self: Arc<Self>,
        mut children: Vec<Arc<dyn ExecutionPlan>>,
        _options: ReplaceChildrenOptions,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        let input = children.pop().ok_or_else(|| datafusion::common::internal_datafusion_err!("one input"))?;
        Ok(Arc::new(Self::new(input, self.strong)))
    }
    fn with_new_children(self: Arc<Self>, children: Vec<Arc<dyn ExecutionPlan>>) -> DfResult<Arc<dyn ExecutionPlan>> {
        self.replace_children(
            children,
            ReplaceChildrenOptions::new(datafusion::physical_plan::execution_plan::ChildrenPropertiesMode::Recompute),
        )
    }
    fn execute(&self, partition: usize, context: Arc<TaskContext>) -> DfResult<SendableRecordBatchStream> {
        if partition != 0 {
            return Err(datafusion::common::internal_datafusion_err!("one partition, not {partition}"));
        }
        let input = self.input.execute(0, context)?;
        let strong = self.strong;
        let stream = futures::stream::once(async move {
            let batches: Vec<RecordBatch> = input.try_collect().await?;
            components(&batches, strong)
        });
        Ok(Box::pin(RecordBatchStreamAdapter::new(output_schema(), stream)))
    }
}

/// Each node key's component.
fn components(batches: &[RecordBatch], strong: bool) -> DfResult<RecordBatch> {
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut names: Vec<String> = Vec::new();
    let mut edges: Vec<(usize, usize)> = Vec::new();
    let id = |s: &str, index: &mut HashMap<String, usize>, names: &mut Vec<String>| -> usize {
        if let Some(i) = index.get(s) {
            return *i;
        }
        names.push(s.to_owned());
        index.insert(s.to_owned(), names.len() - 1);
        names.len() - 1
    };
    for b in batches {
        let cast = |i: usize| datafusion::arrow::compute::cast(b.column(i), &DataType::Utf8);
        let (a, z) = (cast(0)?, cast(1)?);
        let (a, z) = (a.as_string::<i32>(), z.as_string::<i32>());
        for r in 0..b.num_rows() {
            if a.is_null(r) || z.is_null(r) {
                continue;
            }
            let x = id(a.value(r), &mut index, &mut names);
            let y = id(z.value(r), &mut index, &mut names);
            edges.push((x, y));
        }
    }
    let n = names.len();
    let labels = if strong { strong_components(n, &edges) } else { weak_components(n, &edges) };
    // Number components by their smallest key.
    let mut smallest: HashMap<usize, usize> = HashMap::new();
    for (node, &label) in labels.iter().enumerate() {
        let e = smallest.entry(label).or_insert(node);
        if names[node] < names[*e] {
            *e = node;
        }
    }
    let mut order: Vec<(usize, usize)> = smallest.into_iter().collect();
    order.sort_by(|x, y| names[x.1].cmp(&names[y.1]));
    let number: HashMap<usize, i64> = order.iter().enumerate().map(|(k, (label, _))| (*label, k as i64)).collect();
    let keys = StringArray::from_iter_values(names.iter());
    let ids = Int64Array::from_iter_values(labels.iter().map(|l| number.get(l).copied().unwrap_or_default()));
    Ok(RecordBatch::try_new(output_schema(), vec![Arc::new(keys), Arc::new(ids)])?)
}

/// Union-find over edges taken both ways: each node's root.
fn weak_components(n: usize, edges: &[(usize, usize)]) -> Vec<usize> {
    fn find(parent: &mut [usize], mut x: usize) -> usize {
        while parent[x] != x {
            parent[x] = parent[parent[x]];
            x = parent[x];
        }
        x
    }
    let mut parent: Vec<usize> = (0..n).collect();
    for &(a, b) in edges {
        let (ra, rb) = (find(&mut parent, a), find(&mut parent, b));
        if ra != rb {
            parent[ra.max(rb)] = ra.min(rb);
        }
    }
    (0..n).map(|x| find(&mut parent, x)).collect()
}

/// Tarjan's strongly connected components (iterative): each node's component label.
fn strong_components(n: usize, edges: &[(usize, usize)]) -> Vec<usize> {
    let mut adjacency: Vec<Vec<usize>> = vec![Vec::new(); n];
    for &(a, b) in edges {
        if a != b {
            adjacency[a].push(b);
        }
    }
    const UNSEEN: usize = usize::MAX;
    let mut order = vec![UNSEEN; n];
    let mut low = vec![0; n];
    let mut on_stack = vec![false; n];
    let mut stack = Vec::new();
    let mut label = vec![UNSEEN; n];
    let mut counter = 0;
    for root in 0..n {
        if order[root] != UNSEEN {
            continue;
        }
        // (node, next neighbour to visit)
        let mut work = vec![(root, 0usize)];
        order[root] = counter;
        low[root] = counter;
        counter += 1;
        stack.push(root);
        on_stack[root] = true;
        while let Some(&mut (v, ref mut next)) = work.last_mut() {
            if let Some(&w) = adjacency[v].get(*next) {
                *next += 1;
                if order[w] == UNSEEN {
                    order[w] = counter;
                    low[w] = counter;
                    counter += 1;
                    stack.push(w);
                    on_stack[w] = true;
                    work.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(order[w]);
                }
                continue;
            }
            work.pop();
            if let Some(&(parent, _)) = work.last() {
                low[parent] = low[parent].min(low[v]);
            }
            if low[v] == order[v] {
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    label[w] = v;
                    if w == v {
                        break;
                    }
                }
            }
        }
    }
    label
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weak_joins_both_directions() {
        let labels = weak_components(5, &[(0, 1), (2, 1), (3, 4)]);
        assert_eq!(labels[0], labels[2]);
        assert_ne!(labels[0], labels[3]);
        assert_eq!(labels[3], labels[4]);
    }

    #[test]
    fn strong_needs_a_cycle() {
        // 0 -> 1 -> 2 -> 0, 2 -> 3
        let labels = strong_components(4, &[(0, 1), (1, 2), (2, 0), (2, 3)]);
        assert_eq!(labels[0], labels[1]);
        assert_eq!(labels[1], labels[2]);
        assert_ne!(labels[2], labels[3]);
    }
}
