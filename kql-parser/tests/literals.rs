//! Literal values (spec §2): every string form, number form, typed literal and timespan unit.

#![allow(unused_crate_dependencies)] // dev-dependencies are shared by all test targets

use kql_parser::ast::{Dynamic, ExprKind, Literal, NamedExpr, Real, ScalarType, Source, Statement, TimeSpan};

/// The value of `print x = <text>`.
fn value(text: &str) -> Literal {
    let src = format!("print x = {text}");
    let q = kql_parser::parse(&src).unwrap_or_else(|e| panic!("{}", e.render(&src)));
    let Statement::Expr(e) = &q.statements[0] else { panic!("not an expression") };
    let ExprKind::Tabular(p) = &e.kind else { panic!("not a pipeline") };
    let Source::Print(print) = &p.source else { panic!("not print") };
    let NamedExpr { expr, .. } = &print.columns[0];
    match &expr.kind {
        ExprKind::Literal(l) => l.clone(),
        other => panic!("{text}: not a literal: {other:?}"),
    }
}

fn string(text: &str) -> String {
    match value(text) {
        Literal::String(s) => s,
        other => panic!("{text}: not a string: {other:?}"),
    }
}

fn ticks(text: &str) -> i64 {
    match value(text) {
        Literal::TimeSpan(t) => t.ticks(),
        other => panic!("{text}: not a timespan: {other:?}"),
    }
}

#[test]
fn string_forms() {
    assert_eq!(string(r#"'a\'b\\c\td\ne\u00e9'"#), "a'b\\c\td\neé");
    assert_eq!(string(r#""say \"hi\"""#), "say \"hi\"");
    assert_eq!(string(r"@'C:\Program Files\'"), r"C:\Program Files\");
    assert_eq!(string(r#"@"a ""quoted"" word""#), r#"a "quoted" word"#);
    assert_eq!(string(r"@'it''s'"), "it's");
    assert_eq!(string("h'secret'"), "secret");
    assert_eq!(string("H@'C:\\x'"), "C:\\x");
    assert_eq!(string("```line 1\nline 2```"), "line 1\nline 2");
    assert_eq!(string("~~~raw \\n text~~~"), "raw \\n text");
    assert_eq!(string("'a' \"b\" @'c'"), "abc");
    assert_eq!(string("'a' // comment\n 'b'"), "ab");
    assert_eq!(string("'DWSNET OÜ'"), "DWSNET OÜ");
    assert_eq!(string(r"'\x41\U0001F600'"), "A😀");
}

#[test]
fn a_raw_newline_cannot_be_inside_a_quoted_string() {
    for bad in ["'a\nb'", "\"a\nb\"", "@'a\nb'"] {
        let e = kql_parser::parse(&format!("print x = {bad}")).expect_err(bad);
        assert_eq!(e.message, "this string is never closed", "{bad}");
    }
}

#[test]
fn numbers() {
    assert_eq!(value("42"), Literal::Long(42));
    assert_eq!(value("0x1F"), Literal::Long(31));
    assert_eq!(value("0xFFFFFFFFFFFFFFFF"), Literal::Long(-1));
    assert_eq!(value("1.5"), Literal::Real(Real(1.5)));
    assert_eq!(value("1e3"), Literal::Real(Real(1000.0)));
    assert_eq!(value("2.5E-3"), Literal::Real(Real(0.0025)));
    assert_eq!(value("true"), Literal::Bool(true));
    assert_eq!(value("false"), Literal::Bool(false));
    assert_eq!(value("9223372036854775807"), Literal::Long(i64::MAX));
    assert!(kql_parser::parse("print x = 9223372036854775808").is_err());
}

#[test]
fn typed_literals() {
    assert_eq!(value("int(5)"), Literal::Int(5));
    assert_eq!(value("int(-5)"), Literal::Int(-5));
    assert_eq!(value("long(null)"), Literal::Null(ScalarType::Long));
    assert_eq!(value("datetime(null)"), Literal::Null(ScalarType::DateTime));
    assert_eq!(value("real(nan)"), Literal::Real(Real(f64::NAN)));
    assert_eq!(value("real(+inf)"), Literal::Real(Real(f64::INFINITY)));
    assert_eq!(value("double(2.5)"), Literal::Real(Real(2.5)));
    assert_eq!(value("bool(false)"), Literal::Bool(false));
    assert_eq!(value("boolean(true)"), Literal::Bool(true));
    assert_eq!(value("decimal(1.25)"), Literal::Decimal("1.25".into()));
    assert_eq!(
        value("guid(74BE27DE-1E4E-49D9-B579-FE0B331D3642)"),
        Literal::Guid("74be27de-1e4e-49d9-b579-fe0b331d3642".into())
    );
    assert_eq!(
        value("74be27de-1e4e-49d9-b579-fe0b331d3642"),
        Literal::Guid("74be27de-1e4e-49d9-b579-fe0b331d3642".into())
    );
    let Literal::DateTime(d) = value("datetime(2015-12-31 23:59:59.9)") else { panic!() };
    assert_eq!(d.to_string(), "2015-12-31T23:59:59.9Z");
    let Literal::DateTime(d) = value("date(2024-06-01T10:00:00+02:00)") else { panic!() };
    assert_eq!(d.to_string(), "2024-06-01T08:00:00Z");
    let Literal::DateTime(d) = value("datetime('2024-01-01')") else { panic!() };
    assert_eq!(d.to_string(), "2024-01-01T00:00:00Z");
    for bad in ["int(x)", "long(1.5)", "int(3000000000)", "datetime(2025)", "guid(123)", "bool(maybe)", "real(abc)"] {
        let e = kql_parser::parse(&format!("print x = {bad}")).expect_err(bad);
        assert!(e.message.contains("is not a valid"), "{bad}: {}", e.message);
    }
}

#[test]
fn every_timespan_unit_spelling() {
    const SEC: i64 = 10_000_000;
    let units: [(&[&str], i64); 8] = [
        (&["d", "day", "days"], 86_400 * SEC),
        (&["h", "hr", "hrs", "hour", "hours"], 3_600 * SEC),
        (&["m", "min", "minute", "minutes"], 60 * SEC),
        (&["s", "sec", "second", "seconds"], SEC),
        (&["ms", "milli", "millis", "millisec", "millisecond", "milliseconds"], 10_000),
        (&["micro", "micros", "microsec", "microsecond", "microseconds"], 10),
        (&["tick", "ticks"], 1),
        (&["nano", "nanos", "nanosec", "nanosecond", "nanoseconds"], 0),
    ];
    for (spellings, per) in units {
        for unit in spellings {
            let expected = if per == 0 { 3 } else { 300 * per }; // 300 nanoseconds = 3 ticks
            assert_eq!(ticks(&format!("300{unit}")), expected, "300{unit}");
        }
    }
    assert_eq!(ticks("1.5h"), 90 * 60 * SEC);
    assert_eq!(ticks("0.5d"), 12 * 3_600 * SEC);
    assert_eq!(ticks("time(1.5d)"), 36 * 3_600 * SEC);
    assert_eq!(ticks("timespan(15 seconds)"), 15 * SEC);
    assert_eq!(ticks("timespan(2)"), 2 * 86_400 * SEC);
    assert_eq!(ticks("timespan(1.02:03:04.5)"), ((26 * 60 + 3) * 60 + 4) * SEC + SEC / 2);
    assert_eq!(ticks("timespan(-00:30:00)"), -30 * 60 * SEC);
    // There is no week unit; a unit must not run into a name.
    assert!(kql_parser::parse("print x = 1w").is_err());
    assert!(kql_parser::parse("print x = 5dx").is_err());
}

#[test]
fn negative_timespan_is_unary_minus() {
    let q = kql_parser::parse("print x = now(-5d)").expect("parses");
    assert!(q.to_string().contains("now(-5d)"));
}

#[test]
fn dynamic_values() {
    let Literal::Dynamic(d) = value(r#"dynamic([1, -2, 2.5, "a", true, null, {"k": [1d]}, datetime(2020-01-01)])"#)
    else {
        panic!()
    };
    let Dynamic::Array(items) = *d else { panic!("not an array") };
    assert_eq!(items.len(), 8);
    assert_eq!(items[1], Dynamic::Scalar(Literal::Long(-2)));
    assert_eq!(items[5], Dynamic::Null);
    let Dynamic::Object(pairs) = &items[6] else { panic!("not an object") };
    assert_eq!(pairs[0].0, "k");
    assert_eq!(
        pairs[0].1,
        Dynamic::Array(vec![Dynamic::Scalar(Literal::TimeSpan(TimeSpan::from_ticks(864_000_000_000)))])
    );
    assert_eq!(
        *match value("dynamic(null)") {
            Literal::Dynamic(d) => d,
            _ => panic!(),
        },
        Dynamic::Null
    );
}
