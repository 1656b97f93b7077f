//! IPv4 and IPv6 functions (`ipv4_*`, `ipv6_*`, `parse_ipv4*`, `format_ipv4*`, `has_*ipv4*`).
//!
//! Addresses are text, optionally with a prefix (`10.1.2.3/24`, Kusto's IP-prefix notation);
//! a function's `prefix` argument and the text's own prefix combine to the smaller one. Text
//! that is not an address gives null (`bool` and `long` results) or `""` (`string` results),
//! as each function's documentation says. IPv6 functions take IPv4 text too, as the mapped
//! address `::ffff:a.b.c.d` (a v4 prefix `p` is the v6 prefix `96 + p`).
//!
//! `has_ipv4` and friends look for an address *token*: a run of letters, digits and dots in the
//! text (so `54127.0.0.1` is not `127.0.0.1`), trimmed of dots at its ends, that is a valid
//! IPv4 address written exactly as the searched one (no leading zeros), as the documentation's
//! examples show.

use std::net::Ipv6Addr;

use datafusion::arrow::array::ArrayRef;
use datafusion::common::Result;
use memchr::memmem;

use super::Param::{Long, Str, StrOrList, StrOrLong};
use super::{Call, Def, Nums, Out, bools, f, longs, texts};

/// The IP functions.
pub static FUNCTIONS: &[Def] = &[
    f("parse_ipv4", &[Str], Out::Long, parse_ipv4),
    f("parse_ipv4_mask", &[Str, Long], Out::Long, parse_ipv4_mask),
    f("format_ipv4", &[StrOrLong, Long], Out::Str, format_ipv4).args(1, 2),
    f("format_ipv4_mask", &[StrOrLong, Long], Out::Str, format_ipv4_mask).args(1, 2),
    f("ipv4_compare", &[Str, Str, Long], Out::Long, ipv4_compare).args(2, 3),
    f("ipv4_is_match", &[Str, Str, Long], Out::Bool, ipv4_is_match).args(2, 3),
    f("ipv4_is_in_range", &[Str, Str], Out::Bool, ipv4_is_in_range),
    f("ipv4_is_in_any_range", &[Str, StrOrList], Out::Bool, ipv4_is_in_any_range).args(2, 64),
    f("ipv4_is_private", &[Str], Out::Bool, ipv4_is_private),
    f("ipv4_netmask_suffix", &[Str], Out::Long, ipv4_netmask_suffix),
    f("parse_ipv6", &[Str], Out::Str, parse_ipv6),
    f("parse_ipv6_mask", &[Str, Long], Out::Str, parse_ipv6_mask),
    f("ipv6_compare", &[Str, Str, Long], Out::Long, ipv6_compare).args(2, 3),
    f("ipv6_is_match", &[Str, Str, Long], Out::Bool, ipv6_is_match).args(2, 3),
    f("ipv6_is_in_range", &[Str, Str], Out::Bool, ipv6_is_in_range),
    f("ipv6_is_in_any_range", &[Str, StrOrList], Out::Bool, ipv6_is_in_any_range).args(2, 64),
    f("has_ipv4", &[Str, Str], Out::Bool, has_ipv4),
    f("has_ipv4_prefix", &[Str, Str], Out::Bool, has_ipv4_prefix),
    f("has_any_ipv4", &[Str, StrOrList], Out::Bool, has_ipv4).args(2, 64),
    f("has_any_ipv4_prefix", &[Str, StrOrList], Out::Bool, has_ipv4_prefix).args(2, 64),
];

/// An IPv4 address and its prefix length (32 without a `/n`), read in one pass.
#[inline]
pub fn parse_v4(text: &str) -> Option<(u32, u8)> {
    let b = text.as_bytes();
    if b.len() < 7 || b.len() > 18 {
        return None;
    }
    let mut out: u32 = 0;
    let mut part: u32 = 0;
    let mut digits = 0;
    let mut dots = 0;
    let mut k = 0;
    while k < b.len() {
        let c = b[k];
        if c.is_ascii_digit() {
            part = part * 10 + u32::from(c - b'0');
            digits += 1;
            if digits > 3 || part > 255 {
                return None;
            }
        } else if c == b'.' && digits > 0 && dots < 3 {
            out = (out << 8) | part;
            part = 0;
            digits = 0;
            dots += 1;
        } else if c == b'/' && dots == 3 && digits > 0 {
            let prefix = parse_prefix(&text[k + 1..], 32)?;
            return Some(((out << 8) | part, prefix));
        } else {
            return None;
        }
        k += 1;
    }
    (dots == 3 && digits > 0 && b.len() <= 15).then_some(((out << 8) | part, 32))
}

fn parse_prefix(p: &str, max: u8) -> Option<u8> {
    if p.is_empty() || p.len() > 3 || !p.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    p.parse::<u8>().ok().filter(|v| *v <= max)
}

/// Dotted-quad text (four decimal parts of 1 to 3 digits, each at most 255), without a prefix.
fn parse_v4_addr(text: &str) -> Option<u32> {
    if text.contains('/') {
        return None;
    }
    parse_v4(text).map(|(ip, _)| ip)
}

fn mask_v4(prefix: u8) -> u32 {
    if prefix == 0 { 0 } else { u32::MAX << (32 - u32::from(prefix)) }
}

fn format_v4(ip: u32) -> String {
    std::net::Ipv4Addr::from(ip).to_string()
}

/// A prefix argument, read once per call: absent, or per-row values checked against `max`.
struct Prefix<'a> {
    values: Option<Nums<'a, i64>>,
    max: u8,
}

impl<'a> Prefix<'a> {
    fn of(c: &'a Call<'_>, i: usize, max: u8) -> Result<Self> {
        Ok(Self { values: if c.has(i) { Some(c.i64(i)?) } else { None }, max })
    }

    /// `Some(None)` without a prefix argument; `None` for a null or out-of-range prefix.
    fn at(&self, row: usize) -> Option<Option<u8>> {
        match &self.values {
            None => Some(None),
            Some(v) => u8::try_from(v.get(row)?).ok().filter(|p| *p <= self.max).map(Some),
        }
    }

    /// The smaller of `own` (the text's prefix) and the given prefix; `None` when invalid.
    fn narrow(&self, row: usize, own: u8) -> Option<u8> {
        Some(match self.at(row)? {
            Some(given) => own.min(given),
            None => own,
        })
    }
}

fn parse_ipv4(c: &Call<'_>) -> Result<ArrayRef> {
    let s = c.str(0)?;
    Ok(longs((0..c.rows).map(|i| {
        let (ip, p) = parse_v4(s.get(i)?)?;
        Some(i64::from(ip & mask_v4(p)))
    })))
}

fn parse_ipv4_mask(c: &Call<'_>) -> Result<ArrayRef> {
    let (s, prefix) = (c.str(0)?, Prefix::of(c, 1, 32)?);
    Ok(longs((0..c.rows).map(|i| {
        let (ip, p) = parse_v4(s.get(i)?)?;
        let given = prefix.at(i)??;
        Some(i64::from(ip & mask_v4(p.min(given))))
    })))
}

/// `format_ipv4(ip, prefix)` and `format_ipv4_mask`: the address (text, or a number in
/// big-endian order) masked by the smaller prefix.
fn formatted_v4(c: &Call<'_>) -> Result<Vec<Option<(u32, u8)>>> {
    let prefix = Prefix::of(c, 1, 32)?;
    let number = matches!(c.args.first(), Some(a) if a.data_type() == datafusion::arrow::datatypes::DataType::Int64);
    let (texts, numbers) = if number { (None, Some(c.i64(0)?)) } else { (Some(c.str(0)?), None) };
    Ok((0..c.rows)
        .map(|i| {
            let (ip, own) = match (&texts, &numbers) {
                (Some(t), _) => parse_v4(t.get(i)?)?,
                (_, Some(n)) => (u32::try_from(n.get(i)?).ok()?, 32),
                _ => return None,
            };
            let p = prefix.narrow(i, own)?;
            Some((ip & mask_v4(p), p))
        })
        .collect())
}

fn format_ipv4(c: &Call<'_>) -> Result<ArrayRef> {
    Ok(texts(formatted_v4(c)?.into_iter().map(|v| v.map(|(ip, _)| format_v4(ip)))))
}

fn format_ipv4_mask(c: &Call<'_>) -> Result<ArrayRef> {
    Ok(texts(formatted_v4(c)?.into_iter().map(|v| v.map(|(ip, p)| format!("{}/{p}", format_v4(ip))))))
}

/// The two addresses of each row of a comparison, masked by the prefix they are compared under.
fn v4_pairs(c: &Call<'_>) -> Result<Vec<Option<(u32, u32)>>> {
    let (a, b, prefix) = (c.str(0)?, c.str(1)?, Prefix::of(c, 2, 32)?);
    Ok((0..c.rows)
        .map(|i| {
            let (x, px) = parse_v4(a.get(i)?)?;
            let (y, py) = parse_v4(b.get(i)?)?;
            let m = mask_v4(prefix.narrow(i, px.min(py))?);
            Some((x & m, y & m))
        })
        .collect())
}

fn ipv4_compare(c: &Call<'_>) -> Result<ArrayRef> {
    Ok(longs(v4_pairs(c)?.into_iter().map(|p| p.map(|(a, b)| a.cmp(&b) as i64))))
}

fn ipv4_is_match(c: &Call<'_>) -> Result<ArrayRef> {
    Ok(bools(v4_pairs(c)?.into_iter().map(|p| p.map(|(a, b)| a == b))))
}

fn v4_in(ip: (u32, u8), range: (u32, u8)) -> bool {
    let m = mask_v4(range.1);
    ip.1 >= range.1 && (ip.0 & m) == (range.0 & m)
}

fn ipv4_is_in_range(c: &Call<'_>) -> Result<ArrayRef> {
    let (ips, ranges) = (c.str(0)?, c.str(1)?);
    if let super::Strs::Const(range) = ranges {
        let Some(range) = range.and_then(parse_v4) else { return Ok(bools((0..c.rows).map(|_| None))) };
        return Ok(bools((0..c.rows).map(|i| Some(v4_in(parse_v4(ips.get(i)?)?, range)))));
    }
    Ok(bools((0..c.rows).map(|i| {
        let ip = parse_v4(ips.get(i)?)?;
        let range = parse_v4(ranges.get(i)?)?;
        Some(v4_in(ip, range))
    })))
}

/// The ranges (or needles) of a call at a row: the string arguments after the first, or the
/// strings of one `dynamic` array.
fn range_texts(c: &Call<'_>, row: usize) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for a in 1..c.args.len() {
        out.extend(c.list_at(a, row)?);
    }
    Ok(out)
}

/// Whether every range argument is a constant (then ranges are parsed once per batch).
fn constant_ranges(c: &Call<'_>) -> bool {
    c.args[1..].iter().all(|a| matches!(a, datafusion::logical_expr::ColumnarValue::Scalar(_)))
}

/// `*_is_in_any_range(ip, ranges...)`: null when the address does not parse; ranges that do not
/// parse match nothing.
fn in_any_range<T: Copy>(c: &Call<'_>, parse: fn(&str) -> Option<T>, inside: fn(T, T) -> bool) -> Result<ArrayRef> {
    let ips = c.str(0)?;
    let fixed: Option<Vec<T>> =
        if constant_ranges(c) { Some(range_texts(c, 0)?.iter().filter_map(|r| parse(r)).collect()) } else { None };
    let mut out = Vec::with_capacity(c.rows);
    for i in 0..c.rows {
        let Some(ip) = ips.get(i).and_then(parse) else {
            out.push(None);
            continue;
        };
        let hit = match &fixed {
            Some(ranges) => ranges.iter().any(|r| inside(ip, *r)),
            None => range_texts(c, i)?.iter().filter_map(|r| parse(r)).any(|r| inside(ip, r)),
        };
        out.push(Some(hit));
    }
    Ok(bools(out.into_iter()))
}

fn ipv4_is_in_any_range(c: &Call<'_>) -> Result<ArrayRef> {
    in_any_range(c, parse_v4, v4_in)
}

/// RFC 1918's ranges.
const PRIVATE: [(u32, u8); 3] = [(0x0A00_0000, 8), (0xAC10_0000, 12), (0xC0A8_0000, 16)];

fn ipv4_is_private(c: &Call<'_>) -> Result<ArrayRef> {
    let s = c.str(0)?;
    Ok(bools((0..c.rows).map(|i| {
        let ip = parse_v4(s.get(i)?)?;
        Some(PRIVATE.iter().any(|r| v4_in(ip, *r)))
    })))
}

fn ipv4_netmask_suffix(c: &Call<'_>) -> Result<ArrayRef> {
    let s = c.str(0)?;
    Ok(longs((0..c.rows).map(|i| parse_v4(s.get(i)?).map(|(_, p)| i64::from(p)))))
}

/// An IPv6 (or IPv4, mapped) address and its prefix length.
pub fn parse_v6(text: &str) -> Option<(u128, u8)> {
    let (addr, prefix) = match text.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (text, None),
    };
    if let Some(v4) = parse_v4_addr(addr) {
        let p = match prefix {
            Some(p) => 96 + parse_prefix(p, 32)?,
            None => 128,
        };
        return Some((u128::from(v4) | 0xffff_0000_0000u128, p));
    }
    let ip: Ipv6Addr = addr.parse().ok()?;
    let p = match prefix {
        Some(p) => parse_prefix(p, 128)?,
        None => 128,
    };
    Some((u128::from(ip), p))
}

fn mask_v6(prefix: u8) -> u128 {
    if prefix == 0 { 0 } else { u128::MAX << (128 - u32::from(prefix)) }
}

/// Kusto's canonical IPv6 text: eight groups of four hex digits.
fn format_v6(ip: u128) -> String {
    let g = Ipv6Addr::from(ip).segments();
    format!("{:04x}:{:04x}:{:04x}:{:04x}:{:04x}:{:04x}:{:04x}:{:04x}", g[0], g[1], g[2], g[3], g[4], g[5], g[6], g[7])
}

fn parse_ipv6(c: &Call<'_>) -> Result<ArrayRef> {
    let s = c.str(0)?;
    Ok(texts((0..c.rows).map(|i| parse_v6(s.get(i)?).map(|(ip, p)| format_v6(ip & mask_v6(p))))))
}

fn parse_ipv6_mask(c: &Call<'_>) -> Result<ArrayRef> {
    let (s, prefix) = (c.str(0)?, Prefix::of(c, 1, 128)?);
    Ok(texts((0..c.rows).map(|i| {
        let (ip, p) = parse_v6(s.get(i)?)?;
        let given = prefix.at(i)??;
        Some(format_v6(ip & mask_v6(p.min(given))))
    })))
}

/// The two addresses of each row of an IPv6 comparison, masked by the common prefix.
fn v6_pairs(c: &Call<'_>) -> Result<Vec<Option<(u128, u128)>>> {
    let (a, b, prefix) = (c.str(0)?, c.str(1)?, Prefix::of(c, 2, 128)?);
    Ok((0..c.rows)
        .map(|i| {
            let (x, px) = parse_v6(a.get(i)?)?;
            let (y, py) = parse_v6(b.get(i)?)?;
            let m = mask_v6(prefix.narrow(i, px.min(py))?);
            Some((x & m, y & m))
        })
        .collect())
}

fn ipv6_compare(c: &Call<'_>) -> Result<ArrayRef> {
    Ok(longs(v6_pairs(c)?.into_iter().map(|p| p.map(|(a, b)| a.cmp(&b) as i64))))
}

fn ipv6_is_match(c: &Call<'_>) -> Result<ArrayRef> {
    Ok(bools(v6_pairs(c)?.into_iter().map(|p| p.map(|(a, b)| a == b))))
}

fn v6_in(ip: (u128, u8), range: (u128, u8)) -> bool {
    let m = mask_v6(range.1);
    ip.1 >= range.1 && (ip.0 & m) == (range.0 & m)
}

fn ipv6_is_in_range(c: &Call<'_>) -> Result<ArrayRef> {
    let (ips, ranges) = (c.str(0)?, c.str(1)?);
    Ok(bools((0..c.rows).map(|i| {
        let ip = parse_v6(ips.get(i)?)?;
        let range = parse_v6(ranges.get(i)?)?;
        Some(v6_in(ip, range))
    })))
}

fn ipv6_is_in_any_range(c: &Call<'_>) -> Result<ArrayRef> {
    in_any_range(c, parse_v6, v6_in)
}

/// The IPv4 address tokens of a text.
fn v4_tokens(text: &str) -> impl Iterator<Item = &str> {
    text.split(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '.'))
        .map(|t| t.trim_matches('.'))
        .filter(|t| parse_v4_addr(t).is_some())
}

/// Whether `needle` (a valid address, or an address prefix ending with a dot) is a valid
/// prefix for `has_ipv4_prefix`.
fn valid_prefix(needle: &str) -> bool {
    if parse_v4_addr(needle).is_some() {
        return true;
    }
    let Some(body) = needle.strip_suffix('.') else { return false };
    let parts: Vec<&str> = body.split('.').collect();
    (1..=3).contains(&parts.len())
        && parts.iter().all(|p| !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()))
        && parts.iter().all(|p| p.parse::<u32>().is_ok_and(|v| v <= 255))
}

/// One searched address or prefix, ready to test texts.
struct Needle {
    text: String,
    finder: memmem::Finder<'static>,
    prefix: bool,
}

impl Needle {
    fn new(text: &str, prefix: bool) -> Option<Self> {
        let ok = if prefix { valid_prefix(text) } else { parse_v4_addr(text).is_some() };
        ok.then(|| Self { text: text.to_owned(), finder: memmem::Finder::new(text.as_bytes()).into_owned(), prefix })
    }

    fn found_in(&self, source: &str) -> bool {
        // The bytes must occur at all before the text is tokenized.
        if self.finder.find(source.as_bytes()).is_none() {
            return false;
        }
        v4_tokens(source).any(|t| if self.prefix { t.starts_with(&self.text) } else { t == self.text })
    }
}

/// The needles of a call at a row (arguments after the first, or one `dynamic` array).
fn needles_at(c: &Call<'_>, row: usize, prefix: bool) -> Result<Vec<Needle>> {
    Ok(range_texts(c, row)?.iter().filter_map(|t| Needle::new(t, prefix)).collect())
}

fn has_v4(c: &Call<'_>, prefix: bool) -> Result<ArrayRef> {
    let source = c.str(0)?;
    let fixed = if constant_ranges(c) { Some(needles_at(c, 0, prefix)?) } else { None };
    let mut out = Vec::with_capacity(c.rows);
    for i in 0..c.rows {
        let text = source.text(i);
        let hit = match &fixed {
            Some(needles) => needles.iter().any(|n| n.found_in(text)),
            None => needles_at(c, i, prefix)?.iter().any(|n| n.found_in(text)),
        };
        out.push(Some(hit));
    }
    Ok(bools(out.into_iter()))
}

/// `has_ipv4` and `has_any_ipv4` (the needles are every argument after the text).
fn has_ipv4(c: &Call<'_>) -> Result<ArrayRef> {
    has_v4(c, false)
}

/// `has_ipv4_prefix` and `has_any_ipv4_prefix`.
fn has_ipv4_prefix(c: &Call<'_>) -> Result<ArrayRef> {
    has_v4(c, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v4_text() {
        assert_eq!(parse_v4("127.0.0.1"), Some((0x7F00_0001, 32)));
        assert_eq!(parse_v4("192.168.1.1/24"), Some((0xC0A8_0101, 24)));
        assert_eq!(parse_v4("1.2.3"), None);
        assert_eq!(parse_v4("1.2.3.256"), None);
        assert_eq!(parse_v4("1.2.3.4/33"), None);
        assert_eq!(parse_v4("1.2.3.4.5"), None);
        assert_eq!(parse_v4(" 1.2.3.4"), None);
    }

    #[test]
    fn v6_text() {
        let (ip, p) = parse_v6("192.168.255.255/24").unwrap_or_default();
        assert_eq!(format_v6(ip & mask_v6(p)), "0000:0000:0000:0000:0000:ffff:c0a8:ff00");
        assert_eq!(parse_v6("::1"), Some((1, 128)));
        assert_eq!(parse_v6("fe80::/10").map(|x| x.1), Some(10));
        assert_eq!(parse_v6("nope"), None);
    }

    #[test]
    fn tokens() {
        let t = "05:04:54 127.0.0.1 GET /favicon.ico 404, and 10.1.1.115.";
        let found: Vec<&str> = v4_tokens(t).collect();
        assert_eq!(found, ["127.0.0.1", "10.1.1.115"]);
        assert_eq!(v4_tokens("05:04:54127.0.0.1").count(), 0);
        assert!(valid_prefix("127.0."));
        assert!(!valid_prefix("127.0"));
        assert!(valid_prefix("10.1.2.3"));
    }
}
