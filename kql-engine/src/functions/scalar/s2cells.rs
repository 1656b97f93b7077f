//! S2 cells (`geo-point-to-s2cell-function.md` and its siblings), computed with the `s2` crate
//! (a port of Google's S2 geometry): `geo_point_to_s2cell`, `geo_s2cell_to_central_point`,
//! `geo_s2cell_to_polygon`, `geo_s2cell_neighbors`.
//!
//! Tokens are S2's: the cell id in hex without trailing zeros, at most 16 characters. An invalid
//! point or level gives `""`; an invalid token gives null. A polygon's corners are the cell's
//! vertices in S2's order, closed (as documented). Neighbors are the cells sharing an edge or a
//! corner, in S2's `AllNeighbors` order: the documented example lists the same eight cells in
//! another order, which no rule we found reproduces.

use datafusion::arrow::array::ArrayRef;
use datafusion::common::Result;
use s2::cell::Cell;
use s2::cellid::CellID;
use s2::latlng::LatLng;

use super::Param::{Long, Real, Str};
use super::grid::{dynamic_rows, geojson, lon_lat, point_cells};
use super::{Call, Def, Out, f};
use crate::dynamic::Dyn;

/// The S2 functions.
pub static FUNCTIONS: &[Def] = &[
    f("geo_point_to_s2cell", &[Real, Real, Long], Out::Str, point_to_s2cell).args(2, 3),
    f("geo_s2cell_to_central_point", &[Str], Out::Dyn, to_central_point),
    f("geo_s2cell_to_polygon", &[Str], Out::Dyn, to_polygon),
    f("geo_s2cell_neighbors", &[Str], Out::Dyn, neighbors),
];

/// The cell of a token; `None` unless it is a valid S2 cell.
fn cell(token: &str) -> Option<CellID> {
    let t = token.trim();
    if t.is_empty() || t.len() > 16 || !t.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    Some(CellID::from_token(t)).filter(CellID::is_valid)
}

/// The cell of a point at a level.
pub fn point_cell(lon: f64, lat: f64, level: i64) -> Option<CellID> {
    if !(-180.0..=180.0).contains(&lon) || !(-90.0..=90.0).contains(&lat) || !(0..=30).contains(&level) {
        return None;
    }
    Some(CellID::from(LatLng::from_degrees(lat, lon)).parent(level as u64))
}

fn point(p: &LatLng) -> Dyn {
    lon_lat(p.lng.deg(), p.lat.deg())
}

/// A `dynamic` per row from an S2 token, null when it is not a cell.
fn from_token(c: &Call<'_>, value: impl Fn(CellID) -> Dyn) -> Result<ArrayRef> {
    let s = c.str(0)?;
    dynamic_rows(c.rows, |i| Ok(cell(s.text(i)).map(&value)))
}

fn point_to_s2cell(c: &Call<'_>) -> Result<ArrayRef> {
    point_cells(c, 11, |x, y, l| point_cell(x, y, l).map(|id| id.to_token()))
}

fn to_central_point(c: &Call<'_>) -> Result<ArrayRef> {
    from_token(c, |id| geojson("Point", point(&LatLng::from(id))))
}

fn to_polygon(c: &Call<'_>) -> Result<ArrayRef> {
    from_token(c, |id| {
        let cell = Cell::from(id);
        let mut ring: Vec<Dyn> = (0..4).map(|k| point(&LatLng::from(cell.vertex(k)))).collect();
        ring.push(ring[0].clone());
        geojson("Polygon", Dyn::Array(vec![Dyn::Array(ring)]))
    })
}

fn neighbors(c: &Call<'_>) -> Result<ArrayRef> {
    from_token(c, |id| {
        let mut seen = Vec::new();
        for n in id.all_neighbors(id.level()) {
            if !seen.contains(&n) {
                seen.push(n);
            }
        }
        Dyn::Array(seen.into_iter().map(|n| Dyn::String(n.to_token())).collect())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_examples() {
        let at = |lon, lat, l| point_cell(lon, lat, l).map(|c| c.to_token());
        assert_eq!(at(-80.195829, 25.802215, 8).as_deref(), Some("88d9b"));
        assert_eq!(at(10.1234, 53.0, 8).as_deref(), Some("47b1d"));
        assert_eq!(at(10.6842, 53.0, 8).as_deref(), Some("47ae3"));
        assert!(at(300.0, 1.0, 8).is_none() && at(1.0, 1.0, 35).is_none());
        assert!(cell("a").is_none());
        let id = cell("89c259").expect("a cell");
        let mut n: Vec<String> = id.all_neighbors(id.level()).iter().map(CellID::to_token).collect();
        n.sort();
        assert_eq!(n, ["89c251", "89c257", "89c25b", "89c25d", "89c25f", "89c2f5", "89c2f7", "89c2f9"]);
        let v = Cell::from(id).vertex(0);
        let p = LatLng::from(v);
        assert!((p.lng.deg() - -74.03001224983848).abs() < 1e-9 && (p.lat.deg() - 40.8012684339439).abs() < 1e-9);
        let center = LatLng::from(cell("1234567").expect("a cell"));
        assert!((center.lng.deg() - 9.86830731850408).abs() < 1e-9, "{}", center.lng.deg());
        assert!((center.lat.deg() - 27.468392925827604).abs() < 1e-9, "{}", center.lat.deg());
    }
}
