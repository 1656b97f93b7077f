//! The pest grammar (`kql.pest`). Private: `Rule` and pest types never leave the crate.

#![allow(missing_docs, unreachable_pub, clippy::use_self)]

use pest_derive::Parser;

#[derive(Parser)]
#[grammar = "kql.pest"]
pub(crate) struct KqlGrammar;
