//! Results of a constant-path member access remembered across batches, by where each input
//! value's bytes live.
//!
//! A dictionary-encoded Parquet page read as string views gives every batch of its column chunk
//! views into the same dictionary buffer, so the distinct values of a whole row group (commonly a
//! few thousand JSON texts under millions of rows) are each parsed once, not once per batch.
//!
//! The key of a value is its view when inline (12 bytes or fewer: the view holds the bytes), else
//! the address and length of its bytes. An address identifies bytes only while their buffer is
//! alive and unchanged: the memo holds a clone of every buffer it has keys into (Arrow buffers
//! are immutable once shared), so no address it knows can be reused for other bytes.
//!
//! A remembered result is a ready output view into the memo's result chunks, which every output
//! array shares (nothing is copied per row). The memo holds at most [`MAX_BUFFERS`] input
//! buffers and [`MAX_RESULTS`] bytes of results between batches, and forgets everything (between
//! batches) when either is exceeded or a batch no longer points into a buffer it holds (the
//! next row group). Results are also kept by the input's text (bounded, and kept when the rest
//! is forgotten): the next row group's dictionary mostly repeats the texts of the last, and a
//! plain-encoded page repeats texts at each row's own address. A memo that seldom hits (texts
//! that are each their own) stops remembering beyond one batch.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use datafusion::arrow::array::builder::make_view;
use datafusion::arrow::buffer::Buffer;
use datafusion::common::{DataFusionError, Result};

/// Input buffers one memo may hold alive.
const MAX_BUFFERS: usize = 8;
/// Bytes of remembered results one memo may hold.
const MAX_RESULTS: usize = 16 << 20;
/// Lookups after which a memo whose hit rate is under one half stops remembering across batches.
const PROBATION: u64 = 1 << 16;

type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// A result remembered by text: its bytes and validity.
type TextResult = (Box<[u8]>, bool);

/// The bit of a result's number that says it is null.
const NULL: u32 = 1 << 31;

/// Where a value's bytes are (see [`Memo::key`]).
#[derive(Clone, Copy)]
pub(crate) enum Key {
    /// A view that holds its bytes.
    Inline(u128),
    /// The address of the bytes, shifted 16 bits, and their length.
    Stored(u64),
}

/// One thread's memo (see the module docs).
#[derive(Default)]
pub(crate) struct Memo {
    /// What the results are of (the path and the kind of result): a memo answers only for it.
    tag: Vec<u8>,
    /// Input buffers the keys point into.
    inputs: Vec<Buffer>,
    /// Key of a stored value (its address and length, see [`Memo::key`]) to result.
    stored: FastMap<u64, u32>,
    /// Key of an inline value (its view) to result.
    inline: FastMap<u128, u32>,
    /// Output views of the results; the high bit of a result's number says it is null.
    results: Vec<u128>,
    /// Frozen result chunks: the first buffers of every output array.
    chunks: Vec<Buffer>,
    /// Results of the batch in progress: the chunk after `chunks`.
    pending: Vec<u8>,
    lookups: u64,
    hits: u64,
    /// Remember within one batch only.
    per_batch: bool,
    /// Results by the input's bytes: for the same texts in the next row group's dictionary, and
    /// for plain-encoded pages whose rows repeat texts at their own addresses. Kept when the
    /// rest is forgotten; bounded by [`MAX_TEXTS`] bytes.
    texts: FastMap<Box<[u8]>, TextResult>,
    text_bytes: usize,
}

/// Bytes of inputs and results the memo keeps by text.
const MAX_TEXTS: usize = 16 << 20;

impl Memo {
    /// The key of the value that `view` of an array with data buffers `buffers` describes:
    /// the view itself when inline, else the address and length of the bytes (none for a
    /// value of 64 KiB or more, or an address beyond 48 bits: such values are not remembered).
    pub(crate) fn key(view: u128, buffers: &[Buffer]) -> Option<Key> {
        let len = view as u32;
        if len <= 12 {
            return Some(Key::Inline(view));
        }
        let buffer = buffers.get((view >> 64) as u32 as usize)?;
        let offset = (view >> 96) as u32 as usize;
        let address = (buffer.as_ptr() as usize).checked_add(offset)? as u64;
        (len < 1 << 16 && address < 1 << 48).then_some(Key::Stored((address << 16) | u64::from(len)))
    }

    /// The output view and validity remembered for `key`.
    pub(crate) fn get(&mut self, key: Key) -> Option<(u128, bool)> {
        self.lookups += 1;
        let r = match key {
            Key::Stored(k) => self.stored.get(&k),
            Key::Inline(k) => self.inline.get(&k),
        }?;
        self.hits += 1;
        let view = self.results[(r & !NULL) as usize];
        Some((view, r & NULL == 0))
    }

    /// The result remembered for an input text (from an earlier row group or another row), once
    /// the lookup by key has missed.
    pub(crate) fn by_text(&mut self, text: &[u8]) -> Option<TextResult> {
        if self.per_batch {
            return None;
        }
        let found = self.texts.get(text).cloned();
        self.hits += u64::from(found.is_some());
        found
    }

    /// Remembers `result` for an input text.
    pub(crate) fn put_text(&mut self, text: &[u8], result: &[u8], valid: bool) {
        if self.per_batch {
            return;
        }
        if self.text_bytes + text.len() + result.len() > MAX_TEXTS {
            self.texts.clear();
            self.text_bytes = 0;
        }
        self.text_bytes += text.len() + result.len();
        self.texts.insert(text.into(), (result.into(), valid));
    }

    /// Remembers `result` for the value `view` of an array with data buffers `buffers` (its key
    /// `key`; none: only placed), returning its output view.
    pub(crate) fn put(
        &mut self,
        key: Option<Key>,
        view: u128,
        buffers: &[Buffer],
        result: &[u8],
        valid: bool,
    ) -> Result<u128> {
        if view as u32 > 12
            && let Some(buffer) = buffers.get((view >> 64) as u32 as usize)
            && !self.inputs.iter().any(|b| b.as_ptr() == buffer.as_ptr() && b.len() == buffer.len())
        {
            self.inputs.push(buffer.clone());
        }
        let out = if result.len() <= 12 {
            make_view(result, 0, 0)
        } else {
            // The pending chunk's index in the output is the number of frozen chunks.
            let too_big = || DataFusionError::Execution("one batch's member values exceed 4 GiB".into());
            let offset = u32::try_from(self.pending.len()).map_err(|_| too_big())?;
            let chunk = u32::try_from(self.chunks.len()).map_err(|_| too_big())?;
            self.pending.extend_from_slice(result);
            make_view(result, chunk, offset)
        };
        if let Some(key) = key
            && let Ok(number) = u32::try_from(self.results.len())
            && number < NULL
        {
            let r = if valid { number } else { number | NULL };
            self.results.push(out);
            match key {
                Key::Stored(k) => {
                    self.stored.insert(k, r);
                }
                Key::Inline(k) => {
                    self.inline.insert(k, r);
                }
            };
        }
        Ok(out)
    }

    /// Lookups that found a result.
    #[cfg(test)]
    pub(crate) fn hits_for_test(&self) -> u64 {
        self.hits
    }

    /// Begins a batch whose data buffers are `data`: a memo holding a buffer the batch does not
    /// point into (the next row group has begun) forgets everything first, as the earlier
    /// dictionary's results would only slow the lookups.
    pub(crate) fn begin_batch(&mut self, data: &[Buffer]) {
        if self.inputs.iter().any(|b| !data.iter().any(|d| d.as_ptr() == b.as_ptr())) {
            self.forget();
        }
    }

    /// Ends a batch: its results become a chunk, and the data buffers the batch's output views
    /// point into are returned (the chunks so far, in order). Past the bounds, or when the memo
    /// seldom hits, everything is forgotten here, between batches, so no output view handed out
    /// in a batch ever loses its chunk.
    pub(crate) fn finish_batch(&mut self) -> Vec<Buffer> {
        if !self.pending.is_empty() {
            let chunk = Buffer::from_vec(std::mem::take(&mut self.pending));
            self.chunks.push(chunk);
        }
        let buffers = self.chunks.clone();
        if !self.per_batch && self.lookups >= PROBATION && self.hits * 2 < self.lookups {
            self.per_batch = true;
            self.texts = FastMap::default();
            self.text_bytes = 0;
        }
        if self.per_batch
            || self.inputs.len() > MAX_BUFFERS
            || buffers.iter().map(Buffer::len).sum::<usize>() > MAX_RESULTS
        {
            self.forget();
        }
        buffers
    }

    /// Forgets every result, chunk and input buffer. Only between batches: views handed out
    /// earlier keep their chunks through their own arrays.
    fn forget(&mut self) {
        self.stored.clear();
        self.inline.clear();
        self.results.clear();
        self.inputs.clear();
        self.chunks.clear();
        self.pending.clear();
    }
}

/// The memos of one member-access expression: one per thread evaluating it at a time.
#[derive(Default)]
pub(crate) struct Memos(Mutex<Vec<Memo>>);

impl std::fmt::Debug for Memos {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Memos")
    }
}

/// Memos kept by one expression (more are made when more threads evaluate it at once).
const MAX_MEMOS: usize = 16;

impl Memos {
    /// A memo of results for `tag` to use for one batch whose first data buffer is `first`:
    /// preferably one that holds that buffer (the partition reading the same row group), else
    /// any for `tag`, else a fresh one.
    pub(crate) fn take(&self, tag: &[u8], first: Option<&Buffer>) -> Memo {
        let found = self.0.lock().ok().and_then(|mut v| {
            let holds = |m: &Memo| first.is_some_and(|f| m.inputs.iter().any(|b| b.as_ptr() == f.as_ptr()));
            let i = v.iter().position(|m| m.tag == tag && holds(m)).or_else(|| v.iter().position(|m| m.tag == tag))?;
            Some(v.swap_remove(i))
        });
        found.unwrap_or_else(|| Memo { tag: tag.to_vec(), ..Memo::default() })
    }

    /// Gives back a memo taken with [`Memos::take`].
    pub(crate) fn give(&self, memo: Memo) {
        if let Ok(mut v) = self.0.lock() {
            if v.len() >= MAX_MEMOS {
                v.remove(0);
            }
            v.push(memo);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored_view(bytes: &[u8], buffer: &Buffer, index: u32, offset: u32) -> u128 {
        assert_eq!(&buffer.as_slice()[offset as usize..offset as usize + bytes.len()], bytes);
        make_view(bytes, index, offset)
    }

    #[test]
    fn keys_tell_inline_and_stored_values_apart() {
        let buffer = Buffer::from_vec(b"{\"a\":\"a long enough value\"}".to_vec());
        let inline = make_view(b"{}", 0, 0);
        let stored = stored_view(buffer.as_slice(), &buffer, 0, 0);
        assert!(matches!(Memo::key(inline, &[]), Some(Key::Inline(v)) if v == inline));
        assert!(matches!(Memo::key(stored, std::slice::from_ref(&buffer)), Some(Key::Stored(_))));
        // A view into a buffer the array does not have has no key.
        assert!(Memo::key(stored, &[]).is_none());
    }

    #[test]
    fn results_are_remembered_across_batches_and_forgotten_with_their_row_group() {
        let text = b"{\"Name\":\"a value over twelve bytes\"}";
        let group1 = Buffer::from_vec(text.to_vec());
        let group2 = Buffer::from_vec(text.to_vec());
        let view = stored_view(text, &group1, 0, 0);
        let data = std::slice::from_ref(&group1);
        let mut memo = Memo::default();
        let key = Memo::key(view, data).expect("a key");
        assert!(memo.get(key).is_none());
        let out = memo.put(Some(key), view, data, b"a value over twelve bytes", true).expect("put");
        memo.begin_batch(data);
        let chunks = memo.finish_batch();
        assert_eq!(chunks.len(), 1);
        assert_eq!(&chunks[0].as_slice()[..25], b"a value over twelve bytes");
        // The next batch of the same row group: the same view, remembered.
        memo.begin_batch(data);
        assert_eq!(memo.get(key), Some((out, true)));
        assert_eq!(memo.finish_batch().len(), 1);
        // The next row group's buffer: the memo forgets the first.
        let data2 = std::slice::from_ref(&group2);
        let view2 = stored_view(text, &group2, 0, 0);
        let key2 = Memo::key(view2, data2).expect("a key");
        memo.begin_batch(data2);
        assert!(memo.get(key).is_none(), "the first row group's result is forgotten");
        assert!(memo.get(key2).is_none());
        memo.put(Some(key2), view2, data2, b"", false).expect("put");
        memo.finish_batch();
        memo.begin_batch(data2);
        assert!(matches!(memo.get(key2), Some((_, false))));
    }

    #[test]
    fn a_memo_that_seldom_hits_remembers_one_batch_only() {
        let mut memo = Memo::default();
        for i in 0..PROBATION {
            let view = make_view(&i.to_le_bytes(), 0, 0);
            let key = Memo::key(view, &[]).expect("a key");
            assert!(memo.get(key).is_none());
            memo.put(Some(key), view, &[], b"x", true).expect("put");
        }
        memo.finish_batch();
        assert!(memo.per_batch);
        let view = make_view(&0u64.to_le_bytes(), 0, 0);
        assert!(memo.get(Memo::key(view, &[]).expect("a key")).is_none());
    }

    #[test]
    fn memos_are_taken_by_tag_and_by_the_buffer_they_hold() {
        let memos = Memos::default();
        let b1 = Buffer::from_vec(vec![1u8; 32]);
        let b2 = Buffer::from_vec(vec![2u8; 32]);
        let mut m1 = memos.take(b"t", Some(&b1));
        m1.put(Some(Key::Stored(1)), make_view(&[1u8; 13], 0, 0), std::slice::from_ref(&b1), b"", true).expect("put");
        let mut m2 = memos.take(b"t", Some(&b2));
        m2.put(Some(Key::Stored(2)), make_view(&[2u8; 13], 0, 0), std::slice::from_ref(&b2), b"", true).expect("put");
        memos.give(m1);
        memos.give(m2);
        assert!(memos.take(b"t", Some(&b1)).inputs.iter().any(|b| b.as_ptr() == b1.as_ptr()));
        assert!(memos.take(b"t", Some(&b2)).inputs.iter().any(|b| b.as_ptr() == b2.as_ptr()));
        // Another path's memo is never handed out.
        assert!(memos.take(b"other", Some(&b1)).inputs.is_empty());
    }
}

/// Results per distinct value of dictionaries: a dictionary-encoded row group read as an Arrow
/// dictionary hands every batch the same values (the same buffers), so each distinct value is
/// computed once per row group, and per row only a key is mapped.
#[derive(Default)]
pub(crate) struct DictionaryResults(Mutex<std::collections::VecDeque<DictionaryEntry>>);

struct DictionaryEntry {
    tag: Vec<u8>,
    id: ValuesId,
    /// Holds the input's buffers, so their addresses are not reused while the entry lives.
    _input: datafusion::arrow::array::ArrayData,
    result: datafusion::arrow::array::ArrayRef,
}

/// Where a values array's bytes live: its buffers' addresses, offset and length.
#[derive(PartialEq, Eq)]
struct ValuesId(Vec<usize>, usize, usize);

impl ValuesId {
    fn of(data: &datafusion::arrow::array::ArrayData) -> Self {
        Self(data.buffers().iter().map(|b| b.as_ptr() as usize).collect(), data.offset(), data.len())
    }
}

impl std::fmt::Debug for DictionaryResults {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DictionaryResults")
    }
}

/// Dictionaries remembered by one expression: a few row groups per partition being read.
const MAX_DICTIONARIES: usize = 16;

impl DictionaryResults {
    /// The result for `values` under `tag` (what is computed, e.g. the access path): the
    /// remembered one when these very buffers were seen, else `compute()`, remembered.
    pub(crate) fn get_or(
        &self,
        tag: &[u8],
        values: &datafusion::arrow::array::ArrayRef,
        compute: impl FnOnce() -> datafusion::common::Result<datafusion::arrow::array::ArrayRef>,
    ) -> datafusion::common::Result<datafusion::arrow::array::ArrayRef> {
        let data = values.to_data();
        let id = ValuesId::of(&data);
        if let Ok(entries) = self.0.lock()
            && let Some(e) = entries.iter().find(|e| e.tag == tag && e.id == id)
        {
            return Ok(Arc::clone(&e.result));
        }
        let result = compute()?;
        if let Ok(mut entries) = self.0.lock() {
            if entries.len() >= MAX_DICTIONARIES {
                entries.pop_front();
            }
            entries.push_back(DictionaryEntry { tag: tag.to_vec(), id, _input: data, result: Arc::clone(&result) });
        }
        Ok(result)
    }
}
