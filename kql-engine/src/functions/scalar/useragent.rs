//! `parse_user_agent(ua, look_for)`: the browser, operating system and device of a user-agent
//! string, as `parse-user-agent-function.md` documents them, found with uap-core's patterns
//! (the family names Kusto returns are uap-core's). The patterns are compiled once per process;
//! each distinct user agent of a batch is parsed once.

use std::collections::HashMap;
use std::sync::OnceLock;

use datafusion::arrow::array::ArrayRef;
use datafusion::common::{Result, exec_err};
use uaparser::{Parser, UserAgentParser};

use super::Param::{Str, StrOrList};
use super::{Call, Def, Out, f};
use crate::dynamic::value::write_json_string;

/// The user-agent function.
pub static FUNCTIONS: &[Def] =
    &[f("parse_user_agent", &[Str, StrOrList], Out::Dyn, parse_user_agent).checked(check_target)];

/// uap-core's patterns (see `data/uap-core/README.md`).
static REGEXES: &[u8] = include_bytes!("../../../data/uap-core/regexes.yaml");

fn parser() -> Result<&'static UserAgentParser> {
    static PARSER: OnceLock<std::result::Result<UserAgentParser, String>> = OnceLock::new();
    match PARSER.get_or_init(|| UserAgentParser::from_bytes(REGEXES).map_err(|e| e.to_string())) {
        Ok(p) => Ok(p),
        Err(e) => exec_err!("parse_user_agent: the user-agent patterns do not load: {e}"),
    }
}

/// What to look for: the documented targets.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Target {
    Browser,
    Os,
    Device,
}

fn target(word: &str) -> Option<Target> {
    match word.trim().to_ascii_lowercase().as_str() {
        "browser" => Some(Target::Browser),
        "os" => Some(Target::Os),
        "device" => Some(Target::Device),
        _ => None,
    }
}

fn check_target(word: &str) -> std::result::Result<(), String> {
    match target(word) {
        Some(_) => Ok(()),
        None => Err(format!("parse_user_agent looks for \"browser\", \"os\" or \"device\", not {word:?}")),
    }
}

fn field(out: &mut String, first: &mut bool, key: &str, value: Option<&str>) {
    if !*first {
        out.push(',');
    }
    *first = false;
    write_json_string(key, out);
    out.push(':');
    write_json_string(value.unwrap_or(""), out);
}

/// The JSON bag of one user agent for the wanted targets (in the documented order).
fn describe(p: &UserAgentParser, ua: &str, wanted: &[Target]) -> String {
    let mut out = String::from("{");
    let mut first_part = true;
    let mut part = |out: &mut String, name: &str| {
        if !first_part {
            out.push(',');
        }
        first_part = false;
        write_json_string(name, out);
        out.push_str(":{");
    };
    if wanted.contains(&Target::Browser) {
        let b = p.parse_user_agent(ua);
        part(&mut out, "Browser");
        let mut first = true;
        field(&mut out, &mut first, "Family", Some(&b.family));
        field(&mut out, &mut first, "MajorVersion", b.major.as_deref());
        field(&mut out, &mut first, "MinorVersion", b.minor.as_deref());
        field(&mut out, &mut first, "Patch", b.patch.as_deref());
        out.push('}');
    }
    if wanted.contains(&Target::Os) {
        let o = p.parse_os(ua);
        part(&mut out, "OperatingSystem");
        let mut first = true;
        field(&mut out, &mut first, "Family", Some(&o.family));
        field(&mut out, &mut first, "MajorVersion", o.major.as_deref());
        field(&mut out, &mut first, "MinorVersion", o.minor.as_deref());
        field(&mut out, &mut first, "Patch", o.patch.as_deref());
        field(&mut out, &mut first, "PatchMinor", o.patch_minor.as_deref());
        out.push('}');
    }
    if wanted.contains(&Target::Device) {
        let d = p.parse_device(ua);
        part(&mut out, "Device");
        let mut first = true;
        field(&mut out, &mut first, "Family", Some(&d.family));
        field(&mut out, &mut first, "Brand", d.brand.as_deref());
        field(&mut out, &mut first, "Model", d.model.as_deref());
        out.push('}');
    }
    out.push('}');
    out
}

fn targets(words: &[String]) -> Result<Vec<Target>> {
    words
        .iter()
        .map(|w| match target(w) {
            Some(t) => Ok(t),
            None => exec_err!("parse_user_agent looks for \"browser\", \"os\" or \"device\", not {w:?}"),
        })
        .collect()
}

fn parse_user_agent(c: &Call<'_>) -> Result<ArrayRef> {
    let p = parser()?;
    let ua = c.str(0)?;
    let constant = matches!(c.args.get(1), Some(datafusion::logical_expr::ColumnarValue::Scalar(_)));
    let fixed = if constant { Some(targets(&c.list_at(1, 0)?)?) } else { None };
    let mut seen: HashMap<(&str, Vec<u8>), String> = HashMap::new();
    let mut out = datafusion::arrow::array::BinaryBuilder::with_capacity(c.rows, c.rows * 160);
    for i in 0..c.rows {
        let own;
        let wanted = match &fixed {
            Some(t) => t,
            None => {
                own = targets(&c.list_at(1, i)?)?;
                &own
            }
        };
        let text = ua.text(i);
        let key = (text, wanted.iter().map(|t| *t as u8).collect());
        let json = seen.entry(key).or_insert_with(|| describe(p, text, wanted));
        out.append_value(json.as_bytes());
    }
    Ok(std::sync::Arc::new(out.finish()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_examples() {
        let p = parser().expect("patterns load");
        assert_eq!(
            describe(
                p,
                "Mozilla/5.0 (Windows; U; en-US) AppleWebKit/531.9 (KHTML, like Gecko) AdobeAIR/2.5.1",
                &[Target::Browser]
            ),
            r#"{"Browser":{"Family":"AdobeAIR","MajorVersion":"2","MinorVersion":"5","Patch":"1"}}"#
        );
        let nokia = "Mozilla/5.0 (SymbianOS/9.2; U; Series60/3.1 NokiaN81-3/10.0.032 Profile/MIDP-2.0 \
                     Configuration/CLDC-1.1 ) AppleWebKit/413 (KHTML, like Gecko) Safari/4";
        assert_eq!(
            describe(p, nokia, &[Target::Browser, Target::Os, Target::Device]),
            concat!(
                r#"{"Browser":{"Family":"Nokia OSS Browser","MajorVersion":"3","MinorVersion":"1","Patch":""},"#,
                r#""OperatingSystem":{"Family":"Symbian OS","MajorVersion":"9","MinorVersion":"2","Patch":"","PatchMinor":""},"#,
                r#""Device":{"Family":"Nokia N81","Brand":"Nokia","Model":"N81-3"}}"#
            )
        );
        assert!(check_target("Browser").is_ok() && check_target("engine").is_err());
    }
}
