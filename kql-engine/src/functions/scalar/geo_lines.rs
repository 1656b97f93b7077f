//! Points on lines and polygons: `geo_line_interpolate_point`, `geo_line_locate_point`,
//! `geo_closest_point_on_line`, `geo_closest_point_on_polygon`, and the line covering
//! `geo_line_to_s2cells`.
//!
//! S2's polyline operations on its sphere: `Interpolate` walks the edges to the fraction of the
//! length, `Project` finds the closest point edge by edge, `UnInterpolate` turns it into a
//! fraction. A closest point that is one of the shape's own vertices is returned with the
//! coordinates as written. `geo_line_interpolate_point` and `geo_line_locate_point` take a single
//! line (a multiline of several lines is null, as documented); `use_spheroid = true` is not
//! supported yet and says so.

use std::collections::HashMap;

use datafusion::arrow::array::ArrayRef;
use datafusion::common::{Result, exec_err};
use s2::cell::Cell;
use s2::cellid::CellID;

use super::Param::{Bool, Dyn as D, Long, Real};
use super::geo_shapes::{Shapes, point_at};
use super::grid::{dynamic_rows, geojson, lon_lat};
use super::shapes::{self, Line, Polygon, Polygons, edges};
use super::sphere::{self, EARTH_RADIUS_M, P};
use super::{Call, Def, Out, f, reals};
use crate::dynamic::Dyn;

/// The functions of points on lines and polygons.
pub static FUNCTIONS: &[Def] = &[
    f("geo_line_interpolate_point", &[D, Real], Out::Dyn, interpolate_point),
    f("geo_line_locate_point", &[D, Real, Real, Bool], Out::Real, locate_point).args(3, 4),
    f("geo_closest_point_on_line", &[Real, Real, D], Out::Dyn, closest_point_on_line),
    f("geo_closest_point_on_polygon", &[Real, Real, D], Out::Dyn, closest_point_on_polygon),
    f("geo_line_to_s2cells", &[D, Long, Real], Out::Dyn, line_to_s2cells).args(1, 3),
];

/// Every `[longitude, latitude]` position written in a geometry, by the point it stands for.
fn written_positions(v: &Dyn) -> HashMap<[u64; 3], (f64, f64)> {
    fn walk(v: &Dyn, out: &mut HashMap<[u64; 3], (f64, f64)>) {
        if let Some((x, y)) = shapes::position(v) {
            out.insert(sphere::point(x, y).map(f64::to_bits), (x, y));
            return;
        }
        let Dyn::Array(items) = v else { return };
        items.iter().for_each(|i| walk(i, out));
    }
    let mut out = HashMap::new();
    if let Dyn::Bag(bag) = v
        && let Some(c) = bag.get("coordinates")
    {
        walk(c, &mut out);
    }
    out
}

/// A shape and the positions it was written with.
struct Written<T> {
    shape: T,
    positions: HashMap<[u64; 3], (f64, f64)>,
}

fn written_lines(v: &Dyn) -> Option<Written<Vec<Line>>> {
    Some(Written { shape: shapes::lines(v)?, positions: written_positions(v) })
}

fn written_polygons(v: &Dyn) -> Option<Written<Polygons>> {
    Some(Written { shape: shapes::polygons(v)?, positions: written_positions(v) })
}

/// A GeoJSON point: the written coordinates when `p` is a vertex, else its own.
fn point_json(p: P, positions: &HashMap<[u64; 3], (f64, f64)>) -> Dyn {
    let (lon, lat) = positions.get(&p.map(f64::to_bits)).copied().unwrap_or_else(|| sphere::lon_lat(p));
    geojson("Point", lon_lat(lon, lat))
}

/// The one line of a `LineString` (or a `MultiLineString` of one line).
fn single(lines: &[Line]) -> Option<&Line> {
    match lines {
        [one] => Some(one),
        _ => None,
    }
}

fn length(line: &[P]) -> f64 {
    line.windows(2).map(|w| sphere::angle(w[0], w[1])).sum()
}

/// The point at `fraction` (0..=1) of the line's length.
fn interpolate(line: &[P], fraction: f64) -> Option<P> {
    if !(0.0..=1.0).contains(&fraction) {
        return None;
    }
    let mut target = fraction * length(line);
    for w in line.windows(2) {
        let l = sphere::angle(w[0], w[1]);
        if target < l {
            return sphere::point_on_line(w[0], w[1], target);
        }
        target -= l;
    }
    line.last().copied()
}

/// The closest point of the edges to `x`: (distance, edge index, point).
fn closest(x: P, edges: impl Iterator<Item = (P, P)>) -> Option<(f64, usize, P)> {
    edges
        .enumerate()
        .map(|(k, (a, b))| {
            let p = sphere::project(x, a, b);
            (sphere::angle(x, p), k, p)
        })
        .min_by(|l, r| l.0.total_cmp(&r.0))
}

fn interpolate_point(c: &Call<'_>) -> Result<ArrayRef> {
    let mut lines = Shapes::new(c, 0, written_lines)?;
    let fraction = c.f64(1)?;
    dynamic_rows(c.rows, |i| {
        let (Some(w), Some(f)) = (lines.get(i)?, fraction.get(i)) else { return Ok(None) };
        Ok(single(&w.shape).and_then(|l| interpolate(l, f)).map(|p| point_json(p, &w.positions)))
    })
}

fn locate_point(c: &Call<'_>) -> Result<ArrayRef> {
    let mut lines = Shapes::new(c, 0, shapes::lines)?;
    let (lon, lat) = (c.f64(1)?, c.f64(2)?);
    let mut out = Vec::with_capacity(c.rows);
    for i in 0..c.rows {
        if c.has(3) && c.bool_at(3, i) == Some(true) {
            return exec_err!("geo_line_locate_point with use_spheroid = true is not supported yet (the sphere is)");
        }
        let line = lines.get(i)?;
        let (Some(line), Some(x), Some(y)) = (line, lon.get(i), lat.get(i)) else {
            out.push(None);
            continue;
        };
        out.push(single(&line).filter(|_| (-180.0..=180.0).contains(&x) && (-90.0..=90.0).contains(&y)).and_then(
            |l| {
                let (_, k, p) = closest(sphere::point(x, y), l.windows(2).map(|w| (w[0], w[1])))?;
                let total = length(l);
                let before = length(&l[..=k]) + sphere::angle(l[k], p);
                Some(if total > 0.0 { (before / total).clamp(0.0, 1.0) } else { 0.0 })
            },
        ));
    }
    Ok(reals(out.into_iter()))
}

fn closest_point_on_line(c: &Call<'_>) -> Result<ArrayRef> {
    let mut lines = Shapes::new(c, 2, written_lines)?;
    let (lon, lat) = (c.f64(0)?, c.f64(1)?);
    dynamic_rows(c.rows, |i| {
        let (Some(x), Some(w)) = (point_at(&lon, &lat, i), lines.get(i)?) else { return Ok(None) };
        let all = w.shape.iter().flat_map(|l| l.windows(2).map(|e| (e[0], e[1])));
        Ok(closest(x, all).map(|(_, _, p)| point_json(p, &w.positions)))
    })
}

fn closest_point_on_polygon(c: &Call<'_>) -> Result<ArrayRef> {
    let mut polygons = Shapes::new(c, 2, written_polygons)?;
    let (lon, lat) = (c.f64(0)?, c.f64(1)?);
    dynamic_rows(c.rows, |i| {
        let (Some(x), Some(w)) = (point_at(&lon, &lat, i), polygons.get(i)?) else { return Ok(None) };
        if w.shape.iter().any(|p| p.contains(x)) {
            let (Some(lon), Some(lat)) = (lon.get(i), lat.get(i)) else { return Ok(None) };
            return Ok(Some(geojson("Point", lon_lat(lon, lat))));
        }
        let boundary = w.shape.iter().flat_map(Polygon::boundary);
        Ok(closest(x, boundary).map(|(_, _, p)| point_json(p, &w.positions)))
    })
}

/// The cells of `level` within `radius` (radians) of the lines: an edge crosses or comes within
/// the radius of the cell's boundary, or a vertex lies in the cell.
fn cover_lines(lines: &[Line], level: u64, radius: f64) -> Option<Vec<CellID>> {
    let line_edges: Vec<(P, P)> = lines.iter().flat_map(|l| l.windows(2).map(|w| (w[0], w[1]))).collect();
    let vertices: Vec<P> = lines.iter().flatten().copied().collect();
    let near = (radius + 1e-15).max(1e-15);
    let meets = |cell: &Cell| {
        let corners = super::s2cover::corners(cell);
        let cell_edges: Vec<(P, P)> = edges(&corners).collect();
        let center = super::s2cover::point(&cell.center());
        line_edges.iter().any(|&(a, b)| cell_edges.iter().any(|&(c, d)| sphere::crossing(a, b, c, d)))
            || vertices.iter().any(|&v| {
                super::s2cover::cell_contains(cell, v)
                    || cell_edges.iter().any(|&(c, d)| sphere::distance_to_edge(v, c, d) <= near)
            })
            || corners
                .iter()
                .chain([&center])
                .any(|&k| line_edges.iter().any(|&(a, b)| sphere::distance_to_edge(k, a, b) <= near))
    };
    super::s2cover::cells_meeting(level, meets)
}

fn line_to_s2cells(c: &Call<'_>) -> Result<ArrayRef> {
    let mut lines = Shapes::new(c, 0, shapes::lines)?;
    let level = if c.has(1) { Some(c.i64(1)?) } else { None };
    let radius = if c.has(2) { Some(c.f64(2)?) } else { None };
    dynamic_rows(c.rows, |i| {
        let Some(level) = super::s2cover::level_at(level.as_ref(), i) else { return Ok(None) };
        let radius = match &radius {
            Some(r) => match r.get(i) {
                Some(r) if r >= 0.0 && r.is_finite() => r,
                _ => return Ok(None),
            },
            None => 0.0,
        };
        let Some(lines) = lines.get(i)? else { return Ok(None) };
        Ok(cover_lines(&lines, level, radius / EARTH_RADIUS_M).map(|cells| super::s2cover::tokens(&cells)))
    })
}
