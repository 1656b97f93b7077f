//! `kql tables`: the tables of a lake, with their files, row counts and schemas.

use std::fs::File;
use std::path::PathBuf;

use datafusion::parquet::file::metadata::ParquetMetaDataReader;
use serde_json::json;

use crate::failure::{CliResult, Failure};
use crate::query::interruptible;
use crate::session::LakeArgs;

/// Arguments of `kql tables`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    lake: LakeArgs,
    /// `text` (the default) or `json`.
    #[arg(long, value_enum, default_value_t = TablesFormat::Text)]
    format: TablesFormat,
}

/// How `kql tables` prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum TablesFormat {
    /// For people.
    Text,
    /// One JSON array of tables, each with its files and columns.
    Json,
}

/// Files listed per table in the text format before "... and N more".
const FILES_SHOWN: usize = 8;

pub(crate) fn run(args: &Args) -> CliResult {
    if args.lake.lake.is_none() && args.lake.tables.is_empty() && args.lake.schemas.is_none() {
        return Err(Failure::usage("kql: `kql tables` needs --lake DIR, --table NAME=PATH or --schemas DIR"));
    }
    let rt = args.lake.runtime()?;
    // A listing shows every table it can read, marking the files it cannot.
    let lake = LakeArgs { skip_bad_files: true, ..args.lake.clone() };
    rt.block_on(interruptible(async {
        let ctx = lake.context().await?;
        let mut tables = match &args.lake.lake {
            Some(dir) => kql_engine::lake_tables(dir).map_err(|e| Failure::query(format!("kql: {e}")))?,
            None => Vec::new(),
        };
        for (name, path) in &args.lake.tables {
            tables.push(kql_engine::LakeTable { name: name.clone(), path: path.clone() });
        }
        // With documented schemas only, the documented tables (no files).
        if tables.is_empty() && args.lake.schemas.is_some() {
            for name in ctx.table_names() {
                tables.push(kql_engine::LakeTable { name, path: PathBuf::new() });
            }
        }
        let mut out = Vec::new();
        for t in &tables {
            let columns = ctx.table_columns(&t.name).await.map_err(|e| e.to_string());
            let skipped = ctx.skipped_files();
            let mut files = Vec::new();
            if !t.path.as_os_str().is_empty() {
                for path in t.files().map_err(|e| Failure::query(format!("kql: {e}")))? {
                    let engine_says = skipped.iter().find(|(_, b)| b.path == path).map(|(_, b)| b.reason.clone());
                    let file = match (engine_says, footer(&path)) {
                        (Some(why), _) | (None, Err(why)) => {
                            TableFile { path, rows: 0, bytes: 0, unreadable: Some(why) }
                        }
                        (None, Ok((rows, bytes))) => TableFile { path, rows, bytes, unreadable: None },
                    };
                    files.push(file);
                }
            }
            out.push((t, columns, files));
        }
        match args.format {
            TablesFormat::Json => {
                let value: Vec<_> = out
                    .iter()
                    .map(|(t, schema, files)| {
                        let empty = Vec::new();
                        json!({
                            "name": t.name,
                            "path": t.path.display().to_string(),
                            "rows": files.iter().map(|f| f.rows).sum::<u64>(),
                            "bytes": files.iter().map(|f| f.bytes).sum::<u64>(),
                            "files": files.iter().map(|f| match &f.unreadable {
                                None => json!({"path": f.path.display().to_string(), "rows": f.rows, "bytes": f.bytes}),
                                Some(why) => json!({"path": f.path.display().to_string(), "unreadable": why}),
                            }).collect::<Vec<_>>(),
                            "error": schema.as_ref().err(),
                            "columns": schema.as_ref().unwrap_or(&empty).iter().map(|(name, kql, arrow)| json!({
                                "name": name,
                                "type": kql.name(),
                                "arrow_type": arrow.to_string(),
                            })).collect::<Vec<_>>(),
                        })
                    })
                    .collect();
                let text = serde_json::to_string_pretty(&value).map_err(|e| Failure::query(e.to_string()))?;
                println!("{text}");
            }
            TablesFormat::Text => {
                if out.is_empty() {
                    match &args.lake.lake {
                        Some(dir) => println!("no tables in {}", dir.display()),
                        None => println!("no tables"),
                    }
                }
                for (i, (t, schema, files)) in out.iter().enumerate() {
                    let rows: u64 = files.iter().map(|f| f.rows).sum();
                    let bytes: u64 = files.iter().map(|f| f.bytes).sum();
                    if i > 0 {
                        println!();
                    }
                    println!(
                        "{}: {rows} rows, {} file(s), {:.1} MiB",
                        t.name,
                        files.len(),
                        bytes as f64 / (1024.0 * 1024.0)
                    );
                    // Unreadable files first: they are what needs attention.
                    let (bad, good): (Vec<&TableFile>, Vec<&TableFile>) =
                        files.iter().partition(|f| f.unreadable.is_some());
                    for f in &bad {
                        println!("  file {} UNREADABLE: {}", f.path.display(), f.unreadable.as_deref().unwrap_or(""));
                    }
                    for f in good.iter().take(FILES_SHOWN) {
                        println!("  file {} ({} rows)", f.path.display(), f.rows);
                    }
                    if good.len() > FILES_SHOWN {
                        println!("  ... and {} more file(s)", good.len() - FILES_SHOWN);
                    }
                    match schema {
                        Ok(schema) => {
                            let width = schema.iter().map(|(n, _, _)| n.len()).max().unwrap_or(0);
                            for (name, kql, arrow) in schema {
                                println!("  {name:<width$}  {:<8}  {arrow}", kql.name());
                            }
                        }
                        Err(e) => println!("  cannot be read: {e}"),
                    }
                }
            }
        }
        Ok(())
    }))
}

/// A file of a table as `kql tables` shows it.
struct TableFile {
    path: PathBuf,
    rows: u64,
    bytes: u64,
    /// Why it cannot be read, if it cannot.
    unreadable: Option<String>,
}

/// Rows and bytes of a Parquet file, from its footer.
fn footer(path: &PathBuf) -> Result<(u64, u64), String> {
    let file = File::open(path).map_err(|e| e.to_string())?;
    let bytes = file.metadata().map_err(|e| e.to_string())?.len();
    let meta = ParquetMetaDataReader::new().parse_and_finish(&file).map_err(|e| e.to_string())?;
    Ok((u64::try_from(meta.file_metadata().num_rows()).unwrap_or(0), bytes))
}
