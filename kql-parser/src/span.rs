//! Byte-offset source spans and line/column lookup.

use std::fmt;

/// A half-open byte range `[start, end)` into the query text.
///
/// Spans compare by value. AST nodes carry a span, but their equality ignores it (see
/// [`crate::ast`]), so two parses of differently formatted text compare equal.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    /// Byte offset of the first byte.
    pub start: usize,
    /// Byte offset one past the last byte.
    pub end: usize,
}

impl Span {
    /// A span from `start` to `end` (byte offsets).
    pub const fn new(start: usize, end: usize) -> Self {
        Self { start, end }
    }

    /// The smallest span covering both `self` and `other`.
    pub fn to(self, other: Self) -> Self {
        Self::new(self.start.min(other.start), self.end.max(other.end))
    }

    /// Length in bytes.
    pub const fn len(self) -> usize {
        self.end - self.start
    }

    /// Whether the span covers no bytes.
    pub const fn is_empty(self) -> bool {
        self.start == self.end
    }

    /// The 1-based line and column (in characters) of `self.start` within `text`.
    ///
    /// Offsets past the end of `text` are clamped; an offset inside a multi-byte character
    /// counts that character as started.
    pub fn line_col(self, text: &str) -> LineCol {
        LineCol::of(text, self.start)
    }
}

impl fmt::Debug for Span {
    /// Compact `start..end`, so AST dumps stay readable.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.start, self.end)
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.start, self.end)
    }
}

/// A 1-based line and column, the way editors show positions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LineCol {
    /// 1-based line number.
    pub line: usize,
    /// 1-based column, counted in Unicode scalar values.
    pub column: usize,
}

impl LineCol {
    /// The line and column of byte `offset` in `text`.
    pub fn of(text: &str, offset: usize) -> Self {
        let offset = offset.min(text.len());
        let before = text.get(..offset).unwrap_or_else(|| {
            // `offset` is inside a multi-byte character: back up to its first byte.
            let mut o = offset;
            while o > 0 && !text.is_char_boundary(o) {
                o -= 1;
            }
            &text[..o]
        });
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let line = before.matches('\n').count() + 1;
        let column = before[line_start..].chars().count() + 1;
        Self { line, column }
    }
}

impl fmt::Display for LineCol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, column {}", self.line, self.column)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_characters() {
        let text = "ab\ncdé f\n";
        assert_eq!(LineCol::of(text, 0), LineCol { line: 1, column: 1 });
        assert_eq!(LineCol::of(text, 3), LineCol { line: 2, column: 1 });
        // 'f' is after a two-byte 'é'
        assert_eq!(LineCol::of(text, 8), LineCol { line: 2, column: 5 });
        assert_eq!(LineCol::of(text, 1000), LineCol { line: 3, column: 1 });
        // inside 'é'
        assert_eq!(LineCol::of(text, 6), LineCol { line: 2, column: 3 });
    }
}
