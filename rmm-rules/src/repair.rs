//! The one repair that makes the published RMM rule files readable.
//!
//! Every rule of the upstream RMM catalog indents a connector's `dataTypes:` like the list item
//! it belongs to:
//!
//! ```yaml
//! requiredDataConnectors:
//!     - connectorId: MicrosoftThreatProtection
//!     dataTypes:
//!         - DeviceNetworkEvents
//! ```
//!
//! That is not YAML (a mapping key cannot sit at the indentation of a sequence), but the intent
//! is plain: `dataTypes` is the second key of the `- connectorId` item. The repair moves such a
//! key, and the block under it, under the item. It is applied only to a file a strict parser
//! rejects, and every change is reported with its line.

use crate::rule::Repair;

/// Re-indents mapping keys that sit at the indentation of the list item before them, when that
/// item is itself a mapping (`- key: value`). Returns the repaired text and the changes, or
/// `None` when there is nothing to repair.
pub(crate) fn reindent_list_item_keys(text: &str) -> Option<(String, Vec<Repair>)> {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let mut out = String::with_capacity(text.len() + 64);
    let mut repairs = Vec::new();
    // The indentation of the `- ` of the last list item that opened a mapping, when the list is
    // indented deeper than its key (in the compact style, `key:` then `- item` at the same
    // indentation, a key at that indentation belongs to the outer mapping, as YAML says).
    let mut item: Option<usize> = None;
    // The indentation of the last `key:` that opened a block.
    let mut parent: Option<usize> = None;
    // Inside a block scalar (`key: |`) whose key sits at this indentation.
    let mut scalar: Option<usize> = None;
    // Lines being moved: (indentation they were at or below, spaces added).
    let mut moving: Option<usize> = None;
    for (i, line) in lines.iter().enumerate() {
        let content = line.trim_end_matches(['\n', '\r']);
        let body = content.trim_start_matches(' ');
        let indent = content.len() - body.len();
        let blank = body.is_empty() || body.starts_with('#');
        if blank {
            out.push_str(line);
            continue;
        }
        if let Some(key_indent) = scalar {
            if indent > key_indent {
                if moving.is_some() {
                    out.push_str("  ");
                }
                out.push_str(line);
                continue;
            }
            scalar = None;
        }
        if let Some(at) = moving {
            if indent > at {
                out.push_str("  ");
                out.push_str(line);
                if opens_block_scalar(body) {
                    scalar = Some(indent);
                }
                continue;
            }
            moving = None;
        }
        if let Some(dash) = body.strip_prefix("- ") {
            if item != Some(indent) {
                item = (parent.is_some_and(|p| p < indent) && is_mapping_entry(dash.trim_start())).then_some(indent);
            }
        } else if item == Some(indent) && is_mapping_entry(body) {
            let key = body.split(':').next().unwrap_or(body);
            repairs.push(Repair {
                line: i + 1,
                message: format!("`{key}:` is indented like the list item above it; read it as a key of that item"),
            });
            out.push_str("  ");
            out.push_str(line);
            moving = Some(indent);
            if opens_block_scalar(body) {
                scalar = Some(indent);
            }
            continue;
        } else if item.is_some_and(|at| indent <= at) {
            item = None;
        }
        if opens_block_scalar(body) {
            scalar = Some(indent);
        }
        if body.ends_with(':') && is_mapping_entry(body) {
            parent = Some(indent);
        }
        out.push_str(line);
    }
    (!repairs.is_empty()).then_some((out, repairs))
}

/// `key: value` or `key:` (a plain key, not a quoted scalar or a flow collection).
fn is_mapping_entry(body: &str) -> bool {
    let Some((key, rest)) = body.split_once(':') else { return false };
    !key.is_empty()
        && key.chars().all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | ' '))
        && (rest.is_empty() || rest.starts_with([' ', '\r', '\n']))
}

/// `key: |`, `key: >-`, ...: the lines below are text, not YAML structure.
fn opens_block_scalar(body: &str) -> bool {
    let Some((_, rest)) = body.split_once(':') else { return false };
    let rest = rest.trim();
    rest.starts_with('|') || rest.starts_with('>')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moves_the_key_and_its_block_under_the_item() {
        let text = "a: 1\nrequiredDataConnectors:\n    - connectorId: X\n    dataTypes:\n        - T1\n        - T2\ntactics: C\n";
        let (fixed, repairs) = reindent_list_item_keys(text).expect("a repair");
        assert_eq!(
            fixed,
            "a: 1\nrequiredDataConnectors:\n    - connectorId: X\n      dataTypes:\n          - T1\n          - T2\ntactics: C\n"
        );
        assert_eq!(repairs.len(), 1);
        assert_eq!(repairs[0].line, 4);
    }

    #[test]
    fn keeps_crlf_and_leaves_block_scalars_alone() {
        let text = "query: |\r\n  list:\r\n    - a: 1\r\n    b: 2\r\nlist:\r\n  - x: 1\r\n  y: 2\r\n";
        // `y:` at the indentation of `- x: 1` is the defect; the query text is not touched.
        let (fixed, repairs) = reindent_list_item_keys(text).expect("a repair");
        assert_eq!(fixed, "query: |\r\n  list:\r\n    - a: 1\r\n    b: 2\r\nlist:\r\n  - x: 1\r\n    y: 2\r\n");
        assert_eq!(repairs.len(), 1);
        assert_eq!(repairs[0].line, 7);
    }

    #[test]
    fn valid_yaml_is_not_changed() {
        let text = "requiredDataConnectors:\n- connectorId: X\n  dataTypes:\n  - T1\ntactics: C\n";
        assert_eq!(reindent_list_item_keys(text), None);
        let text = "items:\n  - a\n  - b\nnext: 1\n";
        assert_eq!(reindent_list_item_keys(text), None);
        // The compact style: `y` is a key of the outer mapping.
        let text = "list:\n- x: 1\ny: 2\n";
        assert_eq!(reindent_list_item_keys(text), None);
    }
}
