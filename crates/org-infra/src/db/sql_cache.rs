//! SQL text built once per statement shape.
//!
//! sea-query builds a statement by assembling a tree (the select, its joins, conditions and
//! orderings, each with its own allocations), cloning it and printing it: on the hot
//! listings that took several times the CPU of reading their rows (callgrind: ~125k
//! instructions to build the pending-invitations statement of `GET
//! /api/organizations/{id}?expand=invitations`, ~20k to run it and read its two rows). The
//! SQL text depends only on the statement's *shape* — which joins, which filters are present
//! — and on the backend, not on the values bound to it; a [`SqlCache`] keeps one text per
//! shape and backend, and the hot path only lists the values.
//!
//! The values must be listed in the order of their placeholders. Debug builds (every test)
//! build the statement on every use and assert that the cached text is what sea-query
//! prints for this shape and that the listed values are what it binds, in its order; release
//! builds build each shape once and trust what the tests checked — as reading columns by
//! position does ([`super::columns`]).
use std::sync::OnceLock;

use sea_orm::{DbBackend, Statement, Value};

/// The SQL of `N` statement shapes, for PostgreSQL and SQLite.
pub(crate) struct SqlCache<const N: usize> {
    postgres: [OnceLock<String>; N],
    sqlite: [OnceLock<String>; N],
}

impl<const N: usize> SqlCache<N> {
    /// Nothing built yet.
    pub(crate) const fn new() -> Self {
        Self {
            postgres: [const { OnceLock::new() }; N],
            sqlite: [const { OnceLock::new() }; N],
        }
    }

    /// The statement `build` builds — of shape `shape` (below `N`; equal shapes must print
    /// equal SQL) — with `values` bound: the cached SQL once `shape` has been built on
    /// `backend`.
    ///
    /// # Panics
    /// In debug builds, when the cached SQL or `values` differ from what `build` builds: a
    /// shape number given to two shapes, or values out of their placeholders' order.
    pub(crate) fn statement(
        &self,
        backend: DbBackend,
        shape: usize,
        values: Vec<Value>,
        build: impl FnOnce() -> Statement,
    ) -> Statement {
        let slot = match backend {
            DbBackend::Postgres => &self.postgres[shape],
            DbBackend::Sqlite => &self.sqlite[shape],
            // orgd builds sea-orm with the two backends above only.
            _ => return build(),
        };
        #[cfg(debug_assertions)]
        let sql = {
            let built = build();
            let sql = slot.get_or_init(|| built.sql.clone()).clone();
            assert_eq!(sql, built.sql, "shape {shape} printed two statements");
            assert_eq!(
                Some(&values[..]),
                built.values.as_ref().map(|v| &v.0[..]),
                "the values of shape {shape} are not its placeholders'"
            );
            sql
        };
        #[cfg(not(debug_assertions))]
        let sql = slot.get_or_init(|| build().sql).clone();
        Statement::from_sql_and_values(backend, sql, values)
    }
}

#[cfg(test)]
mod tests {
    use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};

    use super::*;

    /// `SELECT a FROM t WHERE a = <a> [AND b = <b>]`.
    fn built(backend: DbBackend, a: i32, b: Option<&str>) -> Statement {
        let mut q = Query::select();
        q.column(Alias::new("a"))
            .from(Alias::new("t"))
            .and_where(Expr::col(Alias::new("a")).eq(a));
        if let Some(b) = b {
            q.and_where(Expr::col(Alias::new("b")).eq(b));
        }
        backend.build(&q)
    }

    fn cached(cache: &SqlCache<2>, backend: DbBackend, a: i32, b: Option<&str>) -> Statement {
        let mut values = vec![a.into()];
        values.extend(b.map(Value::from));
        cache.statement(backend, usize::from(b.is_some()), values, || {
            built(backend, a, b)
        })
    }

    /// Each shape on each backend answers what sea-query builds, whichever came first.
    #[test]
    fn shapes_and_backends_are_kept_apart() {
        let cache = SqlCache::<2>::new();
        for _ in 0..2 {
            for backend in [DbBackend::Postgres, DbBackend::Sqlite] {
                for (a, b) in [(1, None), (2, Some("x")), (3, None), (4, Some("y"))] {
                    let got = cached(&cache, backend, a, b);
                    let want = built(backend, a, b);
                    assert_eq!(got.sql, want.sql);
                    assert_eq!(got.values, want.values);
                }
            }
        }
    }

    /// Values out of their placeholders' order are caught by every debug test.
    #[cfg(debug_assertions)]
    #[test]
    #[should_panic(expected = "not its placeholders'")]
    fn values_out_of_order_are_caught() {
        let backend = DbBackend::Postgres;
        SqlCache::<1>::new().statement(backend, 0, vec!["x".into(), 1.into()], || {
            built(backend, 1, Some("x"))
        });
    }

    /// Two shapes given one number are caught too.
    #[cfg(debug_assertions)]
    #[test]
    #[should_panic(expected = "printed two statements")]
    fn one_number_for_two_shapes_is_caught() {
        let backend = DbBackend::Sqlite;
        let cache = SqlCache::<1>::new();
        cache.statement(backend, 0, vec![1.into()], || built(backend, 1, None));
        cache.statement(backend, 0, vec![1.into(), "x".into()], || {
            built(backend, 1, Some("x"))
        });
    }
}
