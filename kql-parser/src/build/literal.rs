//! Literals: strings (every form of spec §2), numbers, typed "goo" literals, dynamic values.

use pest::iterators::Pair;

use super::{Builder, Result, span_of};
use crate::ast::{DateTime, Dynamic, Literal, Real, ScalarType, TimeSpan};
use crate::grammar::Rule;
use crate::time::timespan_from_number_and_unit;

impl Builder<'_> {
    pub(crate) fn literal(&self, pair: Pair<'_, Rule>) -> Result<Literal> {
        let span = span_of(&pair);
        let text = pair.as_str();
        Ok(match pair.as_rule() {
            Rule::string_lit => Literal::String(self.string_lit(&pair)?),
            Rule::bool_lit => Literal::Bool(text.eq_ignore_ascii_case("true")),
            Rule::long_lit => Literal::Long(text.parse().map_err(|_| {
                self.error(span, format!("the number `{text}` is too large for a long (64-bit) value"))
            })?),
            Rule::hex_lit => Literal::Long(
                u64::from_str_radix(&text[2..], 16)
                    .ok()
                    .map(|v| v.cast_signed())
                    .ok_or_else(|| self.error(span, format!("the number `{text}` does not fit in 64 bits")))?,
            ),
            Rule::real_lit => Literal::Real(Real(
                text.parse().map_err(|_| self.error(span, format!("`{text}` is not a valid real number")))?,
            )),
            Rule::timespan_lit => {
                let mut inner = pair.clone().into_inner();
                let number = self.expect(&pair, &mut inner, Rule::ts_number)?;
                let unit = self.expect(&pair, &mut inner, Rule::timespan_unit)?;
                Literal::TimeSpan(
                    timespan_from_number_and_unit(number.as_str(), unit.as_str())
                        .ok_or_else(|| self.error(span, format!("the timespan `{text}` is too large")))?,
                )
            }
            Rule::raw_guid => Literal::Guid(text.to_ascii_lowercase()),
            Rule::goo_lit => self.goo(&pair)?,
            Rule::dynamic_lit => {
                let v = pair.clone().into_inner().nth(1).ok_or_else(|| self.internal(&pair, "a dynamic literal"))?;
                Literal::Dynamic(Box::new(self.dynamic(v)?))
            }
            _ => return Err(self.internal(&pair, "a literal")),
        })
    }

    /// `datetime(...)`, `long(...)`, ...: the raw text between the parentheses is the value.
    fn goo(&self, pair: &Pair<'_, Rule>) -> Result<Literal> {
        let span = span_of(pair);
        let mut inner = pair.clone().into_inner();
        let kind = self.expect(pair, &mut inner, Rule::goo_kind)?;
        let body = self.expect(pair, &mut inner, Rule::goo_body)?;
        let raw = body.as_str().trim();
        let ty = ScalarType::from_name(kind.as_str()).ok_or_else(|| self.internal(&kind, "a typed literal"))?;
        if raw == "null" {
            return Ok(Literal::Null(ty));
        }
        let bad =
            |what: &str| self.error(span, format!("`{}` is not a valid {} literal{what}", pair.as_str(), ty.name()));
        let unquoted = strip_quotes(raw);
        Ok(match ty {
            ScalarType::DateTime => Literal::DateTime(
                DateTime::parse(raw)
                    .ok_or_else(|| bad(" (write it as `datetime(2024-01-31)` or `datetime(2024-01-31T13:45:00Z)`)"))?,
            ),
            ScalarType::TimeSpan => Literal::TimeSpan(
                TimeSpan::parse(raw).ok_or_else(|| bad(" (write it as `timespan(1d)` or `timespan(1.02:03:04)`)"))?,
            ),
            ScalarType::Bool => match unquoted.to_ascii_lowercase().as_str() {
                "true" | "1" => Literal::Bool(true),
                "false" | "0" => Literal::Bool(false),
                _ => return Err(bad("")),
            },
            ScalarType::Int => {
                Literal::Int(parse_signed(unquoted).and_then(|v| i32::try_from(v).ok()).ok_or_else(|| bad(""))?)
            }
            ScalarType::Long => Literal::Long(parse_signed(unquoted).ok_or_else(|| bad(""))?),
            ScalarType::Real => Literal::Real(Real(parse_real(unquoted).ok_or_else(|| bad(""))?)),
            ScalarType::Decimal => {
                let ok = !unquoted.is_empty() && unquoted.parse::<f64>().is_ok();
                if !ok {
                    return Err(bad(""));
                }
                Literal::Decimal(unquoted.to_owned())
            }
            ScalarType::Guid => Literal::Guid(parse_guid(unquoted).ok_or_else(|| bad(""))?),
            ScalarType::String | ScalarType::Dynamic => return Err(self.internal(&kind, "a typed literal")),
        })
    }

    fn dynamic(&self, pair: Pair<'_, Rule>) -> Result<Dynamic> {
        Ok(match pair.as_rule() {
            Rule::dynamic_null => Dynamic::Null,
            Rule::dynamic_array => Dynamic::Array(pair.into_inner().map(|v| self.dynamic(v)).collect::<Result<_>>()?),
            Rule::dynamic_object => Dynamic::Object(
                pair.into_inner()
                    .map(|kv| {
                        let mut inner = kv.clone().into_inner();
                        let key = self.string_lit(&self.expect(&kv, &mut inner, Rule::string_lit)?)?;
                        let value = self.dynamic(self.next(&kv, &mut inner)?)?;
                        Ok((key, value))
                    })
                    .collect::<Result<_>>()?,
            ),
            Rule::dynamic_number => {
                let mut inner = pair.clone().into_inner();
                let mut first = self.next(&pair, &mut inner)?;
                let negative = if first.as_rule() == Rule::signed {
                    let neg = first.as_str() == "-";
                    first = self.next(&pair, &mut inner)?;
                    neg
                } else {
                    false
                };
                let value = self.literal(first)?;
                Dynamic::Scalar(if negative {
                    negate(value).ok_or_else(|| self.internal(&pair, "a dynamic number"))?
                } else {
                    value
                })
            }
            _ => Dynamic::Scalar(self.literal(pair)?),
        })
    }

    /// The value of a (possibly concatenated) string literal.
    pub(crate) fn string_lit(&self, pair: &Pair<'_, Rule>) -> Result<String> {
        let mut out = String::new();
        for part in pair.clone().into_inner() {
            out.push_str(&self.string_part(&part)?);
        }
        Ok(out)
    }

    /// The value of one quoted string.
    pub(crate) fn string_part(&self, pair: &Pair<'_, Rule>) -> Result<String> {
        let text = pair.as_str();
        match pair.as_rule() {
            Rule::obfuscated_string => {
                let inner = pair.clone().into_inner().next().ok_or_else(|| self.internal(pair, "a string"))?;
                self.string_part(&inner)
            }
            Rule::verbatim_string => {
                let quote = &text[1..2];
                Ok(text[2..text.len() - 1].replace(&format!("{quote}{quote}"), quote))
            }
            Rule::multiline_string => Ok(text[3..text.len() - 3].to_owned()),
            Rule::sq_string | Rule::dq_string => self.unescape(pair, &text[1..text.len() - 1]),
            _ => Err(self.internal(pair, "a string")),
        }
    }

    /// Backslash escapes of `'...'` and `"..."` strings.
    fn unescape(&self, pair: &Pair<'_, Rule>, body: &str) -> Result<String> {
        let mut out = String::with_capacity(body.len());
        let mut chars = body.char_indices();
        while let Some((i, c)) = chars.next() {
            if c != '\\' {
                out.push(c);
                continue;
            }
            let Some((_, e)) = chars.next() else {
                return Err(self.internal(pair, "a string escape"));
            };
            match e {
                '\\' | '\'' | '"' => out.push(e),
                'n' => out.push('\n'),
                't' => out.push('\t'),
                'r' => out.push('\r'),
                '0' => out.push('\0'),
                'a' => out.push('\u{07}'),
                'b' => out.push('\u{08}'),
                'f' => out.push('\u{0C}'),
                'v' => out.push('\u{0B}'),
                'u' | 'x' | 'U' => {
                    let len = match e {
                        'u' => 4,
                        'U' => 8,
                        _ => 2,
                    };
                    let hex: String = chars.clone().take(len).map(|(_, c)| c).collect();
                    let ch = (hex.len() == len)
                        .then(|| u32::from_str_radix(&hex, 16).ok())
                        .flatten()
                        .and_then(char::from_u32);
                    let Some(ch) = ch else {
                        let start = span_of(pair).start + 1 + i;
                        return Err(self.error(
                            crate::Span::new(start, start + 2),
                            format!("`\\{e}` must be followed by {len} hexadecimal digits of a valid character"),
                        ));
                    };
                    out.push(ch);
                    for _ in 0..len {
                        chars.next();
                    }
                }
                other => {
                    let start = span_of(pair).start + 1 + i;
                    return Err(self.error(
                        crate::Span::new(start, start + 1 + other.len_utf8()),
                        format!(
                            "unknown escape `\\{other}` in a string; write `\\\\` for a backslash, or use a verbatim string such as @'C:\\path'"
                        ),
                    ));
                }
            }
        }
        Ok(out)
    }
}

fn strip_quotes(s: &str) -> &str {
    for q in ['\'', '"'] {
        if let Some(inner) = s.strip_prefix(q).and_then(|s| s.strip_suffix(q)) {
            return inner.trim();
        }
    }
    s
}

fn parse_signed(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Some(hex) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        return u64::from_str_radix(hex, 16).ok().map(u64::cast_signed);
    }
    s.strip_prefix('+').unwrap_or(s).parse().ok()
}

fn parse_real(s: &str) -> Option<f64> {
    match s.trim().to_ascii_lowercase().as_str() {
        "nan" => Some(f64::NAN),
        "inf" | "+inf" => Some(f64::INFINITY),
        "-inf" => Some(f64::NEG_INFINITY),
        other if !other.is_empty() && other.bytes().all(|b| b.is_ascii_digit() || b"+-.e".contains(&b)) => {
            other.parse().ok()
        }
        _ => None,
    }
}

/// `74be27de-1e4e-49d9-b579-fe0b331d3642` (braces and no hyphens also accepted).
fn parse_guid(s: &str) -> Option<String> {
    let s = s.trim().trim_start_matches('{').trim_end_matches('}');
    let hex: String = s.chars().filter(|c| *c != '-').collect();
    let hyphens_ok = !s.contains('-') || {
        let groups: Vec<usize> = s.split('-').map(str::len).collect();
        groups == [8, 4, 4, 4, 12]
    };
    if hex.len() != 32 || !hyphens_ok || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let h = hex.to_ascii_lowercase();
    Some(format!("{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..]))
}

fn negate(l: Literal) -> Option<Literal> {
    Some(match l {
        Literal::Long(v) => Literal::Long(v.checked_neg()?),
        Literal::Real(Real(v)) => Literal::Real(Real(-v)),
        Literal::TimeSpan(t) => Literal::TimeSpan(TimeSpan::from_ticks(t.ticks().checked_neg()?)),
        _ => return None,
    })
}
