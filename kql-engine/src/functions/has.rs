//! String tests as vectorized UDFs: the `has` family `has`, `has_cs`, `hasprefix`, `hassuffix` (and `_cs`,
//! and the `!` forms), `has_any`, `has_all`, and `contains`,
//! `startswith`, `endswith`, `=~`, `in~` with their forms. The needles are literals compiled
//! once when the query is planned; the UDF reads Arrow string arrays of every layout directly: a
//! dictionary column is evaluated once per distinct value, plain strings a run of values at a
//! time in one search pass, and string views through a cache of recent views (a
//! dictionary-encoded Parquet page gives all rows of one value the same view).
//!
//! Null haystacks behave as `""` (a KQL string is never null), so results are never null:
//! `has` is false on them and `!has` true (spec §3).

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, GenericStringArray, OffsetSizeTrait, StringViewArray,
};
use datafusion::arrow::buffer::{BooleanBuffer, Buffer, NullBuffer};
use datafusion::arrow::datatypes::{
    ArrowNativeType, DataType, Int8Type, Int16Type, Int32Type, Int64Type, UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};
use datafusion::common::{Result, ScalarValue, exec_err, plan_err};
use datafusion::logical_expr::{ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility};

use super::term::{TermKind, TermMatcher};

/// Values per run searched in one pass (about 40 KiB of URLs: the run and its lower-cased copy
/// stay in cache).
const RUN_ROWS: usize = 1024;

/// How the needles are tested.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MatchOp {
    /// How a needle must occur.
    pub kind: TermKind,
    /// `_cs` forms, `in`.
    pub case_sensitive: bool,
    /// `!` forms: the complement (true on null haystacks).
    pub negated: bool,
    /// `has_all`: every needle must occur (otherwise any).
    pub all: bool,
    /// The KQL operator, for display (`has_any`, `!contains_cs`, `in~`).
    pub name: &'static str,
}

/// A string test (`has` family, `contains`, `startswith`, `endswith`, `=~`, `in~`) with its
/// needles compiled.
#[derive(Debug)]
pub struct HasUdf {
    op: MatchOp,
    needles: Vec<String>,
    matcher: Arc<TermMatcher>,
    /// Results per distinct value of dictionary inputs (a row group's dictionary is tested
    /// once, not once per batch); not part of the identity.
    dictionaries: crate::functions::dynamic::memo::DictionaryResults,
    signature: Signature,
}

impl PartialEq for HasUdf {
    fn eq(&self, other: &Self) -> bool {
        self.op == other.op && self.needles == other.needles
    }
}
impl Eq for HasUdf {}
impl Hash for HasUdf {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.op.hash(state);
        self.needles.hash(state);
    }
}

impl HasUdf {
    /// Compiles `needles` for `op`.
    pub fn new(op: MatchOp, needles: Vec<String>) -> Self {
        let matcher = Arc::new(TermMatcher::new(&needles, op.kind, op.case_sensitive));
        Self {
            op,
            needles,
            matcher,
            dictionaries: Default::default(),
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }

    /// The test.
    pub fn op(&self) -> MatchOp {
        self.op
    }

    /// The needles.
    pub fn needles(&self) -> &[String] {
        &self.needles
    }

    /// `haystack <op> needles` as an expression. The needles are also passed as literal
    /// arguments so plans show them; the compiled matcher is what runs.
    pub fn call(op: MatchOp, haystack: Expr, needles: Vec<String>) -> Expr {
        // A test of member access is one function (see `GetTest`).
        crate::functions::dynamic::access::call_test(haystack, Self::new(op, needles.clone()), &needles)
    }

    /// The result for one haystack (`None` is a null, which behaves as `""`).
    #[inline]
    fn test(&self, haystack: Option<&str>) -> bool {
        self.raw(haystack.unwrap_or("")) != self.op.negated
    }

    fn over<'a>(&self, len: usize, value: impl Fn(usize) -> Option<&'a str>) -> BooleanArray {
        let bits = BooleanBuffer::collect_bool(len, |i| self.test(value(i)));
        BooleanArray::new(bits, None)
    }

    /// Tests every value of a string array of any layout (what the UDF runs per batch).
    ///
    /// # Errors
    /// When the array is not a string array.
    pub fn evaluate(&self, array: &dyn Array) -> Result<BooleanArray> {
        let n = array.len();
        Ok(match array.data_type() {
            DataType::Utf8 if self.scans_runs() => self.runs(array.as_string::<i32>()),
            DataType::LargeUtf8 if self.scans_runs() => self.runs(array.as_string::<i64>()),
            DataType::Utf8 => {
                let a = array.as_string::<i32>();
                self.over(n, |i| a.is_valid(i).then(|| a.value(i)))
            }
            DataType::LargeUtf8 => {
                let a = array.as_string::<i64>();
                self.over(n, |i| a.is_valid(i).then(|| a.value(i)))
            }
            DataType::Utf8View => self.views(array.as_string_view()),
            DataType::Null => self.over(n, |_| None),
            DataType::Dictionary(key, _) => match key.as_ref() {
                DataType::Int8 => self.dictionary::<Int8Type>(array)?,
                DataType::Int16 => self.dictionary::<Int16Type>(array)?,
                DataType::Int32 => self.dictionary::<Int32Type>(array)?,
                DataType::Int64 => self.dictionary::<Int64Type>(array)?,
                DataType::UInt8 => self.dictionary::<UInt8Type>(array)?,
                DataType::UInt16 => self.dictionary::<UInt16Type>(array)?,
                DataType::UInt32 => self.dictionary::<UInt32Type>(array)?,
                DataType::UInt64 => self.dictionary::<UInt64Type>(array)?,
                other => return exec_err!("{}: unsupported dictionary key type {other}", self.op.name),
            },
            other => return exec_err!("{}: expected a string, got {other}", self.op.name),
        })
    }

    fn scans_runs(&self) -> bool {
        !self.op.all && self.matcher.scans_runs()
    }

    /// A string array searched a run of values at a time: each run of up to [`RUN_ROWS`]
    /// values that is all ASCII (nearly all telemetry) is lower-cased once and searched in one
    /// pass (see [`TermMatcher::scan_ascii`]); a run holding other text is tested value by
    /// value.
    fn runs<O: OffsetSizeTrait>(&self, a: &GenericStringArray<O>) -> BooleanArray {
        let n = a.len();
        let offsets = a.value_offsets();
        let data = a.value_data();
        let mut words = vec![0u64; n.div_ceil(64)];
        let mut set = |i: usize| words[i / 64] |= 1 << (i % 64);
        let mut run = Vec::new();
        let mut bounds = Vec::with_capacity(RUN_ROWS + 1);
        let mut first = 0;
        while first < n {
            let last = (first + RUN_ROWS).min(n);
            let (start, end) = (offsets[first].as_usize(), offsets[last].as_usize());
            run.clear();
            run.extend_from_slice(&data[start..end]);
            bounds.clear();
            bounds.extend(offsets[first..=last].iter().map(|o| o.as_usize() - start));
            if !self.matcher.scan_run(&mut run, &bounds, |row| set(first + row)) {
                for i in first..last {
                    if a.is_valid(i) && self.raw(a.value(i)) {
                        set(i);
                    }
                }
            }
            first = last;
        }
        self.finish(words, n, a.nulls())
    }

    /// The result from the words of raw hits: negated for `!` forms, null rows as `""`.
    fn finish(&self, words: Vec<u64>, n: usize, nulls: Option<&NullBuffer>) -> BooleanArray {
        let hits = BooleanBuffer::new(Buffer::from_vec(words), 0, n);
        let bits = if self.op.negated { !&hits } else { hits };
        BooleanArray::new(self.mask_nulls(bits, nulls), None)
    }

    /// Whether `h` matches, before negation.
    #[inline]
    fn raw(&self, h: &str) -> bool {
        if self.op.all { self.matcher.all(h) } else { self.matcher.any(h) }
    }

    /// A string-view array, remembering recent results by view. Within one array, equal views
    /// are equal strings (a short string is inline in its view; a long one is named by length,
    /// prefix, buffer and offset), and the Parquet reader gives every row of a
    /// dictionary-encoded page the view of its dictionary entry: so low-cardinality columns,
    /// the usual haystacks of hunts, are tested about once per distinct value. The values not
    /// remembered are gathered, [`RUN_ROWS`] rows at a time, into one buffer searched in one
    /// pass (as [`Self::runs`] does), or tested one by one when the matcher cannot search runs.
    fn views(&self, a: &StringViewArray) -> BooleanArray {
        // Up to 4,096 slots (a few hundred distinct values, as hunted columns have, rarely
        // collide; 1,024 slots cost a tenth more on the seed hunts), fewer for short arrays.
        let bits = views_len_bits(a.len());
        // A cache slot's state: a result, or the index of a value gathered in this run.
        const YES: u32 = u32::MAX;
        const NO: u32 = u32::MAX - 1;
        // No view has this value: its length field would be u32::MAX, beyond any buffer.
        let mut keys = vec![u128::MAX; 1 << bits];
        let mut states = vec![NO; 1 << bits];
        let views = a.views();
        let n = views.len();
        let batched = self.scans_runs();
        let mut words = vec![0u64; n.div_ceil(64)];
        // The gathered values of a run: (row, cache slot), their bytes and bounds, and the rows
        // that share a gathered value's view (row, gathered index).
        let mut gathered: Vec<(usize, usize)> = Vec::with_capacity(RUN_ROWS);
        let mut sharing: Vec<(usize, usize)> = Vec::new();
        let mut hay: Vec<u8> = Vec::new();
        let mut bounds: Vec<usize> = Vec::with_capacity(RUN_ROWS + 1);
        let mut found: Vec<bool> = Vec::with_capacity(RUN_ROWS);
        let mut first = 0;
        while first < n {
            let last = (first + RUN_ROWS).min(n);
            gathered.clear();
            sharing.clear();
            hay.clear();
            bounds.clear();
            bounds.push(0);
            for base in (first..last).step_by(64) {
                let mut word = 0u64;
                for (j, &view) in views[base..(base + 64).min(last)].iter().enumerate() {
                    let i = base + j;
                    let mixed = (view as u64 ^ (view >> 64) as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
                    let slot = (mixed >> (64 - bits)) as usize;
                    // A remembered view: a null row that happens to carry it is masked below.
                    if keys[slot] == view {
                        match states[slot] {
                            YES => word |= 1 << j,
                            NO => {}
                            g => sharing.push((i, g as usize)),
                        }
                        continue;
                    }
                    // A null slot's view need not be a valid string.
                    if a.is_null(i) {
                        continue;
                    }
                    keys[slot] = view;
                    if batched {
                        states[slot] = gathered.len() as u32;
                        gathered.push((i, slot));
                        hay.extend_from_slice(a.value(i).as_bytes());
                        bounds.push(hay.len());
                    } else {
                        let hit = self.raw(a.value(i));
                        states[slot] = if hit { YES } else { NO };
                        word |= u64::from(hit) << j;
                    }
                }
                words[base / 64] |= word;
            }
            if gathered.is_empty() {
                first = last;
                continue;
            }
            found.clear();
            found.resize(gathered.len(), false);
            if !self.matcher.scan_run(&mut hay, &bounds, |g| found[g] = true) {
                for (g, &(i, _)) in gathered.iter().enumerate() {
                    found[g] = self.raw(a.value(i));
                }
            }
            for (g, &(i, slot)) in gathered.iter().enumerate() {
                if found[g] {
                    words[i / 64] |= 1 << (i % 64);
                }
                // The slot may have been taken by a later value of the run.
                if states[slot] == g as u32 && keys[slot] == views[i] {
                    states[slot] = if found[g] { YES } else { NO };
                }
            }
            for &(i, g) in &sharing {
                if found[g] {
                    words[i / 64] |= 1 << (i % 64);
                }
            }
            first = last;
        }
        self.finish(words, n, a.nulls())
    }

    /// Null rows behave as `""`.
    fn mask_nulls(&self, bits: BooleanBuffer, nulls: Option<&NullBuffer>) -> BooleanBuffer {
        match nulls {
            Some(n) if n.null_count() > 0 => {
                if self.test(None) {
                    &bits | &!n.inner()
                } else {
                    &bits & n.inner()
                }
            }
            _ => bits,
        }
    }

    /// Tests each distinct value once, then maps the keys.
    fn dictionary<K: datafusion::arrow::datatypes::ArrowDictionaryKeyType>(
        &self,
        array: &dyn Array,
    ) -> Result<BooleanArray> {
        let dict = array.as_dictionary::<K>();
        let per_value = self.dictionaries.get_or(&[], dict.values(), || {
            Ok(Arc::new(self.evaluate(dict.values().as_ref())?) as datafusion::arrow::array::ArrayRef)
        })?;
        let per_value = per_value.as_boolean();
        let empty = self.test(None);
        let keys = dict.keys();
        let bits = BooleanBuffer::collect_bool(keys.len(), |i| {
            if keys.is_null(i) {
                return empty;
            }
            let k = keys.value(i).as_usize();
            k < per_value.len() && per_value.value(k)
        });
        Ok(BooleanArray::new(bits, None))
    }
}

/// Bits of the view cache for an array of `len` values: between 6 and 12.
fn views_len_bits(len: usize) -> u32 {
    len.next_power_of_two().trailing_zeros().clamp(6, 12)
}

fn is_string_like(t: &DataType) -> bool {
    match t {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View | DataType::Null => true,
        DataType::Dictionary(_, v) => is_string_like(v),
        _ => false,
    }
}

impl ScalarUDFImpl for HasUdf {
    fn name(&self) -> &str {
        self.op.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        match arg_types.split_first() {
            Some((t, needles)) if is_string_like(t) && needles.len() == self.needles.len() => Ok(arg_types.to_vec()),
            Some((t, _)) if !is_string_like(t) => plan_err!("{} needs a string on its left, got {t}", self.op.name),
            _ => plan_err!("{} takes a string and its {} needle(s)", self.op.name, self.needles.len()),
        }
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Boolean)
    }

    fn is_nullable(&self, _args: &[Expr], _schema: &dyn datafusion::common::ExprSchema) -> bool {
        false
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let Some(arg) = args.args.first() else {
            return exec_err!("{} takes a string argument", self.op.name);
        };
        match arg {
            ColumnarValue::Array(a) => Ok(ColumnarValue::Array(Arc::new(self.evaluate(a.as_ref())?) as ArrayRef)),
            ColumnarValue::Scalar(s) => {
                let v = self.evaluate(s.to_array_of_size(1)?.as_ref())?;
                Ok(ColumnarValue::Scalar(ScalarValue::Boolean(Some(v.value(0)))))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::{DictionaryArray, LargeStringArray, StringArray};

    use super::*;

    fn run(op: MatchOp, needles: &[&str], array: &dyn Array) -> Vec<bool> {
        let udf = HasUdf::new(op, needles.iter().map(|s| (*s).to_owned()).collect());
        let out = udf.evaluate(array).expect("evaluates");
        assert_eq!(out.null_count(), 0, "results are never null");
        (0..out.len()).map(|i| out.value(i)).collect()
    }

    const HAS: MatchOp =
        MatchOp { kind: TermKind::Has, case_sensitive: false, negated: false, all: false, name: "has" };
    const NOT_HAS: MatchOp = MatchOp { negated: true, name: "!has", ..HAS };
    const ANY: MatchOp = MatchOp { name: "has_any", ..HAS };
    const ALL: MatchOp = MatchOp { all: true, name: "has_all", ..HAS };

    #[test]
    fn every_string_layout_and_nulls() {
        let values = vec![Some("https://agent.atera.com/x"), None, Some("myatera.com"), Some("")];
        let want = vec![true, false, false, false];
        let utf8 = StringArray::from(values.clone());
        assert_eq!(run(HAS, &["atera.com"], &utf8), want);
        assert_eq!(run(HAS, &["atera.com"], &LargeStringArray::from(values.clone())), want);
        assert_eq!(run(HAS, &["atera.com"], &StringViewArray::from(values.clone())), want);
        let dict: DictionaryArray<Int32Type> = values.iter().copied().collect();
        assert_eq!(run(HAS, &["atera.com"], &dict), want);
        // The negation is true on nulls (they are "").
        assert_eq!(run(NOT_HAS, &["atera.com"], &utf8), vec![false, true, true, true]);
        assert_eq!(run(NOT_HAS, &["atera.com"], &dict), vec![false, true, true, true]);
    }

    #[test]
    fn shared_views_give_per_row_results() {
        // `take` copies views, so rows of one base value share a view, as rows of a
        // dictionary-encoded Parquet page do; collisions in the cache must not leak results.
        let mut base: Vec<Option<String>> = (0..3000)
            .map(|i| {
                Some(match i % 4 {
                    0 => format!("Atera Networks {i}"),
                    1 => format!("xAtera Networks long value number {i}"),
                    2 => format!("a{i}"),
                    _ => "Atera networks".to_owned(),
                })
            })
            .collect();
        base.push(None);
        let view = StringViewArray::from(base.clone());
        let indices: Vec<u32> = (0..20_000u32).map(|i| i.wrapping_mul(2_654_435_761) % 3001).collect();
        let taken = datafusion::arrow::compute::take(
            &view,
            &datafusion::arrow::array::UInt32Array::from(indices.clone()),
            None,
        )
        .expect("take");
        let plain = StringArray::from(indices.iter().map(|&i| base[i as usize].clone()).collect::<Vec<_>>());
        for op in [HAS, NOT_HAS] {
            assert_eq!(run(op, &["atera networks"], taken.as_ref()), run(op, &["atera networks"], &plain));
        }
    }

    #[test]
    fn views_of_another_array_are_not_remembered_as_ours() {
        // Two arrays laid out alike: equal views (length, prefix, buffer, offset), other bytes.
        let ours = StringViewArray::from(vec!["abcd atera tail"; 300]);
        let lookalike = StringViewArray::from(vec!["abcd btera tail"; 300]);
        assert_eq!(ours.views()[0], lookalike.views()[0]);
        let udf = HasUdf::new(HAS, vec!["atera".into()]);
        assert_eq!(udf.evaluate(&lookalike).expect("evaluates").true_count(), 0);
        assert_eq!(udf.evaluate(&ours).expect("evaluates").true_count(), 300);
        assert_eq!(udf.evaluate(&ours.slice(5, 290)).expect("evaluates").true_count(), 290);
        assert_eq!(udf.evaluate(&lookalike).expect("evaluates").true_count(), 0);
    }

    #[test]
    fn any_and_all() {
        let a = StringArray::from(vec!["atera-agent-heartbeat.x", "b a", "a", "nothing"]);
        assert_eq!(run(ANY, &["atera.com", "atera-agent-heartbeat"], &a), vec![true, false, false, false]);
        assert_eq!(run(ALL, &["a", "b"], &a), vec![false, true, false, false]);
        assert_eq!(run(ANY, &[], &a), vec![false; 4]);
    }

    mod runs {
        use proptest::prelude::*;

        use super::*;

        fn op_strategy() -> impl Strategy<Value = MatchOp> {
            let kinds = prop_oneof![
                Just(TermKind::Has),
                Just(TermKind::Prefix),
                Just(TermKind::Suffix),
                Just(TermKind::Contains)
            ];
            (kinds, any::<bool>(), any::<bool>()).prop_map(|(kind, case_sensitive, negated)| MatchOp {
                kind,
                case_sensitive,
                negated,
                all: false,
                name: "has_any",
            })
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(96))]

            /// The run search (whole value buffers, lower-cased once; gathered views) answers
            /// exactly as the value-by-value test: across value boundaries, run boundaries, nulls,
            /// slices, non-ASCII runs, overlapping needles and shared views.
            #[test]
            fn runs_equal_value_by_value(
                op in op_strategy(),
                needles in proptest::collection::vec("[abAB.é -]{1,3}", 1..4),
                values in proptest::collection::vec(proptest::option::weighted(0.9, "[abAB.é K-]{0,16}"), 0..2600),
                ascii_only in any::<bool>(),
                skip in 0usize..40,
            ) {
                let values: Vec<Option<String>> = values
                    .into_iter()
                    .map(|v| v.map(|s| if ascii_only { s.replace('é', "e").replace('K', "k") } else { s }))
                    .collect();
                let udf = HasUdf::new(op, needles.clone());
                let array = StringArray::from(values.clone());
                let skip = skip.min(values.len());
                let sliced = array.slice(skip, values.len() - skip);
                let got = udf.evaluate(&sliced).expect("evaluates");
                let want: Vec<bool> = values[skip..].iter().map(|v| udf.test(v.as_deref())).collect();
                prop_assert_eq!((0..got.len()).map(|i| got.value(i)).collect::<Vec<_>>(), want);
                let rest = &values[skip..];
                let want: Vec<bool> = rest.iter().map(|v| udf.test(v.as_deref())).collect();
                let bits = |a: &dyn Array| {
                    let got = udf.evaluate(a).expect("evaluates");
                    (0..got.len()).map(|i| got.value(i)).collect::<Vec<_>>()
                };
                prop_assert_eq!(bits(&LargeStringArray::from(rest.to_vec())), want.clone());
                prop_assert_eq!(bits(&StringViewArray::from(rest.to_vec())), want);
                // Rows sharing views (as a dictionary-encoded page gives them), many per run.
                if !rest.is_empty() {
                    let indices: Vec<u32> =
                        (0..3000u32).map(|i| i.wrapping_mul(2_654_435_761) % (rest.len() as u32).min(50)).collect();
                    let view = StringViewArray::from(rest.to_vec());
                    let taken = datafusion::arrow::compute::take(
                        &view,
                        &datafusion::arrow::array::UInt32Array::from(indices.clone()),
                        None,
                    )
                    .expect("take");
                    let want: Vec<bool> = indices.iter().map(|&i| udf.test(rest[i as usize].as_deref())).collect();
                    prop_assert_eq!(bits(taken.as_ref()), want);
                }
            }
        }

        #[test]
        fn a_match_across_two_values_is_not_a_match() {
            let a = StringArray::from(vec!["xx ate", "ra.com", "atera.com"]);
            assert_eq!(run(HAS, &["atera.com"], &a), vec![false, false, true]);
            let a = StringArray::from(vec!["atera-agent", "-heartbeat atera.co", "m"]);
            assert_eq!(run(ANY, &["atera.com", "atera-agent-heartbeat"], &a), vec![false, false, false]);
            // The first candidate in a value fails its edge, a later one in the same value holds.
            let a = StringArray::from(vec!["myatera.com ATERA.COM", "x"]);
            assert_eq!(run(ANY, &["atera.com", "zz"], &a), vec![true, false]);
        }
    }
}
