//! `buildschema(d)`: the smallest schema that admits every value of `d`
//! (`buildschema-aggregation-function.md`). A schema is a union of members in first-seen order:
//! primitive type names (`long`, `double`, `string`, `bool`), at most one property bag (its
//! properties' schemas, merged by name) and at most one array (`{"`indexer`": elements}`); a
//! union of one member is that member. Null values, and properties whose values are all null,
//! add nothing; an empty array adds an array whose elements admit nothing (`{"`indexer`":[]}`).
//!
//! The partial state is the schema itself as JSON, read back as a schema when partitions merge.

use datafusion::arrow::array::ArrayRef;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::function::AccumulatorArgs;
use datafusion::logical_expr::{Accumulator, AggregateUDF, AggregateUDFImpl, Expr, Signature, Volatility};
use indexmap::IndexMap;

use crate::dynamic::{DYNAMIC_TYPE, Dyn, JsonRows};

/// The key Kusto writes for an array's element schema.
const INDEXER: &str = "`indexer`";

/// One member of a union.
#[derive(Clone, Debug, PartialEq)]
enum Member {
    Primitive(&'static str),
    Bag(IndexMap<String, Schema>),
    Array(Box<Schema>),
}

/// A union of members, in first-seen order.
#[derive(Clone, Debug, Default, PartialEq)]
struct Schema(Vec<Member>);

impl Schema {
    /// Widens the schema to admit `v`.
    fn admit(&mut self, v: &Dyn) {
        match v {
            Dyn::Null => {}
            Dyn::Bool(_) => self.primitive("bool"),
            Dyn::Long(_) => self.primitive("long"),
            Dyn::Real(_) => self.primitive("double"),
            Dyn::String(_) => self.primitive("string"),
            Dyn::Bag(map) => {
                let bag = self.bag();
                for (k, v) in map {
                    if v.is_null() && !bag.contains_key(k) {
                        continue;
                    }
                    bag.entry(k.clone()).or_default().admit(v);
                }
            }
            Dyn::Array(items) => {
                let elements = self.array();
                items.iter().for_each(|i| elements.admit(i));
            }
        }
    }

    fn primitive(&mut self, name: &'static str) {
        if !self.0.contains(&Member::Primitive(name)) {
            self.0.push(Member::Primitive(name));
        }
    }

    fn bag(&mut self) -> &mut IndexMap<String, Self> {
        let at = match self.0.iter().position(|m| matches!(m, Member::Bag(_))) {
            Some(at) => at,
            None => {
                self.0.push(Member::Bag(IndexMap::new()));
                self.0.len() - 1
            }
        };
        match &mut self.0[at] {
            Member::Bag(b) => b,
            _ => unreachable!("the member at `at` is a bag"),
        }
    }

    fn array(&mut self) -> &mut Self {
        let at = match self.0.iter().position(|m| matches!(m, Member::Array(_))) {
            Some(at) => at,
            None => {
                self.0.push(Member::Array(Box::default()));
                self.0.len() - 1
            }
        };
        match &mut self.0[at] {
            Member::Array(a) => a,
            _ => unreachable!("the member at `at` is an array"),
        }
    }

    /// Widens the schema to admit everything `other` admits.
    fn merge(&mut self, other: Self) {
        for m in other.0 {
            match m {
                Member::Primitive(p) => self.primitive(p),
                Member::Bag(b) => {
                    let bag = self.bag();
                    for (k, s) in b {
                        bag.entry(k).or_default().merge(s);
                    }
                }
                Member::Array(a) => self.array().merge(*a),
            }
        }
    }

    fn to_dyn(&self) -> Dyn {
        let member = |m: &Member| match m {
            Member::Primitive(p) => Dyn::String((*p).to_owned()),
            Member::Bag(b) => Dyn::Bag(b.iter().map(|(k, s)| (k.clone(), s.to_dyn())).collect()),
            Member::Array(a) => Dyn::Bag(IndexMap::from([(INDEXER.to_owned(), a.to_dyn())])),
        };
        match self.0.as_slice() {
            [one] => member(one),
            many => Dyn::Array(many.iter().map(member).collect()),
        }
    }

    /// A schema written by [`Schema::to_dyn`] (a partial state).
    fn from_dyn(v: &Dyn) -> Self {
        fn member(v: &Dyn) -> Option<Member> {
            Some(match v {
                Dyn::String(s) => Member::Primitive(match s.as_str() {
                    "bool" => "bool",
                    "long" => "long",
                    "double" => "double",
                    "string" => "string",
                    _ => return None,
                }),
                Dyn::Bag(b) if b.len() == 1 && b.contains_key(INDEXER) => {
                    Member::Array(Box::new(Schema::from_dyn(&b[INDEXER])))
                }
                Dyn::Bag(b) => Member::Bag(b.iter().map(|(k, s)| (k.clone(), Schema::from_dyn(s))).collect()),
                _ => return None,
            })
        }
        match v {
            Dyn::Array(items) => Self(items.iter().filter_map(member).collect()),
            Dyn::Null => Self::default(),
            other => Self(member(other).into_iter().collect()),
        }
    }
}

/// The `buildschema` aggregate.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct BuildSchemaUdaf {
    signature: Signature,
}

/// `buildschema(e)` over `dynamic` values.
pub fn buildschema(e: Expr) -> Expr {
    buildschema_udaf().call(vec![e])
}

/// The aggregate of [`buildschema`].
pub(crate) fn buildschema_udaf() -> AggregateUDF {
    AggregateUDF::new_from_impl(BuildSchemaUdaf { signature: Signature::any(1, Volatility::Immutable) })
}

impl AggregateUDFImpl for BuildSchemaUdaf {
    fn name(&self) -> &str {
        "kql_buildschema"
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DYNAMIC_TYPE)
    }
    fn accumulator(&self, _args: AccumulatorArgs<'_>) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(SchemaAcc::default()))
    }
}

#[derive(Debug, Default)]
struct SchemaAcc {
    schema: Schema,
    /// Whether any value was seen (no value at all gives null, as other aggregates of no rows).
    seen: bool,
}

impl SchemaAcc {
    fn result(&self) -> ScalarValue {
        if self.seen {
            ScalarValue::Binary(Some(self.schema.to_dyn().to_json().into_bytes()))
        } else {
            ScalarValue::Binary(None)
        }
    }
}

impl Accumulator for SchemaAcc {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let Some(a) = values.first() else { return Ok(()) };
        let rows = JsonRows::new(a)?;
        for i in 0..rows.len() {
            let v = rows.dyn_at(i);
            if !v.is_null() {
                self.seen = true;
                self.schema.admit(&v);
            }
        }
        Ok(())
    }
    fn evaluate(&mut self) -> Result<ScalarValue> {
        Ok(self.result())
    }
    fn size(&self) -> usize {
        std::mem::size_of_val(self) + 64 * self.schema.0.len()
    }
    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        Ok(vec![self.result()])
    }
    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let Some(a) = states.first() else { return Ok(()) };
        let rows = JsonRows::new(a)?;
        for i in 0..rows.len() {
            let v = rows.dyn_at(i);
            if !v.is_null() {
                self.seen = true;
                self.schema.merge(Schema::from_dyn(&v));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_example() {
        let mut s = Schema::default();
        for v in [
            r#"{"x":1, "y":3.5}"#,
            r#"{"x":"somevalue", "z":[1, 2, 3]}"#,
            r#"{"y":{"w":"zzz"}, "t":["aa", "bb"], "z":["foo"]}"#,
        ] {
            s.admit(&Dyn::parse(v.as_bytes()));
        }
        let want = r#"{"x":["long","string"],"y":["double",{"w":"string"}],"z":{"`indexer`":["long","string"]},"t":{"`indexer`":"string"}}"#;
        assert_eq!(s.to_dyn().to_json(), want);
        // Partial states merge back to the same schema.
        let mut merged = Schema::default();
        merged.merge(Schema::from_dyn(&Dyn::parse(want.as_bytes())));
        assert_eq!(merged.to_dyn().to_json(), want);
    }
}
