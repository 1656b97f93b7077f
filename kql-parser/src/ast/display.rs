//! `Display` for the AST: canonical KQL that parses back to an equal tree.
//!
//! Parentheses are not stored; they are printed wherever precedence (spec §4) needs them.
//! Top-level pipelines print one operator per line; nested ones stay on one line.

use std::fmt::{self, Display, Formatter, Write};

use super::*;

/// Binding strength of an expression's top node, loosest first (spec §4).
fn precedence(e: &Expr) -> u8 {
    match &e.kind {
        ExprKind::Logical { op: LogicalOp::Or, .. } => 1,
        ExprKind::Logical { op: LogicalOp::And, .. } => 2,
        ExprKind::Binary { op, .. } => match op {
            BinaryOp::Eq | BinaryOp::NotEq => 3,
            BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => 4,
            BinaryOp::Add | BinaryOp::Sub => 5,
            BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod => 6,
            BinaryOp::String(_) => 7,
        },
        ExprKind::InList { .. } | ExprKind::Between { .. } => 3,
        ExprKind::Unary { .. } => 8,
        ExprKind::Member { .. } | ExprKind::Index { .. } => 9,
        _ => 10,
    }
}

/// Levels whose operators do not chain: an operand at the same level needs parentheses.
fn non_chainable(level: u8) -> bool {
    matches!(level, 3 | 4 | 7)
}

struct Operand<'a> {
    expr: &'a Expr,
    parens: bool,
}

impl Display for Operand<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        if self.parens { write!(f, "({})", self.expr) } else { write!(f, "{}", self.expr) }
    }
}

fn left(expr: &Expr, level: u8) -> Operand<'_> {
    let p = precedence(expr);
    Operand { expr, parens: p < level || (p == level && non_chainable(level)) }
}

fn right(expr: &Expr, level: u8) -> Operand<'_> {
    Operand { expr, parens: precedence(expr) <= level }
}

impl Display for Query {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        for (i, s) in self.statements.iter().enumerate() {
            if i > 0 {
                f.write_str(";\n")?;
            }
            write!(f, "{s}")?;
        }
        Ok(())
    }
}

impl Display for Statement {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Self::Let(l) => write!(f, "{l}"),
            Self::Set(s) => write!(f, "{s}"),
            Self::Declare(d) => {
                f.write_str("declare query_parameters(")?;
                comma_list(f, &d.params)?;
                f.write_char(')')
            }
            Self::Expr(e) => write_top_level(f, e),
        }
    }
}

/// A statement-level expression: a pipeline prints without parentheses, one operator a line.
fn write_top_level(f: &mut Formatter<'_>, e: &Expr) -> fmt::Result {
    match &e.kind {
        ExprKind::Tabular(p) => write_pipeline(f, p, "\n| "),
        _ => write!(f, "{e}"),
    }
}

fn write_pipeline(f: &mut Formatter<'_>, p: &Pipeline, sep: &str) -> fmt::Result {
    write!(f, "{}", p.source)?;
    for op in &p.operators {
        write!(f, "{sep}{op}")?;
    }
    Ok(())
}

impl Display for LetStatement {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "let {} = ", self.name)?;
        match &self.value {
            LetValue::Expr(e) => write_top_level(f, e),
            LetValue::Function(func) => write!(f, "{func}"),
        }
    }
}

impl Display for FunctionDecl {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        if self.is_view {
            f.write_str("view ")?;
        }
        f.write_char('(')?;
        comma_list(f, &self.params)?;
        f.write_str(") { ")?;
        for (i, s) in self.body.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            match s {
                Statement::Expr(e) => match &e.kind {
                    ExprKind::Tabular(p) => write_pipeline(f, p, " | ")?,
                    _ => write!(f, "{e}")?,
                },
                other => write!(f, "{other}")?,
            }
        }
        f.write_str(" }")
    }
}

impl Display for Param {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.name, self.ty)?;
        if let Some(d) = &self.default {
            write!(f, " = {d}")?;
        }
        Ok(())
    }
}

impl Display for ParamType {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Self::Scalar(t) => write!(f, "{t}"),
            Self::Tabular { columns, open } => {
                f.write_char('(')?;
                comma_list(f, columns)?;
                if *open {
                    f.write_str(if columns.is_empty() { "*" } else { ", *" })?;
                }
                f.write_char(')')
            }
        }
    }
}

impl Display for SetStatement {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "set {}", self.name.name)?;
        if let Some(v) = &self.value {
            write!(f, " = {v}")?;
        }
        Ok(())
    }
}

/// `name:type [= default]` (query parameters, `scan`'s declared columns).
impl Display for super::QueryParam {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.name, self.ty)?;
        match &self.default {
            Some(v) => write!(f, " = {v}"),
            None => Ok(()),
        }
    }
}

impl Display for Ident {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write_name(f, &self.name)
    }
}

/// Words that must be quoted to be used as names (the grammar's `keyword` rule, plus
/// words that would lex as something else in name position).
const RESERVED: &[&str] = &[
    "and",
    "or",
    "by",
    "on",
    "let",
    "true",
    "True",
    "TRUE",
    "false",
    "False",
    "FALSE",
    "in",
    "between",
    "has_any",
    "has_all",
    "hasprefix_cs",
    "hassuffix_cs",
    "hasprefix",
    "hassuffix",
    "has_cs",
    "has",
    "contains_cs",
    "containscs",
    "contains",
    "notcontainscs",
    "notcontains",
    "startswith_cs",
    "startswith",
    "endswith_cs",
    "endswith",
    "matches",
    "like",
    "notlike",
    "likecs",
    "notlikecs",
    "typeof",
    "dynamic",
    "datatable",
    "print",
    "union",
    "range",
    "set",
    "view",
    "null",
];

/// Whether `name` can be written bare. Conservative: anything outside ASCII letters,
/// digits and `_` is quoted, which is always valid.
pub(crate) fn is_plain_name(name: &str) -> bool {
    let mut chars = name.chars();
    let Some(first) = chars.next() else { return false };
    (first.is_ascii_alphabetic() || first == '_' || first == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !RESERVED.contains(&name)
}

fn write_name(f: &mut Formatter<'_>, name: &str) -> fmt::Result {
    if is_plain_name(name) {
        f.write_str(name)
    } else {
        f.write_str("[")?;
        write_string(f, name)?;
        f.write_str("]")
    }
}

/// A string literal: verbatim `@'...'` when that avoids escapes, else `"..."` with escapes.
pub(crate) fn write_string(f: &mut impl Write, s: &str) -> fmt::Result {
    let needs_escape = |c: char| c == '\\' || c == '"' || c.is_control();
    if s.contains('\\') && !s.contains('\'') && !s.chars().any(char::is_control) {
        return write!(f, "@'{s}'");
    }
    if !s.chars().any(needs_escape) {
        return write!(f, "\"{s}\"");
    }
    f.write_char('"')?;
    for c in s.chars() {
        match c {
            '\\' => f.write_str("\\\\")?,
            '"' => f.write_str("\\\"")?,
            '\n' => f.write_str("\\n")?,
            '\t' => f.write_str("\\t")?,
            '\r' => f.write_str("\\r")?,
            c if c.is_control() => write!(f, "\\u{:04x}", u32::from(c))?,
            c => f.write_char(c)?,
        }
    }
    f.write_char('"')
}

impl Display for Expr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ExprKind::Literal(l) => write!(f, "{l}"),
            ExprKind::Name(n) => write_name(f, n),
            ExprKind::Star => f.write_char('*'),
            ExprKind::Unary { op, operand } => {
                let sign = match op {
                    UnaryOp::Neg => '-',
                    UnaryOp::Plus => '+',
                };
                // `- -x` keeps a space so it does not read as one token.
                let inner = Operand { expr: operand, parens: precedence(operand) < 8 };
                let spaced = matches!(operand.kind, ExprKind::Unary { .. }) || precedence(operand) == 8;
                if spaced && !inner.parens { write!(f, "{sign} {inner}") } else { write!(f, "{sign}{inner}") }
            }
            ExprKind::Logical { op, operands } => {
                let level = precedence(self);
                for (i, operand) in operands.iter().enumerate() {
                    if i > 0 {
                        write!(f, " {} ", op.token())?;
                    }
                    write!(f, "{}", right(operand, level))?;
                }
                Ok(())
            }
            ExprKind::Binary { op, left: l, right: r } => {
                let level = precedence(self);
                write!(f, "{} {} {}", left(l, level), op.token(), right(r, level))
            }
            ExprKind::Between { operand, negated, low, high } => {
                let bang = if *negated { "!" } else { "" };
                write!(f, "{} {bang}between ({low} .. {high})", left(operand, 3))
            }
            ExprKind::InList { operand, op, items } => {
                write!(f, "{} {} (", left(operand, 3), op.token())?;
                comma_list(f, items)?;
                f.write_char(')')
            }
            ExprKind::Call { name, args } => {
                write!(f, "{name}(")?;
                comma_list(f, args)?;
                f.write_char(')')
            }
            ExprKind::Member { base, member } => write!(f, "{}.{member}", left(base, 9)),
            ExprKind::Index { base, index } => write!(f, "{}[{index}]", left(base, 9)),
            ExprKind::TypeOf(t) => write!(f, "typeof({t})"),
            ExprKind::Tabular(p) => {
                f.write_char('(')?;
                write_pipeline(f, p, " | ")?;
                f.write_char(')')
            }
        }
    }
}

impl Display for Arg {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        if let Some(n) = &self.name {
            write!(f, "{n} = ")?;
        }
        write!(f, "{}", self.value)
    }
}

pub(super) fn comma_list<T: Display>(f: &mut Formatter<'_>, items: &[T]) -> fmt::Result {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{item}")?;
    }
    Ok(())
}

impl Display for Literal {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Self::Null(t) => write!(f, "{t}(null)"),
            Self::Bool(b) => write!(f, "{b}"),
            Self::Int(i) => write!(f, "int({i})"),
            Self::Long(v) if *v < 0 => write!(f, "long({v})"),
            Self::Long(v) => write!(f, "{v}"),
            Self::Real(Real(v)) => {
                if v.is_nan() {
                    f.write_str("real(nan)")
                } else if v.is_infinite() {
                    f.write_str(if *v > 0.0 { "real(+inf)" } else { "real(-inf)" })
                } else if v.is_sign_negative() {
                    write!(f, "real({v:?})")
                } else {
                    write!(f, "{v:?}")
                }
            }
            Self::Decimal(d) => write!(f, "decimal({d})"),
            Self::String(s) => write_string(f, s),
            Self::DateTime(d) => write!(f, "datetime({d})"),
            Self::TimeSpan(t) => write!(f, "{t}"),
            Self::Guid(g) => write!(f, "guid({g})"),
            Self::Dynamic(d) => write!(f, "dynamic({d})"),
        }
    }
}

impl Display for Dynamic {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Self::Null => f.write_str("null"),
            // Inside dynamic, numbers carry their sign directly.
            Self::Scalar(Literal::Long(v)) => write!(f, "{v}"),
            Self::Scalar(Literal::Real(Real(v))) if v.is_finite() => write!(f, "{v:?}"),
            Self::Scalar(Literal::TimeSpan(t)) if t.ticks() < 0 => {
                write!(f, "-{}", TimeSpan::from_ticks(-t.ticks()))
            }
            Self::Scalar(l) => write!(f, "{l}"),
            Self::Array(items) => {
                f.write_char('[')?;
                comma_list(f, items)?;
                f.write_char(']')
            }
            Self::Object(pairs) => {
                f.write_char('{')?;
                for (i, (k, v)) in pairs.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write_string(f, k)?;
                    write!(f, ": {v}")?;
                }
                f.write_char('}')
            }
        }
    }
}

impl Display for Pipeline {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write_pipeline(f, self, " | ")
    }
}

impl Display for Source {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            // A pipeline source that is itself tabular prints in parentheses already.
            Self::Expr(e) => write!(f, "{e}"),
            Self::Datatable(d) => write!(f, "{d}"),
            Self::Print(p) => {
                f.write_str("print")?;
                if !p.columns.is_empty() {
                    f.write_char(' ')?;
                    comma_list(f, &p.columns)?;
                }
                Ok(())
            }
            Self::Union(u) => write!(f, "{u}"),
            Self::Search(s) => write!(f, "{s}"),
            Self::Find(x) => write!(f, "{x}"),
            Self::Range(r) => write!(f, "range {} from {} to {} step {}", r.column, r.from, r.to, r.step),
            Self::ExternalData(e) => write!(f, "{e}"),
        }
    }
}

impl Display for Datatable {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str("datatable(")?;
        comma_list(f, &self.columns)?;
        f.write_str(") [")?;
        comma_list(f, &self.values)?;
        f.write_char(']')
    }
}

impl Display for ColumnDecl {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.name, self.ty)
    }
}

impl Display for NamedExpr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self.names.as_slice() {
            [] => {}
            [one] => write!(f, "{one} = ")?,
            many => {
                f.write_char('(')?;
                comma_list(f, many)?;
                f.write_str(") = ")?;
            }
        }
        write!(f, "{}", self.expr)
    }
}

impl Display for OpParam {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}=", self.name)?;
        match &self.value {
            ParamValue::Name(n) => write_name(f, n),
            ParamValue::Literal(l) => write!(f, "{l}"),
        }
    }
}

pub(super) fn params(f: &mut Formatter<'_>, ps: &[OpParam]) -> fmt::Result {
    for p in ps {
        write!(f, " {p}")?;
    }
    Ok(())
}

impl Display for NamePattern {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let plain = !self.pattern.is_empty()
            && self.pattern.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '*' || c == '$')
            && (self.is_wildcard() || is_plain_name(&self.pattern));
        if plain {
            f.write_str(&self.pattern)
        } else {
            f.write_char('[')?;
            write_string(f, &self.pattern)?;
            f.write_char(']')
        }
    }
}

impl Display for SortKey {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.expr)?;
        match self.order {
            Some(SortOrder::Asc) => f.write_str(" asc")?,
            Some(SortOrder::Desc) => f.write_str(" desc")?,
            None => {}
        }
        match self.nulls {
            Some(NullsOrder::First) => f.write_str(" nulls first"),
            Some(NullsOrder::Last) => f.write_str(" nulls last"),
            None => Ok(()),
        }
    }
}

impl Display for Union {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str("union")?;
        params(f, &self.params)?;
        f.write_char(' ')?;
        comma_list(f, &self.tables)
    }
}

impl Display for Operator {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match &self.kind {
            OperatorKind::Where(p) => write!(f, "where {p}"),
            OperatorKind::Summarize(s) => {
                f.write_str("summarize")?;
                params(f, &s.params)?;
                if !s.aggregates.is_empty() {
                    f.write_char(' ')?;
                    comma_list(f, &s.aggregates)?;
                }
                if !s.by.is_empty() {
                    f.write_str(" by ")?;
                    comma_list(f, &s.by)?;
                }
                Ok(())
            }
            OperatorKind::Project(cols) => {
                f.write_str("project ")?;
                comma_list(f, cols)
            }
            OperatorKind::ProjectAway(cols) => {
                f.write_str("project-away ")?;
                comma_list(f, cols)
            }
            OperatorKind::ProjectKeep(cols) => {
                f.write_str("project-keep ")?;
                comma_list(f, cols)
            }
            OperatorKind::ProjectRename(rs) => {
                f.write_str("project-rename ")?;
                for (i, r) in rs.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{} = {}", r.new, r.old)?;
                }
                Ok(())
            }
            OperatorKind::ProjectReorder(items) => {
                f.write_str("project-reorder ")?;
                for (i, r) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{}", r.column)?;
                    match r.order {
                        Some(SortOrder::Asc) => f.write_str(" asc")?,
                        Some(SortOrder::Desc) => f.write_str(" desc")?,
                        None => {}
                    }
                }
                Ok(())
            }
            OperatorKind::Extend(cols) => {
                f.write_str("extend ")?;
                comma_list(f, cols)
            }
            OperatorKind::Take(n) => write!(f, "take {n}"),
            OperatorKind::Top(t) => write!(f, "top {} by {}", t.count, t.key),
            OperatorKind::Sort(keys) => {
                f.write_str("sort by ")?;
                comma_list(f, keys)
            }
            OperatorKind::Count => f.write_str("count"),
            OperatorKind::Distinct(d) => {
                f.write_str("distinct")?;
                params(f, &d.params)?;
                f.write_char(' ')?;
                if d.columns.is_empty() { f.write_char('*') } else { comma_list(f, &d.columns) }
            }
            OperatorKind::Join(j) | OperatorKind::Lookup(j) => {
                let kw = if matches!(self.kind, OperatorKind::Join(_)) { "join" } else { "lookup" };
                f.write_str(kw)?;
                params(f, &j.params)?;
                // The right side is always parenthesized so a name cannot run into `on`.
                match &j.right.kind {
                    ExprKind::Tabular(_) => write!(f, " {}", j.right)?,
                    _ => write!(f, " ({})", j.right)?,
                }
                f.write_str(" on ")?;
                comma_list(f, &j.on)
            }
            OperatorKind::Union(u) => write!(f, "{u}"),
            OperatorKind::MvExpand(m) => {
                f.write_str(if m.legacy { "mvexpand" } else { "mv-expand" })?;
                params(f, &m.params)?;
                expand_items(f, &m.items, m.limit.as_ref())
            }
            OperatorKind::MvApply(m) => {
                f.write_str("mv-apply")?;
                params(f, &m.params)?;
                expand_items(f, &m.items, m.limit.as_ref())?;
                f.write_str(" on (")?;
                for (i, op) in m.body.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" | ")?;
                    }
                    write!(f, "{op}")?;
                }
                f.write_char(')')
            }
            OperatorKind::Partition(p) => write!(f, "{p}"),
            OperatorKind::Fork(legs) => {
                f.write_str("fork")?;
                for leg in legs {
                    write!(f, " {leg}")?;
                }
                Ok(())
            }
            OperatorKind::Facet { columns, with } => {
                f.write_str("facet by ")?;
                comma_list(f, columns)?;
                if let Some(ops) = with {
                    f.write_str(" with (")?;
                    super::display_ops::operators(f, ops)?;
                    f.write_char(')')?;
                }
                Ok(())
            }
            OperatorKind::Scan(s) => write!(f, "{s}"),
            OperatorKind::MakeGraph(m) => write!(f, "{m}"),
            OperatorKind::GraphMatch(m) => write!(f, "{m}"),
            OperatorKind::GraphMarkComponents(params) => {
                f.write_str("graph-mark-components")?;
                for (n, v) in params {
                    write!(f, " {n} = {v}")?;
                }
                Ok(())
            }
            OperatorKind::GraphToTable(outputs) => {
                f.write_str("graph-to-table ")?;
                comma_list(f, outputs)
            }
            OperatorKind::TopHitters { count, of, by } => {
                write!(f, "top-hitters {count} of {of}")?;
                match by {
                    Some(b) => write!(f, " by {b}"),
                    None => Ok(()),
                }
            }
            OperatorKind::Invoke(i) => {
                write!(f, "invoke {}(", i.function)?;
                for (n, a) in i.args.iter().enumerate() {
                    if n > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{a}")?;
                }
                f.write_char(')')
            }
            OperatorKind::Evaluate(e) => {
                f.write_str("evaluate")?;
                params(f, &e.params)?;
                write!(f, " {}(", e.plugin)?;
                for (i, a) in e.args.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{a}")?;
                }
                f.write_char(')')?;
                if let Some(s) = &e.schema {
                    f.write_str(" : (")?;
                    if s.star {
                        f.write_str(if s.columns.is_empty() { "*" } else { "*, " })?;
                    }
                    comma_list(f, &s.columns)?;
                    f.write_char(')')?;
                }
                Ok(())
            }
            OperatorKind::Parse(p) => {
                f.write_str(if p.where_ { "parse-where" } else { "parse" })?;
                params(f, &p.params)?;
                write!(f, " {} with", p.source)?;
                for part in &p.pattern {
                    f.write_char(' ')?;
                    match part {
                        ParsePart::Wildcard => f.write_char('*')?,
                        ParsePart::Literal(s) => write_string(f, s)?,
                        ParsePart::Column { name, ty } => {
                            write!(f, "{name}")?;
                            if let Some(t) = ty {
                                write!(f, ":{t}")?;
                            }
                        }
                    }
                }
                Ok(())
            }
            OperatorKind::Search(s) => write!(f, "{s}"),
            OperatorKind::Sample(n) => write!(f, "sample {n}"),
            OperatorKind::SampleDistinct { count, of } => write!(f, "sample-distinct {count} of {of}"),
            OperatorKind::TopNested(clauses) => comma_list(f, clauses),
            OperatorKind::Render(r) => write!(f, "{r}"),
            OperatorKind::MakeSeries(m) => write!(f, "{m}"),
            OperatorKind::ParseKv(p) => write!(f, "{p}"),
            OperatorKind::As(a) => {
                f.write_str("as")?;
                params(f, &a.params)?;
                write!(f, " {}", a.name)
            }
            OperatorKind::GetSchema => f.write_str("getschema"),
            OperatorKind::Serialize(cols) => {
                f.write_str("serialize")?;
                if !cols.is_empty() {
                    f.write_char(' ')?;
                    comma_list(f, cols)?;
                }
                Ok(())
            }
        }
    }
}

/// The items and limit of `mv-expand` and `mv-apply`.
fn expand_items(f: &mut Formatter<'_>, items: &[MvExpandItem], limit: Option<&Expr>) -> fmt::Result {
    f.write_char(' ')?;
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{}", item.column)?;
        if let Some(t) = item.to_type {
            write!(f, " to typeof({t})")?;
        }
    }
    if let Some(l) = limit {
        write!(f, " limit {l}")?;
    }
    Ok(())
}
