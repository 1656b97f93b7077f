//! `geo_polygon_to_s2cells(polygon [, level])`: the S2 cells of one level (default 11, valid
//! 0..=30) that cover a polygon or multipolygon, as tokens in cell-id order; null for an
//! invalid polygon or level, or when more than 65,536 cells are needed.
//!
//! A cell is in the covering when it meets the polygon, cells taken as closed sets as S2 takes
//! them: an edge of the polygon crosses or touches the cell's boundary, a vertex of the polygon
//! lies in the cell, or the cell lies in the polygon. The cells are found from the six faces
//! down, a cell's children visited only when it meets the polygon.

use datafusion::arrow::array::ArrayRef;
use datafusion::common::Result;
use s2::cell::Cell;
use s2::cellid::CellID;

use super::Param::{Dyn as D, Long};
use super::geo_shapes::Shapes;
use super::grid::dynamic_rows;
use super::shapes::{Polygon, Polygons, edges};
use super::sphere::{self, P};
use super::{Call, Def, Out, f};
use crate::dynamic::Dyn;

/// The covering function.
pub static FUNCTIONS: &[Def] = &[f("geo_polygon_to_s2cells", &[D, Long], Out::Dyn, polygon_to_s2cells).args(1, 2)];

/// The most cells a covering may have.
const MAX_CELLS: usize = 65_536;

/// How near (radians, about 6 nm on Earth) counts as touching.
const TOUCH: f64 = 1e-15;

pub(crate) fn point(p: &s2::point::Point) -> P {
    [p.0.x, p.0.y, p.0.z]
}

/// Whether the closed cell holds `p`.
pub(crate) fn cell_contains(cell: &Cell, p: P) -> bool {
    cell.contains_point(&s2::point::Point(s2::r3::vector::Vector { x: p[0], y: p[1], z: p[2] }))
}

/// The cell's corners, counterclockwise.
pub(crate) fn corners(cell: &Cell) -> [P; 4] {
    cell.vertices().map(|v| point(&v))
}

fn meets(polygons: &Polygons, boundary: &[(P, P)], cell: &Cell) -> bool {
    let v = corners(cell);
    let cell_edges: Vec<(P, P)> = edges(&v).collect();
    let touches = |x: P, es: &[(P, P)]| es.iter().any(|&(a, b)| sphere::distance_to_edge(x, a, b) <= TOUCH);
    boundary.iter().any(|&(a, b)| cell_edges.iter().any(|&(c, d)| sphere::crossing(a, b, c, d)))
        || boundary.iter().any(|&(a, _)| cell_contains(cell, a) || touches(a, &cell_edges))
        || v.iter().any(|&c| touches(c, boundary) || polygons.iter().any(|p: &Polygon| p.contains(c)))
        || polygons.iter().any(|p| p.contains(point(&cell.center())))
}

/// The cells of `level` that `meets` accepts, found from the six faces down (a cell's children
/// visited only when it meets the shape), in cell-id order; `None` beyond [`MAX_CELLS`].
pub(crate) fn cells_meeting(level: u64, meets: impl Fn(&Cell) -> bool) -> Option<Vec<CellID>> {
    let mut out = Vec::new();
    let mut todo: Vec<CellID> = (0..6).rev().map(CellID::from_face).collect();
    while let Some(id) = todo.pop() {
        if !meets(&Cell::from(&id)) {
            continue;
        }
        if id.level() == level {
            out.push(id);
            if out.len() > MAX_CELLS {
                return None;
            }
        } else {
            todo.extend(id.children().into_iter().rev());
        }
    }
    out.sort_unstable_by_key(|c| c.0);
    Some(out)
}

/// The covering of polygons at `level`.
fn cover(polygons: &Polygons, level: u64) -> Option<Vec<CellID>> {
    let boundary: Vec<(P, P)> = polygons.iter().flat_map(Polygon::boundary).collect();
    cells_meeting(level, |cell| meets(polygons, &boundary, cell))
}

/// The level argument `k` at row `i` (default 11; outside 0..=30 is `None`), when given.
pub(crate) fn level_at(level: Option<&super::Nums<'_, i64>>, i: usize) -> Option<u64> {
    match level {
        Some(l) => l.get(i).filter(|l| (0..=30).contains(l)).map(|l| l as u64),
        None => Some(11),
    }
}

/// Cells as a `dynamic` array of tokens.
pub(crate) fn tokens(cells: &[CellID]) -> Dyn {
    Dyn::Array(cells.iter().map(|c| Dyn::String(c.to_token())).collect())
}

fn polygon_to_s2cells(c: &Call<'_>) -> Result<ArrayRef> {
    let mut shapes = Shapes::new(c, 0, super::shapes::polygons)?;
    let level = if c.has(1) { Some(c.i64(1)?) } else { None };
    dynamic_rows(c.rows, |i| {
        let Some(level) = level_at(level.as_ref(), i) else { return Ok(None) };
        let Some(polygons) = shapes.get(i)? else { return Ok(None) };
        Ok(cover(&polygons, level).map(|cells| tokens(&cells)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn triangle() -> Polygons {
        let text = br#"{"type":"Polygon","coordinates":[[[0,0],[0,50],[100,50],[0,0]]]}"#;
        super::super::shapes::polygons(&Dyn::parse(text)).unwrap_or_default()
    }

    #[test]
    fn documented_cell_count() {
        assert_eq!(cover(&triangle(), 5).map(|c| c.len()), Some(286));
    }

    #[test]
    fn too_many_cells_is_none() {
        assert!(cover(&triangle(), 12).is_none());
    }
}
