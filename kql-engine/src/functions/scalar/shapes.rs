//! GeoJSON polygons and lines on the sphere, checked as Kusto documents them: the shapes the
//! polygon and line functions ([`super::geo_shapes`]) measure.
//!
//! A linear ring has at least four positions, the first equal to the last, at least three
//! distinct vertices and no repeated one, edges shorter than 180°, and no two edges that
//! cross; the rings of a polygon do not cross each other. Each ring stands for the smaller of
//! the two regions it divides the sphere into, whatever its orientation. A line string has at
//! least two positions and edges shorter than 180°. Positions are `[longitude, latitude]`
//! numbers in range. Anything else is not a shape, and the functions give null for it.

use super::sphere::{self, P};
use crate::dynamic::Dyn;

/// A ring, oriented so that the region it stands for lies to its left, with what containment
/// tests need.
#[derive(Debug)]
pub(crate) struct Ring {
    /// The vertices, without the closing repeat.
    pub v: Vec<P>,
    /// A cap holding the whole region (center, angular radius), when its radius is below 90°.
    cap: Option<(P, f64)>,
    /// A point inside the region, from which containment is decided by counting crossings.
    inside: P,
}

/// A polygon: a shell and its holes.
#[derive(Debug)]
pub(crate) struct Polygon {
    pub shell: Ring,
    pub holes: Vec<Ring>,
}

/// A polygon or a multipolygon.
pub(crate) type Polygons = Vec<Polygon>;

/// A line string's vertices.
pub(crate) type Line = Vec<P>;

/// A `[longitude, latitude]` position of numbers in range.
pub(crate) fn position(v: &Dyn) -> Option<(f64, f64)> {
    let Dyn::Array(xy) = v else { return None };
    let num = |d: &Dyn| match d {
        Dyn::Long(n) => Some(*n as f64),
        Dyn::Real(r) => Some(*r),
        _ => None,
    };
    let [x, y] = xy.as_slice() else { return None };
    let (lon, lat) = (num(x)?, num(y)?);
    ((-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat)).then_some((lon, lat))
}

fn positions(v: &Dyn) -> Option<Vec<(f64, f64)>> {
    let Dyn::Array(items) = v else { return None };
    items.iter().map(position).collect()
}

/// The `type` and `coordinates` of a GeoJSON geometry.
fn geometry(v: &Dyn) -> Option<(&str, &Dyn)> {
    let Dyn::Bag(bag) = v else { return None };
    let Some(Dyn::String(kind)) = bag.get("type") else { return None };
    Some((kind.as_str(), bag.get("coordinates")?))
}

/// A `Polygon` or `MultiPolygon`, or `None` when it is not a valid one.
pub(crate) fn polygons(v: &Dyn) -> Option<Polygons> {
    let (kind, coordinates) = geometry(v)?;
    let Dyn::Array(items) = coordinates else { return None };
    match kind {
        "Polygon" => Some(vec![polygon(items)?]),
        "MultiPolygon" => {
            let polygons = items
                .iter()
                .map(|p| match p {
                    Dyn::Array(rings) => polygon(rings),
                    _ => None,
                })
                .collect::<Option<Polygons>>()?;
            (!polygons.is_empty()).then_some(polygons)
        }
        _ => None,
    }
}

fn polygon(rings: &[Dyn]) -> Option<Polygon> {
    let mut rings = rings.iter().map(ring).collect::<Option<Vec<Ring>>>()?.into_iter();
    let shell = rings.next()?;
    let holes: Vec<Ring> = rings.collect();
    let all: Vec<&Ring> = std::iter::once(&shell).chain(&holes).collect();
    for (i, a) in all.iter().enumerate() {
        for b in &all[i + 1..] {
            if edges(&a.v).any(|(p, q)| edges(&b.v).any(|(r, s)| sphere::crossing(p, q, r, s))) {
                return None;
            }
        }
    }
    Some(Polygon { shell, holes })
}

/// The edges of a closed ring.
pub(crate) fn edges(v: &[P]) -> impl Iterator<Item = (P, P)> + '_ {
    (0..v.len()).map(move |i| (v[i], v[(i + 1) % v.len()]))
}

/// The area to the left of a closed ring (in [0, 4π)), by S2's fan of triangles from its
/// first vertex.
fn left_area(v: &[P]) -> f64 {
    let sum: f64 = (1..v.len().saturating_sub(1)).map(|i| sphere::signed_area(v[0], v[i], v[i + 1])).sum();
    sum.rem_euclid(4.0 * std::f64::consts::PI)
}

fn ring(v: &Dyn) -> Option<Ring> {
    let pos = positions(v)?;
    if pos.len() < 4 || pos.first() != pos.last() {
        return None;
    }
    let open = &pos[..pos.len() - 1];
    let mut seen: Vec<(u64, u64)> = open.iter().map(|(x, y)| (x.to_bits(), y.to_bits())).collect();
    seen.sort_unstable();
    if seen.windows(2).any(|w| w[0] == w[1]) {
        return None;
    }
    let mut v: Vec<P> = open.iter().map(|&(x, y)| sphere::point(x, y)).collect();
    // Edges shorter than 180°, and no two edges that cross.
    if edges(&v).any(|(a, b)| sphere::angle(a, b) >= std::f64::consts::PI - 1e-15) {
        return None;
    }
    let n = v.len();
    for i in 0..n {
        for j in i + 2..n {
            if i == 0 && j == n - 1 {
                continue;
            }
            if sphere::crossing(v[i], v[(i + 1) % n], v[j], v[(j + 1) % n]) {
                return None;
            }
        }
    }
    if left_area(&v) > 2.0 * std::f64::consts::PI {
        v.reverse();
    }
    let cap = cap(&v);
    let inside = inside_point(&v)?;
    Some(Ring { v, cap, inside })
}

/// A cap around the vertices whose radius is below 90°: caps that small are convex, so it holds
/// every edge, and the smaller region is the one inside it.
fn cap(v: &[P]) -> Option<(P, f64)> {
    let center = sphere::unit(v.iter().fold([0.0; 3], |s, p| sphere::add(s, *p)))?;
    let radius = v.iter().map(|p| sphere::angle(center, *p)).fold(0.0, f64::max);
    (radius < std::f64::consts::FRAC_PI_2 - 1e-9).then_some((center, radius))
}

/// A point just left of the middle of the longest edge, close enough that the step from the
/// edge to it crosses no other edge.
fn inside_point(v: &[P]) -> Option<P> {
    let (a, b) = edges(v).max_by(|x, y| sphere::angle(x.0, x.1).total_cmp(&sphere::angle(y.0, y.1)))?;
    let mid = sphere::unit(sphere::add(a, b))?;
    let left = sphere::unit(sphere::cross(a, b))?;
    let mut step = (sphere::angle(a, b) * 1e-3).min(1e-6);
    for _ in 0..40 {
        let r = sphere::unit(sphere::add(mid, sphere::scale(left, step)))?;
        if !edges(v).any(|(c, d)| (c, d) != (a, b) && (sphere::crossing(mid, r, c, d) || c == mid || d == mid)) {
            return Some(r);
        }
        step /= 4.0;
    }
    None
}

impl Ring {
    /// Whether `p` lies in the region the ring stands for.
    pub(crate) fn contains(&self, p: P) -> bool {
        if let Some((center, radius)) = self.cap
            && sphere::angle(center, p) > radius + 1e-12
        {
            return false;
        }
        // Count crossings on a path from the inside point; a path longer than 120° goes by a
        // point at 90° so that no arc is ambiguous.
        let r = self.inside;
        let crossings = |a: P, b: P| edges(&self.v).filter(|&(c, d)| sphere::path_crosses(a, b, c, d)).count();
        let count = if sphere::dot(r, p) < -0.5 {
            let q = sphere::ortho(r);
            crossings(r, q) + crossings(q, p)
        } else {
            crossings(r, p)
        };
        count % 2 == 0
    }

    /// The area of the region, on the unit sphere.
    pub(crate) fn area(&self) -> f64 {
        left_area(&self.v)
    }
}

impl Polygon {
    /// Whether `p` lies in the shell and in none of the holes.
    pub(crate) fn contains(&self, p: P) -> bool {
        self.shell.contains(p) && !self.holes.iter().any(|h| h.contains(p))
    }

    /// The boundary's edges, each with the polygon's inside to its left (holes reversed).
    pub(crate) fn boundary(&self) -> Vec<(P, P)> {
        let mut out: Vec<(P, P)> = edges(&self.shell.v).collect();
        for h in &self.holes {
            out.extend(edges(&h.v).map(|(a, b)| (b, a)));
        }
        out
    }
}

/// A `LineString` or `MultiLineString`, or `None` when it is not a valid one.
pub(crate) fn lines(v: &Dyn) -> Option<Vec<Line>> {
    let (kind, coordinates) = geometry(v)?;
    let Dyn::Array(items) = coordinates else { return None };
    let lines = match kind {
        "LineString" => vec![line(coordinates)?],
        "MultiLineString" => items.iter().map(line).collect::<Option<Vec<Line>>>()?,
        _ => return None,
    };
    (!lines.is_empty()).then_some(lines)
}

fn line(v: &Dyn) -> Option<Line> {
    let pos = positions(v)?;
    if pos.len() < 2 {
        return None;
    }
    let v: Line = pos.iter().map(|&(x, y)| sphere::point(x, y)).collect();
    if v.windows(2).any(|w| sphere::angle(w[0], w[1]) >= std::f64::consts::PI - 1e-15) {
        return None;
    }
    Some(v)
}
