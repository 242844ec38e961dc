//! Pagination query parameters and the list envelope.
//!
//! `limit` + `offset`, or `page` (from 1) + `page_size` (aliases `pageSize`, `size`).
//! A `limit` over 100 is clamped to 100; `limit` < 1, a negative `offset` or `page` < 1
//! answer `400 bad_request`. An explicit `offset` wins over `page`. Offsets past `i64::MAX`
//! (a huge `page`) are clamped to it: such a page is empty.
use org_domain::pagination::{DEFAULT_LIMIT, MAX_LIMIT, Page, PageRequest};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::ApiError;

/// Pagination parameters of every list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Items per page, 1–100 (larger values are clamped to 100). Default 20.
    #[param(minimum = 1, example = 20)]
    pub limit: Option<i64>,
    /// Items to skip. Default 0.
    #[param(minimum = 0)]
    pub offset: Option<i64>,
    /// Page number from 1; with `page_size`, an alternative to `limit`/`offset`.
    #[param(minimum = 1)]
    pub page: Option<i64>,
    /// Items per page with `page` (aliases `pageSize`, `size`).
    #[serde(alias = "pageSize", alias = "size")]
    #[param(minimum = 1)]
    pub page_size: Option<i64>,
}

impl PageParams {
    /// The validated page request.
    ///
    /// # Errors
    /// `400 bad_request` for `limit`/`page_size` < 1, `offset` < 0 or `page` < 1, whether or
    /// not another parameter takes precedence over the bad one.
    pub fn request(&self) -> Result<PageRequest, ApiError> {
        for (name, value, min) in [
            ("limit", self.limit, 1),
            ("page_size", self.page_size, 1),
            ("offset", self.offset, 0),
            ("page", self.page, 1),
        ] {
            if value.is_some_and(|v| v < min) {
                return Err(ApiError::bad_request(format!(
                    "{name} must be at least {min}"
                )));
            }
        }
        let size = match (self.limit, self.page_size) {
            (Some(l), _) | (None, Some(l)) => l.unsigned_abs().min(MAX_LIMIT),
            (None, None) => DEFAULT_LIMIT,
        };
        let offset = match (self.offset, self.page) {
            (Some(o), _) => o.unsigned_abs(),
            (None, Some(p)) => (p.unsigned_abs() - 1).saturating_mul(size),
            (None, None) => 0,
        };
        Ok(PageRequest::new(size, offset))
    }
}

/// One page of a list.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct PageBody<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// How many items match in all.
    pub total: u64,
    /// The page size used.
    pub limit: u64,
    /// The offset used.
    pub offset: u64,
}

impl<T> PageBody<T> {
    /// Converts a domain page, mapping its items.
    pub fn from_page<U>(page: Page<U>, f: impl FnMut(U) -> T) -> Self {
        let page = page.map(f);
        Self {
            items: page.items,
            total: page.total,
            limit: page.limit,
            offset: page.offset,
        }
    }

    /// Pages an in-memory list.
    pub fn slice(all: Vec<T>, req: PageRequest) -> Self {
        let total = all.len() as u64;
        let items = all
            .into_iter()
            .skip(usize::try_from(req.offset()).unwrap_or(usize::MAX))
            .take(usize::try_from(req.limit()).unwrap_or(usize::MAX))
            .collect();
        Self {
            items,
            total,
            limit: req.limit(),
            offset: req.offset(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(q: &str) -> PageParams {
        actix_web::web::Query::<PageParams>::from_query(q)
            .unwrap()
            .into_inner()
    }

    fn req(q: &str) -> (u64, u64) {
        let r = params(q).request().unwrap();
        (r.limit(), r.offset())
    }

    #[test]
    fn defaults_clamping_and_pages() {
        assert_eq!(req(""), (20, 0));
        assert_eq!(req("limit=5&offset=10"), (5, 10));
        assert_eq!(req("limit=1000"), (100, 0));
        assert_eq!(req("page=1"), (20, 0));
        assert_eq!(req("page=2&page_size=5"), (5, 5));
        assert_eq!(req("page=3&pageSize=10"), (10, 20));
        assert_eq!(req("page=2&size=7"), (7, 7));
        assert_eq!(req("page=2&limit=3"), (3, 3));
        assert_eq!(req("page=4&offset=1&limit=2"), (2, 1));
        assert_eq!(req("page=2&page_size=500"), (100, 100));
        // Offsets stop at what a SQL store can take.
        let max = i64::MAX.unsigned_abs();
        assert_eq!(req(&format!("page={max}&page_size=100")), (100, max));
        assert_eq!(req(&format!("offset={max}")), (20, max));
    }

    #[test]
    fn out_of_range_values_are_bad_requests() {
        for q in [
            "limit=0",
            "limit=-3",
            "offset=-1",
            "page=0",
            "page=-1",
            "page_size=0",
            // Refused even where another parameter would win over them.
            "limit=5&page_size=0",
            "offset=3&page=0",
            "page_size=-2&limit=1",
        ] {
            let e = params(q).request().unwrap_err();
            assert_eq!(e.code(), "bad_request", "{q}");
        }
        assert!(actix_web::web::Query::<PageParams>::from_query("limit=abc").is_err());
    }

    #[test]
    fn in_memory_slices() {
        let p = PageBody::slice((0..5).collect(), PageRequest::new(2, 3));
        assert_eq!((p.items, p.total, p.limit, p.offset), (vec![3, 4], 5, 2, 3));
        let p = PageBody::slice(vec![1], PageRequest::new(2, 9));
        assert!(p.items.is_empty());
    }
}
