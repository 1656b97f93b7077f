//! Geospatial distance and direction on a sphere: `geo_distance_2points`, `geo_point_in_circle`,
//! `geo_azimuth` and `geo_angle`.
//!
//! Kusto computes these with S2 geometry on a spherical Earth of radius 6,371,010 m; the
//! haversine formula on that sphere reproduces the documented example to the last digit
//! (`geo_distance_2points(-122.407628, 47.578557, -118.275287, 34.019056)` is
//! 1546754.35197381). A longitude outside [-180, 180] or a latitude outside [-90, 90] is null.

use datafusion::arrow::array::ArrayRef;
use datafusion::common::Result;

use super::Param::Real;
use super::{Call, Def, Out, bools, f, reals};

/// The geospatial functions.
pub static FUNCTIONS: &[Def] = &[
    f("geo_distance_2points", &[Real, Real, Real, Real], Out::Real, distance_2points),
    f("geo_point_in_circle", &[Real, Real, Real, Real, Real], Out::Bool, point_in_circle),
    f("geo_azimuth", &[Real, Real, Real, Real], Out::Real, azimuth_fn),
    f("geo_angle", &[Real, Real, Real, Real, Real, Real], Out::Real, angle_fn),
];

use super::sphere::EARTH_RADIUS_M;

fn valid(lon: f64, lat: f64) -> bool {
    (-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat)
}

/// The great-circle distance in meters between two points (longitude, latitude in degrees).
pub fn distance(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> Option<f64> {
    if !valid(lon1, lat1) || !valid(lon2, lat2) {
        return None;
    }
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let (dp, dl) = (p2 - p1, (lon2 - lon1).to_radians());
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    Some(2.0 * EARTH_RADIUS_M * a.sqrt().min(1.0).asin())
}

fn distance_2points(c: &Call<'_>) -> Result<ArrayRef> {
    let v = (0..4).map(|k| c.f64(k)).collect::<Result<Vec<_>>>()?;
    Ok(reals((0..c.rows).map(|i| distance(v[0].get(i)?, v[1].get(i)?, v[2].get(i)?, v[3].get(i)?))))
}

/// `geo_point_in_circle(lon, lat, center_lon, center_lat, radius)`: within `radius` meters
/// (a radius that is not positive is null).
fn point_in_circle(c: &Call<'_>) -> Result<ArrayRef> {
    let v = (0..5).map(|k| c.f64(k)).collect::<Result<Vec<_>>>()?;
    Ok(bools((0..c.rows).map(|i| {
        let radius = v[4].get(i).filter(|r| *r > 0.0)?;
        Some(distance(v[0].get(i)?, v[1].get(i)?, v[2].get(i)?, v[3].get(i)?)? <= radius)
    })))
}

/// The clockwise angle from true north of the great circle from point 1 to point 2, in
/// [0, 2π); `None` for an invalid point, equal points or antipodal points.
pub fn azimuth(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> Option<f64> {
    if !valid(lon1, lat1) || !valid(lon2, lat2) {
        return None;
    }
    let (p1, p2) = (super::sphere::point(lon1, lat1), super::sphere::point(lon2, lat2));
    let apart = super::sphere::angle(p1, p2);
    if apart == 0.0 || apart >= std::f64::consts::PI - 1e-12 {
        return None;
    }
    let (f1, f2, dl) = (lat1.to_radians(), lat2.to_radians(), (lon2 - lon1).to_radians());
    let t = (dl.sin() * f2.cos()).atan2(f1.cos() * f2.sin() - f1.sin() * f2.cos() * dl.cos());
    Some(t.rem_euclid(2.0 * std::f64::consts::PI))
}

fn azimuth_fn(c: &Call<'_>) -> Result<ArrayRef> {
    let v = (0..4).map(|k| c.f64(k)).collect::<Result<Vec<_>>>()?;
    Ok(reals((0..c.rows).map(|i| azimuth(v[0].get(i)?, v[1].get(i)?, v[2].get(i)?, v[3].get(i)?))))
}

/// `geo_angle`: the clockwise angle at point 2 from the line back to point 1 to the line on to
/// point 3, in [0, 2π).
fn angle_fn(c: &Call<'_>) -> Result<ArrayRef> {
    let v = (0..6).map(|k| c.f64(k)).collect::<Result<Vec<_>>>()?;
    Ok(reals((0..c.rows).map(|i| {
        let back = azimuth(v[2].get(i)?, v[3].get(i)?, v[0].get(i)?, v[1].get(i)?)?;
        let on = azimuth(v[2].get(i)?, v[3].get(i)?, v[4].get(i)?, v[5].get(i)?)?;
        Some((on - back).rem_euclid(2.0 * std::f64::consts::PI))
    })))
}

#[cfg(test)]
mod tests {
    #[test]
    fn documented_distance() {
        let d = super::distance(-122.407628, 47.578557, -118.275287, 34.019056).unwrap_or_default();
        assert!((d - 1_546_754.351_973_81).abs() < 1e-6, "{d}");
        assert!(super::distance(200.0, 0.0, 0.0, 0.0).is_none());
    }

    #[test]
    fn documented_azimuth() {
        let a = super::azimuth(5.0, 10.0, 10.0, -40.0).unwrap_or_default();
        assert!((a - 3.054_599_397_964_49).abs() < 1e-13, "{a}");
        assert!(super::azimuth(5.0, 10.0, 5.0, 10.0).is_none());
    }
}
