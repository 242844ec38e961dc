//! Offset pagination shared by every list.

/// The largest page a list returns; larger limits are clamped.
pub const MAX_LIMIT: u64 = 100;
/// The page size when the client names none.
pub const DEFAULT_LIMIT: u64 = 20;
/// The largest offset: SQL takes a signed 64-bit `OFFSET`, so larger ones are clamped (the
/// page is empty either way).
pub const MAX_OFFSET: u64 = i64::MAX as u64;

/// A validated page request: `1 ≤ limit ≤ 100`, `0 ≤ offset ≤ i64::MAX`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PageRequest {
    limit: u64,
    offset: u64,
}

impl Default for PageRequest {
    fn default() -> Self {
        Self {
            limit: DEFAULT_LIMIT,
            offset: 0,
        }
    }
}

impl PageRequest {
    /// A page request; `limit` is clamped to [`MAX_LIMIT`] and at least 1, `offset` to
    /// [`MAX_OFFSET`].
    pub fn new(limit: u64, offset: u64) -> Self {
        Self {
            limit: limit.clamp(1, MAX_LIMIT),
            offset: offset.min(MAX_OFFSET),
        }
    }

    /// Rows per page.
    pub fn limit(&self) -> u64 {
        self.limit
    }

    /// Rows skipped.
    pub fn offset(&self) -> u64 {
        self.offset
    }
}

/// One page of a list with the total count of matching rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// The rows of this page.
    pub items: Vec<T>,
    /// All matching rows.
    pub total: u64,
    /// The page size used.
    pub limit: u64,
    /// The offset used.
    pub offset: u64,
}

impl<T> Page<T> {
    /// A page answering `req`.
    pub fn new(items: Vec<T>, total: u64, req: PageRequest) -> Self {
        Self {
            items,
            total,
            limit: req.limit,
            offset: req.offset,
        }
    }

    /// Maps the rows, keeping the counts.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            total: self.total,
            limit: self.limit,
            offset: self.offset,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_and_offsets_are_clamped_to_what_sql_takes() {
        let r = PageRequest::new(0, u64::MAX);
        assert_eq!((r.limit(), r.offset()), (1, MAX_OFFSET));
        let r = PageRequest::new(500, 7);
        assert_eq!((r.limit(), r.offset()), (MAX_LIMIT, 7));
    }
}
