//! The management commands Kusto clients send when they connect, answered from the lake (one
//! database): `.show version`, `.show cluster`, `.show databases`, `.show tables`,
//! `.show functions`, `.show database [DB] schema [as json]`, `.show databases schema
//! [as json]`, `.show schema [as json]`, `.show table T schema as json` and
//! `.show table T cslschema`. Each answers exactly one v1 table. Any other command is a 400 that
//! names the commands this server knows; nothing changes the lake.

use axum::response::Response;
use kql_engine::KqlContext;
use kql_engine::planner::KqlType;
use serde_json::{Map, Value, json};

use crate::error::ApiError;
use crate::v1::{Table, answer};
use crate::{Admitted, ServerConfig};

/// The commands, as `kql serve` documents them.
pub const COMMANDS: &[&str] = &[
    ".show version",
    ".show cluster",
    ".show databases",
    ".show tables",
    ".show functions",
    ".show database [DB] schema [as json]",
    ".show databases schema [as json]",
    ".show schema [as json]",
    ".show table T schema as json",
    ".show table T cslschema",
];

/// A table's columns (name, KQL type), or why they could not be read.
type Columns = Result<Vec<(String, KqlType)>, String>;

async fn columns(ctx: &KqlContext, table: &str) -> Columns {
    ctx.table_columns(table).await.map(|cs| cs.into_iter().map(|(n, t, _)| (n, t)).collect()).map_err(|e| e.to_string())
}

/// A command's one answer table (`Table_0`).
fn text_table(columns: &[(&str, KqlType)], rows: Vec<Value>) -> Table {
    Table { name: "Table_0".to_owned(), columns: columns.iter().map(|(n, k)| ((*n).to_owned(), *k)).collect(), rows }
}

/// A name as a command writes it: bare, `['name']` or `["name"]`.
fn unquote(s: &str) -> &str {
    let s = s.trim();
    for (open, close) in [("['", "']"), ("[\"", "\"]"), ("[", "]")] {
        if let Some(inner) = s.strip_prefix(open).and_then(|r| r.strip_suffix(close)) {
            return inner;
        }
    }
    s
}

fn schema_json(db: &str, tables: &[(String, Columns)]) -> Value {
    let mut map = Map::new();
    for (name, cols) in tables {
        let ordered: Vec<Value> = cols
            .as_ref()
            .map(|cs| {
                cs.iter()
                    .map(|(n, t)| json!({"Name": n, "Type": t.clr_name(), "CslType": crate::values::wire(*t).name()}))
                    .collect()
            })
            .unwrap_or_default();
        let doc = cols.as_ref().err().map(|e| format!("UNREADABLE: {e}")).unwrap_or_default();
        map.insert(
            name.clone(),
            json!({"Name": name, "EntityType": "Table", "OrderedColumns": ordered, "Folder": "", "DocString": doc}),
        );
    }
    json!({
        "Plugins": [],
        "Databases": {
            db: {
                "Name": db,
                "Tables": map,
                "ExternalTables": {},
                "MaterializedViews": {},
                "EntityGroups": {},
                "MajorVersion": 1,
                "MinorVersion": 0,
                "Functions": {},
                "DatabaseAccessMode": "ReadOnly",
            }
        }
    })
}

async fn all_columns(ctx: &KqlContext) -> Vec<(String, Columns)> {
    let mut out = Vec::new();
    for name in ctx.table_names() {
        let cols = columns(ctx, &name).await;
        out.push((name, cols));
    }
    out
}

fn schema_rows(db: &str, tables: &[(String, Columns)]) -> Table {
    let mut rows = vec![json!([db, "", "", "", false, false, "", "v1.0", "", ""])];
    for (name, cols) in tables {
        let doc = cols.as_ref().err().map(|e| format!("UNREADABLE: {e}")).unwrap_or_default();
        rows.push(json!([db, name, "", "", false, false, "", "", "", doc]));
        for (c, t) in cols.as_ref().map(Vec::as_slice).unwrap_or_default() {
            rows.push(json!([db, name, c, t.clr_name(), false, false, "", "", "", ""]));
        }
    }
    text_table(
        &[
            ("DatabaseName", KqlType::String),
            ("TableName", KqlType::String),
            ("ColumnName", KqlType::String),
            ("ColumnType", KqlType::String),
            ("IsDefaultTable", KqlType::Bool),
            ("IsDefaultColumn", KqlType::Bool),
            ("PrettyName", KqlType::String),
            ("Version", KqlType::String),
            ("Folder", KqlType::String),
            ("DocString", KqlType::String),
        ],
        rows,
    )
}

/// Answers a management command.
pub(crate) async fn respond(ctx: &KqlContext, config: &ServerConfig, a: Admitted) -> Response {
    match command(ctx, config, &a.request.csl).await {
        Ok(t) => answer(&a, &[t]),
        Err(e) => e.response(&a.activity, &a.request_id),
    }
}

async fn command(ctx: &KqlContext, config: &ServerConfig, csl: &str) -> Result<Table, ApiError> {
    // Words, keeping a bracketed name whole; the last line of a command that has client
    // request properties (`set x; .show ...`) is the command.
    let text =
        csl.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with("//")).collect::<Vec<_>>().join(" ");
    let text = text.rsplit(';').map(str::trim).find(|s| !s.is_empty()).unwrap_or("");
    let words: Vec<&str> = text.split_whitespace().collect();
    let lower: Vec<String> = words.iter().map(|w| w.to_ascii_lowercase()).collect();
    let lw: Vec<&str> = lower.iter().map(String::as_str).collect();
    let db = config.database.as_str();
    let as_json = lw.ends_with(&["as", "json"]);
    let unknown = || {
        ApiError::bad_request(format!(
            "`{text}` is not a command this server runs (it answers only: {})",
            COMMANDS.join(", ")
        ))
    };
    let schema_command = match lw.as_slice() {
        [".show", "schema", tail @ ..] | [".show", "database" | "databases", "schema", tail @ ..] => Some((None, tail)),
        [".show", "database", _, "schema", tail @ ..] => Some((Some(unquote(words[2])), tail)),
        _ => None,
    };
    if let Some((named, tail)) = schema_command {
        if !matches!(tail, [] | ["as", "json"] | ["details"] | ["details", "as", "json"]) {
            return Err(unknown());
        }
        if let Some(named) = named
            && !named.eq_ignore_ascii_case(db)
        {
            return Err(ApiError::bad_request(format!(
                "database `{named}` does not exist here; this server's database is `{db}`"
            )));
        }
        let tables = all_columns(ctx).await;
        return Ok(if as_json {
            text_table(&[("DatabaseSchema", KqlType::String)], vec![json!([schema_json(db, &tables).to_string()])])
        } else {
            schema_rows(db, &tables)
        });
    }
    match lw.as_slice() {
        [".show", "version"] => Ok(text_table(
            &[
                ("BuildVersion", KqlType::String),
                ("BuildTime", KqlType::DateTime),
                ("ServiceType", KqlType::String),
                ("ProductVersion", KqlType::String),
            ],
            vec![json!([
                env!("CARGO_PKG_VERSION"),
                "2026-01-01T00:00:00.0000000Z",
                "Engine",
                format!("kql-lake {}", env!("CARGO_PKG_VERSION"))
            ])],
        )),
        [".show", "cluster"] => Ok(text_table(
            &[
                ("NodeId", KqlType::String),
                ("Address", KqlType::String),
                ("Name", KqlType::String),
                ("StartTime", KqlType::DateTime),
                ("IsAdmin", KqlType::Bool),
                ("MachineTotalMemory", KqlType::Long),
                ("MachineAvailableMemory", KqlType::Long),
                ("ProcessorCount", KqlType::Int),
                ("EnvironmentDescription", KqlType::Dynamic),
            ],
            vec![json!([
                "kql-serve",
                "net.tcp://localhost",
                "kql-serve",
                crate::values::datetime_wire(0),
                true,
                0,
                0,
                std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
                {}
            ])],
        )),
        [".show", "databases"] => Ok(text_table(
            &[
                ("DatabaseName", KqlType::String),
                ("PersistentStorage", KqlType::String),
                ("Version", KqlType::String),
                ("IsCurrent", KqlType::Bool),
                ("DatabaseAccessMode", KqlType::String),
                ("PrettyName", KqlType::String),
                ("ReservedSlot1", KqlType::Bool),
                ("DatabaseId", KqlType::String),
                ("InTransitionTo", KqlType::String),
            ],
            vec![json!([db, "", "v1.0", true, "ReadOnly", "", false, "", ""])],
        )),
        [".show", "tables"] => Ok(text_table(
            &[
                ("TableName", KqlType::String),
                ("DatabaseName", KqlType::String),
                ("Folder", KqlType::String),
                ("DocString", KqlType::String),
            ],
            ctx.table_names().into_iter().map(|t| json!([t, db, "", ""])).collect(),
        )),
        [".show", "functions"] => Ok(text_table(
            &[
                ("Name", KqlType::String),
                ("Parameters", KqlType::String),
                ("Body", KqlType::String),
                ("Folder", KqlType::String),
                ("DocString", KqlType::String),
            ],
            Vec::new(),
        )),
        [".show", "table", _, "schema", "as", "json"] | [".show", "table", _, "cslschema"] => {
            let name = unquote(words[2]);
            let Some(table) = ctx.table_names().into_iter().find(|t| t == name) else {
                return Err(ApiError::bad_request(format!("table `{name}` does not exist in database `{db}`")));
            };
            let cols =
                columns(ctx, &table).await.map_err(|e| ApiError::bad_request(format!("table `{table}`: {e}")))?;
            // `.show table T cslschema` writes `name:type, ...`; `schema as json` the table's JSON.
            let schema = if lw[3] == "cslschema" {
                cols.iter()
                    .map(|(c, t)| format!("{c}:{}", crate::values::wire(*t).name()))
                    .collect::<Vec<_>>()
                    .join(", ")
            } else {
                let one = schema_json(db, &[(table.clone(), Ok(cols))]);
                one["Databases"][db]["Tables"][&table].to_string()
            };
            Ok(text_table(
                &[
                    ("TableName", KqlType::String),
                    ("Schema", KqlType::String),
                    ("DatabaseName", KqlType::String),
                    ("Folder", KqlType::String),
                    ("DocString", KqlType::String),
                ],
                vec![json!([table, schema, db, "", ""])],
            ))
        }
        _ => Err(unknown()),
    }
}
