//! [`MemberRepository`] on sea-orm.
use std::sync::Arc;

use async_trait::async_trait;
use org_domain::audit::AuditEvent;
use org_domain::members::{Member, MemberFilter, RemovalRules, RoleChangeRules};
use org_domain::pagination::{Page, PageRequest};
use org_domain::ports::MemberRepository;
use org_domain::roles::{MemberRole, RoleKey};
use org_domain::{DomainError, Result};
use sea_orm::sea_query::{Condition, Expr, ExprTrait, Query, UpdateStatement};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Value,
};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::audit;
use crate::db::sql_cache::SqlCache;
use crate::db::versions::{Versioned, WithVersion};
use crate::db::{
    Unique, begin_write, db_err, direct, fetch_limit, from_db, is_fk_violation, known_total,
    on_unique, to_db, versions,
};
use crate::entities::{members, organizations, users};
use crate::organizations::lock_owner;
use crate::roles::{ensure_holdable, unknown_role};
use crate::users::{contains_ci, contains_pattern, user_not_found};

mod owners;
mod plain;
mod query;

pub(crate) use query::get;
use query::{MemberRow, select};

/// The user columns a member search looks in.
const SEARCHED: [users::Column; 3] = [
    users::Column::Name,
    users::Column::Username,
    users::Column::Email,
];

const ALREADY_MEMBER: &[Unique] = &[Unique {
    needle: "",
    code: "already_member",
    detail: "the user is already a member of this organization",
}];

/// Rows of member pages a process keeps ([`Versioned`]): ~300 bytes each, ~6 MiB in all.
const KEPT_ROWS: u64 = 20_000;

/// A member page's key: the org, the filter, the page.
type PageKey = (Uuid, MemberFilter, PageRequest);

/// [`MemberRepository`] on sea-orm.
#[derive(Clone, Debug)]
pub struct SeaMembers {
    db: DatabaseConnection,
    /// Pages with the org version they were read at (see [`crate::db::versions`]).
    pages: Arc<Versioned<PageKey, Page<Member>>>,
}

impl SeaMembers {
    /// The memberships of `db`.
    pub fn new(db: DatabaseConnection) -> Self {
        Self {
            db,
            pages: Arc::new(Versioned::new(KEPT_ROWS)),
        }
    }
}

/// A failed membership insert: a missing user, or one who is already a member.
pub(crate) fn add_err(e: DbErr) -> DomainError {
    if is_fk_violation(&e) {
        return user_not_found();
    }
    on_unique(e, ALREADY_MEMBER)
}

/// Adds `delta` to the org's `member_count`; `false` when the org is gone. On PostgreSQL
/// the UPDATE also locks the org's row until the transaction ends, like `lock`.
pub(crate) async fn count_in(txn: &DatabaseTransaction, org_id: Uuid, delta: i64) -> Result<bool> {
    let res = txn.execute(&count(org_id, delta)).await.map_err(db_err)?;
    Ok(res.rows_affected() > 0)
}

/// The statement adding `delta` to the org's member count.
fn count(org_id: Uuid, delta: i64) -> UpdateStatement {
    let col = organizations::Column::MemberCount;
    organizations::Entity::update_many()
        .col_expr(col, Expr::col(col).add(delta))
        .filter(organizations::Column::Id.eq(org_id))
        .into_query()
}

/// Locks the org (see `lock_owner`) and answers its owner of record: the start of every
/// owner-sensitive change.
async fn lock_org(txn: &DatabaseTransaction, org_id: Uuid) -> Result<Uuid> {
    lock_owner(txn, org_id)
        .await?
        .ok_or_else(|| DomainError::not_found("organization"))
}

/// [`lock_org`], and the membership's row too, for the changes that judge the role a member
/// holds (a role change, a removal): the role they read is the role they replace, also
/// against `SeaMembers::change_plain_role`, which does not take the org's lock — its
/// compare-and-set waits for this row lock and then finds the role changed. One statement
/// (`… INNER JOIN members … FOR UPDATE`, both rows); without a membership only the org
/// is locked, and the read that follows finds no member.
async fn lock_membership(txn: &DatabaseTransaction, org_id: Uuid, user_id: Uuid) -> Result<Uuid> {
    static SQL: SqlCache<1> = SqlCache::new();
    let backend = txn.get_database_backend();
    let stmt = SQL.statement(backend, 0, vec![user_id.into(), org_id.into()], || {
        let (o, m) = (organizations::Entity, members::Entity);
        let mut q = Query::select();
        q.column((o, organizations::Column::OwnerId))
            .from(o)
            .inner_join(
                m,
                Condition::all()
                    .add(
                        Expr::col((m, members::Column::OrganizationId))
                            .equals((o, organizations::Column::Id)),
                    )
                    .add(Expr::col((m, members::Column::UserId)).eq(user_id)),
            )
            .and_where(Expr::col((o, organizations::Column::Id)).eq(org_id))
            .lock_exclusive();
        backend.build(&q)
    });
    match txn.query_one_raw(stmt).await.map_err(db_err)? {
        Some(row) => row.try_get::<Uuid>("", "owner_id").map_err(db_err),
        None => lock_org(txn, org_id).await,
    }
}

#[async_trait]
impl MemberRepository for SeaMembers {
    async fn list(
        &self,
        org_id: Uuid,
        filter: &MemberFilter,
        page: PageRequest,
        known: Option<u64>,
        version: Option<u64>,
    ) -> Result<Page<Member>> {
        let key = (org_id, filter.clone(), page);
        if let Some(kept) = self.pages.get(&key, version.as_ref()) {
            return Ok(kept);
        }
        // Search × role filter.
        static SQL: SqlCache<4> = SqlCache::new();
        let search = filter.search.as_deref().filter(|s| !s.is_empty());
        let filtered = || {
            let mut q = select(org_id);
            if let Some(s) = search {
                q = q.filter(
                    SEARCHED
                        .into_iter()
                        .fold(Condition::any(), |c, col| c.add(contains_ci(col, s))),
                );
            }
            if let Some(role) = filter.role {
                q = q.filter(members::Column::Role.eq(role.to_string()));
            }
            q
        };
        // The org's member count answers an unfiltered listing; else a last page does.
        let fetch = if known.is_some() {
            page.limit()
        } else {
            fetch_limit(page)
        };
        // The org's version (in the select list), then the filter's values.
        let mut values = vec![org_id.into(), org_id.into()];
        if let Some(s) = search {
            let pattern = Value::from(contains_pattern(s));
            values.extend(std::iter::repeat_n(pattern, SEARCHED.len()));
        }
        values.extend(filter.role.map(|r| r.to_string().into()));
        values.extend([fetch.into(), page.offset().into()]);
        let shape = 2 * usize::from(search.is_some()) + usize::from(filter.role.is_some());
        let backend = self.db.get_database_backend();
        let stmt = SQL.statement(backend, shape, values, || {
            filtered()
                .expr_as(versions::of(org_id), "org_version")
                .order_by_asc(members::Column::CreatedAt)
                .order_by_asc(members::Column::UserId)
                .limit(fetch)
                .offset(page.offset())
                .build(backend)
        });
        let mut rows: Vec<WithVersion<MemberRow>> =
            direct::all(&self.db, stmt).await.map_err(db_err)?;
        let read_at = rows.first().map(|r| r.version);
        let (total, counted) = match known.or_else(|| known_total(&mut rows, page)) {
            Some(n) => (n, false),
            None => (filtered().count(&self.db).await.map_err(db_err)?, true),
        };
        let items = rows
            .into_iter()
            .map(|r| r.row.into_domain())
            .collect::<Result<_>>()?;
        let listed = Page::new(items, total, page);
        // Not kept when a second statement (the count) gave the total.
        if !counted {
            self.pages
                .put(key, version.as_ref(), read_at.as_ref(), &listed);
        }
        Ok(listed)
    }

    async fn get(&self, org_id: Uuid, user_id: Uuid) -> Result<Option<Member>> {
        get(&self.db, org_id, user_id).await
    }

    async fn add(
        &self,
        org_id: Uuid,
        user_id: Uuid,
        role: RoleKey,
        at: OffsetDateTime,
        event: &AuditEvent,
    ) -> Result<Member> {
        let txn = begin_write(&self.db).await?;
        if !count_in(&txn, org_id, 1).await? {
            return Err(DomainError::not_found("organization"));
        }
        ensure_holdable(&txn, org_id, role).await?;
        let row = members::ActiveModel {
            organization_id: Set(org_id),
            user_id: Set(user_id),
            role: Set(role.to_string()),
            created_at: Set(to_db(at)),
            updated_at: Set(to_db(at)),
        };
        members::Entity::insert(row)
            .exec_without_returning(&txn)
            .await
            .map_err(add_err)?;
        audit::insert(&txn, event).await?;
        let member = get(&txn, org_id, user_id)
            .await?
            .ok_or_else(|| DomainError::not_found("member"))?;
        txn.commit().await.map_err(db_err)?;
        Ok(member)
    }

    async fn change_role(
        &self,
        org_id: Uuid,
        user_id: Uuid,
        role: RoleKey,
        at: OffsetDateTime,
        rules: &RoleChangeRules,
    ) -> Result<Member> {
        if let Some(member) = self
            .change_plain_role(org_id, user_id, role, at, rules)
            .await?
        {
            return Ok(member);
        }
        let txn = begin_write(&self.db).await?;
        let owner = lock_membership(&txn, org_id, user_id).await?;
        let (mut member, current, custom) = query::with_roles(&txn, org_id, user_id, Some(role))
            .await?
            .ok_or_else(|| DomainError::not_found("member"))?;
        let new = MemberRole { key: role, custom };
        // A custom key the org can hold has its role behind it (as in `ensure_holdable`);
        // the org's lock keeps it from being deleted before the commit.
        if let RoleKey::Custom(id) = role
            && new.custom.is_none()
        {
            return Err(unknown_role(id));
        }
        let Some(event) = rules.decide(&current, &new)? else {
            return Ok(member);
        };
        if current.key.is_owner() && !role.is_owner() {
            owners::ensure_not_last(&txn, org_id).await?;
        }
        // The heir is another owner, whatever this member's row says: it can go first.
        if owner == user_id && !role.is_owner() {
            owners::hand_off(&txn, org_id, user_id).await?;
        }
        // The write and its audit row: one statement of one shape, built once.
        static SQL: SqlCache<1> = SqlCache::new();
        let (key, stamp) = (role.to_string(), to_db(at));
        let values = vec![
            key.clone().into(),
            stamp.into(),
            org_id.into(),
            user_id.into(),
        ];
        let update = || {
            let q = members::Entity::update_many()
                .col_expr(members::Column::Role, Expr::value(key))
                .col_expr(members::Column::UpdatedAt, Expr::value(stamp))
                .filter(members::Column::OrganizationId.eq(org_id))
                .filter(members::Column::UserId.eq(user_id))
                .into_query();
            vec![q.into()]
        };
        audit::insert_after_cached(&txn, &SQL, values, update, &event).await?;
        txn.commit().await.map_err(db_err)?;
        // What the UPDATE wrote, as a read would give it back.
        member.role = role;
        member.updated = from_db(to_db(at));
        Ok(member)
    }

    async fn remove(&self, org_id: Uuid, user_id: Uuid, rules: &RemovalRules) -> Result<()> {
        let txn = begin_write(&self.db).await?;
        let owner = lock_membership(&txn, org_id, user_id).await?;
        let (member, current, _) = query::with_roles(&txn, org_id, user_id, None)
            .await?
            .ok_or_else(|| DomainError::not_found("member"))?;
        let event = rules.decide(&member, &current)?;
        if member.role.is_owner() {
            owners::ensure_not_last(&txn, org_id).await?;
        }
        // The heir is another owner, whatever this member's row says: it can go first. It
        // stays a statement of its own: it writes the org's row, which the count below
        // writes too, and one statement must not write a row twice.
        if owner == user_id {
            owners::hand_off(&txn, org_id, user_id).await?;
        }
        let delete = members::Entity::delete_by_id((org_id, user_id)).into_query();
        audit::insert_after(&txn, vec![delete.into(), count(org_id, -1).into()], &event).await?;
        txn.commit().await.map_err(db_err)
    }
}
