//! Kusto's term matching (spec §5.2), compiled once per query for literal needles.
//!
//! A term character is a Unicode letter or digit (`_` is a delimiter). A needle occurrence at
//! `[i, j)` matches when, at each edge where the needle's own character is a term character,
//! the neighbouring haystack character is not (or there is none). Every occurrence is tried.
//! `hasprefix` checks only the left edge, `hassuffix` only the right one.
//!
//! ASCII haystacks (nearly all real telemetry) are searched in place with one Aho-Corasick
//! automaton over all needles, ASCII case-insensitive, reporting overlapping matches so every
//! occurrence is tried. Other haystacks are lower-cased (full Unicode) and searched with
//! `memmem`, with boundaries decided by Unicode general category.
//!
//! Runs of ASCII values laid end to end (an Arrow string array's value buffer) are searched
//! in one pass (`TermMatcher::scan_ascii`): lower-cased once, then a SIMD substring search
//! (`memmem` for one needle, a case-sensitive Aho-Corasick automaton with its packed
//! prefilter for several), each candidate mapped to its value and checked against that value's
//! edges. Per-value search pays the automaton's start-up for every value; this pays it once.

use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, Input, MatchKind};
use memchr::memmem;
use unicode_properties::{GeneralCategoryGroup, UnicodeGeneralCategory};

/// How a needle must occur.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum TermKind {
    /// `has`: a whole term (both edges checked).
    Has,
    /// `hasprefix`: a term starts with the needle (left edge checked).
    Prefix,
    /// `hassuffix`: a term ends with the needle (right edge checked).
    Suffix,
    /// `contains`: anywhere.
    Contains,
    /// `startswith`: the whole string starts with it.
    StartsWith,
    /// `endswith`: the whole string ends with it.
    EndsWith,
    /// `=~`, `in~`: the whole string equals it.
    Equals,
}

impl TermKind {
    fn anchored(self) -> bool {
        matches!(self, Self::StartsWith | Self::EndsWith | Self::Equals)
    }
}

/// A Unicode letter or digit.
#[inline]
pub(crate) fn is_term_char(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphanumeric()
    } else {
        matches!(c.general_category_group(), GeneralCategoryGroup::Letter | GeneralCategoryGroup::Number)
    }
}

#[derive(Debug)]
struct Needle {
    /// The needle, lower-cased unless case-sensitive.
    text: String,
    check_left: bool,
    check_right: bool,
    finder: memmem::Finder<'static>,
}

/// A compiled set of needles.
#[derive(Debug)]
pub(crate) struct TermMatcher {
    kind: TermKind,
    case_sensitive: bool,
    needles: Vec<Needle>,
    /// Whether some needle is empty (which matches everything).
    has_empty: bool,
    /// Automaton over the ASCII needles (pattern ids index `ascii_ids`).
    ascii: Option<AhoCorasick>,
    /// `ascii` pattern id → index into `needles`.
    ascii_ids: Vec<usize>,
    /// The searcher for ASCII runs, built on first use.
    runs: OnceLock<RunSearcher>,
}

/// How [`TermMatcher::scan_ascii`] finds candidates in a (case-normalised) ASCII run.
#[derive(Debug)]
enum RunSearcher {
    /// No needle can occur in ASCII text.
    Nothing,
    /// One ASCII needle: `memmem` with its finder (index into `needles`).
    One(usize),
    /// Several: a case-sensitive automaton over the stored (normalised) texts, pattern ids as
    /// `ascii_ids`.
    Many(AhoCorasick),
    /// The automaton could not be built: values are searched one at a time.
    Unavailable,
}

impl TermMatcher {
    /// Compiles `needles`.
    pub(crate) fn new(needles: &[String], kind: TermKind, case_sensitive: bool) -> Self {
        let mut compiled = Vec::with_capacity(needles.len());
        let mut has_empty = false;
        for n in needles {
            if n.is_empty() && kind != TermKind::Equals {
                has_empty = true;
                continue;
            }
            let text = if case_sensitive { n.clone() } else { n.to_lowercase() };
            let (first, last) = (text.chars().next(), text.chars().next_back());
            let check_left = matches!(kind, TermKind::Has | TermKind::Prefix) && first.is_some_and(is_term_char);
            let check_right = matches!(kind, TermKind::Has | TermKind::Suffix) && last.is_some_and(is_term_char);
            let finder = memmem::Finder::new(text.as_bytes()).into_owned();
            compiled.push(Needle { text, check_left, check_right, finder });
        }
        let ascii_ids: Vec<usize> = (0..compiled.len()).filter(|&i| compiled[i].text.is_ascii()).collect();
        let ascii = (!ascii_ids.is_empty() && !kind.anchored())
            .then(|| {
                AhoCorasickBuilder::new()
                    .match_kind(MatchKind::Standard)
                    .ascii_case_insensitive(!case_sensitive)
                    .build(ascii_ids.iter().map(|&i| compiled[i].text.as_bytes()))
                    .ok()
            })
            .flatten();
        Self { kind, case_sensitive, needles: compiled, has_empty, ascii, ascii_ids, runs: OnceLock::new() }
    }

    /// Whether [`Self::scan_ascii`] answers [`Self::any`] for runs of values: an unanchored
    /// search without an empty needle.
    pub(crate) fn scans_runs(&self) -> bool {
        !self.has_empty && !self.kind.anchored()
    }

    /// [`Self::scan_ascii`] over a run of values the caller owns: lower-cased in place unless
    /// the matcher is case-sensitive. Returns `false` (having called nothing) when the run holds
    /// other text than ASCII or runs cannot be searched; the caller then tests values one at
    /// a time.
    pub(crate) fn scan_run(&self, run: &mut [u8], bounds: &[usize], hit: impl FnMut(usize)) -> bool {
        if !run.is_ascii() {
            return false;
        }
        if !self.case_sensitive {
            run.make_ascii_lowercase();
        }
        self.scan_ascii(run, bounds, hit)
    }

    fn run_searcher(&self) -> &RunSearcher {
        self.runs.get_or_init(|| match self.ascii_ids.as_slice() {
            [] => RunSearcher::Nothing,
            [one] => RunSearcher::One(*one),
            // A DFA even for many needles (the automatic choice stops at 100): one table
            // lookup per byte over whole runs repays its build.
            ids => AhoCorasickBuilder::new()
                .match_kind(MatchKind::Standard)
                .kind(Some(AhoCorasickKind::DFA))
                .build(ids.iter().map(|&i| self.needles[i].text.as_bytes()))
                .map_or(RunSearcher::Unavailable, RunSearcher::Many),
        })
    }

    /// [`Self::any`] for every value of an ASCII run: `hay` holds the values end to end,
    /// lower-cased unless the matcher is case-sensitive; value `i` is
    /// `hay[bounds[i]..bounds[i + 1]]`. Calls `hit(i)` once for each value with a match, in
    /// order. Returns `false` (having called nothing) when runs cannot be searched; the caller
    /// then tests values one at a time.
    fn scan_ascii(&self, hay: &[u8], bounds: &[usize], mut hit: impl FnMut(usize)) -> bool {
        let rows = bounds.len().saturating_sub(1);
        if rows == 0 || hay.len() < bounds[rows] {
            return rows == 0;
        }
        let hay = &hay[..bounds[rows]];
        // The value holding byte `at`, from `row` on (candidates come in increasing order).
        let locate = |row: &mut usize, at: usize| {
            while *row < rows && bounds[*row + 1] <= at {
                *row += 1;
            }
        };
        match self.run_searcher() {
            RunSearcher::Unavailable => return false,
            RunSearcher::Nothing => {}
            RunSearcher::One(i) => {
                let n = &self.needles[*i];
                let (mut row, mut pos) = (0, 0);
                while let Some(found) = n.finder.find(&hay[pos..]) {
                    let start = pos + found;
                    let end = start + n.text.len();
                    locate(&mut row, start);
                    let (first, last) = (bounds[row], bounds[row + 1]);
                    if end <= last && run_edges_ok(hay, start, end, first, last, n) {
                        hit(row);
                        row += 1;
                        pos = last;
                        if row == rows {
                            break;
                        }
                    } else {
                        pos = start + 1;
                    }
                }
            }
            RunSearcher::Many(ac) => {
                let (mut row, mut pos) = (0, 0);
                'values: while row < rows {
                    let mut state = aho_corasick::automaton::OverlappingState::start();
                    loop {
                        ac.find_overlapping(Input::new(hay).range(pos..), &mut state);
                        let Some(m) = state.get_match() else { break 'values };
                        // Overlapping matches come in order of their ends: one starting
                        // before the current value also ends inside it, so it crosses a
                        // boundary between values.
                        if m.start() < bounds[row] {
                            continue;
                        }
                        locate(&mut row, m.start());
                        let (first, last) = (bounds[row], bounds[row + 1]);
                        let n = &self.needles[self.ascii_ids[m.pattern().as_usize()]];
                        if m.end() <= last && run_edges_ok(hay, m.start(), m.end(), first, last, n) {
                            hit(row);
                            row += 1;
                            pos = last;
                            continue 'values;
                        }
                    }
                }
            }
        }
        true
    }

    /// Whether any needle matches (`has`, `has_any`).
    pub(crate) fn any(&self, haystack: &str) -> bool {
        if self.has_empty {
            return true;
        }
        if self.kind.anchored() {
            return self.anchored_any(haystack);
        }
        if haystack.is_ascii() {
            let Some(ac) = &self.ascii else { return false };
            let h = haystack.as_bytes();
            ac.find_overlapping_iter(h).any(|m| {
                let n = &self.needles[self.ascii_ids[m.pattern().as_usize()]];
                run_edges_ok(h, m.start(), m.end(), 0, h.len(), n)
            })
        } else {
            self.any_unicode(haystack)
        }
    }

    /// Whether every needle matches (`has_all`).
    pub(crate) fn all(&self, haystack: &str) -> bool {
        if self.needles.is_empty() {
            return true;
        }
        if self.kind.anchored() {
            return self.needles.iter().all(|n| self.anchored(haystack, n));
        }
        if haystack.is_ascii() {
            if self.ascii_ids.len() < self.needles.len() {
                // A non-ASCII needle cannot occur in ASCII text.
                return false;
            }
            let Some(ac) = &self.ascii else { return false };
            let h = haystack.as_bytes();
            let mut found = vec![false; self.ascii_ids.len()];
            let mut left = found.len();
            for m in ac.find_overlapping_iter(h) {
                let p = m.pattern().as_usize();
                if !found[p] && run_edges_ok(h, m.start(), m.end(), 0, h.len(), &self.needles[self.ascii_ids[p]]) {
                    found[p] = true;
                    left -= 1;
                    if left == 0 {
                        return true;
                    }
                }
            }
            false
        } else {
            let lowered;
            let h = if self.case_sensitive {
                haystack
            } else {
                lowered = haystack.to_lowercase();
                &lowered
            };
            self.needles.iter().all(|n| unicode_occurs(h, n))
        }
    }

    fn anchored_any(&self, haystack: &str) -> bool {
        self.needles.iter().any(|n| self.anchored(haystack, n))
    }

    /// `startswith`, `endswith`, `=~` for one needle.
    fn anchored(&self, haystack: &str, n: &Needle) -> bool {
        let fits = |h: &str| match self.kind {
            TermKind::StartsWith => h.len() >= n.text.len() && starts_eq(h, &n.text, self.case_sensitive),
            TermKind::EndsWith => h.len() >= n.text.len() && ends_eq(h, &n.text, self.case_sensitive),
            _ => h.len() == n.text.len() && starts_eq(h, &n.text, self.case_sensitive),
        };
        if self.case_sensitive || (haystack.is_ascii() && n.text.is_ascii()) {
            fits(haystack)
        } else {
            fits(&haystack.to_lowercase())
        }
    }

    fn any_unicode(&self, haystack: &str) -> bool {
        let lowered;
        let h = if self.case_sensitive {
            haystack
        } else {
            lowered = haystack.to_lowercase();
            &lowered
        };
        self.needles.iter().any(|n| unicode_occurs(h, n))
    }
}

/// `h` starts with `n` (ASCII case-insensitively unless `cs`; `n` is already lower case).
#[inline]
fn starts_eq(h: &str, n: &str, cs: bool) -> bool {
    let (h, n) = (h.as_bytes(), n.as_bytes());
    h.len() >= n.len() && if cs { &h[..n.len()] == n } else { h[..n.len()].eq_ignore_ascii_case(n) }
}

#[inline]
fn ends_eq(h: &str, n: &str, cs: bool) -> bool {
    let (h, n) = (h.as_bytes(), n.as_bytes());
    h.len() >= n.len() && {
        let tail = &h[h.len() - n.len()..];
        if cs { tail == n } else { tail.eq_ignore_ascii_case(n) }
    }
}

/// An occurrence `h[start..end]` of `n` inside the ASCII value `h[first..last]` has the term
/// boundaries `n` asks for.
#[inline]
fn run_edges_ok(h: &[u8], start: usize, end: usize, first: usize, last: usize, n: &Needle) -> bool {
    (!n.check_left || start == first || !h[start - 1].is_ascii_alphanumeric())
        && (!n.check_right || end == last || !h[end].is_ascii_alphanumeric())
}

/// Some occurrence of `n` in `h` (both already case-normalised) has term boundaries.
fn unicode_occurs(h: &str, n: &Needle) -> bool {
    n.finder.find_iter(h.as_bytes()).any(|start| {
        let end = start + n.text.len();
        let left_ok = !n.check_left || h[..start].chars().next_back().is_none_or(|c| !is_term_char(c));
        let right_ok = !n.check_right || h[end..].chars().next().is_none_or(|c| !is_term_char(c));
        left_ok && right_ok
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn has(h: &str, n: &str) -> bool {
        TermMatcher::new(&[n.to_owned()], TermKind::Has, false).any(h)
    }
    fn kind(h: &str, n: &str, k: TermKind) -> bool {
        TermMatcher::new(&[n.to_owned()], k, false).any(h)
    }

    /// Every test vector of spec §5.2.
    #[test]
    fn spec_vectors() {
        assert!(has("North America", "america"));
        assert!(!has("North America", "amer"));
        assert!(TermMatcher::new(&["America".into()], TermKind::Has, true).any("North America"));
        assert!(!TermMatcher::new(&["america".into()], TermKind::Has, true).any("North America"));
        assert!(kind("North America", "ame", TermKind::Prefix));
        assert!(kind("North America", "ica", TermKind::Suffix));
        assert!(!has("KustoExplorerQueryRun", "Explorer"));
        for h in ["a_b", "a-b", "a.b", "a b", "a"] {
            assert!(has(h, "a"), "{h}");
        }
        for h in ["ab", "a1", "éa"] {
            assert!(!has(h, "a"), "{h}");
        }
        assert!(has("x a-b y", "a-b"));
        assert!(!has("x ab y", "a-b"));
        assert!(!has("x a_b y", "a-b"));
        assert!(has("a b", "a "));
        assert!(!has("xa b", "a "));
        assert!(has("x a-b y", " a"));
        assert!(!has("x ab y", " a"));
        assert!(has("…/resourcegroups/test.rg000001?api-version=…", "/resourcegroups/test.rg000001?"));
        assert!(has("North America", "North America"));
        for h in ["x-error", "the error", "err or"] {
            assert!(kind(h, "err", TermKind::Prefix), "{h}");
        }
        assert!(!kind("err or", "r o", TermKind::Prefix));
        assert!(!kind("an errorlog", "or", TermKind::Suffix));
        assert!(!kind("x-error", "err", TermKind::Suffix));
        assert!(kind("x ab y", " a", TermKind::Prefix));
        assert!(!kind("x ab y", " a", TermKind::Suffix));
        assert!(kind("abc", "", TermKind::Prefix));
        assert!(kind("abc", "", TermKind::Suffix));
        // The sample rule.
        assert!(has("https://agent-api.atera.com/x", "atera.com"));
        assert!(has("atera.com", "atera.com"));
        assert!(!has("myatera.com", "atera.com"));
        assert!(!has("atera.community.net", "atera.com"));
        assert!(has("atera-agent-heartbeat-cns.servicebus.windows.net", "atera-agent-heartbeat"));
        assert!(has("Atera Networks, Inc.", "Atera Networks"));
        assert!(!has("AteraNetworks", "Atera Networks"));
        assert!(!has("Atera  Networks", "Atera Networks"));
        // Delimiter-only and empty needles.
        assert!(has("a b", " "));
        assert!(!has("ab", " "));
        assert!(has("", ""));
    }

    #[test]
    fn every_occurrence_is_tried() {
        // The first occurrence fails its boundary, the second matches.
        assert!(has("myatera.com and atera.com", "atera.com"));
        assert!(has("ÉÉatera.com atera.com", "atera.com"));
        // Overlapping needles in one automaton.
        let m = TermMatcher::new(&["ab".into(), "abc".into()], TermKind::Has, false);
        assert!(m.any("x abc y"));
        assert!(!m.any("xabcd"));
    }

    #[test]
    fn unicode() {
        assert!(has("DWSNET OÜ", "DWSNET OÜ"));
        assert!(has("dwsnet oü", "DWSNET OÜ"));
        assert!(!has("DWSNET OÜX", "DWSNET OÜ"));
        assert!(has("Krämer IT Solutions GmbH", "krämer it solutions"));
        assert!(!has("éatera.com", "atera.com"));
        assert!(has("—atera.com", "atera.com"), "an em dash is a delimiter");
        assert!(!has("١atera", "atera"), "Arabic-Indic digits are term characters");
        assert!(has("日本 atera", "atera"));
        assert!(!has("日本atera", "atera"), "CJK letters are term characters");
    }

    #[test]
    fn whole_string_kinds() {
        let m = |k, n: &str, cs| TermMatcher::new(&[n.to_owned()], k, cs);
        assert!(m(TermKind::Contains, "TERA.c", false).any("myatera.com"));
        assert!(!m(TermKind::Contains, "TERA.c", true).any("myatera.com"));
        assert!(m(TermKind::StartsWith, "LEVEL", false).any("levelagent.exe"));
        assert!(!m(TermKind::StartsWith, "level", false).any("xlevel"));
        assert!(m(TermKind::EndsWith, ".EXE", false).any("a.exe"));
        assert!(m(TermKind::Equals, "PDQ-Connect-Agent.exe", false).any("pdq-connect-agent.EXE"));
        assert!(!m(TermKind::Equals, "a", false).any("ab"));
        assert!(m(TermKind::Equals, "", false).any(""));
        assert!(!m(TermKind::Equals, "", false).any("x"));
        assert!(m(TermKind::Equals, "KRÄMER", false).any("krämer"));
        assert!(m(TermKind::StartsWith, "", false).any("x"));
        assert!(m(TermKind::Contains, "", false).any(""));
    }

    #[test]
    fn all_needles() {
        let m = TermMatcher::new(&["a".into(), "b".into()], TermKind::Has, false);
        assert!(m.all("b x a"));
        assert!(!m.all("ab"));
        assert!(!m.all("a"));
        let m = TermMatcher::new(&["é".into(), "b".into()], TermKind::Has, false);
        assert!(!m.all("b"));
        assert!(m.all("É b"));
    }
}
