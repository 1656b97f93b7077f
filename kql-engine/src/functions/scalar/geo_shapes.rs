//! The polygon and line functions: `geo_point_in_polygon`, `geo_distance_point_to_polygon`,
//! `geo_polygon_area`, `geo_polygon_perimeter`, `geo_line_length`,
//! `geo_distance_point_to_line`, `geo_intersects_2lines`, `geo_intersects_line_with_polygon`
//! and `geo_intersects_2polygons`.
//!
//! Shapes are read and checked by [`super::shapes`]; measures are S2's on its sphere of radius
//! 6,371,010 m ([`super::sphere`]). A multipolygon's area and perimeter are those of the union
//! of its polygons, as documented: every boundary edge is split where it crosses another
//! polygon's, the pieces inside another polygon are dropped, and the area is the sum of the
//! remaining pieces' signed triangles from one origin (the boundary of the union, without
//! building its rings); a piece two polygons share in opposite directions is inside neither
//! union boundary's perimeter. A multiline's length counts an edge repeated across lines once.
//! An invalid shape or position is null. A constant shape (the usual literal) is read once per
//! batch, a column's once per distinct value.

use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::logical_expr::ColumnarValue;

use super::Param::{Dyn as D, Real};
use super::grid::{dynamic_rows, geojson, lon_lat};
use super::shapes::{self, Line, Polygon, Polygons};
use super::sphere::{self, EARTH_RADIUS_M, P};
use super::{Call, Def, Out, bools, f, reals};
use crate::dynamic::Dyn;

/// The polygon and line functions.
pub static FUNCTIONS: &[Def] = &[
    f("geo_point_in_polygon", &[Real, Real, D], Out::Bool, point_in_polygon),
    f("geo_distance_point_to_polygon", &[Real, Real, D], Out::Real, distance_point_to_polygon),
    f("geo_polygon_area", &[D], Out::Real, polygon_area),
    f("geo_polygon_perimeter", &[D], Out::Real, polygon_perimeter),
    f("geo_line_length", &[D], Out::Real, line_length),
    f("geo_distance_point_to_line", &[Real, Real, D], Out::Real, distance_point_to_line),
    f("geo_intersects_2lines", &[D, D], Out::Bool, intersects_2lines),
    f("geo_intersects_line_with_polygon", &[D, D], Out::Bool, intersects_line_with_polygon),
    f("geo_intersects_2polygons", &[D, D], Out::Bool, intersects_2polygons),
    f("geo_polygon_centroid", &[D], Out::Dyn, polygon_centroid),
    f("geo_line_centroid", &[D], Out::Dyn, line_centroid),
];

/// The shapes of a `dynamic` argument, read once per distinct value.
pub(crate) struct Shapes<'a, T> {
    arg: Option<&'a ColumnarValue>,
    read: fn(&Dyn) -> Option<T>,
    constant: Option<Option<Rc<T>>>,
    seen: HashMap<Vec<u8>, Option<Rc<T>>>,
}

impl<'a, T> Shapes<'a, T> {
    /// The shapes of argument `k`, read with `read`.
    pub(crate) fn new(c: &'a Call<'_>, k: usize, read: fn(&Dyn) -> Option<T>) -> Result<Self> {
        let arg = c.args.get(k);
        let constant = match arg {
            Some(ColumnarValue::Scalar(s)) => {
                let one = s.to_array_of_size(1)?;
                Some(read(&crate::dynamic::arrow::to_dyn(one.as_ref(), 0)?).map(Rc::new))
            }
            None => Some(None),
            Some(ColumnarValue::Array(_)) => None,
        };
        Ok(Self { arg, read, constant, seen: HashMap::new() })
    }

    /// The shape at row `i` (`None` when null or not a valid shape).
    pub(crate) fn get(&mut self, i: usize) -> Result<Option<Rc<T>>> {
        if let Some(c) = &self.constant {
            return Ok(c.clone());
        }
        let Some(ColumnarValue::Array(a)) = self.arg else { return Ok(None) };
        if a.is_null(i) {
            return Ok(None);
        }
        if a.data_type() == &DataType::Binary {
            let bytes = a.as_binary::<i32>().value(i);
            if let Some(s) = self.seen.get(bytes) {
                return Ok(s.clone());
            }
            let shape = (self.read)(&Dyn::parse(bytes)).map(Rc::new);
            self.seen.insert(bytes.to_vec(), shape.clone());
            return Ok(shape);
        }
        Ok((self.read)(&crate::dynamic::arrow::to_dyn(a.as_ref(), i)?).map(Rc::new))
    }
}

/// The point of arguments 0 and 1 at row `i`, when both are valid coordinates.
pub(crate) fn point_at(lon: &super::Nums<'_, f64>, lat: &super::Nums<'_, f64>, i: usize) -> Option<P> {
    let (x, y) = (lon.get(i)?, lat.get(i)?);
    ((-180.0..=180.0).contains(&x) && (-90.0..=90.0).contains(&y)).then(|| sphere::point(x, y))
}

/// `f(point, shape)` per row for functions `(longitude, latitude, shape)`.
fn per_point<T, R>(c: &Call<'_>, read: fn(&Dyn) -> Option<T>, mut f: impl FnMut(P, &T) -> R) -> Result<Vec<Option<R>>> {
    let (lon, lat) = (c.f64(0)?, c.f64(1)?);
    let mut shapes = Shapes::new(c, 2, read)?;
    (0..c.rows)
        .map(|i| {
            let shape = shapes.get(i)?;
            Ok(point_at(&lon, &lat, i).zip(shape).map(|(p, s)| f(p, &s)))
        })
        .collect()
}

/// `f(shape)` per row for functions of one shape.
fn per_shape<T, R>(c: &Call<'_>, read: fn(&Dyn) -> Option<T>, mut f: impl FnMut(&T) -> R) -> Result<Vec<Option<R>>> {
    let mut shapes = Shapes::new(c, 0, read)?;
    (0..c.rows).map(|i| Ok(shapes.get(i)?.map(|s| f(&s)))).collect()
}

/// `f(a, b)` per row for functions of two shapes.
fn per_pair<A, B, R>(
    c: &Call<'_>,
    read_a: fn(&Dyn) -> Option<A>,
    read_b: fn(&Dyn) -> Option<B>,
    mut f: impl FnMut(&A, &B) -> R,
) -> Result<Vec<Option<R>>> {
    let (mut a, mut b) = (Shapes::new(c, 0, read_a)?, Shapes::new(c, 1, read_b)?);
    (0..c.rows).map(|i| Ok(a.get(i)?.zip(b.get(i)?).map(|(x, y)| f(&x, &y)))).collect()
}

fn contains(polygons: &Polygons, p: P) -> bool {
    polygons.iter().any(|poly| poly.contains(p))
}

fn point_in_polygon(c: &Call<'_>) -> Result<ArrayRef> {
    Ok(bools(per_point(c, shapes::polygons, |p, polys| contains(polys, p))?.into_iter()))
}

fn boundary_distance(polygons: &Polygons, p: P) -> f64 {
    sphere::distance_to_edges(p, polygons.iter().flat_map(Polygon::boundary))
}

fn distance_point_to_polygon(c: &Call<'_>) -> Result<ArrayRef> {
    let rows = per_point(c, shapes::polygons, |p, polys| {
        if contains(polys, p) { 0.0 } else { boundary_distance(polys, p) * EARTH_RADIUS_M }
    })?;
    Ok(reals(rows.into_iter()))
}

/// The pieces of the polygons' boundaries that bound their union: each edge split where it
/// crosses another polygon's edges, the pieces whose middle lies inside another polygon
/// dropped.
fn union_boundary(polygons: &Polygons) -> Vec<(P, P)> {
    let boundaries: Vec<Vec<(P, P)>> = polygons.iter().map(Polygon::boundary).collect();
    if boundaries.len() == 1 {
        return boundaries.into_iter().flatten().collect();
    }
    let mut pieces = Vec::new();
    for (k, edges) in boundaries.iter().enumerate() {
        for &(a, b) in edges {
            let mut cuts: Vec<(f64, P)> = boundaries
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != k)
                .flat_map(|(_, other)| other.iter())
                .filter(|&&(c, d)| sphere::crossing(a, b, c, d))
                .filter_map(|&(c, d)| sphere::intersection(a, b, c, d))
                .map(|x| (sphere::angle(a, x), x))
                .collect();
            cuts.sort_by(|x, y| x.0.total_cmp(&y.0));
            let points: Vec<P> = std::iter::once(a).chain(cuts.into_iter().map(|(_, x)| x)).chain([b]).collect();
            for w in points.windows(2) {
                let Some(mid) = sphere::unit(sphere::add(w[0], w[1])) else { continue };
                let covered = polygons.iter().enumerate().any(|(j, poly)| j != k && poly.contains(mid));
                if !covered {
                    pieces.push((w[0], w[1]));
                }
            }
        }
    }
    pieces
}

fn area(polygons: &Polygons) -> f64 {
    if let [one] = polygons.as_slice() {
        return one.shell.area() - one.holes.iter().map(shapes::Ring::area).sum::<f64>();
    }
    let pieces = union_boundary(polygons);
    let Some(&(origin, _)) = pieces.first() else { return 0.0 };
    let sum: f64 = pieces.iter().map(|&(a, b)| sphere::signed_area(origin, a, b)).sum();
    let full = 4.0 * std::f64::consts::PI;
    let area = sum.rem_euclid(full);
    if full - area < 1e-12 { 0.0 } else { area }
}

fn polygon_area(c: &Call<'_>) -> Result<ArrayRef> {
    let rows = per_shape(c, shapes::polygons, |polys| area(polys) * EARTH_RADIUS_M * EARTH_RADIUS_M)?;
    Ok(reals(rows.into_iter()))
}

fn perimeter(polygons: &Polygons) -> f64 {
    let pieces = union_boundary(polygons);
    let key = |p: P| p.map(f64::to_bits);
    let twins: HashSet<([u64; 3], [u64; 3])> = pieces.iter().map(|&(a, b)| (key(a), key(b))).collect();
    pieces
        .iter()
        .filter(|&&(a, b)| polygons.len() == 1 || !twins.contains(&(key(b), key(a))))
        .map(|&(a, b)| sphere::angle(a, b))
        .sum()
}

fn polygon_perimeter(c: &Call<'_>) -> Result<ArrayRef> {
    Ok(reals(per_shape(c, shapes::polygons, |polys| perimeter(polys) * EARTH_RADIUS_M)?.into_iter()))
}

fn line_edges(lines: &[Line]) -> impl Iterator<Item = (P, P)> + '_ {
    lines.iter().flat_map(|l| l.windows(2).map(|w| (w[0], w[1])))
}

/// The edges of the lines, an edge repeated (either way round) taken once: the edges of the
/// lines' union.
fn unique_edges(lines: &[Line]) -> Vec<(P, P)> {
    let key = |p: P| p.map(f64::to_bits);
    let mut seen = HashSet::new();
    line_edges(lines)
        .filter(|&(a, b)| {
            let (ka, kb) = (key(a), key(b));
            seen.insert(if ka <= kb { (ka, kb) } else { (kb, ka) })
        })
        .collect()
}

fn length(lines: &[Line]) -> f64 {
    unique_edges(lines).into_iter().map(|(a, b)| sphere::angle(a, b)).sum()
}

fn line_length(c: &Call<'_>) -> Result<ArrayRef> {
    Ok(reals(per_shape(c, shapes::lines, |lines| length(lines) * EARTH_RADIUS_M)?.into_iter()))
}

fn line_distance(lines: &[Line], p: P) -> f64 {
    let points = lines.iter().flatten().map(|&v| sphere::angle(p, v));
    line_edges(lines).map(|(a, b)| sphere::distance_to_edge(p, a, b)).chain(points).fold(f64::INFINITY, f64::min)
}

fn distance_point_to_line(c: &Call<'_>) -> Result<ArrayRef> {
    Ok(reals(per_point(c, shapes::lines, |p, lines| line_distance(lines, p) * EARTH_RADIUS_M)?.into_iter()))
}

/// Whether two edge sets meet: a crossing, or a vertex of one on an edge of the other.
fn edges_meet(a: &[(P, P)], b: &[(P, P)]) -> bool {
    let touches = |x: P, edges: &[(P, P)]| edges.iter().any(|&(c, d)| sphere::distance_to_edge(x, c, d) < 1e-15);
    a.iter().any(|&(p, q)| b.iter().any(|&(r, s)| sphere::crossing(p, q, r, s)))
        || a.iter().any(|&(p, q)| touches(p, b) || touches(q, b))
        || b.iter().any(|&(r, s)| touches(r, a) || touches(s, a))
}

fn intersects_2lines(c: &Call<'_>) -> Result<ArrayRef> {
    let rows = per_pair(c, shapes::lines, shapes::lines, |a, b| {
        let (ea, eb): (Vec<_>, Vec<_>) = (line_edges(a).collect(), line_edges(b).collect());
        edges_meet(&ea, &eb)
    })?;
    Ok(bools(rows.into_iter()))
}

fn intersects_line_with_polygon(c: &Call<'_>) -> Result<ArrayRef> {
    let rows = per_pair(c, shapes::lines, shapes::polygons, |lines, polys| {
        let edges: Vec<_> = line_edges(lines).collect();
        let boundary: Vec<_> = polys.iter().flat_map(Polygon::boundary).collect();
        lines.iter().flatten().any(|&v| contains(polys, v)) || edges_meet(&edges, &boundary)
    })?;
    Ok(bools(rows.into_iter()))
}

fn intersects_2polygons(c: &Call<'_>) -> Result<ArrayRef> {
    let rows = per_pair(c, shapes::polygons, shapes::polygons, |a, b| {
        let vertices = |ps: &Polygons| ps.iter().flat_map(|p| p.shell.v.clone()).collect::<Vec<P>>();
        let (ba, bb): (Vec<_>, Vec<_>) =
            (a.iter().flat_map(Polygon::boundary).collect(), b.iter().flat_map(Polygon::boundary).collect());
        vertices(a).into_iter().any(|v| contains(b, v))
            || vertices(b).into_iter().any(|v| contains(a, v))
            || edges_meet(&ba, &bb)
    })?;
    Ok(bools(rows.into_iter()))
}

/// A GeoJSON point in the direction of `v` (null for the zero vector).
fn point_of(v: P) -> Option<Dyn> {
    let (lon, lat) = sphere::lon_lat(sphere::unit(v)?);
    Some(geojson("Point", lon_lat(lon, lat)))
}

/// The centroid direction of the polygons' union: S2's sum of triangle centroids over a fan of
/// each closed boundary (of each ring for one polygon, of the union's pieces for several).
fn centroid(polygons: &Polygons) -> P {
    let fan = |edges: &[(P, P)], origin: P| {
        edges.iter().fold([0.0; 3], |s, &(a, b)| sphere::add(s, sphere::triangle_centroid(origin, a, b)))
    };
    if let [one] = polygons.as_slice() {
        let rings = std::iter::once(shapes::edges(&one.shell.v).collect::<Vec<_>>())
            .chain(one.holes.iter().map(|h| shapes::edges(&h.v).map(|(a, b)| (b, a)).collect()));
        return rings.fold([0.0; 3], |s, edges| match edges.first() {
            Some(&(origin, _)) => sphere::add(s, fan(&edges, origin)),
            None => s,
        });
    }
    let pieces = union_boundary(polygons);
    pieces.first().map_or([0.0; 3], |&(origin, _)| fan(&pieces, origin))
}

fn polygon_centroid(c: &Call<'_>) -> Result<ArrayRef> {
    let rows = per_shape(c, shapes::polygons, |polys| point_of(centroid(polys)))?;
    dynamic_rows(c.rows, |i| Ok(rows[i].clone().flatten()))
}

fn line_centroid(c: &Call<'_>) -> Result<ArrayRef> {
    let rows = per_shape(c, shapes::lines, |lines| {
        point_of(
            unique_edges(lines).into_iter().fold([0.0; 3], |s, (a, b)| sphere::add(s, sphere::edge_centroid(a, b))),
        )
    })?;
    dynamic_rows(c.rows, |i| Ok(rows[i].clone().flatten()))
}
