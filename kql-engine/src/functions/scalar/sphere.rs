//! Geometry on the unit sphere, as S2 (the library Kusto's geospatial functions are built on)
//! computes it: points are unit vectors, edges are the shorter great-circle arcs between them,
//! a triangle's area is S2's (`S2::Area`: l'Huilier's formula, Girard's for skinny triangles),
//! so areas reproduce Kusto's documented values to the last printed digit.

/// A point on the unit sphere.
pub(crate) type P = [f64; 3];

/// S2's Earth radius, in meters.
pub(crate) const EARTH_RADIUS_M: f64 = 6_371_010.0;

/// The point at `lon`, `lat` (degrees), as S2's `S2LatLng::ToPoint`.
pub(crate) fn point(lon: f64, lat: f64) -> P {
    let (lon, lat) = (lon.to_radians(), lat.to_radians());
    [lat.cos() * lon.cos(), lat.cos() * lon.sin(), lat.sin()]
}

/// The longitude and latitude (degrees) of a point.
pub(crate) fn lon_lat(p: P) -> (f64, f64) {
    (p[1].atan2(p[0]).to_degrees(), p[2].atan2(p[0].hypot(p[1])).to_degrees())
}

pub(crate) fn dot(a: P, b: P) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

pub(crate) fn cross(a: P, b: P) -> P {
    [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]
}

fn norm(a: P) -> f64 {
    dot(a, a).sqrt()
}

/// `a × b` computed as `(b + a) × (b − a)` (twice the value), S2's `RobustCrossProd` for
/// points close together: much less cancellation when `a` and `b` nearly coincide.
pub(crate) fn robust_cross(a: P, b: P) -> P {
    cross(add(b, a), [b[0] - a[0], b[1] - a[1], b[2] - a[2]])
}

pub(crate) fn add(a: P, b: P) -> P {
    [a[0] + b[0], a[1] + b[1], a[2] + b[2]]
}

pub(crate) fn scale(a: P, k: f64) -> P {
    [a[0] * k, a[1] * k, a[2] * k]
}

/// `a` scaled to unit length (`None` for the zero vector).
pub(crate) fn unit(a: P) -> Option<P> {
    let n = norm(a);
    (n > 0.0 && n.is_finite()).then(|| scale(a, 1.0 / n))
}

/// The angle between two vectors, in radians (S2's `Angle`: `atan2(|a×b|, a·b)`).
pub(crate) fn angle(a: P, b: P) -> f64 {
    norm(cross(a, b)).atan2(dot(a, b))
}

/// Which side of the great circle through `a` and `b` the point `c` is on: 1 (left, `a`, `b`,
/// `c` counterclockwise), -1 (right) or 0.
pub(crate) fn sign(a: P, b: P, c: P) -> i32 {
    let d = dot(cross(a, b), c);
    i32::from(d > 0.0) - i32::from(d < 0.0)
}

/// The area of the triangle `a`, `b`, `c` on the unit sphere (S2's `S2::Area`).
pub(crate) fn triangle_area(a: P, b: P, c: P) -> f64 {
    let (sa, sb, sc) = (angle(b, c), angle(c, a), angle(a, b));
    let s = 0.5 * (sa + sb + sc);
    if s >= 3e-4 {
        let s2 = s * s;
        let dmin = s - sa.max(sb).max(sc);
        if dmin < 1e-2 * s * s2 * s2 {
            let area = girard_area(a, b, c);
            if dmin < s * (0.1 * (area + 5e-15)) {
                return area;
            }
        }
    }
    let t = (0.5 * s).tan() * (0.5 * (s - sa)).tan() * (0.5 * (s - sb)).tan() * (0.5 * (s - sc)).tan();
    4.0 * t.max(0.0).sqrt().atan()
}

fn girard_area(a: P, b: P, c: P) -> f64 {
    let (ab, bc, ac) = (cross(a, b), cross(b, c), cross(a, c));
    (angle(ab, ac) - angle(ab, bc) + angle(ac, bc)).max(0.0)
}

/// The area of `a`, `b`, `c`, positive when they turn counterclockwise.
pub(crate) fn signed_area(a: P, b: P, c: P) -> f64 {
    triangle_area(a, b, c) * f64::from(sign(a, b, c))
}

/// Whether the arcs `a`-`b` and `c`-`d` cross at a point interior to both (S2's
/// `SimpleCrossing`); touching at a vertex is not a crossing.
pub(crate) fn crossing(a: P, b: P, c: P, d: P) -> bool {
    let acb = -sign(a, b, c);
    let bda = sign(a, b, d);
    if acb == 0 || acb != bda {
        return false;
    }
    let cbd = -sign(c, d, b);
    let dac = sign(c, d, a);
    cbd == acb && dac == acb
}

/// Whether the arc `a`-`b` crosses the edge `c`-`d`, counting an edge endpoint on the arc's
/// great circle as lying to its left (a symbolic perturbation), so that a path through a
/// vertex crosses exactly one of the vertex's two edges when it passes through the boundary.
pub(crate) fn path_crosses(a: P, b: P, c: P, d: P) -> bool {
    let side = |x: P| sign(a, b, x) >= 0;
    if side(c) == side(d) {
        return false;
    }
    let (s1, s2) = (sign(c, d, a), sign(c, d, b));
    s1 != s2 && s1 != 0 && s2 != 0
}

/// The point where the crossing arcs `a`-`b` and `c`-`d` meet.
pub(crate) fn intersection(a: P, b: P, c: P, d: P) -> Option<P> {
    let x = unit(cross(cross(a, b), cross(c, d)))?;
    let near = add(add(a, b), add(c, d));
    Some(if dot(x, near) >= 0.0 { x } else { scale(x, -1.0) })
}

/// The angular distance from `x` to the arc `a`-`b` (S2's `GetDistance`).
pub(crate) fn distance_to_edge(x: P, a: P, b: P) -> f64 {
    let n = robust_cross(a, b);
    if let Some(n) = unit(n) {
        // Within the arc's lune: the foot of the perpendicular lies on the arc.
        if sign_of(dot(cross(n, a), x)) >= 0 && sign_of(dot(cross(b, n), x)) >= 0 {
            return dot(x, n).abs().min(1.0).asin();
        }
    }
    angle(x, a).min(angle(x, b))
}

/// The angular distance from `x` to the nearest of `edges` (infinite when there are none).
pub(crate) fn distance_to_edges(x: P, edges: impl IntoIterator<Item = (P, P)>) -> f64 {
    edges.into_iter().map(|(a, b)| distance_to_edge(x, a, b)).fold(f64::INFINITY, f64::min)
}

/// The point of the arc `a`-`b` closest to `x` (S2's `Project`).
pub(crate) fn project(x: P, a: P, b: P) -> P {
    let n = robust_cross(a, b);
    let nn = dot(n, n);
    if nn > 0.0
        && sign_of(dot(cross(n, a), x)) >= 0
        && sign_of(dot(cross(b, n), x)) >= 0
        && let Some(p) = unit(add(x, scale(n, -dot(x, n) / nn)))
    {
        return p;
    }
    if angle(x, a) <= angle(x, b) { a } else { b }
}

/// The point `distance` radians from `a` towards `b` along their great circle (S2's
/// `GetPointOnLine`).
pub(crate) fn point_on_line(a: P, b: P, distance: f64) -> Option<P> {
    let dir = unit(cross(robust_cross(a, b), a))?;
    unit(add(scale(a, distance.cos()), scale(dir, distance.sin())))
}

fn sign_of(v: f64) -> i32 {
    i32::from(v > 0.0) - i32::from(v < 0.0)
}

/// The centroid of the triangle `a`, `b`, `c` times its signed area (S2's `TrueCentroid`):
/// summed over a fan of a closed boundary it gives the region's centroid direction.
pub(crate) fn triangle_centroid(a: P, b: P, c: P) -> P {
    let ratio = |t: f64| if t == 0.0 { 1.0 } else { t / t.sin() };
    let (ra, rb, rc) = (ratio(angle(b, c)), ratio(angle(c, a)), ratio(angle(a, b)));
    let x = [a[0], b[0] - a[0], c[0] - a[0]];
    let y = [a[1], b[1] - a[1], c[1] - a[1]];
    let z = [a[2], b[2] - a[2], c[2] - a[2]];
    let r = [ra, rb - ra, rc - ra];
    [0.5 * dot(cross(y, z), r), 0.5 * dot(cross(z, x), r), 0.5 * dot(cross(x, y), r)]
}

/// The centroid of the arc `a`-`b` times its length (S2's `TrueCentroid` of an edge).
pub(crate) fn edge_centroid(a: P, b: P) -> P {
    let diff = [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
    let sum = add(a, b);
    let (sin2, cos2) = (dot(diff, diff), dot(sum, sum));
    if cos2 == 0.0 { [0.0; 3] } else { scale(sum, (sin2 / cos2).sqrt()) }
}

/// A unit vector orthogonal to `a` (S2's `Ortho`, up to sign).
pub(crate) fn ortho(a: P) -> P {
    let k = if a[0].abs() <= a[1].abs() && a[0].abs() <= a[2].abs() {
        0
    } else if a[1].abs() <= a[2].abs() {
        1
    } else {
        2
    };
    let mut e = [0.0; 3];
    e[k] = 1.0;
    unit(cross(a, e)).unwrap_or([1.0, 0.0, 0.0])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_central_park_area() {
        let ring = [
            (-73.9495, 40.7969),
            (-73.95807266235352, 40.80068603561921),
            (-73.98201942443848, 40.76825672305777),
            (-73.97317886352539, 40.76455136505513),
        ];
        let v: Vec<P> = ring.iter().map(|&(x, y)| point(x, y)).collect();
        let area: f64 = (1..v.len() - 1).map(|i| signed_area(v[0], v[i], v[i + 1])).sum();
        let m2 = area * EARTH_RADIUS_M * EARTH_RADIUS_M;
        assert!((m2 - 3_475_207.283_466_06).abs() < 1e-6, "{m2}");
    }

    #[test]
    fn crossings_and_distances() {
        let (a, b) = (point(0.0, 0.0), point(10.0, 0.0));
        let (c, d) = (point(5.0, -5.0), point(5.0, 5.0));
        assert!(crossing(a, b, c, d));
        assert!(!crossing(a, c, b, d));
        let x = intersection(a, b, c, d).map(lon_lat).unwrap_or_default();
        assert!((x.0 - 5.0).abs() < 1e-12 && x.1.abs() < 1e-12, "{x:?}");
        // 1 degree north of the middle of the edge, and beyond its end.
        assert!((distance_to_edge(point(5.0, 1.0), a, b) - 1f64.to_radians()).abs() < 1e-12);
        assert!((distance_to_edge(point(12.0, 0.0), a, b) - 2f64.to_radians()).abs() < 1e-12);
    }
}
