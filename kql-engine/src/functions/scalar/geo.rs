//! Geospatial distance on a sphere: `geo_distance_2points` and `geo_point_in_circle`.
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

#[cfg(test)]
mod tests {
    #[test]
    fn documented_distance() {
        let d = super::distance(-122.407628, 47.578557, -118.275287, 34.019056).unwrap_or_default();
        assert!((d - 1_546_754.351_973_81).abs() < 1e-6, "{d}");
        assert!(super::distance(200.0, 0.0, 0.0, 0.0).is_none());
    }
}
