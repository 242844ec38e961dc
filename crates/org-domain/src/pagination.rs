//! Offset pagination shared by every list.

/// The largest page a list returns; larger limits are clamped.
pub const MAX_LIMIT: u64 = 100;
/// The largest offset: `i64::MAX`.
pub const MAX_OFFSET: u64 = i64::MAX as u64;
/// The page size when the client names none.
pub const DEFAULT_LIMIT: u64 = 20;

/// A validated page request: `1 ≤ limit ≤ 100`, `offset ≥ 0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
    /// [`MAX_OFFSET`] (SQL stores take signed 64-bit offsets; past it every page is empty
    /// anyway).
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
