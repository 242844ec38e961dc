//! Answers rendered once per shared value.
//!
//! An adapter that keeps a listing hands the same `Arc` to every request it answers with
//! it, and never changes it ([`org_domain::organizations::OrgListing`]); a changed listing
//! is a new `Arc`. The JSON of such a value is therefore the same for as long as the same
//! allocation comes back, and [`Rendered`] keeps it by the allocation's address. An entry
//! holds a [`Weak`] of the value: it frees the value's contents with its last `Arc` but
//! keeps the allocation itself, so no other value can be allocated at a kept address —
//! the address names one value for as long as anything is kept for it. Nor can the value
//! change there: with a `Weak` out, `Arc::get_mut` refuses and `Arc::make_mut` moves the
//! contents to a new allocation. A `Rendered` serves one rendering (one closure): the
//! text kept is that rendering's of the value.
use std::sync::{Arc, Weak};

use actix_web::web::Bytes;
use actix_web::{HttpResponse, HttpResponseBuilder};
use quick_cache::Weighter;
use quick_cache::sync::Cache;
use serde::Serialize;

use crate::json;

/// The JSON texts of shared values, by the values' addresses; bounded by the texts' total
/// length, least recently and least frequently used first out.
pub struct Rendered<T> {
    texts: Cache<usize, Text<T>, ByLen>,
}

#[derive(Clone)]
struct Text<T> {
    /// Keeps the address from being reused while the entry lives.
    _value: Weak<T>,
    json: Bytes,
}

#[derive(Clone)]
struct ByLen;

impl<T> Weighter<usize, Text<T>> for ByLen {
    fn weight(&self, _: &usize, t: &Text<T>) -> u64 {
        t.json.len() as u64 + 64
    }
}

impl<T: Clone + Send + Sync> Rendered<T> {
    /// Room for `bytes` bytes of JSON text.
    pub fn new(bytes: u64) -> Self {
        let items = usize::try_from(bytes / (16 * 1024))
            .unwrap_or(usize::MAX)
            .max(16);
        Self {
            texts: Cache::with_weighter(items, bytes, ByLen),
        }
    }

    /// Answers `render(value)` as JSON ([`json::large`]); rendered once while `value`'s
    /// allocation is shared with whoever keeps it. A value nobody else holds is answered
    /// and not kept: no later request can bring it back.
    pub fn answer<B: Serialize>(
        &self,
        res: HttpResponseBuilder,
        value: Arc<T>,
        render: impl FnOnce(T) -> B,
    ) -> HttpResponse {
        match self.text(value, render) {
            Ok(json) => json::large_answer(res, json),
            Err(e) => HttpResponse::from_error(e),
        }
    }

    fn text<B: Serialize>(
        &self,
        value: Arc<T>,
        render: impl FnOnce(T) -> B,
    ) -> Result<Bytes, actix_web::error::JsonPayloadError> {
        let address = Arc::as_ptr(&value) as usize;
        if let Some(kept) = self.texts.get(&address) {
            return Ok(kept.json);
        }
        let kept = (Arc::strong_count(&value) > 1).then(|| Arc::downgrade(&value));
        let json = Bytes::from(json::large_text(&render(Arc::unwrap_or_clone(value)))?);
        if let Some(value) = kept {
            self.texts.insert(
                address,
                Text {
                    _value: value,
                    json: json.clone(),
                },
            );
        }
        Ok(json)
    }
}

impl<T> std::fmt::Debug for Rendered<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rendered").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;

    /// Renders `value` through `r`, counting the renders in `n`.
    fn text(r: &Rendered<Vec<u32>>, value: &Arc<Vec<u32>>, n: &Cell<u32>) -> String {
        let json = r
            .text(Arc::clone(value), |v| {
                n.set(n.get() + 1);
                v
            })
            .unwrap();
        String::from_utf8(json.to_vec()).unwrap()
    }

    /// The same shared value is rendered once; an equal value in another allocation, or the
    /// kept value's successor, is rendered afresh; a value nobody else holds is not kept.
    #[test]
    fn a_shared_value_is_rendered_once_and_only_for_itself() {
        let r = Rendered::new(1 << 20);
        let n = Cell::new(0);
        let kept = Arc::new(vec![1, 2]);
        assert_eq!(text(&r, &kept, &n), "[1,2]");
        assert_eq!(text(&r, &kept, &n), "[1,2]");
        assert_eq!(n.get(), 1, "rendered once");
        let equal = Arc::new(vec![1, 2]);
        assert_eq!(text(&r, &equal, &n), "[1,2]");
        assert_eq!(n.get(), 2, "another allocation is another value");
        // The keeper replaces its value: the old one is gone, the new one rendered.
        drop(kept);
        let next = Arc::new(vec![3]);
        assert_eq!(text(&r, &next, &n), "[3]");
        assert_eq!(text(&r, &next, &n), "[3]");
        assert_eq!(n.get(), 3);
        // Held by nobody else: answered, not kept.
        for _ in 0..2 {
            let json = r.text(Arc::new(vec![4]), |v| {
                n.set(n.get() + 1);
                v
            });
            assert_eq!(&json.unwrap()[..], b"[4]");
        }
        assert_eq!(n.get(), 5);
    }

    /// A freed value's address is never taken for the next value allocated there: the kept
    /// entry holds the allocation until it is evicted.
    #[test]
    fn a_kept_address_is_not_reused() {
        let r = Rendered::new(1 << 20);
        let n = Cell::new(0);
        let mut seen = Vec::new();
        for i in 0..100 {
            let v = Arc::new(vec![i]);
            let keeper = Arc::clone(&v);
            assert_eq!(text(&r, &v, &n), format!("[{i}]"));
            seen.push(Arc::as_ptr(&v) as usize);
            drop((v, keeper));
        }
        assert_eq!(n.get(), 100, "every value rendered for itself");
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), 100, "no address reused while kept");
    }
}
