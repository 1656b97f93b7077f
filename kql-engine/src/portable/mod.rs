//! Plans that travel to other processes (a Ballista scheduler and its executors): the KQL
//! functions and tables the planner builds, written down and built again.
//!
//! DataFusion ships a plan's built-in functions by name and lets an extension codec describe
//! the rest. Every KQL function carries state compiled from its constant arguments (the `has`
//! family's needles, regular expressions, conversion targets), so a name alone would lose it:
//! [`encode_udf`] writes the state down and [`decode_udf`] compiles the same function again.
//! Lake tables travel as their file lists ([`encode_table`]): every process must see the files
//! at the same paths. `graph-mark-components` travels as its one setting ([`encode_node`],
//! [`encode_exec`]); `scan` and `externaldata` do not travel yet ([`extension_name`] names
//! them for the error).

mod table;
mod udf;

use std::sync::Arc;

use datafusion::logical_expr::{LogicalPlan, UserDefinedLogicalNode};
use datafusion::physical_plan::ExecutionPlan;

use crate::error::{KqlError, Result};
use crate::physical::{ComponentsExec, ComponentsNode};

pub use table::{decode_table, encode_table};
pub use udf::{decode_udaf, decode_udf, decode_udwf, encode_udaf, encode_udf, encode_udwf};

/// The KQL operator a plan node of the KQL engine stands for (`None` for other nodes).
pub fn extension_name(node: &dyn UserDefinedLogicalNode) -> Option<&'static str> {
    let any = node.as_any();
    if any.is::<crate::physical::ScanNode>() { Some("scan") } else { None }
}

/// The tag of a `graph-mark-components` node of the given kind.
fn components_tag(strong: bool) -> Vec<u8> {
    if strong { b"components:strong".to_vec() } else { b"components:weak".to_vec() }
}

fn components_kind(bytes: &[u8]) -> Result<bool> {
    match bytes {
        b"components:strong" => Ok(true),
        b"components:weak" => Ok(false),
        _ => Err(KqlError::Internal("a shipped plan node of the KQL engine is not one this build knows".into())),
    }
}

fn one<T: Clone>(inputs: &[T]) -> Result<T> {
    match inputs {
        [input] => Ok(input.clone()),
        _ => Err(KqlError::Internal("a shipped KQL plan node needs exactly one input".into())),
    }
}

/// The description of a logical plan node of the KQL engine that travels (`None` for others).
pub fn encode_node(node: &dyn UserDefinedLogicalNode) -> Option<Vec<u8>> {
    node.as_any().downcast_ref::<ComponentsNode>().map(|c| components_tag(c.strong))
}

/// The logical plan node `bytes` describes (from [`encode_node`]), over `inputs`.
///
/// # Errors
/// When the description is not valid.
pub fn decode_node(bytes: &[u8], inputs: &[LogicalPlan]) -> Result<Arc<dyn UserDefinedLogicalNode>> {
    Ok(Arc::new(ComponentsNode::try_new(one(inputs)?, components_kind(bytes)?)?))
}

/// The description of an execution plan node of the KQL engine that travels.
pub fn encode_exec(plan: &dyn ExecutionPlan) -> Option<Vec<u8>> {
    plan.downcast_ref::<ComponentsExec>().map(|c| components_tag(c.strong))
}

/// The execution plan node `bytes` describes (from [`encode_exec`]), over `inputs`.
///
/// # Errors
/// When the description is not valid.
pub fn decode_exec(bytes: &[u8], inputs: &[Arc<dyn ExecutionPlan>]) -> Result<Arc<dyn ExecutionPlan>> {
    Ok(Arc::new(ComponentsExec::new(one(inputs)?, components_kind(bytes)?)))
}
