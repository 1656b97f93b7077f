//! KQL's `dynamic` type: how its values live in Arrow, and the code every function and operator
//! over them shares (architecture decision 9: one representation, chosen once).
//!
//! # The representation
//!
//! A `dynamic` value is **JSON text in an Arrow binary array** (`Binary`, `LargeBinary` or
//! `BinaryView`; the engine produces `Binary`). Arrow's nested types (`List`, `Struct`, `Map`,
//! as Parquet files and `make_set` give them) are `dynamic` too, and are read as they are.
//!
//! * **Reading without copying.** A Parquet column with the JSON logical type, and a string
//!   column the documented schemas type `dynamic` (`AdditionalFields`), become `dynamic` by
//!   re-labelling the string buffers as binary ones: no byte is copied or parsed on the way in.
//!   `parse_json(s)` is the same re-labelling, because Kusto's rule for text that is not JSON
//!   ("a dynamic value holding the original string") is how every reader here treats text that
//!   does not parse: as that string. So a value is *either* one JSON value *or* the string its
//!   bytes spell; empty text and Arrow nulls are the null value.
//! * **Member access reads lazily.** `d.a.b[0]` walks the text once without building the value
//!   ([`path`]); a chain is one step list, and `tostring(d.a)` (what `has`, `==` and group keys
//!   need) unescapes the string it reaches directly into the result.
//! * **Why binary and not a string column with the `arrow.json` extension type:** the type
//!   itself says `dynamic`, so no DataFusion operator (`coalesce`, `CASE`, `union`, aggregates,
//!   joins) can drop the distinction, as they drop field metadata. At the edge of the engine
//!   (the result of a query) `dynamic` columns *are* handed out as UTF-8 JSON text with the
//!   canonical `arrow.json` extension type, in Kusto's compact rendering, which Parquet
//!   writes with its JSON logical type and pandas, polars and DuckDB read as text.
//! * **Why not the Parquet Variant encoding:** Variant objects keep their fields sorted by name,
//!   so a bag's key order (which Kusto prints as written) would be lost, and turning JSON text
//!   into Variant costs a full parse of every value on the way in, where the text form costs
//!   nothing until a value is used. `datafusion-functions-json` works on JSON text too, but its
//!   functions are SQL's, with SQL's types and nulls, not Kusto's.
//!
//! Kusto's value kinds are kept: `null`, `bool`, `long` (`int` when it fits 32 bits, as
//! `gettype(parse_json('1'))` says), `real` (a JSON number with a fraction or exponent, printed
//! without `.0` when whole, as Kusto prints `118.0` as `118`), `string`, arrays and property
//! bags (keys in insertion order; a repeated key keeps its first place and its last value).
//! `datetime`, `timespan` and `guid` values inside a `dynamic` are written as strings (Kusto's
//! JSON serialization does the same).
//!
//! Three nulls are three things: `dynamic(null)` is the null value; a bag slot holding JSON
//! `null` is a key that exists (`bag_has_key` is true, `bag_keys` lists it, the bag prints it)
//! whose value reads as null; a missing key reads as null but does not exist.
//!
//! Measured (`benches/README.md`, "dynamic"; 2 cores): reading one key of generated
//! `AdditionalFields` texts walks 365 MiB/s against 111–120 MiB/s for building the whole bag
//! (ours or `serde_json`'s). Over 10M `DeviceEvents` rows, with the documented schemas, `where
//! parse_json(AdditionalFields).Command has "powershell"` takes 0.07–0.13 s and `summarize
//! count() by tostring(parse_json(AdditionalFields).Name)` 0.12–0.17 s, against DuckDB's
//! `json_extract_string` at 0.12–0.27 s on the same files (arrow-rs, pyarrow and DuckDB
//! written): a dictionary-encoded column is read as an Arrow dictionary (`scan`), member access
//! evaluates each distinct text once per row group, and a `has` of member access is one
//! function that maps each row's key to its value's bit. Without a dictionary (plain pages, or
//! a string column only `parse_json` makes `dynamic`) the distinct texts of a row group are
//! still parsed once each, remembered by where their bytes live (`functions::dynamic::memo`).

pub mod arrow;
pub mod path;
pub mod value;

pub use self::arrow::{DYNAMIC_TYPE, JsonRows, is_dynamic_type, is_json_type};
pub use self::path::{Step, StepRef};
pub use self::value::Dyn;

/// The field metadata of a query result's `dynamic` column: Arrow's canonical JSON extension
/// type.
pub fn json_extension_metadata() -> std::collections::HashMap<String, String> {
    std::collections::HashMap::from([
        ("ARROW:extension:name".to_owned(), "arrow.json".to_owned()),
        ("ARROW:extension:metadata".to_owned(), String::new()),
    ])
}

/// Whether a field carries Arrow's canonical JSON extension type.
pub fn has_json_extension(field: &datafusion::arrow::datatypes::Field) -> bool {
    field.metadata().get("ARROW:extension:name").is_some_and(|n| n == "arrow.json")
}
