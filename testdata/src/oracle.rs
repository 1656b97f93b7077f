//! The generator's own, deliberately simple evaluation of the rule filters (spec §5.2 and
//! §5.4), used to compute the ground truth. Character by character, no cleverness: it is the
//! reference the fast engine is checked against.

use crate::rules::Predicate;

/// A term character: a Unicode letter or digit (`_` is a delimiter).
fn is_term(c: char) -> bool {
    c.is_alphabetic() || c.is_numeric()
}

fn lower(s: &str) -> Vec<char> {
    s.chars().flat_map(char::to_lowercase).collect()
}

/// `haystack has needle`, case-insensitive: some occurrence of the needle whose edges, where
/// the needle's own edge character is a term character, sit on term boundaries.
pub fn has(haystack: &str, needle: &str) -> bool {
    if needle.is_empty() {
        return true;
    }
    if haystack.is_ascii() && needle.is_ascii() {
        return has_ascii(haystack.as_bytes(), needle.as_bytes());
    }
    let h = lower(haystack);
    let n = lower(needle);
    if n.len() > h.len() {
        return false;
    }
    let check_left = is_term(n[0]);
    let check_right = is_term(n[n.len() - 1]);
    (0..=h.len() - n.len()).any(|i| {
        let j = i + n.len();
        h[i..j] == n[..]
            && (!check_left || i == 0 || !is_term(h[i - 1]))
            && (!check_right || j == h.len() || !is_term(h[j]))
    })
}

/// The same rule on ASCII text, without allocating.
fn has_ascii(h: &[u8], n: &[u8]) -> bool {
    if n.len() > h.len() {
        return false;
    }
    let term = |b: u8| b.is_ascii_alphanumeric();
    let check_left = term(n[0]);
    let check_right = term(n[n.len() - 1]);
    (0..=h.len() - n.len()).any(|i| {
        let j = i + n.len();
        h[i..j].eq_ignore_ascii_case(n)
            && (!check_left || i == 0 || !term(h[i - 1]))
            && (!check_right || j == h.len() || !term(h[j]))
    })
}

/// `value startswith prefix`, case-insensitive.
pub fn starts_with(value: &str, prefix: &str) -> bool {
    lower(value).starts_with(&lower(prefix))
}

/// `value =~ other`.
pub fn equals_ci(value: &str, other: &str) -> bool {
    lower(value) == lower(other)
}

/// Evaluates `predicate` on a row given by a column lookup (`None` is a null). Kusto's null
/// rules: a null string behaves as `""`, so `has` is false and `isempty` is true.
pub fn eval<'a>(predicate: &Predicate, get: &impl Fn(&str) -> Option<&'a str>) -> bool {
    match predicate {
        Predicate::And(ps) => ps.iter().all(|p| eval(p, get)),
        Predicate::Or(ps) => ps.iter().any(|p| eval(p, get)),
        Predicate::Has { column, needles } => {
            let v = get(column).unwrap_or("");
            needles.iter().any(|n| has(v, n))
        }
        Predicate::Startswith { column, prefix } => starts_with(get(column).unwrap_or(""), prefix),
        Predicate::EqualsCi { column, value } => equals_ci(get(column).unwrap_or(""), value),
        Predicate::Isempty(column) => get(column).unwrap_or("").is_empty(),
    }
}

#[cfg(test)]
mod tests {
    use super::has;

    /// The test vectors of spec §5.2.
    #[test]
    fn spec_vectors() {
        let cases: &[(&str, &str, bool)] = &[
            ("North America", "america", true),
            ("North America", "amer", false),
            ("North America", "North America", true),
            ("KustoExplorerQueryRun", "Explorer", false),
            ("a_b", "a", true),
            ("a-b", "a", true),
            ("a.b", "a", true),
            ("a b", "a", true),
            ("a", "a", true),
            ("ab", "a", false),
            ("a1", "a", false),
            ("éa", "a", false),
            ("x a-b y", "a-b", true),
            ("x ab y", "a-b", false),
            ("x a_b y", "a-b", false),
            ("a b", "a ", true),
            ("xa b", "a ", false),
            ("x a-b y", " a", true),
            ("x ab y", " a", false),
            ("…/resourcegroups/test.rg000001?api-version=…", "/resourcegroups/test.rg000001?", true),
            ("https://agent-api.atera.com/x", "atera.com", true),
            ("atera.com", "atera.com", true),
            ("myatera.com", "atera.com", false),
            ("atera.community.net", "atera.com", false),
            ("atera-agent-heartbeat-cns.servicebus.windows.net", "atera-agent-heartbeat", true),
            ("Atera Networks, Inc.", "Atera Networks", true),
            ("AteraNetworks", "Atera Networks", false),
            ("Atera  Networks", "Atera Networks", false),
            ("ATERA.COM", "atera.com", true),
            ("DWSNET OÜ", "DWSNET OÜ", true),
            ("anything", "", true),
            ("a b", " ", true),
        ];
        for (h, n, want) in cases {
            assert_eq!(has(h, n), *want, "{h:?} has {n:?}");
        }
    }
}

#[cfg(test)]
mod ascii_path {
    use rand::{Rng, SeedableRng};

    /// The allocation-free ASCII path agrees with the general one.
    #[test]
    fn agrees_with_the_general_path() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(9);
        let alphabet = b"aAbB. -_1";
        let word = |rng: &mut rand_chacha::ChaCha8Rng, max: usize| -> String {
            let n = rng.random_range(1..=max);
            (0..n).map(|_| char::from(alphabet[rng.random_range(0..alphabet.len())])).collect()
        };
        for _ in 0..20_000 {
            let h = word(&mut rng, 8);
            let n = word(&mut rng, 3);
            let lower_h: Vec<char> = h.chars().flat_map(char::to_lowercase).collect();
            let lower_n: Vec<char> = n.chars().flat_map(char::to_lowercase).collect();
            let term = |c: char| c.is_alphanumeric();
            let reference = lower_n.len() <= lower_h.len()
                && (0..=lower_h.len() - lower_n.len()).any(|i| {
                    let j = i + lower_n.len();
                    lower_h[i..j] == lower_n[..]
                        && (!term(lower_n[0]) || i == 0 || !term(lower_h[i - 1]))
                        && (!term(lower_n[lower_n.len() - 1]) || j == lower_h.len() || !term(lower_h[j]))
                });
            assert_eq!(super::has(&h, &n), reference, "{h:?} has {n:?}");
        }
    }
}
