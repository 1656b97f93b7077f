//! Checking a hunt's result against the ground truth: the result batches of a rule, read back
//! into the manifest's row shape and compared as sets.

use arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Int64Type, TimeUnit, TimestampNanosecondType};

use crate::manifest::{ExpectedRow, RuleExpectation, Status};
use crate::time::format_rfc3339;

/// The rows of a seed-shaped hunt result (`FirstSeen`, `LastSeen`, `Report`, `Count` and the
/// `by` keys), in the manifest's shape, sorted by their keys.
///
/// # Errors
/// When a column is missing or has a type the hunt's shape does not allow.
pub fn result_rows(batches: &[RecordBatch], by: &[String]) -> Result<Vec<ExpectedRow>, String> {
    let mut out = Vec::new();
    for b in batches {
        let col = |name: &str| b.column_by_name(name).ok_or_else(|| format!("the result has no column `{name}`"));
        let as_type = |name: &str, t: &DataType| -> Result<ArrayRef, String> {
            cast(col(name)?, t).map_err(|e| format!("column `{name}`: {e}"))
        };
        let ns = DataType::Timestamp(TimeUnit::Nanosecond, None);
        let first = as_type("FirstSeen", &ns)?;
        let last = as_type("LastSeen", &ns)?;
        let count = as_type("Count", &DataType::Int64)?;
        let report = col("Report")?;
        let report = report.as_list_opt::<i32>().ok_or("column `Report` is not a list")?;
        let keys =
            by.iter().map(|k| Ok((k.clone(), as_type(k, &DataType::Utf8)?))).collect::<Result<Vec<_>, String>>()?;
        for r in 0..b.num_rows() {
            let ids = cast(&report.value(r), &DataType::Int64).map_err(|e| format!("column `Report`: {e}"))?;
            let mut ids: Vec<i64> = ids.as_primitive::<Int64Type>().iter().flatten().collect();
            ids.sort_unstable();
            let count = count.as_primitive::<Int64Type>();
            out.push(ExpectedRow {
                keys: keys
                    .iter()
                    .map(|(k, a)| {
                        (k.clone(), if a.is_null(r) { String::new() } else { a.as_string::<i32>().value(r).to_owned() })
                    })
                    .collect(),
                first_seen: format_rfc3339(first.as_primitive::<TimestampNanosecondType>().value(r)),
                last_seen: format_rfc3339(last.as_primitive::<TimestampNanosecondType>().value(r)),
                report: ids,
                count: u64::try_from(count.value(r)).map_err(|_| format!("a negative Count in row {r}"))?,
            });
        }
    }
    out.sort_by(|a, b| a.keys.cmp(&b.keys));
    Ok(out)
}

/// Compares a rule's outcome with its expectation: `Ok(())` when a runnable rule returned
/// exactly the expected rows (as sets) or a broken rule failed; otherwise what differs.
///
/// # Errors
/// A description of the difference.
pub fn check_result(expected: &RuleExpectation, outcome: Result<&[RecordBatch], &str>) -> Result<(), String> {
    match (expected.status, outcome) {
        (Status::Broken, Err(_)) => Ok(()),
        (Status::Broken, Ok(_)) => {
            Err(format!("ran, but is broken at the source ({})", expected.reason.as_deref().unwrap_or("?")))
        }
        (_, Err(e)) => Err(format!("failed: {e}")),
        (_, Ok(batches)) => {
            let actual = result_rows(batches, &expected.by)?;
            let mut rows = expected.rows.clone();
            rows.sort_by(|a, b| a.keys.cmp(&b.keys));
            if actual == rows {
                Ok(())
            } else {
                Err(format!("rows differ\n  expected {rows:#?}\n  actual   {actual:#?}"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{Int64Array, ListArray, StringArray, TimestampMicrosecondArray};
    use arrow::datatypes::Int64Type;

    use super::*;

    fn batch(count: i64) -> RecordBatch {
        let times = || Arc::new(TimestampMicrosecondArray::from(vec![1_717_243_200_000_000]).with_timezone("UTC"));
        let report = ListArray::from_iter_primitive::<Int64Type, _, _>(vec![Some(vec![Some(7), Some(3)])]);
        RecordBatch::try_from_iter([
            ("DeviceId", Arc::new(StringArray::from(vec!["d1"])) as ArrayRef),
            ("FirstSeen", times() as ArrayRef),
            ("LastSeen", times() as ArrayRef),
            ("Report", Arc::new(report) as ArrayRef),
            ("Count", Arc::new(Int64Array::from(vec![count])) as ArrayRef),
        ])
        .expect("batch")
    }

    fn expectation() -> RuleExpectation {
        RuleExpectation {
            file: "f".into(),
            id: "i".into(),
            name: "n".into(),
            table: None,
            status: Status::Hits,
            reason: None,
            by: vec!["DeviceId".into()],
            rows: vec![ExpectedRow {
                keys: [("DeviceId".into(), "d1".into())].into(),
                first_seen: "2024-06-01T12:00:00Z".into(),
                last_seen: "2024-06-01T12:00:00Z".into(),
                report: vec![3, 7],
                count: 2,
            }],
        }
    }

    #[test]
    fn equal_rows_pass_and_any_difference_fails() {
        let e = expectation();
        assert_eq!(check_result(&e, Ok(&[batch(2)])), Ok(()));
        assert!(check_result(&e, Ok(&[batch(3)])).is_err());
        assert!(check_result(&e, Ok(&[])).is_err());
        assert!(check_result(&e, Err("boom")).is_err());
        let broken = RuleExpectation { status: Status::Broken, rows: vec![], ..e };
        assert_eq!(check_result(&broken, Err("unknown column")), Ok(()));
        assert!(check_result(&broken, Ok(&[])).is_err());
    }
}
