//! `geo_polygon_to_h3cells(polygon [, resolution [, radius]])`
//! (`geo-polygon-to-h3cells-function.md`): the H3 cells of one resolution (default 6, valid
//! 0..=15) that represent a polygon or multipolygon.
//!
//! As documented, a polygon is represented by the cells whose centroids lie inside it, and its
//! edges are straight lines: in longitude and latitude, as H3's own polygon filling takes them
//! (not the geodesics of the S2 functions), so the test is an even-odd ray count on the rings'
//! coordinates, a ring crossing the antimeridian read with its western longitudes shifted by
//! 360°. A positive `radius` (meters) first enlarges the shape to every point within that
//! distance of it, so a cell is kept when its centroid is inside or within `radius` of the
//! shape (S2's spherical distance, as `geo_distance_point_to_polygon`). The cells are found by
//! walking neighbors out from the cells of the vertices, through every cell whose centroid is
//! inside or near the boundary. An invalid polygon (the checks of [`super::shapes`]),
//! resolution or radius gives null, and so does a shape that needs more than 61,680 cells.
//!
//! Kusto does not document the order of the tokens (its own is an internal traversal order);
//! ours is H3 index order, so two results compare equal exactly when they hold the same cells.

use std::collections::HashSet;

use datafusion::arrow::array::ArrayRef;
use datafusion::common::Result;
use h3o::{CellIndex, LatLng, Resolution};

use super::Param::{Dyn as D, Long, Real};
use super::geo_shapes::Shapes;
use super::grid::dynamic_rows;
use super::shapes::{self, Polygon, Polygons, Ring};
use super::sphere::{self, EARTH_RADIUS_M, P};
use super::{Call, Def, Out, f};
use crate::dynamic::Dyn;

/// The polygon-to-cells function.
pub(super) static FUNCTIONS: &[Def] =
    &[f("geo_polygon_to_h3cells", &[D, Long, Real], Out::Dyn, polygon_to_h3cells).args(1, 3)];

/// The most tokens a result may have (documented).
const MAX_CELLS: usize = 61_680;

/// The most cells the walk may look at before giving up (null), so a thin shape at a fine
/// resolution cannot run away.
const MAX_VISITED: usize = 1 << 21;

/// A ring's vertices as (longitude, latitude) degrees, western longitudes shifted by 360° when
/// it crosses the antimeridian.
struct FlatRing {
    v: Vec<(f64, f64)>,
    shifted: bool,
}

impl FlatRing {
    fn new(ring: &Ring) -> Self {
        let mut v: Vec<(f64, f64)> = ring.v.iter().map(|p| sphere::lon_lat(*p)).collect();
        let n = v.len();
        let shifted = (0..n).any(|i| (v[i].0 - v[(i + 1) % n].0).abs() > 180.0);
        if shifted {
            for p in &mut v {
                if p.0 < 0.0 {
                    p.0 += 360.0;
                }
            }
        }
        Self { v, shifted }
    }

    /// Whether a horizontal ray east of the point crosses an odd number of edges.
    fn odd(&self, lon: f64, lat: f64) -> bool {
        let x = if self.shifted && lon < 0.0 { lon + 360.0 } else { lon };
        let n = self.v.len();
        let mut odd = false;
        for i in 0..n {
            let ((x1, y1), (x2, y2)) = (self.v[i], self.v[(i + 1) % n]);
            if (y1 > lat) != (y2 > lat) && x < x1 + (lat - y1) * (x2 - x1) / (y2 - y1) {
                odd = !odd;
            }
        }
        odd
    }
}

/// A shape to fill: the checked polygons and their rings in coordinates.
pub(crate) struct Shape {
    polygons: Polygons,
    flat: Vec<Vec<FlatRing>>,
}

impl Shape {
    fn read(v: &Dyn) -> Option<Self> {
        let polygons = shapes::polygons(v)?;
        let flat =
            polygons.iter().map(|p| std::iter::once(&p.shell).chain(&p.holes).map(FlatRing::new).collect()).collect();
        Some(Self { polygons, flat })
    }

    /// Whether the point lies inside a polygon whose edges are straight in coordinates.
    fn contains(&self, lon: f64, lat: f64) -> bool {
        self.flat.iter().any(|rings| rings.iter().filter(|r| r.odd(lon, lat)).count() % 2 == 1)
    }
}

/// The cells of `res` representing `shape`, enlarged by `radius` meters, in index order;
/// `None` beyond [`MAX_CELLS`].
fn fill(shape: &Shape, res: Resolution, radius: f64) -> Option<Vec<CellIndex>> {
    let boundary: Vec<(P, P)> = shape.polygons.iter().flat_map(Polygon::boundary).collect();
    let reach = radius / EARTH_RADIUS_M;
    // Neighbors of cells this near the boundary are walked: a band wider than a few cells keeps
    // every kept cell connected to the vertices' cells.
    let near = (radius + 4.0 * res.edge_length_m()) / EARTH_RADIUS_M;
    let mut seen = HashSet::new();
    let mut todo = Vec::new();
    for ring in shape.polygons.iter().flat_map(|p| std::iter::once(&p.shell).chain(&p.holes)) {
        for &v in &ring.v {
            let (lon, lat) = sphere::lon_lat(v);
            let cell = LatLng::new(lat, lon).ok()?.to_cell(res);
            if seen.insert(cell) {
                todo.push(cell);
            }
        }
    }
    let mut out = Vec::new();
    while let Some(cell) = todo.pop() {
        let center = LatLng::from(cell);
        let inside = shape.contains(center.lng(), center.lat());
        let distance = if inside {
            0.0
        } else {
            sphere::distance_to_edges(sphere::point(center.lng(), center.lat()), boundary.iter().copied())
        };
        if inside || (reach > 0.0 && distance <= reach) {
            out.push(cell);
            if out.len() > MAX_CELLS {
                return None;
            }
        }
        if inside || distance <= near {
            for next in cell.grid_disk::<Vec<_>>(1) {
                if seen.insert(next) {
                    todo.push(next);
                }
            }
            if seen.len() > MAX_VISITED {
                return None;
            }
        }
    }
    out.sort_unstable();
    Some(out)
}

fn polygon_to_h3cells(c: &Call<'_>) -> Result<ArrayRef> {
    let mut shapes = Shapes::new(c, 0, Shape::read)?;
    let res = if c.has(1) { Some(c.i64(1)?) } else { None };
    let radius = if c.has(2) { Some(c.f64(2)?) } else { None };
    dynamic_rows(c.rows, |i| {
        let res = match &res {
            Some(r) => r.get(i).and_then(super::h3::resolution),
            None => Some(Resolution::Six),
        };
        let radius = match &radius {
            Some(r) => r.get(i).filter(|r| r.is_finite() && *r >= 0.0),
            None => Some(0.0),
        };
        let (Some(res), Some(radius)) = (res, radius) else { return Ok(None) };
        let Some(shape) = shapes.get(i)? else { return Ok(None) };
        Ok(fill(&shape, res, radius).map(super::h3::strings_of))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(text: &str) -> Shape {
        Shape::read(&Dyn::parse(text.as_bytes())).expect("a valid polygon")
    }

    fn tokens(cells: &[CellIndex]) -> Vec<String> {
        cells.iter().map(ToString::to_string).collect()
    }

    const MADRID: &str = r#"{"type":"Polygon","coordinates":[[[-3.659,40.553],[-3.913,40.409],[-3.729,40.273],[-3.524,40.440],[-3.659,40.553]]]}"#;

    #[test]
    fn documented_example() {
        let mut documented = [
            "86390cb57ffffff",
            "86390cb0fffffff",
            "86390ca27ffffff",
            "86390cb87ffffff",
            "86390cb07ffffff",
            "86390ca2fffffff",
            "86390ca37ffffff",
            "86390cb17ffffff",
            "86390cb1fffffff",
            "86390cb8fffffff",
            "86390cba7ffffff",
            "86390ca07ffffff",
            "86390cbafffffff",
        ];
        documented.sort_unstable();
        let cells = fill(&shape(MADRID), Resolution::Six, 0.0).expect("cells");
        assert_eq!(tokens(&cells), documented);
    }

    #[test]
    fn a_radius_adds_the_cells_near_the_shape() {
        let plain = fill(&shape(MADRID), Resolution::Six, 0.0).expect("cells");
        let wide = fill(&shape(MADRID), Resolution::Six, 5_000.0).expect("cells");
        assert!(plain.iter().all(|c| wide.contains(c)) && wide.len() > plain.len() + 6);
        // Every added cell's centroid is within 5 km of the shape, and every cell whose centroid
        // is that near was added.
        let s = shape(MADRID);
        let boundary: Vec<(P, P)> = s.polygons.iter().flat_map(Polygon::boundary).collect();
        let distance = |c: CellIndex| {
            let ll = LatLng::from(c);
            sphere::distance_to_edges(sphere::point(ll.lng(), ll.lat()), boundary.iter().copied()) * EARTH_RADIUS_M
        };
        for c in &wide {
            assert!(plain.contains(c) || distance(*c) <= 5_000.0);
        }
        let around = plain[0].grid_disk::<Vec<_>>(6);
        for c in around {
            if distance(c) <= 4_990.0 {
                assert!(wide.contains(&c), "{c} is near the shape");
            }
        }
    }

    #[test]
    fn holes_and_multipolygons() {
        let square = shape(r#"{"type":"Polygon","coordinates":[[[0,0],[2,0],[2,2],[0,2],[0,0]]]}"#);
        let holed = shape(
            r#"{"type":"Polygon","coordinates":[[[0,0],[2,0],[2,2],[0,2],[0,0]],[[0.5,0.5],[1.5,0.5],[1.5,1.5],[0.5,1.5],[0.5,0.5]]]}"#,
        );
        let two = shape(
            r#"{"type":"MultiPolygon","coordinates":[[[[0,0],[2,0],[2,2],[0,2],[0,0]]],[[[10,10],[12,10],[12,12],[10,12],[10,10]]]]}"#,
        );
        let all = fill(&square, Resolution::Five, 0.0).expect("cells");
        let ring = fill(&holed, Resolution::Five, 0.0).expect("cells");
        let both = fill(&two, Resolution::Five, 0.0).expect("cells");
        assert!(ring.len() < all.len() && ring.iter().all(|c| all.contains(c)));
        let in_hole = LatLng::new(1.0, 1.0).expect("a point").to_cell(Resolution::Five);
        assert!(all.contains(&in_hole) && !ring.contains(&in_hole));
        assert!(both.len() > all.len() && all.iter().all(|c| both.contains(c)));
        let far = LatLng::new(11.0, 11.0).expect("a point").to_cell(Resolution::Five);
        assert!(both.contains(&far));
        for c in &all {
            let ll = LatLng::from(*c);
            assert!((0.0..=2.0).contains(&ll.lng()) && (0.0..=2.0).contains(&ll.lat()));
        }
    }

    #[test]
    fn edges_are_straight_in_coordinates() {
        // A long east-west edge at 60°N: the geodesic bulges north of the parallel, the
        // documented straight line does not, so a cell just north of the parallel is outside.
        let band = shape(r#"{"type":"Polygon","coordinates":[[[0,59],[40,59],[40,60],[0,60],[0,59]]]}"#);
        let cells = fill(&band, Resolution::Three, 0.0).expect("cells");
        for c in &cells {
            let lat = LatLng::from(*c).lat();
            assert!((59.0..=60.0).contains(&lat), "{c} at {lat}");
        }
    }

    #[test]
    fn antimeridian() {
        let across = shape(r#"{"type":"Polygon","coordinates":[[[179,0],[-179,0],[-179,1],[179,1],[179,0]]]}"#);
        let cells = fill(&across, Resolution::Five, 0.0).expect("cells");
        assert!(!cells.is_empty());
        for c in &cells {
            let ll = LatLng::from(*c);
            assert!(ll.lng().abs() >= 179.0 && (0.0..=1.0).contains(&ll.lat()), "{c}");
        }
    }

    #[test]
    fn too_many_cells_is_none() {
        let big = shape(r#"{"type":"Polygon","coordinates":[[[0,0],[0,50],[100,50],[0,0]]]}"#);
        assert!(fill(&big, Resolution::Eight, 0.0).is_none());
        assert!(fill(&big, Resolution::Two, 0.0).is_some());
    }
}
