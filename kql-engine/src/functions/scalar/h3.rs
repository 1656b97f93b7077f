//! H3 cells (`geo-point-to-h3cell-function.md` and its siblings), computed with `h3o` (a port of
//! Uber's H3 library): `geo_point_to_h3cell`, `geo_h3cell_to_central_point`,
//! `geo_h3cell_to_polygon`, `geo_h3cell_level`, `geo_h3cell_parent`, `geo_h3cell_children`,
//! `geo_h3cell_neighbors`, `geo_h3cell_rings`.
//!
//! As documented: an invalid point or resolution gives `""` from `geo_point_to_h3cell`, an
//! invalid cell or argument gives `""` from `geo_h3cell_parent` and null from the others. Rings
//! and neighbors are H3's disk grouped by distance, in its order (the documented rings).

use std::str::FromStr;

use datafusion::arrow::array::ArrayRef;
use datafusion::common::Result;
use h3o::{CellIndex, LatLng, Resolution};

use super::Param::{Long, Real, Str};
use super::grid::{dynamic_rows, geojson, lon_lat, point_cells};
use super::{Call, Def, Out, f, ints, strings};
use crate::dynamic::Dyn;

/// The H3 functions.
pub static FUNCTIONS: &[Def] = &[
    f("geo_point_to_h3cell", &[Real, Real, Long], Out::Str, point_to_h3cell).args(2, 3),
    f("geo_h3cell_to_central_point", &[Str], Out::Dyn, to_central_point),
    f("geo_h3cell_to_polygon", &[Str], Out::Dyn, to_polygon),
    f("geo_h3cell_level", &[Str], Out::Int, level),
    f("geo_h3cell_parent", &[Str, Long], Out::Str, parent).args(1, 2),
    f("geo_h3cell_children", &[Str, Long], Out::Dyn, children).args(1, 2),
    f("geo_h3cell_neighbors", &[Str], Out::Dyn, neighbors),
    f("geo_h3cell_rings", &[Str, Long], Out::Dyn, rings),
];

fn cell(text: &str) -> Option<CellIndex> {
    CellIndex::from_str(text.trim()).ok()
}

/// The resolution `r` names (0 to 15).
pub(crate) fn resolution(r: i64) -> Option<Resolution> {
    u8::try_from(r).ok().and_then(|r| Resolution::try_from(r).ok())
}

/// The cell of a point at a resolution.
pub fn point_cell(lon: f64, lat: f64, res: i64) -> Option<CellIndex> {
    if !(-180.0..=180.0).contains(&lon) || !(-90.0..=90.0).contains(&lat) {
        return None;
    }
    Some(LatLng::new(lat, lon).ok()?.to_cell(resolution(res)?))
}

fn point(p: LatLng) -> Dyn {
    lon_lat(p.lng(), p.lat())
}

/// Cells as a `dynamic` array of their tokens.
pub(crate) fn strings_of(cells: impl IntoIterator<Item = CellIndex>) -> Dyn {
    Dyn::Array(cells.into_iter().map(|c| Dyn::String(c.to_string())).collect())
}

fn point_to_h3cell(c: &Call<'_>) -> Result<ArrayRef> {
    point_cells(c, 6, |x, y, r| point_cell(x, y, r).map(|cell| cell.to_string()))
}

fn to_central_point(c: &Call<'_>) -> Result<ArrayRef> {
    let s = c.str(0)?;
    dynamic_rows(c.rows, |i| Ok(cell(s.text(i)).map(|cell| geojson("Point", point(LatLng::from(cell))))))
}

fn to_polygon(c: &Call<'_>) -> Result<ArrayRef> {
    let s = c.str(0)?;
    dynamic_rows(c.rows, |i| {
        Ok(cell(s.text(i)).map(|cell| {
            let mut ring: Vec<Dyn> = cell.boundary().iter().map(|p| point(*p)).collect();
            if let Some(first) = ring.first().cloned() {
                ring.push(first);
            }
            geojson("Polygon", Dyn::Array(vec![Dyn::Array(ring)]))
        }))
    })
}

fn level(c: &Call<'_>) -> Result<ArrayRef> {
    let s = c.str(0)?;
    Ok(ints((0..c.rows).map(|i| cell(s.text(i)).map(|cell| i32::from(u8::from(cell.resolution()))))))
}

/// The resolution argument `k` (absent: `default` from the cell's own).
fn target(c: &Call<'_>, k: usize, i: usize, own: Resolution, step: i64) -> Result<Option<Resolution>> {
    if c.args.len() > k {
        Ok(c.i64(k)?.get(i).and_then(resolution))
    } else {
        Ok(resolution(i64::from(u8::from(own)) + step))
    }
}

fn parent(c: &Call<'_>) -> Result<ArrayRef> {
    let s = c.str(0)?;
    let mut texts = Vec::with_capacity(c.rows);
    for i in 0..c.rows {
        let found = match cell(s.text(i)) {
            Some(cell) => target(c, 1, i, cell.resolution(), -1)?.and_then(|r| cell.parent(r)),
            None => None,
        };
        texts.push(found.map(|p| p.to_string()).unwrap_or_default());
    }
    Ok(strings(c.rows, |i, out| out.push_str(&texts[i])))
}

fn children(c: &Call<'_>) -> Result<ArrayRef> {
    let s = c.str(0)?;
    dynamic_rows(c.rows, |i| {
        let Some(cell) = cell(s.text(i)) else { return Ok(None) };
        let Some(r) = target(c, 1, i, cell.resolution(), 1)? else { return Ok(None) };
        if r < cell.resolution() {
            return Ok(None);
        }
        Ok(Some(strings_of(cell.children(r))))
    })
}

/// The cells within `k` steps grouped by distance, each group in H3's disk order (what Kusto's
/// documented rings show); the safe disk where the fast one meets a pentagon.
fn rings_of(cell: CellIndex, k: u32) -> Vec<Vec<CellIndex>> {
    let disk: Vec<(CellIndex, u32)> = match cell.grid_disk_distances_fast(k).collect::<Option<Vec<_>>>() {
        Some(d) => d,
        None => cell.grid_disk_distances::<Vec<_>>(k),
    };
    let mut rings = vec![Vec::new(); k as usize + 1];
    for (c, d) in disk {
        if let Some(r) = rings.get_mut(d as usize) {
            r.push(c);
        }
    }
    rings
}

fn neighbors(c: &Call<'_>) -> Result<ArrayRef> {
    let s = c.str(0)?;
    dynamic_rows(c.rows, |i| Ok(cell(s.text(i)).and_then(|cell| rings_of(cell, 1).pop()).map(strings_of)))
}

fn rings(c: &Call<'_>) -> Result<ArrayRef> {
    let (s, k) = (c.str(0)?, c.i64(1)?);
    dynamic_rows(c.rows, |i| {
        let (Some(cell), Some(k)) = (cell(s.text(i)), k.get(i)) else { return Ok(None) };
        let Some(k) = u32::try_from(k).ok().filter(|k| *k <= 142) else { return Ok(None) };
        Ok(Some(Dyn::Array(rings_of(cell, k).into_iter().map(strings_of).collect())))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_examples() {
        let at = |lon, lat, r| point_cell(lon, lat, r).map(|c| c.to_string());
        assert_eq!(at(-74.04450446039874, 40.689250859314974, 6).as_deref(), Some("862a1072fffffff"));
        assert_eq!(at(-73.956683, 40.807907, 5).as_deref(), Some("852a100bfffffff"));
        assert_eq!(at(-73.989148, 40.743273, 5).as_deref(), Some("852a1073fffffff"));
        assert!(at(300.0, 1.0, 8).is_none() && at(1.0, 1.0, 16).is_none());
        let c = cell("862a1072fffffff").expect("a cell");
        assert_eq!(c.parent(Resolution::Five).map(|p| p.to_string()).as_deref(), Some("852a1073fffffff"));
        assert_eq!(c.parent(Resolution::One).map(|p| p.to_string()).as_deref(), Some("812a3ffffffffff"));
        let r = cell("861f8894fffffff").expect("a cell");
        let rings: Vec<Vec<String>> =
            rings_of(r, 2).iter().map(|ring| ring.iter().map(ToString::to_string).collect()).collect();
        assert_eq!(rings[0], ["861f8894fffffff"]);
        assert_eq!(
            rings[1],
            [
                "861f88947ffffff",
                "861f8895fffffff",
                "861f88867ffffff",
                "861f8d497ffffff",
                "861f8d4b7ffffff",
                "861f8896fffffff"
            ]
        );
        assert_eq!(rings[2][0], "861f88967ffffff");
        assert_eq!(rings[2][11], "861f8d597ffffff");
    }
}
