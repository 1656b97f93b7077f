//! The parser never panics and never hangs, and whatever parses round-trips through
//! `Display`: property tests over token soup, arbitrary text, and mutated corpus queries.

#![allow(unused_crate_dependencies)] // dev-dependencies are shared by all test targets

mod common;

use std::sync::LazyLock;

use proptest::prelude::*;

const TOKENS: &[&str] = &[
    "T",
    "DeviceEvents",
    "x",
    "y",
    "['a b']",
    "$left",
    ".",
    "|",
    "where",
    "summarize",
    "project",
    "extend",
    "by",
    "on",
    "join",
    "kind=inner",
    "union",
    "take",
    "top",
    "sort",
    "count",
    "distinct",
    "mv-expand",
    "partition",
    "hint.strategy=native",
    "fork",
    "facet",
    "top-hitters",
    "of",
    "scan",
    "make-graph",
    "-->",
    "graph-match",
    "(a)",
    "-[e*1..3]-",
    "<--",
    "graph-to-table",
    "graph-shortest-paths",
    "graph-mark-components",
    "nodes",
    "with_match_id=m",
    "declare (c:long=0)",
    "step s:",
    "output=last",
    "=>",
    "s.x",
    "parse",
    "with",
    "let",
    "set",
    "=",
    "==",
    "!=",
    "=~",
    "<",
    ">=",
    "+",
    "-",
    "*",
    "/",
    "%",
    "and",
    "or",
    "not(",
    "has",
    "!has",
    "has_cs",
    "has_any",
    "has_all",
    "in",
    "!in",
    "in~",
    "contains",
    "startswith",
    "between",
    "..",
    "matches regex",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ",",
    ";",
    "'a'",
    "\"b\"",
    "@'c\\'",
    "```m```",
    "1",
    "2.5",
    "1e3",
    "0x1F",
    "5d",
    "1.5h",
    "true",
    "datetime(2024-01-01)",
    "timespan(1d)",
    "dynamic([1,2])",
    "long(null)",
    "guid(x)",
    "now()",
    "ago(1h)",
    "count()",
    "make_set(",
    "bin(",
    "typeof(string)",
    "datatable(a:long)",
    "externaldata(a:long)",
    "| invoke f()",
    "| parse-where x with * \"a\" b:long",
    "| parse-kv x as (a:long) with (pair_delimiter=' ', kv_delimiter='=')",
    "| make-series count() on t from 1 to 5 step 1 by k",
    "| make-series count() on t in range(1, 5, 1)",
    "| render timechart with (ycolumns=a, b, title='x')",
    "search \"x*\"",
    "| search Col:\"x\" and not(y)",
    "find in (T) where x project a, pack_all()",
    "| top-nested 3 of a by count(), top-nested of b by max(1) asc",
    "| sample 3",
    "| sample-distinct 2 of a",
    "declare query_parameters(n:long = 1);",
    "| as T",
    "externaldata(a:long)['x'] with (",
    "print",
    "//c\n",
    "\n",
    " ",
    "h'x'",
    "~~~r~~~",
    "!",
    "@",
    "'",
    "\"",
];

fn check(text: &str) {
    if let Ok(q) = kql_parser::parse(text) {
        let printed = q.to_string();
        let again = kql_parser::parse(&printed)
            .unwrap_or_else(|e| panic!("input {text:?}\ncanonical form does not parse:\n{printed}\n{e}"));
        assert_eq!(q, again, "input {text:?}: round trip changed the AST:\n{printed}");
    }
}

static CORPUS: LazyLock<Vec<String>> = LazyLock::new(|| common::corpus().into_iter().map(|(_, q)| q).collect());

fn token_soup() -> impl Strategy<Value = String> {
    prop::collection::vec((prop::sample::select(TOKENS), prop::bool::ANY), 0..60).prop_map(|toks| {
        toks.into_iter().map(|(t, space)| if space { format!("{t} ") } else { t.to_owned() }).collect()
    })
}

#[derive(Clone, Debug)]
enum Edit {
    Delete(usize, usize),
    Insert(usize, &'static str),
    Duplicate(usize, usize),
}

fn apply(text: &str, edits: &[Edit]) -> String {
    let mut s = text.to_owned();
    let boundary = |s: &str, mut i: usize| {
        i %= s.len() + 1;
        while !s.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    for e in edits {
        match *e {
            Edit::Delete(a, len) => {
                let a = boundary(&s, a);
                let b = boundary(&s, (a + len % 12).min(s.len()));
                s.replace_range(a..b.max(a), "");
            }
            Edit::Insert(a, t) => {
                let a = boundary(&s, a);
                s.insert_str(a, t);
            }
            Edit::Duplicate(a, len) => {
                let a = boundary(&s, a);
                let b = boundary(&s, (a + len % 40).min(s.len())).max(a);
                let piece = s[a..b].to_owned();
                s.insert_str(b, &piece);
            }
        }
    }
    s
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), any::<usize>()).prop_map(|(a, l)| Edit::Delete(a, l)),
        (any::<usize>(), prop::sample::select(TOKENS)).prop_map(|(a, t)| Edit::Insert(a, t)),
        (any::<usize>(), any::<usize>()).prop_map(|(a, l)| Edit::Duplicate(a, l)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn token_soup_never_panics(text in token_soup()) {
        check(&text);
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,120}") {
        check(&text);
    }

    #[test]
    fn mutated_corpus_queries_never_panic(index in any::<prop::sample::Index>(), edits in prop::collection::vec(edit(), 1..4)) {
        let original = &CORPUS[index.index(CORPUS.len())];
        check(&apply(original, &edits));
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    for depth in [50, 300, 5_000, 50_000] {
        let text = format!("print x = {}1{}", "(".repeat(depth), ")".repeat(depth));
        let result = std::thread::Builder::new()
            .stack_size(2 << 20) // the default test-thread stack
            .spawn(move || kql_parser::parse(&text).map(|q| q.to_string()))
            .expect("spawn")
            .join()
            .expect("the parser must not crash");
        if depth <= 50 {
            assert!(result.is_ok(), "depth {depth}");
        } else {
            let e = result.expect_err("too deep");
            assert!(e.message.contains("deep"), "{}", e.message);
        }
    }
}

#[test]
fn long_chains_parse() {
    let text = format!("T | where {}", (0..2_000).map(|i| format!("x{i} == {i}")).collect::<Vec<_>>().join(" or "));
    let q = kql_parser::parse(&text).expect("a long `or` chain parses");
    check(&q.to_string());
}

#[test]
fn long_arithmetic_chains_are_an_error_not_a_crash() {
    let text = format!("T | where {} > 0", (0..5_000).map(|i| format!("x{i}")).collect::<Vec<_>>().join(" + "));
    let e = kql_parser::parse(&text).expect_err("too deep");
    assert!(e.message.contains("nests more than"), "{}", e.message);
}

#[test]
fn the_deepest_accepted_tree_can_be_printed_compared_and_dropped_on_a_small_stack() {
    // Just under the height limit: 250 chained additions inside 60 parentheses.
    let inner = (0..250).map(|i| format!("x{i}")).collect::<Vec<_>>().join(" + ");
    let text = format!("T | where {}{inner}{} > 0", "(".repeat(60), ")".repeat(60));
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || {
            let parsed = kql_parser::parse(&text);
            if let Ok(q) = parsed {
                let printed = q.to_string();
                let debug = format!("{q:#?}");
                assert!(debug.len() > printed.len());
                let again = kql_parser::parse(&printed).expect("round trip");
                assert_eq!(q.clone(), again);
            }
        })
        .expect("spawn")
        .join()
        .expect("no stack overflow");
}
