//! `geo_polygon_densify` and `geo_line_densify`: planar edges (straight lines in longitude and
//! latitude, as GeoJSON draws them) turned into chains of geodesics.
//!
//! An edge is split at its planar middle while the middle lies farther than the tolerance
//! (meters, default 10, valid in [0.1, 10000]) from the geodesic between the edge's ends, and
//! each half is treated the same way; this reproduces the documented examples (a 1° edge at
//! latitude 10° becomes four, a meridian stays one). With `preserve_crossing`, an edge whose
//! longitudes are more than 180° apart crosses the antimeridian instead of the map. The input's
//! own positions are kept as written; a shape that is not valid (see [`super::shapes`]), a
//! tolerance out of range or a result above 10,485,760 points is null.

use datafusion::arrow::array::ArrayRef;
use datafusion::common::Result;

use super::Param::{Bool, Dyn as D, Real};
use super::geo_shapes::Shapes;
use super::grid::{dynamic_rows, geojson};
use super::sphere::{self, EARTH_RADIUS_M};
use super::{Call, Def, Out, f, shapes};
use crate::dynamic::Dyn;

/// The densify functions.
pub static FUNCTIONS: &[Def] = &[
    f("geo_polygon_densify", &[D, Real, Bool], Out::Dyn, polygon_densify).args(1, 3),
    f("geo_line_densify", &[D, Real, Bool], Out::Dyn, line_densify).args(1, 3),
];

/// The most points a densified shape may have.
const MAX_POINTS: usize = 10_485_760;

/// The input itself when it is a valid polygon or multipolygon.
fn valid_polygons(v: &Dyn) -> Option<Dyn> {
    shapes::polygons(v).map(|_| v.clone())
}

/// The input itself when it is a valid line or multiline.
fn valid_lines(v: &Dyn) -> Option<Dyn> {
    shapes::lines(v).map(|_| v.clone())
}

fn polygon_densify(c: &Call<'_>) -> Result<ArrayRef> {
    densify(c, valid_polygons, true)
}

fn line_densify(c: &Call<'_>) -> Result<ArrayRef> {
    densify(c, valid_lines, false)
}

fn densify(c: &Call<'_>, read: fn(&Dyn) -> Option<Dyn>, closed: bool) -> Result<ArrayRef> {
    let mut shapes = Shapes::new(c, 0, read)?;
    let tolerance = if c.has(1) { Some(c.f64(1)?) } else { None };
    dynamic_rows(c.rows, |i| {
        let Some(shape) = shapes.get(i)? else { return Ok(None) };
        let tol = match &tolerance {
            Some(t) => match t.get(i) {
                Some(t) if (0.1..=10_000.0).contains(&t) => t,
                _ => return Ok(None),
            },
            None => 10.0,
        };
        let preserve = if c.has(2) {
            match c.bool_at(2, i) {
                Some(b) => b,
                None => return Ok(None),
            }
        } else {
            false
        };
        let mut job = Job { tol: tol / EARTH_RADIUS_M, preserve, points: 0 };
        Ok(job.shape(&shape, closed))
    })
}

/// One densification: its tolerance (radians), antimeridian rule and the points written.
struct Job {
    tol: f64,
    preserve: bool,
    points: usize,
}

impl Job {
    /// The densified geometry (polygons when `closed`, lines otherwise).
    fn shape(&mut self, v: &Dyn, closed: bool) -> Option<Dyn> {
        let Dyn::Bag(bag) = v else { return None };
        let Some(Dyn::String(kind)) = bag.get("type") else { return None };
        let Dyn::Array(items) = bag.get("coordinates")? else { return None };
        let coordinates = match (kind.as_str(), closed) {
            ("Polygon", true) => self.rings(items)?,
            ("MultiPolygon", true) => {
                Dyn::Array(items.iter().map(|p| self.rings(as_array(p)?)).collect::<Option<Vec<_>>>()?)
            }
            ("LineString", false) => self.chain(items)?,
            ("MultiLineString", false) => {
                Dyn::Array(items.iter().map(|l| self.chain(as_array(l)?)).collect::<Option<Vec<_>>>()?)
            }
            _ => return None,
        };
        Some(geojson(kind, coordinates))
    }

    fn rings(&mut self, rings: &[Dyn]) -> Option<Dyn> {
        Some(Dyn::Array(rings.iter().map(|r| self.chain(as_array(r)?)).collect::<Option<Vec<_>>>()?))
    }

    /// A chain of positions with the points its edges need in between.
    fn chain(&mut self, positions: &[Dyn]) -> Option<Dyn> {
        let mut out = Vec::with_capacity(positions.len());
        for (k, pos) in positions.iter().enumerate() {
            if k > 0 {
                let (p, q) = (shapes::position(&positions[k - 1])?, shapes::position(pos)?);
                let q = if self.preserve && (q.0 - p.0).abs() > 180.0 {
                    (q.0 - 360.0 * (q.0 - p.0).signum(), q.1)
                } else {
                    q
                };
                self.split(p, q, 0, &mut out)?;
            }
            out.push(pos.clone());
            self.points += 1;
        }
        (self.points <= MAX_POINTS).then_some(Dyn::Array(out))
    }

    /// The points between `p` and `q` (exclusive), in order.
    fn split(&mut self, p: (f64, f64), q: (f64, f64), depth: u32, out: &mut Vec<Dyn>) -> Option<()> {
        let m = ((p.0 + q.0) / 2.0, (p.1 + q.1) / 2.0);
        let deviation =
            sphere::distance_to_edge(sphere::point(m.0, m.1), sphere::point(p.0, p.1), sphere::point(q.0, q.1));
        if deviation <= self.tol || depth >= 48 {
            return Some(());
        }
        self.split(p, m, depth + 1, out)?;
        self.points += 1;
        if self.points > MAX_POINTS {
            return None;
        }
        let lon = if m.0 > 180.0 {
            m.0 - 360.0
        } else if m.0 < -180.0 {
            m.0 + 360.0
        } else {
            m.0
        };
        out.push(Dyn::Array(vec![Dyn::Real(lon), Dyn::Real(m.1)]));
        self.split(m, q, depth + 1, out)
    }
}

fn as_array(v: &Dyn) -> Option<&[Dyn]> {
    match v {
        Dyn::Array(items) => Some(items),
        _ => None,
    }
}
