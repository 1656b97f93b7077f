//! Geohash (`geo-point-to-geohash-function.md` and its siblings): `geo_point_to_geohash`,
//! `geo_geohash_to_central_point`, `geo_geohash_to_polygon`, `geo_geohash_neighbors`.
//!
//! The standard geohash: longitude and latitude bits interleaved (longitude first), five bits a
//! character of `0123456789bcdefghjkmnpqrstuvwxyz`, 1 to 18 characters. An invalid point or
//! accuracy gives `""`; an invalid geohash gives null. Neighbors are listed in the order of the
//! documented example (south-west, north-west, south-east, north, west, north-east, east, south);
//! across the ±180° meridian they wrap, beyond a pole there are none.

use datafusion::arrow::array::ArrayRef;
use datafusion::common::Result;

use super::Param::{Long, Real, Str};
use super::grid::{dynamic_rows, geojson, lon_lat, point_cells};
use super::{Call, Def, Out, f};
use crate::dynamic::Dyn;

/// The geohash functions.
pub static FUNCTIONS: &[Def] = &[
    f("geo_point_to_geohash", &[Real, Real, Long], Out::Str, point_to_geohash).args(2, 3),
    f("geo_geohash_to_central_point", &[Str], Out::Dyn, geohash_to_central_point),
    f("geo_geohash_to_polygon", &[Str], Out::Dyn, geohash_to_polygon),
    f("geo_geohash_neighbors", &[Str], Out::Dyn, geohash_neighbors),
];

const BASE32: &[u8; 32] = b"0123456789bcdefghjkmnpqrstuvwxyz";

/// The geohash of a point with `len` characters; `None` when the point or length is invalid.
pub fn encode(lon: f64, lat: f64, len: i64) -> Option<String> {
    if !(-180.0..=180.0).contains(&lon) || !(-90.0..=90.0).contains(&lat) || !(1..=18).contains(&len) {
        return None;
    }
    let (mut lon_r, mut lat_r) = ((-180.0f64, 180.0f64), (-90.0f64, 90.0f64));
    let mut out = String::with_capacity(len as usize);
    let mut even = true;
    for _ in 0..len {
        let mut ch = 0usize;
        for _ in 0..5 {
            let (r, v) = if even { (&mut lon_r, lon) } else { (&mut lat_r, lat) };
            let mid = (r.0 + r.1) / 2.0;
            ch <<= 1;
            if v >= mid {
                ch |= 1;
                r.0 = mid;
            } else {
                r.1 = mid;
            }
            even = !even;
        }
        out.push(char::from(BASE32[ch]));
    }
    Some(out)
}

/// The rectangle of a geohash: `(west, south, east, north)`; `None` when it is not one.
pub fn bounds(hash: &str) -> Option<(f64, f64, f64, f64)> {
    if hash.is_empty() || hash.len() > 18 {
        return None;
    }
    let (mut lon_r, mut lat_r) = ((-180.0f64, 180.0f64), (-90.0f64, 90.0f64));
    let mut even = true;
    for b in hash.bytes() {
        let v = BASE32.iter().position(|c| *c == b)?;
        for bit in (0..5).rev() {
            let r = if even { &mut lon_r } else { &mut lat_r };
            let mid = (r.0 + r.1) / 2.0;
            if (v >> bit) & 1 == 1 {
                r.0 = mid;
            } else {
                r.1 = mid;
            }
            even = !even;
        }
    }
    Some((lon_r.0, lat_r.0, lon_r.1, lat_r.1))
}

/// The neighbors of a geohash, in the documented order.
pub fn neighbors(hash: &str) -> Option<Vec<String>> {
    let (w, s, e, n) = bounds(hash)?;
    let (cx, cy) = ((w + e) / 2.0, (s + n) / 2.0);
    let (dx, dy) = (e - w, n - s);
    let len = hash.len() as i64;
    let order = [(-1.0, -1.0), (-1.0, 1.0), (1.0, -1.0), (0.0, 1.0), (-1.0, 0.0), (1.0, 1.0), (1.0, 0.0), (0.0, -1.0)];
    Some(
        order
            .iter()
            .filter_map(|(mx, my)| {
                let lat = cy + my * dy;
                if !(-90.0..=90.0).contains(&lat) {
                    return None;
                }
                let mut lon = cx + mx * dx;
                if lon > 180.0 {
                    lon -= 360.0;
                } else if lon < -180.0 {
                    lon += 360.0;
                }
                encode(lon, lat, len)
            })
            .collect(),
    )
}

fn point_to_geohash(c: &Call<'_>) -> Result<ArrayRef> {
    point_cells(c, 5, encode)
}

/// A `dynamic` per row from a geohash, null when it is not one.
fn from_geohash(c: &Call<'_>, value: fn(&str) -> Option<Dyn>) -> Result<ArrayRef> {
    let s = c.str(0)?;
    dynamic_rows(c.rows, |i| Ok(value(s.text(i))))
}

fn geohash_to_central_point(c: &Call<'_>) -> Result<ArrayRef> {
    from_geohash(c, |h| {
        let (w, s, e, n) = bounds(h)?;
        Some(geojson("Point", lon_lat((w + e) / 2.0, (s + n) / 2.0)))
    })
}

fn geohash_to_polygon(c: &Call<'_>) -> Result<ArrayRef> {
    from_geohash(c, |h| {
        let (w, s, e, n) = bounds(h)?;
        let ring = vec![lon_lat(w, s), lon_lat(e, s), lon_lat(e, n), lon_lat(w, n), lon_lat(w, s)];
        Some(geojson("Polygon", Dyn::Array(vec![Dyn::Array(ring)])))
    })
}

fn geohash_neighbors(c: &Call<'_>) -> Result<ArrayRef> {
    from_geohash(c, |h| Some(Dyn::Array(neighbors(h)?.into_iter().map(Dyn::String).collect())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_examples() {
        assert_eq!(encode(139.806115, 35.554128, 12).as_deref(), Some("xn76m27ty9g4"));
        assert_eq!(encode(-80.195829, 25.802215, 8).as_deref(), Some("dhwfz15h"));
        assert_eq!(encode(-122.303404, 47.570482, 5).as_deref(), Some("c23n8"));
        assert_eq!(encode(-122.278156, 47.566936, 5).as_deref(), Some("c23n9"));
        assert!(encode(200.0, 1.0, 8).is_none() && encode(1.0, 1.0, 19).is_none());
        let (w, s, e, n) = bounds("sunny").expect("a geohash");
        assert_eq!(((w + e) / 2.0, (s + n) / 2.0), (42.47314453125, 23.70849609375));
        assert_eq!(bounds("dr5ru"), Some((-74.00390625, 40.7373046875, -73.9599609375, 40.78125)));
        assert!(bounds("a").is_none());
        assert_eq!(
            neighbors("sunny").expect("neighbors"),
            ["sunnt", "sunpj", "sunnx", "sunpn", "sunnv", "sunpp", "sunnz", "sunnw"]
        );
    }
}
