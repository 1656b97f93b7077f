//! The codecs plans travel with: Ballista's own (its shuffle and cache nodes, file formats)
//! plus the KQL functions and tables (`kql_engine::portable`). What the KQL engine writes is
//! marked with [`MAGIC`], so each side knows which codec a description belongs to.

use std::sync::Arc;

use ballista_core::serde::{BallistaLogicalExtensionCodec, BallistaPhysicalExtensionCodec};
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::TableProvider;
use datafusion::common::config::TableOptions;
use datafusion::common::{DataFusionError, Result, TableReference};
use datafusion::datasource::file_format::FileFormatFactory;
use datafusion::execution::TaskContext;
use datafusion::logical_expr::{AggregateUDF, Extension, LogicalPlan, ScalarUDF, WindowUDF};
use datafusion::physical_plan::ExecutionPlan;
use datafusion_proto::logical_plan::LogicalExtensionCodec;
use datafusion_proto::physical_plan::{PhysicalExtensionCodec, PhysicalProtoConverterExtension};
use kql_engine::portable;

/// The first bytes of every description the KQL engine writes.
const MAGIC: &[u8] = b"kql1:";

fn ours(buf: &[u8]) -> Option<&[u8]> {
    buf.strip_prefix(MAGIC)
}

fn mark(bytes: Vec<u8>, buf: &mut Vec<u8>) {
    buf.extend_from_slice(MAGIC);
    buf.extend_from_slice(&bytes);
}

fn df(e: kql_engine::KqlError) -> DataFusionError {
    DataFusionError::External(Box::new(e))
}

/// The error for a plan node only this process can run.
fn not_shippable(what: &str) -> DataFusionError {
    DataFusionError::NotImplemented(format!(
        "the `{what}` operator does not run on a cluster yet: run this query locally (without --cluster)"
    ))
}

/// A KQL description (`Some`) marked into `buf`, or `inner` for what the KQL engine did not
/// make (shared by both codecs, for functions and plan nodes).
fn encode_or(
    described: kql_engine::Result<Option<Vec<u8>>>,
    buf: &mut Vec<u8>,
    inner: impl FnOnce(&mut Vec<u8>) -> Result<()>,
) -> Result<()> {
    match described.map_err(df)? {
        Some(bytes) => {
            mark(bytes, buf);
            Ok(())
        }
        None => inner(buf),
    }
}

/// What a marked description builds, or `inner` for descriptions of other codecs.
fn decode_or<T>(
    buf: &[u8],
    build: impl FnOnce(&[u8]) -> kql_engine::Result<T>,
    inner: impl FnOnce() -> Result<T>,
) -> Result<T> {
    match ours(buf) {
        Some(bytes) => build(bytes).map_err(df),
        None => inner(),
    }
}

/// Ballista's logical codec plus the KQL functions and tables.
#[derive(Debug, Default)]
pub struct KqlLogicalCodec {
    inner: BallistaLogicalExtensionCodec,
}

impl LogicalExtensionCodec for KqlLogicalCodec {
    fn try_decode(&self, buf: &[u8], inputs: &[LogicalPlan], ctx: &TaskContext) -> Result<Extension> {
        decode_or(
            buf,
            |b| portable::decode_node(b, inputs).map(|node| Extension { node }),
            || self.inner.try_decode(buf, inputs, ctx),
        )
    }

    fn try_encode(&self, node: &Extension, buf: &mut Vec<u8>) -> Result<()> {
        if let Some(name) = portable::extension_name(node.node.as_ref()) {
            return Err(not_shippable(name));
        }
        encode_or(Ok(portable::encode_node(node.node.as_ref())), buf, |buf| self.inner.try_encode(node, buf))
    }

    fn try_decode_table_provider(
        &self,
        buf: &[u8],
        table_ref: &TableReference,
        schema: SchemaRef,
        ctx: &TaskContext,
    ) -> Result<Arc<dyn TableProvider>> {
        let options = || TableOptions::default_from_session_config(ctx.session_config().options());
        decode_or(
            buf,
            |b| portable::decode_table(b, Arc::clone(&schema), &options().parquet),
            || self.inner.try_decode_table_provider(buf, table_ref, Arc::clone(&schema), ctx),
        )
    }

    fn try_encode_table_provider(
        &self,
        table_ref: &TableReference,
        node: Arc<dyn TableProvider>,
        buf: &mut Vec<u8>,
    ) -> Result<()> {
        let described = portable::encode_table(table_ref.table(), node.as_ref());
        encode_or(described, buf, |buf| {
            self.inner.try_encode_table_provider(table_ref, Arc::clone(&node), buf).map_err(|e| {
                DataFusionError::NotImplemented(format!(
                    "the table `{table_ref}` cannot be sent to the cluster (it is neither a lake table, an in-memory \
                     table nor a table Ballista ships): {e}"
                ))
            })
        })
    }

    fn try_decode_file_format(&self, buf: &[u8], ctx: &TaskContext) -> Result<Arc<dyn FileFormatFactory>> {
        self.inner.try_decode_file_format(buf, ctx)
    }

    fn try_encode_file_format(&self, buf: &mut Vec<u8>, node: Arc<dyn FileFormatFactory>) -> Result<()> {
        self.inner.try_encode_file_format(buf, node)
    }

    fn try_decode_udf(&self, name: &str, buf: &[u8]) -> Result<Arc<ScalarUDF>> {
        decode_or(buf, |b| portable::decode_udf(name, b), || self.inner.try_decode_udf(name, buf))
    }

    fn try_encode_udf(&self, node: &ScalarUDF, buf: &mut Vec<u8>) -> Result<()> {
        encode_or(portable::encode_udf(node), buf, |buf| self.inner.try_encode_udf(node, buf))
    }

    fn try_decode_udaf(&self, name: &str, buf: &[u8]) -> Result<Arc<AggregateUDF>> {
        decode_or(buf, |b| portable::decode_udaf(name, b), || self.inner.try_decode_udaf(name, buf))
    }

    fn try_encode_udaf(&self, node: &AggregateUDF, buf: &mut Vec<u8>) -> Result<()> {
        encode_or(portable::encode_udaf(node), buf, |buf| self.inner.try_encode_udaf(node, buf))
    }

    fn try_decode_udwf(&self, name: &str, buf: &[u8]) -> Result<Arc<WindowUDF>> {
        decode_or(buf, |b| portable::decode_udwf(name, b), || self.inner.try_decode_udwf(name, buf))
    }

    fn try_encode_udwf(&self, node: &WindowUDF, buf: &mut Vec<u8>) -> Result<()> {
        encode_or(portable::encode_udwf(node), buf, |buf| self.inner.try_encode_udwf(node, buf))
    }
}

/// Ballista's physical codec (shuffle readers and writers, ...) plus the KQL functions.
#[derive(Debug, Default)]
pub struct KqlPhysicalCodec {
    inner: BallistaPhysicalExtensionCodec,
}

impl PhysicalExtensionCodec for KqlPhysicalCodec {
    fn try_decode(
        &self,
        buf: &[u8],
        inputs: &[Arc<dyn ExecutionPlan>],
        ctx: &TaskContext,
        proto_converter: &dyn PhysicalProtoConverterExtension,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        decode_or(
            buf,
            |b| portable::decode_exec(b, inputs),
            || self.inner.try_decode(buf, inputs, ctx, proto_converter),
        )
    }

    fn try_encode(
        &self,
        node: Arc<dyn ExecutionPlan>,
        buf: &mut Vec<u8>,
        proto_converter: &dyn PhysicalProtoConverterExtension,
    ) -> Result<()> {
        if node.name() == "KqlScanExec" {
            return Err(not_shippable("scan"));
        }
        encode_or(Ok(portable::encode_exec(node.as_ref())), buf, |buf| {
            self.inner.try_encode(node, buf, proto_converter)
        })
    }

    fn try_decode_udf(&self, name: &str, buf: &[u8]) -> Result<Arc<ScalarUDF>> {
        decode_or(buf, |b| portable::decode_udf(name, b), || self.inner.try_decode_udf(name, buf))
    }

    fn try_encode_udf(&self, node: &ScalarUDF, buf: &mut Vec<u8>) -> Result<()> {
        encode_or(portable::encode_udf(node), buf, |buf| self.inner.try_encode_udf(node, buf))
    }

    fn try_decode_udaf(&self, name: &str, buf: &[u8]) -> Result<Arc<AggregateUDF>> {
        decode_or(buf, |b| portable::decode_udaf(name, b), || self.inner.try_decode_udaf(name, buf))
    }

    fn try_encode_udaf(&self, node: &AggregateUDF, buf: &mut Vec<u8>) -> Result<()> {
        encode_or(portable::encode_udaf(node), buf, |buf| self.inner.try_encode_udaf(node, buf))
    }

    fn try_decode_udwf(&self, name: &str, buf: &[u8]) -> Result<Arc<WindowUDF>> {
        decode_or(buf, |b| portable::decode_udwf(name, b), || self.inner.try_decode_udwf(name, buf))
    }

    fn try_encode_udwf(&self, node: &WindowUDF, buf: &mut Vec<u8>) -> Result<()> {
        encode_or(portable::encode_udwf(node), buf, |buf| self.inner.try_encode_udwf(node, buf))
    }
}
