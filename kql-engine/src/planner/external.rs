//! `externaldata (col:type, ...) [uri, ...] with (format=..., ignoreFirstRecord=...)`: the
//! properties are checked, every source's access is decided (a located error for a source the
//! embedder did not allow), and the table's text cells are converted to the declared types
//! with the same rules as `tolong()`, `todatetime()`, `parse_json()`, ...

use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::common::DFSchema;
use datafusion::datasource::provider_as_source;
use datafusion::functions::core::expr_fn as core_fn;
use datafusion::logical_expr::{LogicalPlan, LogicalPlanBuilder, col, lit};
use kql_parser::ast::{Arg, Expr, ExprKind, ExternalData, Ident, Literal, OpParam, ParamValue, ScalarType};

use super::expr::ExprCtx;
use super::tabular::df;
use super::types::arrow_type;
use super::{KqlContextProvider, KqlToRel, Scope};
use crate::error::{KqlError, Result};
use crate::externaldata::{ExternalDataTable, Format, Location};

impl<P: KqlContextProvider> KqlToRel<'_, P> {
    pub(super) fn externaldata(&self, e: &ExternalData, scope: &Scope) -> Result<LogicalPlan> {
        let mut format = None;
        let mut ignore_first = false;
        let mut ignore_last = false;
        let mut mapping_text = None;
        for p in &e.properties {
            match p.name.to_ascii_lowercase().as_str() {
                "format" => {
                    let name = param_text(p).ok_or_else(|| KqlError::plan(p.span, "`format` takes a format name"))?;
                    format = Some(Format::from_name(&name).map_err(|m| {
                        if m.contains("not supported yet") {
                            KqlError::not_supported(p.span, format!("the externaldata format `{name}`"))
                        } else {
                            KqlError::plan(p.span, m)
                        }
                    })?);
                }
                "ignorefirstrecord" => ignore_first = param_bool(p)?,
                // Not in Kusto's documentation, but accepted by it and used by public hunts to
                // drop a feed's trailer record.
                "ignorelastrecord" => ignore_last = param_bool(p)?,
                // `csvMapping` and `jsonMapping` are the older names of an inline mapping.
                "ingestionmapping" | "csvmapping" | "jsonmapping" => {
                    let text = param_text(p).ok_or_else(|| {
                        KqlError::plan(p.span, format!("`{}` takes the mapping as JSON text", p.name))
                    })?;
                    mapping_text = Some((text, p.span));
                }
                "ingestionmappingreference" => {
                    return Err(KqlError::plan(
                        p.span,
                        "`ingestionMappingReference` names a mapping stored in a Kusto database; give the mapping \
                         itself with `ingestionMapping`",
                    ));
                }
                "avromapping" => {
                    return Err(KqlError::not_supported(
                        p.span,
                        "the externaldata property `avroMapping` (Avro sources)",
                    ));
                }
                _ => {
                    return Err(KqlError::plan(
                        p.span,
                        format!(
                            "unknown externaldata property `{}`; properties: format, ignoreFirstRecord, ignoreLastRecord, \
                             ingestionMapping",
                            p.name
                        ),
                    ));
                }
            }
        }
        let mut seen = std::collections::HashSet::new();
        for c in &e.columns {
            if !seen.insert(c.name.name.as_str()) {
                return Err(KqlError::plan(c.span, format!("the column `{}` is declared twice", c.name.name)));
            }
        }
        let policy = &self.options.externaldata;
        let sources = e
            .uris
            .iter()
            .map(|u| policy.resolve(&u.value).map_err(|m| KqlError::plan(u.span, m)))
            .collect::<Result<Vec<Location>>>()?;
        let formats: Vec<Format> =
            sources.iter().map(|s| format.unwrap_or_else(|| Format::from_file_name(&s.name()))).collect();
        let parquet = formats.iter().any(|f| !f.is_text());
        if parquet && formats.iter().any(|f| f.is_text()) {
            return Err(KqlError::plan(
                e.span,
                "these sources mix Parquet and text files; give one `format=` or read them in two externaldata",
            ));
        }
        let mapping = match mapping_text {
            None => None,
            Some((text, span)) => {
                // JSON and Parquet records are mapped by Path (Parquet: top-level columns).
                let by_path = formats.iter().any(|f| f.is_json() || !f.is_text());
                if by_path && formats.iter().any(|f| f.is_text() && !f.is_json()) {
                    return Err(KqlError::plan(
                        span,
                        "these sources mix JSON and delimited text, which take different mappings; give one `format=`",
                    ));
                }
                let names: Vec<&str> = e.columns.iter().map(|c| c.name.name.as_str()).collect();
                let mapping =
                    crate::externaldata::mapping::parse(&text, &names, by_path).map_err(|m| KqlError::plan(span, m))?;
                if parquet {
                    crate::externaldata::mapping::check_parquet(&mapping, &names)
                        .map_err(|what| KqlError::not_supported(span, what))?;
                }
                Some(mapping)
            }
        };
        let text_typed = |t: ScalarType| matches!(t, ScalarType::String | ScalarType::Guid | ScalarType::Dynamic);
        let fields: Vec<Field> = e
            .columns
            .iter()
            .map(|c| {
                let t = if !parquet || text_typed(c.ty) { DataType::Utf8 } else { arrow_type(c.ty) };
                Field::new(&c.name.name, t, true)
            })
            .collect();
        let schema = Arc::new(Schema::new(fields));
        let json: Vec<bool> = e.columns.iter().map(|c| c.ty == ScalarType::Dynamic).collect();
        let table = ExternalDataTable::new(
            Arc::clone(&schema),
            sources,
            format,
            (ignore_first, ignore_last),
            json,
            mapping,
            policy,
        );
        let scan = LogicalPlanBuilder::scan("externaldata", provider_as_source(Arc::new(table)), None)
            .and_then(LogicalPlanBuilder::build)
            .map_err(df)?;

        // Text cells become the declared types by KQL's own conversions.
        let dfschema: DFSchema = scan.schema().as_ref().clone();
        let ctx = ExprCtx { schema: &dfschema, scope, depth: 0, filter: false };
        let mut exprs = Vec::with_capacity(e.columns.len());
        for (c, f) in e.columns.iter().zip(schema.fields()) {
            let column = col(datafusion::common::Column::new(Some("externaldata"), f.name()));
            let converted = match (c.ty, f.data_type()) {
                (ScalarType::String, _) => core_fn::coalesce(vec![column, lit("")]),
                (_, DataType::Utf8) => match conversion(c.ty) {
                    Some(function) => self.expr(&converted_call(function, &c.name), &ctx)?,
                    None => column,
                },
                _ => column,
            };
            exprs.push(converted.alias(&c.name.name));
        }
        LogicalPlanBuilder::from(scan).project(exprs).and_then(LogicalPlanBuilder::build).map_err(df)
    }
}

/// The conversion of text to `ty` (`None` for a string).
pub(super) fn conversion(ty: ScalarType) -> Option<&'static str> {
    Some(match ty {
        ScalarType::String => return None,
        ScalarType::Bool => "tobool",
        ScalarType::Int => "toint",
        ScalarType::Long => "tolong",
        ScalarType::Real => "toreal",
        ScalarType::Decimal => "todecimal",
        ScalarType::DateTime => "todatetime",
        ScalarType::TimeSpan => "totimespan",
        ScalarType::Guid => "toguid",
        ScalarType::Dynamic => "parse_json",
    })
}

/// `function(column)` as the parser would have read it, placed on the column's name.
pub(super) fn converted_call(function: &str, column: &Ident) -> Expr {
    let span = column.span;
    let value = Expr { kind: ExprKind::Name(column.name.clone()), span };
    let args = vec![Arg { name: None, value, span }];
    Expr { kind: ExprKind::Call { name: Ident { name: function.to_owned(), span }, args }, span }
}

fn param_text(p: &OpParam) -> Option<String> {
    match &p.value {
        ParamValue::Name(n) => Some(n.clone()),
        ParamValue::Literal(Literal::String(s)) => Some(s.clone()),
        ParamValue::Literal(_) => None,
    }
}

/// `true`, `True`, `"true"` (Kusto reads the property's text case-insensitively).
fn param_bool(p: &OpParam) -> Result<bool> {
    let text = match &p.value {
        ParamValue::Literal(Literal::Bool(b)) => return Ok(*b),
        ParamValue::Name(n) => n.clone(),
        ParamValue::Literal(Literal::String(s)) => s.clone(),
        ParamValue::Literal(_) => String::new(),
    };
    match text.to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(KqlError::plan(p.span, format!("`{}` takes true or false", p.name))),
    }
}
