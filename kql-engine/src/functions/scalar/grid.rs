//! What the geospatial grid functions (geohash, H3, S2) share: a point's cell at a level with
//! the documented default, one `dynamic` per cell token (null when the token is not a cell), and
//! GeoJSON geometries (longitude first).

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, BinaryBuilder};
use datafusion::common::Result;
use indexmap::IndexMap;

use super::{Call, strings};
use crate::dynamic::Dyn;

/// `f(longitude, latitude, level)` per row (arguments 0, 1 and the optional 2, `default` when
/// absent); `""` where an argument is null or `cell` gives nothing.
pub(crate) fn point_cells(
    c: &Call<'_>,
    default: i64,
    cell: impl Fn(f64, f64, i64) -> Option<String>,
) -> Result<ArrayRef> {
    let (lon, lat) = (c.f64(0)?, c.f64(1)?);
    let level = if c.args.len() > 2 { Some(c.i64(2)?) } else { None };
    Ok(strings(c.rows, |i, out| {
        let l = match &level {
            Some(l) => l.get(i),
            None => Some(default),
        };
        if let (Some(x), Some(y), Some(l)) = (lon.get(i), lat.get(i), l)
            && let Some(token) = cell(x, y, l)
        {
            out.push_str(&token);
        }
    }))
}

/// One `dynamic` per row from `value`, null where it gives nothing.
pub(crate) fn dynamic_rows(rows: usize, mut value: impl FnMut(usize) -> Result<Option<Dyn>>) -> Result<ArrayRef> {
    let mut out = BinaryBuilder::with_capacity(rows, rows * 64);
    for i in 0..rows {
        match value(i)? {
            Some(v) => out.append_value(v.to_json().as_bytes()),
            None => out.append_null(),
        }
    }
    Ok(Arc::new(out.finish()))
}

/// A `[longitude, latitude]` position.
pub(crate) fn lon_lat(lon: f64, lat: f64) -> Dyn {
    Dyn::Array(vec![Dyn::Real(lon), Dyn::Real(lat)])
}

/// A GeoJSON geometry: `{"type": kind, "coordinates": coordinates}`.
pub(crate) fn geojson(kind: &str, coordinates: Dyn) -> Dyn {
    let mut bag = IndexMap::new();
    bag.insert("type".to_owned(), Dyn::String(kind.to_owned()));
    bag.insert("coordinates".to_owned(), coordinates);
    Dyn::Bag(bag)
}
