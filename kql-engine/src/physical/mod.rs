//! KQL operators DataFusion has no node for (`scan`, graph components), as logical extension
//! nodes with their own execution plans, and the query planner that turns them into execution plans.
//!
//! Every [`crate::KqlContext`] plans with [`KqlQueryPlanner`]; a DataFusion session used
//! through [`crate::SessionContextExt`] gets it added ([`with_kql_planner`]).

mod components;
mod scan_exec;
mod scan_machine;
mod scan_node;

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::catalog::Session;
use datafusion::common::Result as DfResult;
use datafusion::execution::SessionStateBuilder;
use datafusion::execution::context::QueryPlanner;
use datafusion::logical_expr::physical_planning_context::PhysicalPlanningContext;
use datafusion::logical_expr::{LogicalPlan, UserDefinedLogicalNode};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_planner::{DefaultPhysicalPlanner, ExtensionPlanner, PhysicalPlanner};
use datafusion::prelude::SessionContext;

pub(crate) use components::{COMPONENT, ComponentsExec, ComponentsNode, KEY as COMPONENT_KEY};
pub(crate) use scan_exec::ScanExec;
pub(crate) use scan_node::{ScanNode, ScanSpec, ScanStepSpec, StateRef, eval_schema};

/// DataFusion's physical planner plus the KQL nodes (`scan`).
#[derive(Debug, Default)]
pub struct KqlQueryPlanner;

#[async_trait]
impl QueryPlanner for KqlQueryPlanner {
    async fn create_physical_plan(
        &self,
        logical_plan: &LogicalPlan,
        session: &dyn Session,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        DefaultPhysicalPlanner::with_extension_planners(vec![Arc::new(KqlExtensionPlanner)])
            .create_physical_plan(logical_plan, session)
            .await
    }
}

/// Plans the KQL extension nodes.
#[derive(Debug)]
struct KqlExtensionPlanner;

#[async_trait]
impl ExtensionPlanner for KqlExtensionPlanner {
    async fn plan_extension(
        &self,
        _planner: &dyn PhysicalPlanner,
        node: &dyn UserDefinedLogicalNode,
        _logical_inputs: &[&LogicalPlan],
        physical_inputs: &[Arc<dyn ExecutionPlan>],
        session: &dyn Session,
        _planning_ctx: &PhysicalPlanningContext,
    ) -> DfResult<Option<Arc<dyn ExecutionPlan>>> {
        let input = || match physical_inputs {
            [input] => Ok(Arc::clone(input)),
            _ => Err(datafusion::common::internal_datafusion_err!("a KQL node has one input")),
        };
        if let Some(scan) = node.as_any().downcast_ref::<ScanNode>() {
            return Ok(Some(Arc::new(ScanExec::try_new(input()?, scan, session)?)));
        }
        if let Some(c) = node.as_any().downcast_ref::<ComponentsNode>() {
            return Ok(Some(Arc::new(ComponentsExec::new(input()?, c.strong))));
        }
        Ok(None)
    }
}

/// `session` with [`KqlQueryPlanner`] (its tables, functions and settings are shared).
pub fn with_kql_planner(session: &SessionContext) -> SessionContext {
    let existing = session.state();
    let balanced = existing.physical_optimizers().iter().any(|r| r.name() == crate::lake::BALANCE_RULE);
    let cache = existing.runtime_env().cache_manager.get_file_metadata_cache();
    let mut builder = SessionStateBuilder::new_from_existing(existing).with_query_planner(Arc::new(KqlQueryPlanner));
    if !balanced {
        builder = builder.with_physical_optimizer_rule(Arc::new(crate::lake::BalanceRowGroups::new(cache)));
    }
    let state = builder.build();
    SessionContext::new_with_state(state)
}
