//! Hash functions: `hash` and `hash_xxhash64` (XXH64, seed 0, as Kusto documents),
//! `hash_md5`, `hash_sha1`, `hash_sha256` (lower-case hex).
//!
//! A string is hashed as its UTF-8 bytes; other values as their `tostring` text (a documented
//! choice: Kusto does not document the bytes it hashes for numbers).

use datafusion::arrow::array::ArrayRef;
use datafusion::common::Result;

use super::Param::{Long, Text};
use super::{Call, Def, Out, f, longs, strings};

/// The hash functions.
pub static FUNCTIONS: &[Def] = &[
    f("hash", &[Text, Long], Out::Long, xxhash64).args(1, 2),
    f("hash_xxhash64", &[Text, Long], Out::Long, xxhash64).args(1, 2),
    f("hash_md5", &[Text], Out::Str, md5),
    f("hash_sha1", &[Text], Out::Str, sha1),
    f("hash_sha256", &[Text], Out::Str, sha256),
];

/// XXH64 with seed 0, as a `long`; with a modulo, the non-negative remainder (null for a
/// modulo that is not positive).
fn xxhash64(c: &Call<'_>) -> Result<ArrayRef> {
    let (s, m) = (c.str(0)?, c.i64(1)?);
    Ok(longs((0..c.rows).map(|i| {
        let h = twox_hash::XxHash64::oneshot(0, s.text(i).as_bytes());
        if c.has(1) {
            let m = m.get(i).filter(|m| *m > 0)?;
            Some((h % m as u64) as i64)
        } else {
            Some(h as i64)
        }
    })))
}

fn hex_digest<D: sha1::Digest>(c: &Call<'_>) -> Result<ArrayRef> {
    let s = c.str(0)?;
    Ok(strings(c.rows, |i, out| {
        let digest = D::digest(s.text(i).as_bytes());
        let mut text = [0u8; 128];
        let len = digest.len() * 2;
        if hex::encode_to_slice(digest, &mut text[..len]).is_ok() {
            out.extend(text[..len].iter().map(|b| char::from(*b)));
        }
    }))
}

fn md5(c: &Call<'_>) -> Result<ArrayRef> {
    hex_digest::<md5::Md5>(c)
}

fn sha1(c: &Call<'_>) -> Result<ArrayRef> {
    hex_digest::<sha1::Sha1>(c)
}

fn sha256(c: &Call<'_>) -> Result<ArrayRef> {
    hex_digest::<sha2::Sha256>(c)
}

#[cfg(test)]
mod tests {
    #[test]
    fn documented_values() {
        // hash-function.md: hash("World") and hash("World", 100).
        let h = twox_hash::XxHash64::oneshot(0, b"World") as i64;
        assert_eq!(h, 1_846_988_464_401_551_951);
        assert_eq!(
            hex::encode(<sha2::Sha256 as sha1::Digest>::digest(b"World")),
            "78ae647dc5544d227130a0682a51e30bc7777fbb6d8a8f17007463a3ecd1d524"
        );
    }
}
