//! The `scan` operator (scan-operator.md): a state machine of steps over serialized rows.

use std::fmt::{self, Display, Formatter, Write as _};

use super::{Expr, Ident, QueryParam, eq_ignoring_span};
use crate::Span;

/// `scan [with_match_id = Name] [declare (c:type [= default], ...)] with (step ...; ...)`.
#[derive(Clone, Debug)]
pub struct Scan {
    /// The `with_match_id` column, if any.
    pub match_id: Option<Ident>,
    /// The declared columns that steps assign (`declare (...)`).
    pub declare: Vec<QueryParam>,
    /// The steps, in order.
    pub steps: Vec<ScanStep>,
    /// Where it was written.
    pub span: Span,
}
eq_ignoring_span!(Scan { match_id, declare, steps });

/// Which of a step's matching rows the step outputs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd)]
pub enum ScanOutput {
    /// Every matching row (the default).
    All,
    /// Only the last row of a series of repeated matches.
    Last,
    /// None.
    None,
}

/// `step Name [output = all|last|none] : condition [=> c = expr, ...];`.
#[derive(Clone, Debug)]
pub struct ScanStep {
    /// The step's name (`Name.Column` reads its state).
    pub name: Ident,
    /// Which matches it outputs.
    pub output: ScanOutput,
    /// The condition a row must meet.
    pub condition: Expr,
    /// `c = expr` assignments of declared columns.
    pub assignments: Vec<(Ident, Expr)>,
    /// Where it was written.
    pub span: Span,
}
eq_ignoring_span!(ScanStep { name, output, condition, assignments });

impl Display for Scan {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str("scan")?;
        if let Some(m) = &self.match_id {
            write!(f, " with_match_id = {m}")?;
        }
        if !self.declare.is_empty() {
            f.write_str(" declare (")?;
            super::display::comma_list(f, &self.declare)?;
            f.write_char(')')?;
        }
        f.write_str(" with (")?;
        for s in &self.steps {
            write!(f, " {s}")?;
        }
        f.write_str(" )")
    }
}

impl Display for ScanStep {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "step {}", self.name)?;
        match self.output {
            ScanOutput::All => {}
            ScanOutput::Last => f.write_str(" output = last")?,
            ScanOutput::None => f.write_str(" output = none")?,
        }
        write!(f, ": {}", self.condition)?;
        for (i, (c, e)) in self.assignments.iter().enumerate() {
            f.write_str(if i == 0 { " => " } else { ", " })?;
            write!(f, "{c} = {e}")?;
        }
        f.write_char(';')
    }
}
