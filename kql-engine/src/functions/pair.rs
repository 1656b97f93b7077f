//! The string operators with a right side that changes per row (`Name has ParentName`,
//! `Url startswith Prefix`, `a =~ b`): the same matching rules as [`HasUdf`](super::has::HasUdf)
//! (term boundaries, Unicode case folding, a null string is `""`), applied to each pair of
//! values. Buffers for the case-folded pair are reused from row to row.

use std::hash::Hash;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray as _, BooleanArray};
use datafusion::arrow::buffer::BooleanBuffer;
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, exec_err, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use memchr::memmem;

use super::has::MatchOp;
use super::term::{TermKind, is_term_char};

/// `left <op> right`, both string expressions, row by row.
#[derive(Debug)]
pub struct PairMatchUdf {
    pub(crate) op: MatchOp,
    signature: Signature,
}

impl PartialEq for PairMatchUdf {
    fn eq(&self, other: &Self) -> bool {
        self.op == other.op
    }
}
impl Eq for PairMatchUdf {}
impl Hash for PairMatchUdf {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.op.hash(state);
    }
}

impl PairMatchUdf {
    /// The test `op` between two string expressions.
    pub fn call(op: MatchOp, left: Expr, right: Expr) -> Expr {
        Self::udf(op).call(vec![left, right])
    }

    /// The UDF.
    pub(crate) fn udf(op: MatchOp) -> ScalarUDF {
        ScalarUDF::new_from_impl(Self { op, signature: Signature::user_defined(Volatility::Immutable) })
    }
}

fn is_string_like(t: &DataType) -> bool {
    match t {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View | DataType::Null => true,
        DataType::Dictionary(_, v) => is_string_like(v),
        _ => false,
    }
}

impl ScalarUDFImpl for PairMatchUdf {
    fn name(&self) -> &str {
        self.op.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        match arg_types {
            [a, b] if is_string_like(a) && is_string_like(b) => Ok(vec![DataType::Utf8, DataType::Utf8]),
            _ => plan_err!("{} compares two strings", self.op.name),
        }
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Boolean)
    }

    fn is_nullable(&self, _args: &[Expr], _schema: &dyn datafusion::common::ExprSchema) -> bool {
        false
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let [left, right] = args.args.as_slice() else {
            return exec_err!("{} takes two strings", self.op.name);
        };
        let rows = args.number_rows;
        let left = cast(&left.to_array(rows)?, &DataType::Utf8)?;
        let right = cast(&right.to_array(rows)?, &DataType::Utf8)?;
        let (l, r) = (left.as_string::<i32>(), right.as_string::<i32>());
        let mut m = PairMatcher::new(self.op.kind, self.op.case_sensitive);
        let bits = BooleanBuffer::collect_bool(rows, |i| m.test(text(l, i), text(r, i)) != self.op.negated);
        Ok(ColumnarValue::Array(Arc::new(BooleanArray::new(bits, None)) as ArrayRef))
    }
}

/// A value of a string array; null is `""`.
fn text(a: &datafusion::arrow::array::StringArray, i: usize) -> &str {
    if a.is_valid(i) { a.value(i) } else { "" }
}

/// One operator's test of a haystack against a needle, with reusable case-folding buffers.
pub(crate) struct PairMatcher {
    kind: TermKind,
    case_sensitive: bool,
    hay: String,
    needle: String,
}

impl PairMatcher {
    pub(crate) fn new(kind: TermKind, case_sensitive: bool) -> Self {
        Self { kind, case_sensitive, hay: String::new(), needle: String::new() }
    }

    /// Whether `h` matches `n` (an empty needle matches everything but for `=~`).
    pub(crate) fn test(&mut self, h: &str, n: &str) -> bool {
        if n.is_empty() && self.kind != TermKind::Equals {
            return true;
        }
        if self.case_sensitive {
            return matches(self.kind, h, n);
        }
        fold(h, &mut self.hay);
        fold(n, &mut self.needle);
        matches(self.kind, &self.hay, &self.needle)
    }
}

/// `s` lower-cased into `out` (Unicode lower-casing, ASCII without allocation).
fn fold(s: &str, out: &mut String) {
    out.clear();
    if s.is_ascii() {
        out.push_str(s);
        out.make_ascii_lowercase();
    } else {
        out.extend(s.chars().flat_map(char::to_lowercase));
    }
}

fn matches(kind: TermKind, h: &str, n: &str) -> bool {
    match kind {
        TermKind::Equals => h == n,
        TermKind::StartsWith => h.starts_with(n),
        TermKind::EndsWith => h.ends_with(n),
        TermKind::Contains => memmem::find(h.as_bytes(), n.as_bytes()).is_some(),
        TermKind::Has | TermKind::Prefix | TermKind::Suffix => {
            let check_left =
                matches!(kind, TermKind::Has | TermKind::Prefix) && n.chars().next().is_some_and(is_term_char);
            let check_right =
                matches!(kind, TermKind::Has | TermKind::Suffix) && n.chars().next_back().is_some_and(is_term_char);
            memmem::find_iter(h.as_bytes(), n.as_bytes()).any(|start| {
                let end = start + n.len();
                let left_ok = !check_left || h[..start].chars().next_back().is_none_or(|c| !is_term_char(c));
                let right_ok = !check_right || h[end..].chars().next().is_none_or(|c| !is_term_char(c));
                left_ok && right_ok
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(kind: TermKind, cs: bool, h: &str, n: &str) -> bool {
        PairMatcher::new(kind, cs).test(h, n)
    }

    #[test]
    fn the_rules_of_the_constant_forms() {
        assert!(t(TermKind::Has, false, "C:\\Windows\\System32\\cmd.exe", "SYSTEM32"));
        assert!(!t(TermKind::Has, false, "myatera.com", "atera.com"));
        assert!(t(TermKind::Has, false, "x.atera.com", ".atera.com"));
        assert!(t(TermKind::Prefix, false, "run powershell.exe", "power"));
        assert!(!t(TermKind::Prefix, false, "run xpowershell", "power"));
        assert!(t(TermKind::Suffix, false, "a.EXE", "exe"));
        assert!(t(TermKind::Contains, false, "ÄBC", "äb"));
        assert!(!t(TermKind::Contains, true, "ÄBC", "äb"));
        assert!(t(TermKind::StartsWith, false, "Abc", "aB"));
        assert!(t(TermKind::EndsWith, true, "Abc", "bc"));
        assert!(t(TermKind::Equals, false, "ÉCOLE", "école"));
        assert!(t(TermKind::Has, false, "anything", ""));
        assert!(!t(TermKind::Equals, false, "x", ""));
        assert!(t(TermKind::Equals, false, "", ""));
    }
}
