//! `parse_xml(text)`: XML as a `dynamic` value, by the documented conversion: an element is a
//! key holding null (`<e/>`), its text (`<e>text</e>`), or a bag of `@attribute`s, child
//! elements (repeated ones as an array) and `#text`; only elements, attributes and text are
//! kept. Text is trimmed and whitespace-only text is dropped. Invalid XML, or text over 1 MiB,
//! is null.

use datafusion::arrow::array::ArrayRef;
use datafusion::common::Result;
use indexmap::IndexMap;
use quick_xml::events::Event;

use super::Param::Str;
use super::{Call, Def, Out, f};
use crate::dynamic::Dyn;

/// The XML functions.
pub static FUNCTIONS: &[Def] = &[f("parse_xml", &[Str], Out::Dyn, parse_xml)];

/// The documented input limit.
const MAX_BYTES: usize = 1 << 20;

/// An element being read.
#[derive(Debug, Default)]
struct Element {
    name: String,
    /// Attributes, children and `#text`, in document order (repeated children gathered).
    entries: IndexMap<String, Dyn>,
    text: String,
    has_attributes: bool,
    has_children: bool,
}

impl Element {
    /// A child element (an element's value is never an array, so an array here is a repeated
    /// child's).
    fn add_child(&mut self, name: String, value: Dyn) {
        self.has_children = true;
        self.flush_text();
        match self.entries.get_mut(&name) {
            Some(Dyn::Array(items)) => items.push(value),
            Some(existing) => {
                let first = std::mem::replace(existing, Dyn::Null);
                *existing = Dyn::Array(vec![first, value]);
            }
            None => {
                self.entries.insert(name, value);
            }
        }
    }

    /// Text seen so far becomes `#text` at its place among the children.
    fn flush_text(&mut self) {
        let t = self.text.trim();
        if !t.is_empty() {
            let t = t.to_owned();
            match self.entries.get_mut("#text") {
                Some(Dyn::String(s)) => s.push_str(&t),
                _ => {
                    self.entries.insert("#text".to_owned(), Dyn::String(t));
                }
            }
        }
        self.text.clear();
    }

    fn finish(mut self) -> (String, Dyn) {
        if !self.has_attributes && !self.has_children {
            let t = self.text.trim();
            return (self.name, if t.is_empty() { Dyn::Null } else { Dyn::String(t.to_owned()) });
        }
        self.flush_text();
        (self.name, Dyn::Bag(self.entries))
    }
}

fn element(e: &quick_xml::events::BytesStart<'_>) -> Option<Element> {
    let mut el = Element { name: String::from_utf8(e.name().as_ref().to_vec()).ok()?, ..Element::default() };
    for a in e.attributes() {
        let a = a.ok()?;
        let key = format!("@{}", std::str::from_utf8(a.key.as_ref()).ok()?);
        let value = a.unescape_value().ok()?.into_owned();
        el.entries.insert(key, Dyn::String(value));
        el.has_attributes = true;
    }
    Some(el)
}

/// The document as a `dynamic` value; `None` when it is not well-formed XML.
pub fn xml_to_dyn(text: &str) -> Option<Dyn> {
    if text.len() > MAX_BYTES {
        return None;
    }
    let mut reader = quick_xml::Reader::from_str(text);
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<(String, Dyn)> = None;
    loop {
        match reader.read_event().ok()? {
            Event::Start(e) => stack.push(element(&e)?),
            Event::Empty(e) => {
                let (name, value) = element(&e)?.finish();
                match stack.last_mut() {
                    Some(parent) => parent.add_child(name, value),
                    None if root.is_none() => root = Some((name, value)),
                    None => return None,
                }
            }
            Event::End(_) => {
                let (name, value) = stack.pop()?.finish();
                match stack.last_mut() {
                    Some(parent) => parent.add_child(name, value),
                    None if root.is_none() => root = Some((name, value)),
                    None => return None,
                }
            }
            Event::Text(t) => {
                if let Some(el) = stack.last_mut() {
                    el.text.push_str(&t.decode().ok()?);
                }
            }
            Event::CData(t) => {
                if let Some(el) = stack.last_mut() {
                    el.text.push_str(&t.decode().ok()?);
                }
            }
            Event::GeneralRef(r) => {
                let el = stack.last_mut()?;
                match r.resolve_char_ref().ok()? {
                    Some(ch) => el.text.push(ch),
                    None => {
                        let name = r.decode().ok()?;
                        el.text.push_str(quick_xml::escape::resolve_predefined_entity(&name)?);
                    }
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !stack.is_empty() {
        return None;
    }
    let (name, value) = root?;
    let mut bag = IndexMap::new();
    bag.insert(name, value);
    Some(Dyn::Bag(bag))
}

fn parse_xml(c: &Call<'_>) -> Result<ArrayRef> {
    let s = c.str(0)?;
    Ok(crate::dynamic::arrow::build((0..c.rows).map(|i| xml_to_dyn(s.text(i)).unwrap_or(Dyn::Null))))
}

#[cfg(test)]
mod tests {
    use super::xml_to_dyn;

    fn json(xml: &str) -> String {
        xml_to_dyn(xml).map_or_else(|| "null".to_owned(), |d| d.to_json())
    }

    #[test]
    fn documented_conversions() {
        assert_eq!(json("<e/>"), r#"{"e":null}"#);
        assert_eq!(json("<e>text</e>"), r#"{"e":"text"}"#);
        assert_eq!(json(r#"<e name="value" />"#), r#"{"e":{"@name":"value"}}"#);
        assert_eq!(json(r#"<e name="value">text</e>"#), r##"{"e":{"@name":"value","#text":"text"}}"##);
        assert_eq!(json("<e> <a>text</a> <b>text</b> </e>"), r#"{"e":{"a":"text","b":"text"}}"#);
        assert_eq!(json("<e> <a>text</a> <a>text</a> </e>"), r#"{"e":{"a":["text","text"]}}"#);
        assert_eq!(json("<e> text <a>text</a> </e>"), r##"{"e":{"#text":"text","a":"text"}}"##);
        assert_eq!(json("<e><a>1</a><a>2</a><a>3</a></e>"), r#"{"e":{"a":["1","2","3"]}}"#);
        assert_eq!(json("<e>a &amp; b &#65;</e>"), r#"{"e":"a & b A"}"#);
        assert_eq!(json("<e><a></e>"), "null");
        assert_eq!(json("not xml"), "null");
    }
}
