//! The invitation row as read — joined with its organization's name and slug and its
//! inviter's public fields — and the listings, which apply expiry at `now` in SQL.
use org_domain::Result;
use org_domain::invitations::{Invitation, InvitationStatus, InvitedTo};
use org_domain::pagination::{Page, PageRequest};
use org_domain::roles::RoleKey;
use sea_orm::sea_query::Condition;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, JoinType, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, RelationTrait, Select,
};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::db::{corrupt, db_err, fetch_limit, from_db, known_total, to_db};
use crate::entities::invitations::{self, Column as I};
use crate::entities::{organizations, users};
use crate::users::public;

/// An invitation with its organization and inviter.
#[derive(Debug, FromQueryResult)]
pub(super) struct InvitationRow {
    id: Uuid,
    organization_id: Uuid,
    email: String,
    role: String,
    status: String,
    inviter_id: Option<Uuid>,
    expires_at: OffsetDateTime,
    responded_at: Option<OffsetDateTime>,
    created_at: OffsetDateTime,
    updated_at: OffsetDateTime,
    org_name: String,
    org_slug: String,
    inviter_username: Option<String>,
    inviter_name: Option<String>,
    inviter_email: Option<String>,
    inviter_avatar_url: Option<String>,
}

impl InvitationRow {
    /// The invitation with its stored status.
    pub(super) fn into_domain(self) -> Result<Invitation> {
        let inviter = match (self.inviter_id, self.inviter_username, self.inviter_email) {
            (Some(id), Some(username), Some(email)) => Some(public(
                id,
                username,
                self.inviter_name,
                email,
                self.inviter_avatar_url,
            )),
            _ => None,
        };
        Ok(Invitation {
            id: self.id,
            organization: InvitedTo {
                id: self.organization_id,
                name: self.org_name,
                slug: self.org_slug,
            },
            email: self.email,
            role: RoleKey::parse(&self.role).map_err(|e| corrupt("role", e))?,
            status: status(&self.status)?,
            inviter,
            expires_at: from_db(self.expires_at),
            responded_at: self.responded_at.map(from_db),
            created: from_db(self.created_at),
            updated: from_db(self.updated_at),
        })
    }
}

/// A stored status.
pub(super) fn status(s: &str) -> Result<InvitationStatus> {
    InvitationStatus::parse("status", s).map_err(|e| corrupt("invitation status", e))
}

/// `SELECT invitations.*, org and inviter fields FROM invitations JOIN …`.
fn select() -> Select<invitations::Entity> {
    invitations::Entity::find()
        .join(
            JoinType::InnerJoin,
            invitations::Relation::Organization.def(),
        )
        .column_as(organizations::Column::Name, "org_name")
        .column_as(organizations::Column::Slug, "org_slug")
        // The inviter may have been deleted (SET NULL): outer join.
        .join(JoinType::LeftJoin, invitations::Relation::Inviter.def())
        .column_as(users::Column::Username, "inviter_username")
        .column_as(users::Column::Name, "inviter_name")
        .column_as(users::Column::Email, "inviter_email")
        .column_as(users::Column::AvatarUrl, "inviter_avatar_url")
}

/// One invitation with its stored status, on `db` (a connection or the caller's
/// transaction).
pub(super) async fn get<C: ConnectionTrait>(db: &C, id: Uuid) -> Result<Option<Invitation>> {
    one(db, I::Id.eq(id)).await
}

/// The invitation matching `cond` (a unique column), with its stored status.
pub(super) async fn one<C: ConnectionTrait>(
    db: &C,
    cond: impl sea_orm::sea_query::IntoCondition,
) -> Result<Option<Invitation>> {
    select()
        .filter(cond)
        .into_model::<InvitationRow>()
        .one(db)
        .await
        .map_err(db_err)?
        .map(InvitationRow::into_domain)
        .transpose()
}

/// Rows whose status at `now` is `wanted`: a pending row past its expiry is expired.
fn status_at(wanted: InvitationStatus, now: OffsetDateTime) -> Condition {
    let pending = || I::Status.eq(InvitationStatus::Pending.as_str());
    let now = to_db(now);
    match wanted {
        InvitationStatus::Pending => Condition::all().add(pending()).add(I::ExpiresAt.gt(now)),
        InvitationStatus::Expired => Condition::any()
            .add(I::Status.eq(InvitationStatus::Expired.as_str()))
            .add(Condition::all().add(pending()).add(I::ExpiresAt.lte(now))),
        other => Condition::all().add(I::Status.eq(other.as_str())),
    }
}

/// A page of the invitations matching `scope` (an org or a recipient) and, optionally, a
/// status at `now`; newest first, each with its status at `now`.
pub(super) async fn list<C: ConnectionTrait>(
    db: &C,
    scope: Condition,
    wanted: Option<InvitationStatus>,
    now: OffsetDateTime,
    page: PageRequest,
) -> Result<Page<Invitation>> {
    let mut q = select().filter(scope);
    if let Some(s) = wanted {
        q = q.filter(status_at(s, now));
    }
    let mut rows = q
        .clone()
        .order_by_desc(I::CreatedAt)
        .order_by_desc(I::Id)
        .limit(fetch_limit(page))
        .offset(page.offset())
        .into_model::<InvitationRow>()
        .all(db)
        .await
        .map_err(db_err)?;
    let total = match known_total(&mut rows, page) {
        Some(n) => n,
        None => q.count(db).await.map_err(db_err)?,
    };
    let items = rows
        .into_iter()
        .map(|r| {
            let mut inv = r.into_domain()?;
            inv.status = inv.status_at(now);
            Ok(inv)
        })
        .collect::<Result<_>>()?;
    Ok(Page::new(items, total, page))
}
