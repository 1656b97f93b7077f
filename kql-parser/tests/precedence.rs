//! Operator precedence and associativity (spec §4), checked on the tree shape.

#![allow(unused_crate_dependencies)] // dev-dependencies are shared by all test targets

use kql_parser::ast::{Expr, ExprKind, Literal, OperatorKind, Statement};

/// A fully parenthesized rendering of the tree, to read its shape.
fn sexpr(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Name(n) => n.clone(),
        ExprKind::Literal(Literal::Long(v)) => v.to_string(),
        ExprKind::Literal(Literal::String(s)) => format!("{s:?}"),
        ExprKind::Literal(l) => l.to_string(),
        ExprKind::Unary { op, operand } => format!("({op:?} {})", sexpr(operand)),
        ExprKind::Logical { op, operands } => {
            let items: Vec<String> = operands.iter().map(sexpr).collect();
            format!("({} {})", op.token(), items.join(" "))
        }
        ExprKind::Binary { op, left, right } => format!("({} {} {})", op.token(), sexpr(left), sexpr(right)),
        ExprKind::Between { operand, negated, low, high } => {
            format!("({}between {} {} {})", if *negated { "!" } else { "" }, sexpr(operand), sexpr(low), sexpr(high))
        }
        ExprKind::InList { operand, op, items } => {
            let items: Vec<String> = items.iter().map(sexpr).collect();
            format!("({} {} [{}])", op.token(), sexpr(operand), items.join(" "))
        }
        ExprKind::Call { name, args } => {
            let args: Vec<String> = args.iter().map(|a| sexpr(&a.value)).collect();
            format!("{}({})", name.name, args.join(" "))
        }
        ExprKind::Member { base, member } => format!("(. {} {})", sexpr(base), member.name),
        ExprKind::Index { base, index } => format!("([] {} {})", sexpr(base), sexpr(index)),
        other => format!("{other:?}"),
    }
}

fn shape(predicate: &str) -> String {
    let q = kql_parser::parse(&format!("T | where {predicate}")).unwrap_or_else(|e| panic!("{}", e.render(predicate)));
    let Statement::Expr(e) = &q.statements[0] else { panic!("not an expression") };
    let ExprKind::Tabular(p) = &e.kind else { panic!("not a pipeline") };
    let OperatorKind::Where(w) = &p.operators[0].kind else { panic!("not where") };
    sexpr(w)
}

#[test]
fn logical_operators() {
    assert_eq!(shape("a or b and c"), "(or a (and b c))");
    assert_eq!(shape("a and b or c and d"), "(or (and a b) (and c d))");
    assert_eq!(shape("a or b or c"), "(or a b c)");
    assert_eq!(shape("(a or b) or (c or d)"), "(or a b c d)");
    assert_eq!(shape("a and (b or c) and d"), "(and a (or b c) d)");
    assert_eq!(shape("not(a) and b"), "(and not(a) b)");
}

#[test]
fn string_operators_bind_tighter_than_arithmetic() {
    // spec §4: `a + b has "x"` is `a + (b has "x")`.
    assert_eq!(shape("a + b has \"x\""), "(+ a (has b \"x\"))");
    assert_eq!(shape("a has \"x\" + b"), "(+ (has a \"x\") b)");
    assert_eq!(shape("a * b =~ \"x\""), "(* a (=~ b \"x\"))");
    assert_eq!(shape("-a contains \"x\""), "(contains (Neg a) \"x\")");
}

#[test]
fn comparison_levels() {
    assert_eq!(shape("a + 1 > b * 2"), "(> (+ a 1) (* b 2))");
    assert_eq!(shape("a < b == c"), "(== (< a b) c)");
    assert_eq!(shape("a == b and c != d"), "(and (== a b) (!= c d))");
    assert_eq!(shape("a <> b"), "(!= a b)");
    assert_eq!(shape("a - b - c"), "(- (- a b) c)");
    assert_eq!(shape("a / b * c % d"), "(% (* (/ a b) c) d)");
}

#[test]
fn list_and_between_are_at_the_equality_level() {
    assert_eq!(shape("a + b in (1, 2)"), "(in (+ a b) [1 2])");
    assert_eq!(shape("x and y in (1)"), "(and x (in y [1]))");
    assert_eq!(shape("a < b in (true)"), "(in (< a b) [true])");
    assert_eq!(shape("t between (1 .. 2) and u"), "(and (between t 1 2) u)");
    assert_eq!(shape("t + 1 !between (a - 1 .. b + 1)"), "(!between (+ t 1) (- a 1) (+ b 1))");
    assert_eq!(
        shape("RemoteUrl has_any ('atera.com', 'x') and Company has 'Atera Networks'"),
        "(and (has_any RemoteUrl [\"atera.com\" \"x\"]) (has Company \"Atera Networks\"))"
    );
}

#[test]
fn unary_and_postfix() {
    assert_eq!(shape("-x.y[0] < 5"), "(< (Neg ([] (. x y) 0)) 5)");
    assert_eq!(shape("- -x > 1"), "(> (Neg (Neg x)) 1)");
    assert_eq!(shape("f(x).a.b"), "(. (. f(x) a) b)");
    assert_eq!(shape("bag['k'] == 1"), "(== ([] bag \"k\") 1)");
}

#[test]
fn parentheses_override() {
    assert_eq!(shape("(a or b) and c"), "(and (or a b) c)");
    assert_eq!(shape("(a + b) has \"x\""), "(has (+ a b) \"x\")");
    assert_eq!(shape("(a == b) == c"), "(== (== a b) c)");
}

#[test]
fn non_chainable_levels_are_errors() {
    for bad in ["a == b == c", "a < b < c", "a has 'x' has 'y'", "a in (1) in (2)", "a == b in (1)"] {
        let e = kql_parser::parse(&format!("T | where {bad}")).expect_err(bad);
        assert!(e.message.contains("cannot be chained"), "{bad}: {}", e.message);
    }
}

#[test]
fn display_adds_only_needed_parentheses() {
    let cases = [
        ("(a or b) and c", "(a or b) and c"),
        ("a or (b and c)", "a or b and c"),
        ("(a + b) has 'x'", "(a + b) has \"x\""),
        ("a - (b - c)", "a - (b - c)"),
        ("(a - b) - c", "a - b - c"),
        ("-(a + b) > 0", "-(a + b) > 0"),
        ("(a == b) == c", "(a == b) == c"),
        ("(x in (1)) == true", "(x in (1)) == true"),
    ];
    for (input, printed) in cases {
        let q = kql_parser::parse(&format!("T | where {input}")).expect(input);
        assert_eq!(q.to_string(), format!("T\n| where {printed}"), "{input}");
    }
}
