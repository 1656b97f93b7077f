//! Aggregates that build `dynamic` values from `dynamic` ones: `make_list`, `make_set` (and
//! their `_if` forms, whose predicate the planner folds into the value) and `make_bag`.
//!
//! * Null values are skipped (`make-list-aggregation-function.md`: nulls are ignored).
//! * A value that is itself an array contributes its elements, so `make_set` unions arrays
//!   (`make-set-aggregation-function.md`, "Set from array column") and `make_list` concatenates
//!   them (`make_list(pack_array(a))` keeps arrays whole).
//! * `make_bag` merges property bags; a key seen twice keeps its first value (the documentation
//!   allows any); values that are not bags are skipped.
//! * At most `max` elements (or slots) are kept: 1,048,576 by default, 128 for the deprecated
//!   `makeset`, `makelist` and `make_dictionary`.
//!
//! Partial states are the partial results themselves (JSON text), so partitions merge by
//! reading each other's output.

use std::collections::HashSet;
use std::sync::Arc;

use datafusion::arrow::array::ArrayRef;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::function::AccumulatorArgs;
use datafusion::logical_expr::{Accumulator, AggregateUDF, AggregateUDFImpl, Expr, Signature, Volatility};
use indexmap::IndexMap;

use crate::dynamic::{DYNAMIC_TYPE, Dyn, JsonRows};

/// Kusto's default and largest size of `make_list`, `make_set` and `make_bag` results.
pub const MAX_SIZE: usize = 1_048_576;

/// The default size of the deprecated `makelist`, `makeset` and `make_dictionary`.
pub const LEGACY_MAX_SIZE: usize = 128;

/// What is collected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Collect {
    /// `make_list`: every value.
    List,
    /// `make_set`: distinct values.
    Set,
    /// `make_bag`: the slots of bags.
    Bag,
}

/// A `dynamic`-building aggregate.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct CollectUdaf {
    pub(crate) kind: Collect,
    pub(crate) max: usize,
    name: String,
    signature: Signature,
}

/// `make_list(e, max)`, `make_set(e, max)` or `make_bag(e, max)` over `dynamic` values.
pub fn collect(kind: Collect, e: Expr, max: usize) -> Expr {
    collect_udaf(kind, max).call(vec![e])
}

/// The aggregate of [`collect`].
pub(crate) fn collect_udaf(kind: Collect, max: usize) -> AggregateUDF {
    let name = match kind {
        Collect::List => "kql_make_list",
        Collect::Set => "kql_make_set",
        Collect::Bag => "kql_make_bag",
    };
    AggregateUDF::new_from_impl(CollectUdaf {
        kind,
        max,
        name: format!("{name}_{max}"),
        signature: Signature::any(1, Volatility::Immutable),
    })
}

impl AggregateUDFImpl for CollectUdaf {
    fn name(&self) -> &str {
        &self.name
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DYNAMIC_TYPE)
    }
    fn is_nullable(&self) -> bool {
        false
    }
    fn accumulator(&self, _args: AccumulatorArgs<'_>) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(CollectAcc {
            kind: self.kind,
            max: self.max,
            items: Vec::new(),
            seen: HashSet::new(),
            bag: IndexMap::new(),
            bytes: 0,
        }))
    }
}

#[derive(Debug)]
struct CollectAcc {
    kind: Collect,
    max: usize,
    items: Vec<Dyn>,
    seen: HashSet<String>,
    bag: IndexMap<String, Dyn>,
    /// An estimate of the memory held (for DataFusion's memory accounting).
    bytes: usize,
}

impl CollectAcc {
    fn add(&mut self, v: Dyn) {
        match self.kind {
            Collect::Bag => {
                if let Dyn::Bag(m) = v {
                    for (k, v) in m {
                        if self.bag.len() >= self.max {
                            break;
                        }
                        if !self.bag.contains_key(&k) {
                            self.bytes += k.len() + 32;
                            self.bag.insert(k, v);
                        }
                    }
                }
            }
            Collect::List | Collect::Set => match v {
                Dyn::Null => {}
                Dyn::Array(items) => items.into_iter().for_each(|i| self.push(i)),
                v => self.push(v),
            },
        }
    }

    fn push(&mut self, v: Dyn) {
        if v.is_null() || self.items.len() >= self.max {
            return;
        }
        if self.kind == Collect::Set {
            let key = v.key();
            if self.seen.contains(&key) {
                return;
            }
            self.bytes += key.len() + 32;
            self.seen.insert(key);
        }
        self.bytes += 32;
        self.items.push(v);
    }

    fn read(&mut self, array: &ArrayRef) -> Result<()> {
        let rows = JsonRows::new(array)?;
        for i in 0..rows.len() {
            let v = rows.dyn_at(i);
            if !v.is_null() {
                self.add(v);
            }
        }
        Ok(())
    }

    fn result(&self) -> ScalarValue {
        let v = match self.kind {
            Collect::Bag => Dyn::Bag(self.bag.clone()),
            _ => Dyn::Array(self.items.clone()),
        };
        ScalarValue::Binary(Some(v.to_json().into_bytes()))
    }
}

impl Accumulator for CollectAcc {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        match values.first() {
            Some(a) => self.read(a),
            None => Ok(()),
        }
    }
    fn evaluate(&mut self) -> Result<ScalarValue> {
        Ok(self.result())
    }
    fn size(&self) -> usize {
        std::mem::size_of_val(self) + self.bytes
    }
    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        Ok(vec![self.result()])
    }
    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        match states.first() {
            // A partial result is an array (its elements are added one by one) or a bag.
            Some(a) => self.read(&Arc::clone(a)),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dynamic::arrow::build;

    fn run(kind: Collect, max: usize, values: &[&str]) -> String {
        let mut acc = CollectAcc { kind, max, items: Vec::new(), seen: HashSet::new(), bag: IndexMap::new(), bytes: 0 };
        let array = build(values.iter().map(|v| Dyn::parse(v.as_bytes())));
        acc.update_batch(&[array]).expect("updates");
        match acc.evaluate().expect("evaluates") {
            ScalarValue::Binary(Some(b)) => String::from_utf8(b).expect("utf8"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn collects_like_kusto() {
        assert_eq!(
            run(Collect::Set, MAX_SIZE, &[r#"["A1","A2","A3"]"#, r#"["A2","C1"]"#, "5", "null", "5"]),
            r#"["A1","A2","A3","C1",5]"#
        );
        assert_eq!(run(Collect::List, MAX_SIZE, &["1", "[2,3]", "null", r#"{"a":1}"#]), r#"[1,2,3,{"a":1}]"#);
        assert_eq!(run(Collect::List, 2, &["1", "2", "3"]), "[1,2]");
        assert_eq!(run(Collect::Bag, MAX_SIZE, &[r#"{"a":1}"#, r#"{"b":2,"a":3}"#, "7"]), r#"{"a":1,"b":2}"#);
        assert_eq!(run(Collect::Bag, MAX_SIZE, &[]), "{}");
        assert_eq!(run(Collect::Set, MAX_SIZE, &[]), "[]");
    }
}
