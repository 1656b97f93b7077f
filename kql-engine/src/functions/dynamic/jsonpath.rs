//! Kusto's JSONPath subset (`jsonpath.md`): `$` the root, `.name` or `['name']` a child,
//! `[n]` an array subscript. Wildcards, recursion, unions and slices are not part of it.
//! `bag_has_key`, `bag_set_key` and `bag_remove_keys` also take a plain root key (`'key1'`).

use crate::dynamic::Step;

/// The steps of a path; `None` when the text is not a path of the subset.
pub fn parse(path: &str) -> Option<Vec<Step>> {
    let p = path.trim();
    let Some(mut rest) = p.strip_prefix('$') else {
        // A plain key names a root-level property.
        return (!p.is_empty()).then(|| vec![Step::Key(p.to_owned())]);
    };
    let mut steps = Vec::new();
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('.') {
            let end = r.find(['.', '[']).unwrap_or(r.len());
            let name = &r[..end];
            if name.is_empty() || name == "*" {
                return None;
            }
            steps.push(Step::Key(name.to_owned()));
            rest = &r[end..];
        } else if let Some(r) = rest.strip_prefix('[') {
            let r = r.trim_start();
            if let Some(q) = r.chars().next().filter(|c| *c == '\'' || *c == '"') {
                // ['name'] with \' escapes.
                let mut name = String::new();
                let mut chars = r[1..].char_indices();
                let mut close = None;
                while let Some((i, c)) = chars.next() {
                    match c {
                        '\\' => name.push(chars.next()?.1),
                        c if c == q => {
                            close = Some(i + 2);
                            break;
                        }
                        c => name.push(c),
                    }
                }
                let after = r[close?..].trim_start();
                rest = after.strip_prefix(']')?;
                steps.push(Step::Key(name));
            } else {
                let end = r.find(']')?;
                let n: i64 = r[..end].trim().parse().ok()?;
                steps.push(Step::Index(n));
                rest = &r[end + 1..];
            }
        } else {
            return None;
        }
    }
    Some(steps)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_subset() {
        assert_eq!(parse("$.key2.prop1"), Some(vec![Step::Key("key2".into()), Step::Key("prop1".into())]));
        assert_eq!(parse("$['a b'][0].c"), Some(vec![Step::Key("a b".into()), Step::Index(0), Step::Key("c".into())]));
        assert_eq!(parse("$['it\\'s']"), Some(vec![Step::Key("it's".into())]));
        assert_eq!(parse("key1"), Some(vec![Step::Key("key1".into())]));
        assert_eq!(parse("$"), Some(vec![]));
        assert_eq!(parse("$.*"), None);
        assert_eq!(parse("$[x]"), None);
    }
}
