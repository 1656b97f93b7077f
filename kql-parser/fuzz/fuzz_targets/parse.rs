//! Fuzzes the parser: it must never panic or hang, and whatever parses must round-trip
//! through `Display` to an equal AST.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(query) = kql_parser::parse(text) {
        let printed = query.to_string();
        let again = kql_parser::parse(&printed).expect("the canonical form parses");
        assert_eq!(query, again, "round trip changed the AST");
    }
});
