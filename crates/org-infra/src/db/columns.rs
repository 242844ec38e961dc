//! Reading the hot rows column by column, by position, straight through sqlx.
//!
//! sea-orm's derived `FromQueryResult` looks every column up by a `format!`ed name
//! (`{prefix}{column}`), and reads a NULL as an error whose message it `format!`s before
//! turning it into `None`; JSON columns go through `serde_json::Value`. On the listings
//! that was 40 % of the server's CPU (S4: 100 orgs of 23 columns). [`Columns`] walks a row
//! by index instead and decodes each value with sqlx, JSON straight into its type.
//!
//! The position is the contract: a reader lists the columns in the order its statement
//! selects them. Debug builds (every test) check each column's name against the one the
//! reader expects — the name itself, or ending in `_<name>` for prefixed selects — and its
//! SQL type against the Rust type read from it, so a statement and its reader cannot drift
//! apart unnoticed; release builds trust what the tests checked.
use sea_orm::sqlx::postgres::{PgRow, Postgres};
use sea_orm::sqlx::sqlite::{Sqlite, SqliteRow};
use sea_orm::sqlx::{Decode, Row, Type};
use sea_orm::{DbErr, QueryResult};

/// A value sqlx can decode on both backends.
pub(crate) trait Value:
    for<'r> Decode<'r, Postgres> + Type<Postgres> + for<'r> Decode<'r, Sqlite> + Type<Sqlite>
{
}

impl<T> Value for T where
    T: for<'r> Decode<'r, Postgres> + Type<Postgres> + for<'r> Decode<'r, Sqlite> + Type<Sqlite>
{
}

#[derive(Clone, Copy)]
enum Raw<'a> {
    Postgres(&'a PgRow),
    Sqlite(&'a SqliteRow),
}

/// A cursor over one row's columns.
pub(crate) struct Columns<'a> {
    row: Raw<'a>,
    next: usize,
}

impl<'a> Columns<'a> {
    /// The row's first column.
    ///
    /// # Errors
    /// A row of neither sqlx backend.
    pub(crate) fn new(res: &'a QueryResult) -> Result<Self, DbErr> {
        let row = if let Some(r) = res.try_as_pg_row() {
            Raw::Postgres(r)
        } else if let Some(r) = res.try_as_sqlite_row() {
            Raw::Sqlite(r)
        } else {
            return Err(DbErr::Type("a row of neither PostgreSQL nor SQLite".into()));
        };
        Ok(Self { row, next: 0 })
    }

    /// The next column, which the statement named `name` (or `<prefix>_<name>`).
    ///
    /// # Errors
    /// A value of another type, or NULL for a non-`Option` `T`.
    pub(crate) fn get<T: Value>(&mut self, name: &str) -> Result<T, DbErr> {
        let i = self.next;
        self.next += 1;
        debug_assert!(
            self.name_is(i, name),
            "column {i} is '{}', the reader expected '{name}'",
            self.name(i)
        );
        // Debug builds (every test) also check that the column's SQL type is one `T`
        // decodes, as sqlx's `try_get` does; release builds skip that lookup (two table
        // scans of type ids per value, a fifth of the time spent reading a page of rows)
        // and decode directly: a NULL for a non-`Option` `T`, or bytes `T` cannot read,
        // are still errors.
        #[cfg(debug_assertions)]
        let got = match self.row {
            Raw::Postgres(r) => r.try_get::<T, _>(i),
            Raw::Sqlite(r) => r.try_get::<T, _>(i),
        };
        #[cfg(not(debug_assertions))]
        let got = match self.row {
            Raw::Postgres(r) => r.try_get_unchecked::<T, _>(i),
            Raw::Sqlite(r) => r.try_get_unchecked::<T, _>(i),
        };
        got.map_err(|e| DbErr::Type(format!("column {i} ({name}): {e}")))
    }

    /// The next column, without moving past it.
    ///
    /// # Errors
    /// As [`Columns::get`].
    pub(crate) fn peek<T: Value>(&mut self, name: &str) -> Result<T, DbErr> {
        let v = self.get(name);
        self.next -= 1;
        v
    }

    /// The first column of a row [`direct`](super::direct) read.
    pub(crate) fn of(row: &'a super::direct::Row) -> Self {
        use super::direct::Row;
        let row = match row {
            Row::Postgres(r) => Raw::Postgres(r),
            Row::Sqlite(r) => Raw::Sqlite(r),
        };
        Self { row, next: 0 }
    }

    /// Whether the cursor is past the last column.
    pub(crate) fn is_at_end(&self) -> bool {
        self.next
            == match self.row {
                Raw::Postgres(r) => r.len(),
                Raw::Sqlite(r) => r.len(),
            }
    }

    fn name(&self, i: usize) -> &str {
        use sea_orm::sqlx::Column as _;
        let cols = match self.row {
            Raw::Postgres(r) => r.columns().get(i).map(|c| c.name()),
            Raw::Sqlite(r) => r.columns().get(i).map(|c| c.name()),
        };
        cols.unwrap_or("<past the last column>")
    }

    fn name_is(&self, i: usize, expected: &str) -> bool {
        let actual = self.name(i);
        actual == expected
            || actual
                .strip_suffix(expected)
                .is_some_and(|p| p.ends_with('_'))
    }
}

/// A row type read column by column, in its statement's order.
pub(crate) trait ReadColumns: Sized {
    /// Reads this type's columns from the cursor onwards.
    ///
    /// # Errors
    /// A column of another type, or NULL where the type has none.
    fn read(cols: &mut Columns<'_>) -> Result<Self, DbErr>;
}

/// Implements sea-orm's `FromQueryResult` by [`ReadColumns`] for a row type selected on
/// its own (no prefix: `into_model::<T>()`), so that `Select::into_model` uses it.
macro_rules! from_query_result_by_position {
    ($t:ty) => {
        impl ::sea_orm::FromQueryResult for $t {
            fn from_query_result(
                res: &::sea_orm::QueryResult,
                pre: &str,
            ) -> Result<Self, ::sea_orm::DbErr> {
                debug_assert!(
                    pre.is_empty(),
                    "{} is read by position, without a prefix",
                    stringify!($t)
                );
                let mut cols = $crate::db::columns::Columns::new(res)?;
                let row = <$t as $crate::db::columns::ReadColumns>::read(&mut cols)?;
                debug_assert!(cols.is_at_end(), "{} left columns unread", stringify!($t));
                Ok(row)
            }
        }
    };
}
pub(crate) use from_query_result_by_position;
