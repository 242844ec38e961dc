//! Listings kept with the org version they were read at (migration 5, `org_versions`).
//!
//! Every committed change to what an org's member and invitation listings show raises the
//! org's counter in the same transaction (triggers). Authentication reads the counter with
//! the credential and the membership, in one statement ([`OrgAccess::version`]); a listing
//! reads it in the listing's own statement ([`of`]), so the rows and the version come from
//! one snapshot. Two snapshots that read the same version saw the same committed changes to
//! those rows (the counter only grows, under its row lock), so a request whose
//! authentication read version `v` may be answered with rows read at `v`: exactly what its
//! own read would return. [`Versioned`] keeps such answers, per process; it never answers a
//! version it was not given, so a change committed by any process is seen by the next
//! request of every process — as strict as reading again, without the read.
//!
//! A listing of one user's orgs spans many orgs: it is kept with the version of each
//! ([`MemberOrgVersions`], read in the listing's statement) and answered when the user's
//! memberships and their orgs' versions — read with the credential ([`member_orgs`]) or,
//! without them, by one statement over an index and the counters ([`of_user`]), far
//! cheaper than the listing — are the same orgs at the same versions.
//!
//! [`OrgAccess::version`]: org_domain::organizations::OrgAccess::version
use std::hash::Hash;
use std::sync::Arc;

use org_domain::organizations::MemberOrgVersions;
use org_domain::pagination::Page;
use quick_cache::Weighter;
use quick_cache::sync::Cache;
use sea_orm::sea_query::{
    Alias, Expr, ExprTrait, IntoColumnRef, Query, SimpleExpr, SubQueryStatement,
};
use sea_orm::{DatabaseConnection, DbBackend, DbErr};
use uuid::Uuid;

use super::columns::{Columns, ReadColumns};
use super::direct;
use super::sql_cache::SqlCache;
use crate::entities::members;

/// The table and its columns, as migration 5 creates them (migration 6 adds `xact` on
/// PostgreSQL, which only the triggers use).
const TABLE: &str = "org_versions";
const ORG: &str = "organization_id";
const VERSION: &str = "version";

/// `(SELECT version FROM org_versions WHERE organization_id = <org>)`: the org's version,
/// NULL before its first change (read as 0). With the org as a value, PostgreSQL runs it
/// once per statement (an init plan), not once per row.
pub(crate) fn of(org_id: Uuid) -> SimpleExpr {
    let mut q = Query::select();
    q.column(Alias::new(VERSION))
        .from(Alias::new(TABLE))
        .and_where(Expr::col(Alias::new(ORG)).eq(org_id));
    SimpleExpr::SubQuery(None, Box::new(SubQueryStatement::SelectStatement(q)))
}

/// The column [`of`] selects, read as a version: NULL (no change yet) is 0.
pub(crate) fn read(c: &mut Columns<'_>, name: &str) -> Result<u64, DbErr> {
    let v: Option<i64> = c.get(name)?;
    Ok(v.map_or(0, |v| u64::try_from(v).unwrap_or_default()))
}

/// A listing row followed by the org's version ([`of`], selected as `org_version`).
pub(crate) struct WithVersion<R> {
    pub(crate) row: R,
    pub(crate) version: u64,
}

impl<R: ReadColumns> ReadColumns for WithVersion<R> {
    fn read(c: &mut Columns<'_>) -> Result<Self, DbErr> {
        Ok(Self {
            row: R::read(c)?,
            version: read(c, "org_version")?,
        })
    }
}

/// `(SELECT version FROM org_versions WHERE organization_id = <column>)`: the version of the
/// org in each row of a listing of several orgs, read in the listing's own statement.
pub(crate) fn of_each(org_id: impl IntoColumnRef) -> SimpleExpr {
    let mut q = Query::select();
    q.column(Alias::new(VERSION))
        .from(Alias::new(TABLE))
        .and_where(Expr::col(Alias::new(ORG)).equals(org_id));
    SimpleExpr::SubQuery(None, Box::new(SubQueryStatement::SelectStatement(q)))
}

/// The versions of `user`'s orgs as of now ([`MemberOrgVersions`]): one statement over the
/// memberships' index and the counters, no org row read. Authentication reads the same
/// with the credential ([`member_orgs`]) for the requests that list them.
///
/// # Errors
/// Storage failure.
pub(crate) async fn of_user(
    db: &DatabaseConnection,
    user: Uuid,
) -> Result<MemberOrgVersions, DbErr> {
    static SQL: SqlCache<1> = SqlCache::new();
    let backend = db.get_database_backend();
    let stmt = SQL.statement(backend, 0, vec![user.into()], || {
        // A join, not `of_each`'s look-up per row: PostgreSQL hashes the user's
        // memberships against the counters (pgbench: 0.228 against 0.260 ms).
        let mut q = Query::select();
        q.column((members::Entity, members::Column::OrganizationId))
            .expr_as(
                Expr::col((Alias::new(TABLE), Alias::new(VERSION))),
                Alias::new("org_version"),
            )
            .from(members::Entity)
            .left_join(
                Alias::new(TABLE),
                Expr::col((Alias::new(TABLE), Alias::new(ORG)))
                    .equals((members::Entity, members::Column::OrganizationId)),
            )
            .and_where(Expr::col((members::Entity, members::Column::UserId)).eq(user));
        backend.build(&q)
    });
    let rows = direct::all::<OrgVersion>(db, stmt).await?;
    Ok(MemberOrgVersions::new(
        rows.into_iter().map(|v| (v.org, v.version)),
    ))
}

/// One row of [`of_user`].
struct OrgVersion {
    org: Uuid,
    version: u64,
}

impl ReadColumns for OrgVersion {
    fn read(c: &mut Columns<'_>) -> Result<Self, DbErr> {
        Ok(Self {
            org: c.get("organization_id")?,
            version: read(c, "org_version")?,
        })
    }
}

/// [`of_user`] as one column of another statement, for the user in `user_id` (a qualified
/// column, `"<table>"."<column>"`): the user's `<org>:<version>` pairs joined by commas, or
/// NULL without a membership; [`parse_member_orgs`] reads it back. The same memberships
/// and counters, read in the snapshot of the statement it is part of (authentication's).
pub(crate) fn member_orgs(backend: DbBackend, user_id: &str) -> SimpleExpr {
    // No placeholder: the statement's values are not moved. PostgreSQL prints a uuid in
    // its hyphenated form, SQLite's `hex` the 16 bytes sea-orm stores; both parse.
    let (agg, org) = match backend {
        DbBackend::Sqlite => ("group_concat", "hex(mo.organization_id)"),
        _ => ("string_agg", "CAST(mo.organization_id AS TEXT)"),
    };
    Expr::cust(format!(
        "(SELECT {agg}({org} || ':' || CAST(COALESCE(mv.{VERSION}, 0) AS TEXT), ',') \
         FROM members mo LEFT JOIN {TABLE} mv ON mv.{ORG} = mo.organization_id \
         WHERE mo.user_id = {user_id})"
    ))
}

/// Reads back the column [`member_orgs`] selects.
///
/// # Errors
/// A pair that is not `<uuid>:<version>`.
pub(crate) fn parse_member_orgs(text: Option<&str>) -> Result<MemberOrgVersions, DbErr> {
    let bad = |pair: &str| DbErr::Type(format!("not an org and its version: '{pair}'"));
    let pairs = text.into_iter().flat_map(|t| t.split(','));
    let orgs = pairs
        .map(|pair| {
            let (org, version) = pair.split_once(':').ok_or_else(|| bad(pair))?;
            let org = Uuid::parse_str(org).map_err(|_| bad(pair))?;
            let version = version.parse::<u64>().map_err(|_| bad(pair))?;
            Ok((org, version))
        })
        .collect::<Result<Vec<_>, DbErr>>()?;
    Ok(MemberOrgVersions::new(orgs))
}

/// How much room a kept answer takes: its rows, plus one for the entry.
pub(crate) trait Weight {
    fn weight(&self) -> u64;
}

impl<T> Weight for Page<T> {
    fn weight(&self) -> u64 {
        self.items.len() as u64 + 1
    }
}

/// A kept answer shared with the callers it is handed to (no copy per answer).
impl<T: Weight> Weight for Arc<T> {
    fn weight(&self) -> u64 {
        T::weight(self)
    }
}

#[derive(Clone)]
struct ByWeight;

impl<K, A, V: Weight> Weighter<K, Entry<A, V>> for ByWeight {
    fn weight(&self, _: &K, e: &Entry<A, V>) -> u64 {
        e.value.weight()
    }
}

#[derive(Clone)]
struct Entry<A, V> {
    version: A,
    value: V,
}

/// Answers kept by key with the version they were read at (`A`: an org's counter, or the
/// counters of a user's orgs, see [`MemberOrgVersions`]); bounded by their total [`Weight`] (rows),
/// least recently and least frequently used first out.
pub(crate) struct Versioned<K, V, A = u64> {
    entries: Cache<K, Entry<A, V>, ByWeight>,
}

impl<K: Eq + Hash + Clone, V: Weight + Clone, A: Eq + Clone> Versioned<K, V, A> {
    /// Room for `rows` rows in all.
    pub(crate) fn new(rows: u64) -> Self {
        let items = usize::try_from(rows / 8).unwrap_or(usize::MAX).max(16);
        Self {
            entries: Cache::with_weighter(items, rows, ByWeight),
        }
    }

    /// The answer kept for `key` if it was read at exactly `version`.
    pub(crate) fn get(&self, key: &K, version: Option<&A>) -> Option<V> {
        let version = version?;
        self.entries
            .get(key)
            .filter(|e| e.version == *version)
            .map(|e| e.value)
    }

    /// Whether an answer is kept for `key`, at any version: worth reading the version for.
    pub(crate) fn holds(&self, key: &K) -> bool {
        self.entries.contains_key(key)
    }

    /// Keeps `value`, read at `read_at`, for `key` (replacing whatever was kept) — only when
    /// that is the version the caller's authentication read (`caller`): then whatever the
    /// caller knew from that read (a total, say) belongs to the same version.
    pub(crate) fn put(&self, key: K, caller: Option<&A>, read_at: Option<&A>, value: &V) {
        if let Some(version) = caller.filter(|v| read_at == Some(*v)) {
            self.keep(key, version.clone(), value);
        }
    }

    /// Keeps `value`, read at `version`, for `key` (replacing whatever was kept).
    pub(crate) fn keep(&self, key: K, version: A, value: &V) {
        let value = value.clone();
        self.entries.insert(key, Entry { version, value });
    }
}

impl<K, V, A> std::fmt::Debug for Versioned<K, V, A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Versioned").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use sea_orm::sea_query::{PostgresQueryBuilder, SqliteQueryBuilder};

    use super::*;

    #[derive(Clone, Debug, PartialEq)]
    struct Rows(Vec<u32>);

    impl Weight for Rows {
        fn weight(&self) -> u64 {
            self.0.len() as u64 + 1
        }
    }

    /// Only what was read at the caller's version is kept; only that version gets it back;
    /// no version gets nothing; a newer read replaces it.
    #[test]
    fn answers_only_the_version_read() {
        let c = Versioned::<u8, Rows>::new(1_000);
        assert_eq!(c.get(&1, Some(&0)), None);
        // Read at another version than the caller's, or with none: not kept.
        c.put(1, Some(&4), Some(&3), &Rows(vec![9]));
        c.put(1, None, Some(&4), &Rows(vec![9]));
        c.put(1, Some(&4), None, &Rows(vec![9]));
        assert_eq!(c.get(&1, Some(&4)), None);
        assert_eq!(c.get(&1, Some(&3)), None);
        c.put(1, Some(&4), Some(&4), &Rows(vec![1, 2]));
        assert_eq!(c.get(&1, Some(&4)), Some(Rows(vec![1, 2])));
        assert_eq!(c.get(&1, Some(&5)), None);
        assert_eq!(c.get(&1, Some(&3)), None);
        assert_eq!(c.get(&1, None), None);
        assert_eq!(c.get(&2, Some(&4)), None);
        c.put(1, Some(&5), Some(&5), &Rows(vec![3]));
        assert_eq!(c.get(&1, Some(&4)), None);
        assert_eq!(c.get(&1, Some(&5)), Some(Rows(vec![3])));
    }

    /// The room is counted in rows: many large answers do not all stay.
    #[test]
    fn bounded_by_rows() {
        let c = Versioned::<u32, Rows>::new(1_000);
        for k in 0..100 {
            c.put(k, Some(&1), Some(&1), &Rows(vec![0; 99]));
        }
        let kept = (0..100).filter(|k| c.get(k, Some(&1)).is_some()).count();
        assert!(
            (1..=10).contains(&kept),
            "{kept} of 100 answers of 100 rows kept"
        );
    }

    /// The version is looked up by the org as a value, on both backends.
    #[test]
    fn the_version_by_value() {
        let org = Uuid::from_u128(9);
        let mut q = Query::select();
        q.expr(of(org));
        let (pg, values) = q.build(PostgresQueryBuilder);
        assert_eq!(
            pg,
            r#"SELECT (SELECT "version" FROM "org_versions" WHERE "organization_id" = $1)"#
        );
        assert_eq!(values.0.len(), 1);
        let (lite, _) = q.build(SqliteQueryBuilder);
        assert!(lite.contains(r#""organization_id" = ?"#), "{lite}");
    }

    /// The column [`member_orgs`] selects reads back on both backends' forms of an org id
    /// (PostgreSQL's hyphenated text, SQLite's hex of the bytes), in any order; NULL (no
    /// membership) is no org, and anything else than `<uuid>:<version>` pairs is refused.
    #[test]
    fn member_orgs_are_read_back() {
        let a = Uuid::from_u128(0x1234_5678_9abc_def0_1122_3344_5566_7788);
        let b = Uuid::from_u128(2);
        let pg = format!("{b}:0,{a}:17");
        let lite = format!(
            "{}:17,{}:0",
            a.simple().to_string().to_uppercase(),
            b.simple()
        );
        let want = MemberOrgVersions::new([(a, 17), (b, 0)]);
        for text in [pg, lite] {
            assert_eq!(parse_member_orgs(Some(&text)).unwrap(), want, "{text}");
        }
        assert_eq!(
            parse_member_orgs(None).unwrap(),
            MemberOrgVersions::default()
        );
        for bad in [
            "",
            "x:1",
            &format!("{a}"),
            &format!("{a}:-1"),
            &format!("{a}:1,"),
        ] {
            assert!(parse_member_orgs(Some(bad)).is_err(), "{bad}");
        }
        // Correlated with the user of the enclosing statement, with no placeholder.
        for backend in [DbBackend::Postgres, DbBackend::Sqlite] {
            let mut q = Query::select();
            q.expr(member_orgs(backend, r#""t"."user_id""#));
            let stmt = backend.build(&q);
            assert!(
                stmt.sql.contains(r#"mo.user_id = "t"."user_id""#),
                "{}",
                stmt.sql
            );
            assert!(stmt.values.is_none_or(|v| v.0.is_empty()), "{}", stmt.sql);
        }
    }
}
