//! The KQL functions as portable descriptions: each UDF the planner builds carries state
//! compiled from its constant arguments (needles, regular expressions, registry entries,
//! conversion targets); [`encode_udf`] writes that state down and [`decode_udf`] builds the
//! same function again from it, so a plan shipped to another process runs exactly as planned.

use std::sync::Arc;

use datafusion::logical_expr::{AggregateUDF, ScalarUDF, WindowUDF};
use kql_parser::ast::{ListOp, StringOp};
use serde::{Deserialize, Serialize};

use crate::dynamic::Dyn;
use crate::error::{KqlError, Result};
use crate::functions::dynamic::aggregate::{Collect, CollectUdaf};
use crate::functions::dynamic::convert::{DynamicTo, Target};
use crate::functions::has::{HasUdf, MatchOp};
use crate::functions::ipv4_lookup::{Family, Ipv4LookupUdf};
use crate::functions::parse_kv::{KvOptions, ParseKvUdf};
use crate::functions::series_layout::{Axis, Layout, SeriesLayoutUdf};
use crate::functions::term::TermKind;
use crate::functions::{bytes, dynamic, extract, pair, parse, scalar, substring, tostring};
use crate::planner::session::{Restarting, Session};

/// A string test ([`MatchOp`]) as data.
#[derive(Debug, Serialize, Deserialize)]
struct Op {
    kind: TermKind,
    case_sensitive: bool,
    negated: bool,
    all: bool,
    name: String,
}

impl Op {
    fn of(op: MatchOp) -> Self {
        Self {
            kind: op.kind,
            case_sensitive: op.case_sensitive,
            negated: op.negated,
            all: op.all,
            name: op.name.into(),
        }
    }

    fn build(self) -> Result<MatchOp> {
        let name = StringOp::ALL
            .iter()
            .map(|o| o.token())
            .chain(
                [ListOp::In, ListOp::NotIn, ListOp::InCi, ListOp::NotInCi, ListOp::HasAny, ListOp::HasAll]
                    .iter()
                    .map(|o| o.token()),
            )
            .find(|t| *t == self.name)
            .ok_or_else(|| unknown(&format!("string test `{}`", self.name)))?;
        Ok(MatchOp { kind: self.kind, case_sensitive: self.case_sensitive, negated: self.negated, all: self.all, name })
    }
}

/// A scalar KQL function and the state it was planned with.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "f", rename_all = "snake_case")]
enum Scalar {
    /// A registry entry (`regex`: its compiled constant pattern).
    Registry {
        name: String,
        internal: bool,
        regex: Option<String>,
    },
    /// A registry entry over `dynamic` values.
    Rowwise {
        name: String,
    },
    Has {
        op: Op,
        needles: Vec<String>,
    },
    HasMember {
        op: Op,
        needles: Vec<String>,
        steps: usize,
    },
    Pair {
        op: Op,
    },
    Extract {
        regex: String,
        group: usize,
    },
    Parse {
        regex: String,
        groups: usize,
    },
    ParseKv {
        options: KvOptions,
        keys: Vec<String>,
    },
    IpLookup {
        family: Family,
        keys: Vec<String>,
        unmatched: Option<String>,
    },
    SeriesLayout {
        axis: Axis,
        values: Option<String>,
        arity: usize,
    },
    DynamicTo {
        target: Target,
        cast_only: bool,
    },
    Get {
        text: bool,
    },
    Items {
        bag_as_array: bool,
    },
    Index,
    ToDynamic,
    DynamicOf,
    DynamicOut,
    Bytes,
    Substring,
    ToString,
}

/// An aggregate KQL function.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "f", rename_all = "snake_case")]
enum Aggregate {
    Collect { kind: Collect, max: usize },
    BuildSchema,
}

/// A window KQL function.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "f", rename_all = "snake_case")]
enum Window {
    Session,
    Restarting { start: Option<i64>, real: bool },
}

fn unknown(what: &str) -> KqlError {
    KqlError::Internal(format!("a shipped plan names {what}, which this build of the KQL engine does not have"))
}

fn regex(pattern: &str) -> Result<regex::Regex> {
    regex::Regex::new(pattern)
        .map_err(|e| KqlError::Internal(format!("a shipped plan's regular expression does not compile: {e}")))
}

fn to_bytes<T: Serialize>(spec: &T) -> Result<Vec<u8>> {
    serde_json::to_vec(spec).map_err(|e| KqlError::Internal(format!("a KQL function cannot be written down: {e}")))
}

fn from_bytes<'a, T: Deserialize<'a>>(name: &str, bytes: &'a [u8]) -> Result<T> {
    serde_json::from_slice(bytes).map_err(|e| {
        KqlError::Internal(format!("the shipped description of the KQL function `{name}` is not valid: {e}"))
    })
}

fn def(name: &str, internal: bool) -> Result<&'static scalar::Def> {
    let found = if internal { scalar::lookup_internal(name) } else { scalar::lookup(name) };
    found.filter(|d| d.name == name).ok_or_else(|| unknown(&format!("the function `{name}`")))
}

/// The description of `udf` when it is one of the KQL functions (`None` for others, such as
/// DataFusion's own, which every process has under their names).
///
/// # Errors
/// When the description cannot be written (not expected).
pub fn encode_udf(udf: &ScalarUDF) -> Result<Option<Vec<u8>>> {
    let any = udf.inner();
    let spec = if let Some(f) = any.downcast_ref::<scalar::KqlScalar>() {
        Scalar::Registry {
            name: f.def.name.into(),
            internal: f.def.internal,
            regex: f.regex.as_ref().map(|r| r.as_str().into()),
        }
    } else if let Some(f) = any.downcast_ref::<dynamic::rowwise::RowFn>() {
        Scalar::Rowwise { name: f.def.name.into() }
    } else if let Some(f) = any.downcast_ref::<HasUdf>() {
        Scalar::Has { op: Op::of(f.op()), needles: f.needles().to_vec() }
    } else if let Some(f) = any.downcast_ref::<dynamic::access::GetTest>() {
        Scalar::HasMember { op: Op::of(f.test.op()), needles: f.test.needles().to_vec(), steps: f.steps }
    } else if let Some(f) = any.downcast_ref::<pair::PairMatchUdf>() {
        Scalar::Pair { op: Op::of(f.op) }
    } else if let Some(f) = any.downcast_ref::<extract::Extract>() {
        Scalar::Extract { regex: f.regex.as_str().into(), group: f.group }
    } else if let Some(f) = any.downcast_ref::<parse::ParseUdf>() {
        Scalar::Parse { regex: f.regex.as_str().into(), groups: f.groups }
    } else if let Some(f) = any.downcast_ref::<ParseKvUdf>() {
        Scalar::ParseKv { options: f.options.clone(), keys: f.keys.clone() }
    } else if let Some(f) = any.downcast_ref::<Ipv4LookupUdf>() {
        Scalar::IpLookup { family: f.family, keys: f.keys.as_ref().clone(), unmatched: f.unmatched.clone() }
    } else if let Some(f) = any.downcast_ref::<SeriesLayoutUdf>() {
        let values = match &f.layout {
            Layout::Values(default) => Some(default.to_json()),
            Layout::Axis => None,
        };
        let arity = match udf.signature().type_signature {
            datafusion::logical_expr::TypeSignature::Any(n) => n,
            _ => 1,
        };
        Scalar::SeriesLayout { axis: f.axis, values, arity }
    } else if let Some(f) = any.downcast_ref::<DynamicTo>() {
        Scalar::DynamicTo { target: f.target, cast_only: f.cast_only }
    } else if let Some(f) = any.downcast_ref::<dynamic::access::Get>() {
        Scalar::Get { text: f.text }
    } else if let Some(f) = any.downcast_ref::<dynamic::expand::MvItems>() {
        Scalar::Items { bag_as_array: f.bag_as_array }
    } else if any.is::<dynamic::expand::MvIndex>() {
        Scalar::Index
    } else if any.is::<dynamic::access::ToDynamic>() {
        Scalar::ToDynamic
    } else if any.is::<dynamic::DynamicOf>() {
        Scalar::DynamicOf
    } else if any.is::<dynamic::access::DynamicOut>() {
        Scalar::DynamicOut
    } else if any.is::<bytes::BytesText>() {
        Scalar::Bytes
    } else if any.is::<substring::Substring>() {
        Scalar::Substring
    } else if any.is::<tostring::ToString>() {
        Scalar::ToString
    } else {
        return Ok(None);
    };
    to_bytes(&spec).map(Some)
}

/// The KQL function `name` described by `bytes` (from [`encode_udf`]).
///
/// # Errors
/// When the description is not valid or names what this build does not have.
pub fn decode_udf(name: &str, bytes: &[u8]) -> Result<Arc<ScalarUDF>> {
    let udf = match from_bytes(name, bytes)? {
        Scalar::Registry { name, internal, regex: pattern } => {
            scalar::udf(def(&name, internal)?, pattern.as_deref().map(regex).transpose()?)
        }
        Scalar::Rowwise { name } => dynamic::rowwise::udf(
            dynamic::rowwise::lookup_any(&name).ok_or_else(|| unknown(&format!("the function `{name}`")))?,
        ),
        Scalar::Has { op, needles } => ScalarUDF::new_from_impl(HasUdf::new(op.build()?, needles)),
        Scalar::HasMember { op, needles, steps } => {
            dynamic::access::get_test_udf(HasUdf::new(op.build()?, needles), steps)
        }
        Scalar::Pair { op } => pair::PairMatchUdf::udf(op.build()?),
        Scalar::Extract { regex: pattern, group } => extract::udf(regex(&pattern)?, group),
        Scalar::Parse { regex: pattern, groups } => parse::ParseUdf::udf(regex(&pattern)?, groups),
        Scalar::ParseKv { options, keys } => {
            let compiled = match &options.mode {
                crate::functions::parse_kv::KvMode::Regex(r) => Some(regex(r)?),
                _ => None,
            };
            ParseKvUdf::udf(options, keys, compiled)
        }
        Scalar::IpLookup { family, keys, unmatched } => Ipv4LookupUdf::udf(family, keys, unmatched),
        Scalar::SeriesLayout { axis, values, arity } => {
            let layout = match values {
                Some(json) => Layout::Values(Dyn::parse(json.as_bytes())),
                None => Layout::Axis,
            };
            SeriesLayoutUdf::udf(axis, layout, arity)
        }
        Scalar::DynamicTo { target, cast_only } => dynamic::convert::udf(target, cast_only),
        Scalar::Get { text } => dynamic::access::get_udf(text),
        Scalar::Items { bag_as_array } => dynamic::expand::items_udf(bag_as_array),
        Scalar::Index => dynamic::expand::index_udf(),
        Scalar::ToDynamic => dynamic::access::to_dynamic_udf(),
        Scalar::DynamicOf => dynamic::value_of_udf(),
        Scalar::DynamicOut => dynamic::access::dynamic_out_udf(),
        Scalar::Bytes => bytes::udf(),
        Scalar::Substring => substring::udf(),
        Scalar::ToString => tostring::udf(),
    };
    if udf.name() != name {
        return Err(KqlError::Internal(format!(
            "the shipped description of `{name}` builds `{}`: the processes run different builds",
            udf.name()
        )));
    }
    Ok(Arc::new(udf))
}

/// The description of `udaf` when it is one of the KQL aggregates.
///
/// # Errors
/// When the description cannot be written (not expected).
pub fn encode_udaf(udaf: &AggregateUDF) -> Result<Option<Vec<u8>>> {
    let any = udaf.inner();
    let spec = if let Some(f) = any.downcast_ref::<CollectUdaf>() {
        Aggregate::Collect { kind: f.kind, max: f.max }
    } else if any.is::<dynamic::schema::BuildSchemaUdaf>() {
        Aggregate::BuildSchema
    } else {
        return Ok(None);
    };
    to_bytes(&spec).map(Some)
}

/// The KQL aggregate `name` described by `bytes` (from [`encode_udaf`]).
///
/// # Errors
/// When the description is not valid.
pub fn decode_udaf(name: &str, bytes: &[u8]) -> Result<Arc<AggregateUDF>> {
    Ok(Arc::new(match from_bytes(name, bytes)? {
        Aggregate::Collect { kind, max } => dynamic::aggregate::collect_udaf(kind, max),
        Aggregate::BuildSchema => dynamic::schema::buildschema_udaf(),
    }))
}

/// The description of `udwf` when it is one of the KQL window functions.
///
/// # Errors
/// When the description cannot be written (not expected).
pub fn encode_udwf(udwf: &WindowUDF) -> Result<Option<Vec<u8>>> {
    let any = udwf.inner();
    let spec = if any.is::<Session>() {
        Window::Session
    } else if let Some(f) = any.downcast_ref::<Restarting>() {
        Window::Restarting { start: f.start, real: f.real }
    } else {
        return Ok(None);
    };
    to_bytes(&spec).map(Some)
}

/// The KQL window function `name` described by `bytes` (from [`encode_udwf`]).
///
/// # Errors
/// When the description is not valid.
pub fn decode_udwf(name: &str, bytes: &[u8]) -> Result<Arc<WindowUDF>> {
    Ok(Arc::new(match from_bytes(name, bytes)? {
        Window::Session => crate::planner::session::session_udf(),
        Window::Restarting { start, real } => crate::planner::session::restarting_udf(start, real),
    }))
}
