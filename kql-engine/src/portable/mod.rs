//! Plans that travel to other processes (a Ballista scheduler and its executors): the KQL
//! functions and tables the planner builds, written down and built again.
//!
//! DataFusion ships a plan's built-in functions by name and lets an extension codec describe
//! the rest. Every KQL function carries state compiled from its constant arguments (the `has`
//! family's needles, regular expressions, conversion targets), so a name alone would lose it:
//! [`encode_udf`] writes the state down and [`decode_udf`] compiles the same function again.
//! Lake tables travel as their file lists ([`encode_table`]): every process must see the files
//! at the same paths. `scan` and `graph-mark-components` (plan nodes of their own) and
//! `externaldata` do not travel yet; [`extension_name`] names them for the error.

mod table;
mod udf;

use datafusion::logical_expr::UserDefinedLogicalNode;

pub use table::{decode_table, encode_table};
pub use udf::{decode_udaf, decode_udf, decode_udwf, encode_udaf, encode_udf, encode_udwf};

/// The KQL operator a plan node of the KQL engine stands for (`None` for other nodes).
pub fn extension_name(node: &dyn UserDefinedLogicalNode) -> Option<&'static str> {
    let any = node.as_any();
    if any.is::<crate::physical::ScanNode>() {
        Some("scan")
    } else if any.is::<crate::physical::ComponentsNode>() {
        Some("graph-mark-components")
    } else {
        None
    }
}
