//! Runs a KQL query over a lake folder and prints the rows and the time taken.
//!
//! ```text
//! cargo run --release -p kql-engine --example hunt -- LAKE NOW 'DeviceNetworkEvents | count' [RUNS]
//! ```

#![allow(unused_crate_dependencies)] // the example uses a subset of the dependencies

use std::time::Instant;

use datafusion::arrow::util::pretty::pretty_format_batches;
use kql_engine::KqlContext;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [lake, now, query, rest @ ..] = args.as_slice() else {
        eprintln!("usage: hunt LAKE NOW(RFC3339) QUERY [RUNS]");
        std::process::exit(2);
    };
    let runs: usize = rest.first().and_then(|r| r.parse().ok()).unwrap_or(1);
    let analyze = rest.iter().any(|r| r == "analyze");
    let now = chrono::DateTime::parse_from_rfc3339(now)?.timestamp_nanos_opt().unwrap_or_default();
    let ctx = KqlContext::builder().now(now).build()?;
    ctx.register_lake(lake).await?;
    if analyze {
        let df = ctx.kql(query).await?.explain(false, true)?;
        println!("{}", pretty_format_batches(&df.collect().await?)?);
        return Ok(());
    }
    for i in 0..runs {
        let started = Instant::now();
        let batches = match ctx.kql(query).await {
            Ok(df) => df.collect().await?,
            Err(e) => {
                eprint!("{}", e.render(query));
                std::process::exit(1);
            }
        };
        let elapsed = started.elapsed();
        if i + 1 == runs {
            println!("{}", pretty_format_batches(&batches)?);
        }
        println!("run {}: {:.3} s", i + 1, elapsed.as_secs_f64());
    }
    Ok(())
}
