//! A role change between `admin` and `member` without the org's lock (PostgreSQL).
//!
//! Nothing the lock protects is at stake in such a change: no owner is made or unmade (the
//! owner of record is always an `owner`), no custom role shadows either key, none must
//! outlive the commit. What the lock gives a role change — the role judged is the role
//! replaced — a compare-and-set gives: [`swap`] writes the new role only where the member
//! still holds the role the change was judged on, and its audit row in the same statement.
//! A role changed meanwhile writes nothing, and the locked path (`lock_membership`, which
//! also locks the membership's row, so a compare-and-set waits for it) decides afresh.
use org_domain::audit::AuditEvent;
use org_domain::members::{Member, RoleChangeRules};
use org_domain::roles::{MemberRole, RoleKey, SystemRole};
use org_domain::{DomainError, Result};
use sea_orm::sea_query::{ColumnRef, Expr, ExprTrait, IntoColumnRef, Query};
use sea_orm::{DatabaseConnection, DbBackend, Iterable};
use time::OffsetDateTime;
use uuid::Uuid;

use super::SeaMembers;
use super::query::{self, MemberRow, USER_COLUMNS};
use crate::audit;
use crate::db::sql_cache::SqlCache;
use crate::db::to_db;
use crate::entities::{custom_roles, members, users};

impl SeaMembers {
    /// `change_role` without the org's lock, on PostgreSQL, for a change to `admin` or
    /// `member`. First unread: a member moving to one of the two can only hold the other
    /// (or it is no such change), so the rules judge that change and [`swap`] tries it —
    /// one round trip. Then, where the member held something else or the rules refused,
    /// read: the same role (nothing to write), a refusal on the role actually held, or the
    /// change judged on it and swapped. `None`: the member holds `owner` or a custom
    /// role, a custom role shadows a key, or the role changed under the compare-and-set —
    /// the locked path decides.
    pub(super) async fn change_plain_role(
        &self,
        org_id: Uuid,
        user_id: Uuid,
        role: RoleKey,
        at: OffsetDateTime,
        rules: &RoleChangeRules,
    ) -> Result<Option<Member>> {
        let RoleKey::System(to) = role else {
            return Ok(None);
        };
        let other = match to {
            SystemRole::Owner => return Ok(None),
            SystemRole::Admin => SystemRole::Member,
            SystemRole::Member => SystemRole::Admin,
        };
        if self.db.get_database_backend() != DbBackend::Postgres {
            return Ok(None);
        }
        let new = MemberRole::system(to);
        if let Ok(Some(event)) = rules.decide(&MemberRole::system(other), &new)
            && let Some(member) = swap(&self.db, org_id, user_id, other, to, at, &event).await?
        {
            return Ok(Some(member));
        }
        let (member, current, custom) = query::with_roles(&self.db, org_id, user_id, Some(role))
            .await?
            .ok_or_else(|| DomainError::not_found("member"))?;
        let RoleKey::System(held) = current.key else {
            return Ok(None);
        };
        if held == SystemRole::Owner || current.custom.is_some() || custom.is_some() {
            return Ok(None);
        }
        let Some(event) = rules.decide(&current, &new)? else {
            return Ok(Some(member));
        };
        swap(&self.db, org_id, user_id, held, to, at, &event).await
    }
}

/// Gives the member `to` where they hold `from` and no custom role of the org shadows
/// either key, with `event` written in the same statement (its own transaction): `WITH w0
/// AS (UPDATE members … FROM users WHERE … AND role = <from> AND NOT EXISTS (<shadow>)
/// RETURNING <the member>), a AS (INSERT INTO audit_events … FROM w0) SELECT * FROM w0`.
/// The member as written, or `None` when nothing was.
async fn swap(
    db: &DatabaseConnection,
    org_id: Uuid,
    user_id: Uuid,
    from: SystemRole,
    to: SystemRole,
    at: OffsetDateTime,
    event: &AuditEvent,
) -> Result<Option<Member>> {
    static SQL: SqlCache<1> = SqlCache::new();
    let (from, to, stamp) = (from.key(), to.key(), to_db(at));
    let values = vec![
        to.into(),
        stamp.into(),
        org_id.into(),
        user_id.into(),
        from.into(),
        org_id.into(),
        from.into(),
        to.into(),
    ];
    let write = || {
        let (m, u, cr) = (members::Entity, users::Entity, custom_roles::Entity);
        let shadow = Query::select()
            .expr(Expr::cust("1"))
            .from(cr)
            .and_where(Expr::col((cr, custom_roles::Column::OrganizationId)).eq(org_id))
            .and_where(Expr::col((cr, custom_roles::Column::RoleKey)).is_in([from, to]))
            .to_owned();
        // The member and its user's public fields, in `MemberRow`'s order (as `select`).
        let returned: Vec<ColumnRef> = members::Column::iter()
            .map(|c| (m, c).into_column_ref())
            .chain(USER_COLUMNS.map(|c| (u, c).into_column_ref()))
            .collect();
        let mut q = Query::update();
        q.table(m)
            .value(members::Column::Role, to)
            .value(members::Column::UpdatedAt, stamp)
            .from(u)
            .and_where(Expr::col((u, users::Column::Id)).equals((m, members::Column::UserId)))
            .and_where(Expr::col((m, members::Column::OrganizationId)).eq(org_id))
            .and_where(Expr::col((m, members::Column::UserId)).eq(user_id))
            .and_where(Expr::col((m, members::Column::Role)).eq(from))
            .and_where(Expr::exists(shadow).not())
            .returning(Query::returning().columns(returned));
        q
    };
    let rows: Vec<MemberRow> = audit::returning_per_row(db, &SQL, values, write, event).await?;
    rows.into_iter()
        .next()
        .map(MemberRow::into_domain)
        .transpose()
}
