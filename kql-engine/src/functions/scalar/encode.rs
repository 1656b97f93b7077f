//! Encodings and parsers of text: base64, URL encoding, `parse_url`, `parse_urlquery`,
//! `parse_path`, `parse_command_line`, `parse_csv`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use datafusion::arrow::array::ArrayRef;
use datafusion::common::Result;
use indexmap::IndexMap;

use super::Param::{ConstStr, Dyn, Str};
use super::{Call, Def, Out, f, nullable_texts, strings};
use crate::dynamic::Dyn as Value;
use crate::dynamic::value::write_json_string;

/// The encoding and parsing functions.
pub static FUNCTIONS: &[Def] = &[
    f("base64_encode_tostring", &[Str], Out::Str, base64_encode).aka(&["base64_encodestring"]),
    f("base64_decode_tostring", &[Str], Out::Str, base64_decode).aka(&["base64_decodestring"]),
    f("base64_decode_toarray", &[Str], Out::Dyn, base64_decode_toarray),
    f("base64_encode_fromarray", &[Dyn], Out::Str, base64_encode_fromarray),
    f("base64_decode_toguid", &[Str], Out::Guid, base64_decode_toguid),
    f("base64_encode_fromguid", &[Str], Out::Str, base64_encode_fromguid),
    f("url_encode", &[Str], Out::Str, url_encode),
    f("url_encode_component", &[Str], Out::Str, url_encode_component),
    f("url_decode", &[Str], Out::Str, url_decode),
    f("parse_url", &[Str], Out::Dyn, parse_url).aka(&["parseurl"]),
    f("parse_urlquery", &[Str], Out::Dyn, parse_urlquery).aka(&["parseurlquery"]),
    f("parse_path", &[Str], Out::Dyn, parse_path),
    f("parse_command_line", &[Str, ConstStr], Out::Dyn, parse_command_line).checked(check_parser),
    f("parse_csv", &[Str], Out::Dyn, parse_csv),
    f("zlib_decompress_from_base64_string", &[Str], Out::Str, zlib_decompress),
    f("gzip_decompress_from_base64_string", &[Str], Out::Str, gzip_decompress),
    f("zlib_compress_to_base64_string", &[Str], Out::Str, zlib_compress),
    f("gzip_compress_to_base64_string", &[Str], Out::Str, gzip_compress),
];

/// Inflates base64 text with `decoder` into UTF-8 text; `""` when any step fails (as
/// documented). The decompressed size is capped at 64 MiB per value.
fn inflate<R: std::io::Read>(c: &Call<'_>, decoder: impl Fn(std::io::Cursor<Vec<u8>>) -> R) -> Result<ArrayRef> {
    use std::io::Read as _;
    const MAX: u64 = 64 << 20;
    let s = c.str(0)?;
    let mut text = Vec::new();
    Ok(strings(c.rows, |i, out| {
        let Ok(bytes) = STANDARD.decode(s.text(i).trim()) else { return };
        text.clear();
        if decoder(std::io::Cursor::new(bytes)).take(MAX).read_to_end(&mut text).is_ok()
            && let Ok(t) = std::str::from_utf8(&text)
        {
            out.push_str(t);
        }
    }))
}

fn zlib_decompress(c: &Call<'_>) -> Result<ArrayRef> {
    inflate(c, flate2::read::ZlibDecoder::new)
}

fn gzip_decompress(c: &Call<'_>) -> Result<ArrayRef> {
    inflate(c, flate2::read::GzDecoder::new)
}

/// `zlib_compress_to_base64_string(s)`: a zlib stream of stored (level-0) deflate blocks, header
/// `78 01` and Adler-32, as Kusto writes it (its documented output, byte for byte).
fn zlib_compress(c: &Call<'_>) -> Result<ArrayRef> {
    use std::io::Write as _;
    let s = c.str(0)?;
    Ok(strings(c.rows, |i, out| {
        let text = s.text(i).as_bytes();
        let mut e = flate2::write::ZlibEncoder::new(Vec::with_capacity(text.len() + 16), flate2::Compression::none());
        // Writing into a Vec cannot fail.
        let _ = e.write_all(text);
        STANDARD.encode_string(e.finish().unwrap_or_default(), out);
    }))
}

/// `gzip_compress_to_base64_string(s)`: a gzip member with the header Kusto writes (no time,
/// no extra flags, OS 255) around raw stored blocks, then CRC-32 and length.
fn gzip_compress(c: &Call<'_>) -> Result<ArrayRef> {
    use std::io::Write as _;
    let s = c.str(0)?;
    Ok(strings(c.rows, |i, out| {
        let text = s.text(i).as_bytes();
        let mut member = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
        let mut raw =
            flate2::write::DeflateEncoder::new(Vec::with_capacity(text.len() + 8), flate2::Compression::none());
        let _ = raw.write_all(text);
        member.extend(raw.finish().unwrap_or_default());
        let mut crc = flate2::Crc::new();
        crc.update(text);
        member.extend(crc.sum().to_le_bytes());
        member.extend((text.len() as u32).to_le_bytes());
        STANDARD.encode_string(member, out);
    }))
}

fn base64_encode(c: &Call<'_>) -> Result<ArrayRef> {
    let s = c.str(0)?;
    Ok(strings(c.rows, |i, out| STANDARD.encode_string(s.text(i).as_bytes(), out)))
}

/// Decoded bytes that are not UTF-8 give `""` (Kusto gives null, and a string is never null).
fn base64_decode(c: &Call<'_>) -> Result<ArrayRef> {
    let s = c.str(0)?;
    let mut bytes = Vec::new();
    Ok(strings(c.rows, |i, out| {
        bytes.clear();
        if STANDARD.decode_vec(s.text(i).trim(), &mut bytes).is_ok()
            && let Ok(text) = std::str::from_utf8(&bytes)
        {
            out.push_str(text);
        }
    }))
}

fn base64_decode_toarray(c: &Call<'_>) -> Result<ArrayRef> {
    let s = c.str(0)?;
    Ok(crate::dynamic::arrow::build((0..c.rows).map(|i| match STANDARD.decode(s.text(i).trim()) {
        Ok(bytes) => Value::Array(bytes.into_iter().map(|b| Value::Long(i64::from(b))).collect()),
        Err(_) => Value::Null,
    })))
}

fn base64_encode_fromarray(c: &Call<'_>) -> Result<ArrayRef> {
    let a = c.array(0)?;
    let mut rows = Vec::with_capacity(c.rows);
    for i in 0..c.rows {
        let bytes = match crate::dynamic::arrow::to_dyn(a.as_ref(), i)? {
            Value::Array(items) => items
                .iter()
                .map(|v| crate::functions::dynamic::convert::to_long(v).and_then(|n| u8::try_from(n).ok()))
                .collect::<Option<Vec<u8>>>(),
            _ => None,
        };
        rows.push(bytes.map(|b| STANDARD.encode(b)));
    }
    Ok(super::texts(rows.into_iter()))
}

/// .NET's GUID byte order: the first three fields little-endian.
fn guid_bytes_to_text(b: &[u8; 16]) -> String {
    format!(
        "{:02x}{:02x}{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}",
        b[3], b[2], b[1], b[0], b[5], b[4], b[7], b[6], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]
    )
}

fn guid_text_to_bytes(t: &str) -> Option<[u8; 16]> {
    let hex: String = t.trim().trim_matches(|c| c == '{' || c == '}').chars().filter(|c| *c != '-').collect();
    if hex.len() != 32 {
        return None;
    }
    let raw = hex::decode(hex).ok()?;
    let mut b = [0u8; 16];
    let order = [3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15];
    for (k, at) in order.iter().enumerate() {
        b[*at] = raw[k];
    }
    Some(b)
}

fn base64_decode_toguid(c: &Call<'_>) -> Result<ArrayRef> {
    let s = c.str(0)?;
    Ok(nullable_texts((0..c.rows).map(|i| {
        let bytes = STANDARD.decode(s.text(i).trim()).ok()?;
        let b: [u8; 16] = bytes.try_into().ok()?;
        Some(guid_bytes_to_text(&b))
    })))
}

fn base64_encode_fromguid(c: &Call<'_>) -> Result<ArrayRef> {
    let s = c.str(0)?;
    Ok(strings(c.rows, |i, out| {
        if let Some(b) = guid_text_to_bytes(s.text(i)) {
            STANDARD.encode_string(b, out);
        }
    }))
}

/// .NET's `HttpUtility.UrlEncode`: letters, digits and `-_.!*()` stay, a space is `+`, other
/// bytes are `%xx` in lower case.
fn url_encode(c: &Call<'_>) -> Result<ArrayRef> {
    let s = c.str(0)?;
    Ok(strings(c.rows, |i, out| {
        for &b in s.text(i).as_bytes() {
            match b {
                b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'!' | b'*' | b'(' | b')' => {
                    out.push(char::from(b));
                }
                b' ' => out.push('+'),
                _ => {
                    use std::fmt::Write as _;
                    let _ = write!(out, "%{b:02x}");
                }
            }
        }
    }))
}

/// .NET's `Uri.EscapeDataString`: RFC 3986's unreserved characters stay, other bytes are `%XX`.
fn url_encode_component(c: &Call<'_>) -> Result<ArrayRef> {
    const KEEP: &percent_encoding::AsciiSet =
        &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');
    let s = c.str(0)?;
    Ok(strings(c.rows, |i, out| out.extend(percent_encoding::utf8_percent_encode(s.text(i), KEEP))))
}

/// `+` is a space and `%xx` a byte; malformed escapes stay as written.
fn decode_url(text: &str) -> String {
    let plus = text.replace('+', " ");
    percent_encoding::percent_decode_str(&plus).decode_utf8_lossy().into_owned()
}

fn url_decode(c: &Call<'_>) -> Result<ArrayRef> {
    let s = c.str(0)?;
    Ok(strings(c.rows, |i, out| out.push_str(&decode_url(s.text(i)))))
}

/// `+` is a space and `%xx` a byte, without copying text that has neither.
fn decoded(text: &str) -> std::borrow::Cow<'_, str> {
    if text.contains(['%', '+']) { std::borrow::Cow::Owned(decode_url(text)) } else { std::borrow::Cow::Borrowed(text) }
}

/// Writes a query string's parameters as a JSON bag (a repeated key keeps its first place and
/// its last value, as every bag does).
fn write_query_bag(query: &str, out: &mut String) {
    let pairs: Vec<(std::borrow::Cow<'_, str>, std::borrow::Cow<'_, str>)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decoded(k), decoded(v))
        })
        .collect();
    out.push('{');
    let mut first = true;
    for (i, (k, _)) in pairs.iter().enumerate() {
        if pairs[..i].iter().any(|(earlier, _)| earlier == k) {
            continue;
        }
        let v = pairs.iter().rev().find(|(other, _)| other == k).map_or("", |(_, v)| v.as_ref());
        if !first {
            out.push(',');
        }
        first = false;
        write_json_string(k, out);
        out.push(':');
        write_json_string(v, out);
    }
    out.push('}');
}

/// The parts of an absolute URL (every part `""` when absent; text that is not an absolute
/// URL has every part empty).
#[derive(Debug, Default)]
struct UrlParts<'a> {
    scheme: &'a str,
    host: &'a str,
    port: &'a str,
    path: &'a str,
    user: &'a str,
    password: &'a str,
    query: &'a str,
    fragment: &'a str,
}

fn split_url(url: &str) -> UrlParts<'_> {
    let mut p = UrlParts::default();
    let Some((scheme, rest)) = url.split_once("://") else { return p };
    if scheme.is_empty() || !scheme.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')) {
        return p;
    }
    p.scheme = scheme;
    let (rest, fragment) = rest.split_once('#').unwrap_or((rest, ""));
    p.fragment = fragment;
    let (rest, q) = rest.split_once('?').unwrap_or((rest, ""));
    p.query = q;
    let (authority, path) = match rest.find('/') {
        Some(at) => (&rest[..at], &rest[at..]),
        None => (rest, ""),
    };
    p.path = path;
    let (userinfo, hostport) = match authority.rfind('@') {
        Some(at) => (&authority[..at], &authority[at + 1..]),
        None => ("", authority),
    };
    let (user, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
    p.user = user;
    p.password = password;
    let (host, port) = if hostport.starts_with('[') {
        match hostport.find(']') {
            Some(end) => (&hostport[..=end], hostport[end + 1..].strip_prefix(':').unwrap_or("")),
            None => (hostport, ""),
        }
    } else {
        hostport.rsplit_once(':').unwrap_or((hostport, ""))
    };
    p.host = host;
    p.port = port;
    p
}

/// `parse_url(url)` as JSON text, written straight into `out`.
pub(crate) fn write_url_json(url: &str, out: &mut String) {
    let p = split_url(url);
    let fields = [
        ("Scheme", p.scheme),
        ("Host", p.host),
        ("Port", p.port),
        ("Path", p.path),
        ("Username", p.user),
        ("Password", p.password),
    ];
    for (i, (key, value)) in fields.into_iter().enumerate() {
        out.push_str(if i == 0 { "{\"" } else { ",\"" });
        out.push_str(key);
        out.push_str("\":");
        write_json_string(value, out);
    }
    out.push_str(",\"Query Parameters\":");
    write_query_bag(p.query, out);
    out.push_str(",\"Fragment\":");
    write_json_string(p.fragment, out);
    out.push('}');
}

/// A `dynamic` column of the JSON texts `write` produces per row.
fn json_rows(rows: usize, mut write: impl FnMut(usize, &mut String)) -> ArrayRef {
    let mut out = datafusion::arrow::array::BinaryBuilder::with_capacity(rows, rows * 64);
    let mut buf = String::new();
    for i in 0..rows {
        buf.clear();
        write(i, &mut buf);
        out.append_value(buf.as_bytes());
    }
    std::sync::Arc::new(out.finish())
}

fn parse_url(c: &Call<'_>) -> Result<ArrayRef> {
    let s = c.str(0)?;
    Ok(json_rows(c.rows, |i, out| write_url_json(s.text(i), out)))
}

/// `parse_urlquery(query)`: `{"Query Parameters": {...}}` of a query string (a leading `?` and
/// anything before it are skipped).
fn parse_urlquery(c: &Call<'_>) -> Result<ArrayRef> {
    let s = c.str(0)?;
    Ok(json_rows(c.rows, |i, out| {
        let text = s.text(i);
        let q = text.split_once('?').map_or(text, |(_, q)| q);
        out.push_str("{\"Query Parameters\":");
        write_query_bag(q, out);
        out.push('}');
    }))
}

/// `parse_path(path)`: the documented parts of a Windows or POSIX path.
pub(crate) fn path_parts(path: &str) -> Value {
    let (scheme, rest) = match path.split_once("://") {
        Some((s, r)) if !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric()) => (s, r),
        _ => ("", path),
    };
    let is_sep = |c: char| c == '\\' || c == '/';
    let (dir, file) = match rest.rfind(is_sep) {
        Some(at) => (&rest[..at], &rest[at + 1..]),
        None => ("", rest),
    };
    // An alternate data stream follows the file name after a colon.
    let (file, stream) = match file.split_once(':') {
        Some((f, s)) => (f, s),
        None => (file, ""),
    };
    let root = {
        let b = rest.as_bytes();
        if b.len() >= 2 && b[1] == b':' && b[0].is_ascii_alphabetic() { &rest[..2] } else { "" }
    };
    let dir_name = dir.rsplit(is_sep).next().unwrap_or("");
    let dir_name = if dir_name == root { "" } else { dir_name };
    let extension = file.rsplit_once('.').map_or("", |(_, e)| e);
    let mut bag = IndexMap::new();
    let s = |v: &str| Value::String(v.to_owned());
    bag.insert("Scheme".to_owned(), s(scheme));
    bag.insert("RootPath".to_owned(), s(root));
    bag.insert("DirectoryPath".to_owned(), s(dir));
    bag.insert("DirectoryName".to_owned(), s(dir_name));
    bag.insert("Filename".to_owned(), s(file));
    bag.insert("Extension".to_owned(), s(extension));
    bag.insert("AlternateDataStreamName".to_owned(), s(stream));
    Value::Bag(bag)
}

fn parse_path(c: &Call<'_>) -> Result<ArrayRef> {
    let s = c.str(0)?;
    Ok(crate::dynamic::arrow::build((0..c.rows).map(|i| path_parts(s.text(i)))))
}

fn check_parser(kind: &str) -> std::result::Result<(), String> {
    if kind.eq_ignore_ascii_case("windows") {
        Ok(())
    } else {
        Err(format!("the only parser parse_command_line() supports is \"windows\", not \"{kind}\""))
    }
}

/// `CommandLineToArgvW`'s rules: arguments split on spaces and tabs outside quotes; `2n`
/// backslashes before a quote are `n` backslashes and the quote toggles quoting, `2n+1` are `n`
/// and a literal quote; `""` inside quotes is a literal quote; the first argument (the program)
/// ends at the first space or, when it starts quoted, at the closing quote, with no escapes.
pub fn command_line(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    // The program name.
    let mut program = String::new();
    if chars.first() == Some(&'"') {
        i = 1;
        while i < chars.len() && chars[i] != '"' {
            program.push(chars[i]);
            i += 1;
        }
        i += 1;
    } else {
        while i < chars.len() && chars[i] != ' ' && chars[i] != '\t' {
            program.push(chars[i]);
            i += 1;
        }
    }
    if text.is_empty() {
        return out;
    }
    out.push(program);
    loop {
        while i < chars.len() && (chars[i] == ' ' || chars[i] == '\t') {
            i += 1;
        }
        if i >= chars.len() {
            break;
        }
        let mut arg = String::new();
        let mut quoted = false;
        while i < chars.len() {
            let ch = chars[i];
            if (ch == ' ' || ch == '\t') && !quoted {
                break;
            }
            if ch == '\\' {
                let mut n = 0;
                while i < chars.len() && chars[i] == '\\' {
                    n += 1;
                    i += 1;
                }
                if i < chars.len() && chars[i] == '"' {
                    arg.extend(std::iter::repeat_n('\\', n / 2));
                    if n % 2 == 1 {
                        arg.push('"');
                        i += 1;
                    }
                } else {
                    arg.extend(std::iter::repeat_n('\\', n));
                }
                continue;
            }
            if ch == '"' {
                if quoted && chars.get(i + 1) == Some(&'"') {
                    arg.push('"');
                    i += 2;
                    continue;
                }
                quoted = !quoted;
                i += 1;
                continue;
            }
            arg.push(ch);
            i += 1;
        }
        out.push(arg);
    }
    out
}

fn parse_command_line(c: &Call<'_>) -> Result<ArrayRef> {
    let s = c.str(0)?;
    Ok(crate::dynamic::arrow::build(
        (0..c.rows).map(|i| Value::Array(command_line(s.text(i)).into_iter().map(Value::String).collect())),
    ))
}

/// `parse_csv(line)`: the fields of one CSV record (quotes as RFC 4180: `""` is a quote).
pub fn csv_fields(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(ch) = chars.next() {
        match ch {
            '"' if quoted && chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut field)),
            '\r' | '\n' if !quoted => break,
            _ => field.push(ch),
        }
    }
    out.push(field);
    out
}

fn parse_csv(c: &Call<'_>) -> Result<ArrayRef> {
    let s = c.str(0)?;
    Ok(crate::dynamic::arrow::build(
        (0..c.rows).map(|i| Value::Array(csv_fields(s.text(i)).into_iter().map(Value::String).collect())),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_lines() {
        assert_eq!(command_line("echo \"hello world!\""), ["echo", "hello world!"]);
        assert_eq!(
            command_line(r#""C:\Program Files\a.exe" -x "a\"b" c\\d"#),
            [r"C:\Program Files\a.exe", "-x", "a\"b", r"c\\d"]
        );
        assert_eq!(command_line(r#"a "b\\" c"#), ["a", "b\\", "c"]);
        assert!(command_line("").is_empty());
    }

    #[test]
    fn urls_and_paths() {
        let mut u = String::new();
        write_url_json("scheme://username:password@host:1234/this/is/a/path?k1=v1&k2=v2#fragment", &mut u);
        assert_eq!(
            u,
            r#"{"Scheme":"scheme","Host":"host","Port":"1234","Path":"/this/is/a/path","Username":"username","Password":"password","Query Parameters":{"k1":"v1","k2":"v2"},"Fragment":"fragment"}"#
        );
        let p = path_parts(r"C:\temp\file.txt").to_json();
        assert_eq!(
            p,
            r#"{"Scheme":"","RootPath":"C:","DirectoryPath":"C:\\temp","DirectoryName":"temp","Filename":"file.txt","Extension":"txt","AlternateDataStreamName":""}"#
        );
        let p = path_parts("file://C:/temp/file.txt:some.exe").to_json();
        assert!(p.contains(r#""Scheme":"file""#) && p.contains(r#""AlternateDataStreamName":"some.exe""#), "{p}");
        assert_eq!(
            guid_text_to_bytes("00000000-0000-0000-0000-000000000001").map(|b| guid_bytes_to_text(&b)).as_deref(),
            Some("00000000-0000-0000-0000-000000000001")
        );
        assert_eq!(csv_fields(r#"a,"b,c","d""e""#), ["a", "b,c", "d\"e"]);
    }

    #[test]
    fn inflates() {
        use std::io::Write as _;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        let _ = gz.write_all(b"hello gzip");
        let packed = STANDARD.encode(gz.finish().unwrap_or_default());
        let args =
            [datafusion::logical_expr::ColumnarValue::Scalar(datafusion::common::ScalarValue::Utf8(Some(packed)))];
        let out = gzip_decompress(&Call { args: &args, rows: 1, regex: None }).ok();
        let text = out.as_ref().map(|a| crate::functions::string_at(a.as_ref(), 0).ok().flatten().map(str::to_owned));
        assert_eq!(text.flatten().as_deref(), Some("hello gzip"));
    }
}
