//! The matcher behind `evaluate ipv4_lookup` and `ipv6_lookup`: for each source address (or
//! masked network), the lookup table's keys (`1.2.3.0/24`, `5.6.7.8`, `fe80::/10`) whose network
//! contains it. The keys are known
//! when the query is planned (a data round reads the lookup table's distinct keys); they are
//! indexed by prefix length, so a row costs one hash probe per prefix length the table uses.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, ListBuilder, StringBuilder};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field};
use datafusion::common::Result;
use datafusion::logical_expr::{
    ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

use super::scalar::ip::{parse_v4, parse_v6};

/// Which addresses: IPv4 (32 bits) or IPv6 (128 bits; IPv4 text is read as IPv4-mapped).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Family {
    /// `ipv4_lookup`
    V4,
    /// `ipv6_lookup`
    V6,
}

impl Family {
    fn parse(self, text: &str) -> Option<(u128, u8)> {
        match self {
            Self::V4 => parse_v4(text).map(|(ip, p)| (u128::from(ip), p)),
            Self::V6 => parse_v6(text),
        }
    }

    fn mask(self, prefix: u8) -> u128 {
        let width: u32 = if self == Self::V4 { 32 } else { 128 };
        if prefix == 0 { 0 } else { (u128::MAX >> (128 - width)) & (u128::MAX << (width - u32::from(prefix))) }
    }
}

/// The lookup keys by prefix length: network address → the keys naming it.
#[derive(Debug)]
struct Index {
    family: Family,
    by_prefix: Vec<(u8, HashMap<u128, Vec<usize>>)>,
}

impl Index {
    fn new(family: Family, keys: &[String]) -> Self {
        let mut by_prefix: HashMap<u8, HashMap<u128, Vec<usize>>> = HashMap::new();
        for (i, k) in keys.iter().enumerate() {
            if let Some((ip, prefix)) = family.parse(k.trim()) {
                by_prefix.entry(prefix).or_default().entry(ip & family.mask(prefix)).or_default().push(i);
            }
        }
        let mut by_prefix: Vec<_> = by_prefix.into_iter().collect();
        by_prefix.sort_by_key(|(p, _)| std::cmp::Reverse(*p));
        Self { family, by_prefix }
    }

    /// The keys whose networks contain `(ip, prefix)`, most specific first.
    fn matches(&self, ip: u128, prefix: u8) -> impl Iterator<Item = usize> + '_ {
        self.by_prefix
            .iter()
            .filter(move |(p, _)| *p <= prefix)
            .filter_map(move |(p, nets)| nets.get(&(ip & self.family.mask(*p))))
            .flatten()
            .copied()
    }
}

/// `kql_ipv4_lookup_keys(address)`: the list of matching keys; with `unmatched`, a row that
/// matches nothing gets a one-element list holding it (so an outer join keeps the row once).
#[derive(Debug)]
pub struct Ipv4LookupUdf {
    pub(crate) family: Family,
    pub(crate) keys: Arc<Vec<String>>,
    index: Arc<Index>,
    pub(crate) unmatched: Option<String>,
    signature: Signature,
}

impl PartialEq for Ipv4LookupUdf {
    fn eq(&self, other: &Self) -> bool {
        self.family == other.family && self.keys == other.keys && self.unmatched == other.unmatched
    }
}
impl Eq for Ipv4LookupUdf {}
impl Hash for Ipv4LookupUdf {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.family.hash(state);
        self.keys.hash(state);
        self.unmatched.hash(state);
    }
}

impl Ipv4LookupUdf {
    /// The matching keys of `address` (a string expression) among `keys`.
    pub fn call(family: Family, keys: Vec<String>, unmatched: Option<String>, address: Expr) -> Expr {
        Self::udf(family, keys, unmatched).call(vec![address])
    }

    /// The UDF.
    pub(crate) fn udf(family: Family, keys: Vec<String>, unmatched: Option<String>) -> ScalarUDF {
        let index = Arc::new(Index::new(family, &keys));
        let udf = Self {
            family,
            keys: Arc::new(keys),
            index,
            unmatched,
            signature: Signature::any(1, Volatility::Immutable),
        };
        ScalarUDF::new_from_impl(udf)
    }
}

impl ScalarUDFImpl for Ipv4LookupUdf {
    fn name(&self) -> &str {
        "kql_ipv4_lookup_keys"
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::List(Arc::new(Field::new("item", DataType::Utf8, true))))
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let input = match &args.args[0] {
            ColumnarValue::Array(a) => Arc::clone(a),
            ColumnarValue::Scalar(s) => s.to_array_of_size(rows)?,
        };
        let text = cast(&input, &DataType::Utf8)?;
        let text = text
            .as_any()
            .downcast_ref::<datafusion::arrow::array::StringArray>()
            .ok_or_else(|| datafusion::common::DataFusionError::Internal("ipv4_lookup reads text".into()))?;
        let mut out = ListBuilder::new(StringBuilder::new());
        for i in 0..text.len() {
            let mut any = false;
            if text.is_valid(i)
                && let Some((ip, prefix)) = self.family.parse(text.value(i).trim())
            {
                for k in self.index.matches(ip, prefix) {
                    out.values().append_value(&self.keys[k]);
                    any = true;
                }
            }
            if !any && let Some(u) = &self.unmatched {
                out.values().append_value(u);
            }
            out.append(true);
        }
        let list: ArrayRef = Arc::new(out.finish());
        Ok(ColumnarValue::Array(list))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_every_containing_network() {
        let keys: Vec<String> = ["2.20.183.0/24", "5.8.0.0/19", "46.36.200.51/32", "5.0.0.0/8", "9.9.9.9"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        let index = Index::new(Family::V4, &keys);
        let found = |ip: &str| {
            let (a, p) = Family::V4.parse(ip).expect("an address");
            index.matches(a, p).map(|k| keys[k].as_str()).collect::<Vec<_>>()
        };
        assert_eq!(found("2.20.183.12"), vec!["2.20.183.0/24"]);
        assert_eq!(found("5.8.1.2"), vec!["5.8.0.0/19", "5.0.0.0/8"]);
        assert_eq!(found("5.8.0.0/20"), vec!["5.8.0.0/19", "5.0.0.0/8"]);
        assert_eq!(found("5.8.0.0/16"), vec!["5.0.0.0/8"]);
        assert_eq!(found("9.9.9.9"), vec!["9.9.9.9"]);
        assert!(found("192.165.12.17").is_empty());
        let keys: Vec<String> =
            ["fe80::/10", "2001:db8::/32", "2001:db8:1::/48", "10.0.0.0/8"].iter().map(|s| (*s).to_owned()).collect();
        let index = Index::new(Family::V6, &keys);
        let found = |ip: &str| {
            let (a, p) = Family::V6.parse(ip).expect("an address");
            index.matches(a, p).map(|k| keys[k].as_str()).collect::<Vec<_>>()
        };
        assert_eq!(found("2001:db8:1::5"), vec!["2001:db8:1::/48", "2001:db8::/32"]);
        assert_eq!(found("fe80::1"), vec!["fe80::/10"]);
        assert_eq!(found("10.1.2.3"), vec!["10.0.0.0/8"]);
        assert!(found("::1").is_empty());
    }
}
