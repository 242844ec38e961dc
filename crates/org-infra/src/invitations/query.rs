//! The invitation row as read — joined with its organization's name and slug and its
//! inviter's public fields — and the listings, which apply expiry at `now` in SQL.
use org_domain::Result;
use org_domain::invitations::{Invitation, InvitationStatus, InvitedTo};
use org_domain::pagination::{Page, PageRequest};
use org_domain::roles::RoleKey;
use sea_orm::sea_query::{Condition, Expr, SimpleExpr};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, JoinType, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, QueryTrait, RelationTrait, Select, Value,
};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::db::columns::{Columns, ReadColumns, from_query_result_by_position};
use crate::db::sql_cache::SqlCache;
use crate::db::versions::{self, WithVersion};
use crate::db::{corrupt, db_err, direct, fetch_limit, from_db, known_total, to_db};
use crate::entities::invitations::{self, Column as I};
use crate::entities::{organizations, users};
use crate::users::public;

/// An invitation with its organization and inviter: the columns of [`select`], in its
/// order (read by position, see [`crate::db::columns`]).
#[derive(Debug)]
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

impl ReadColumns for InvitationRow {
    fn read(c: &mut Columns<'_>) -> Result<Self, DbErr> {
        Ok(Self {
            id: c.get("id")?,
            organization_id: c.get("organization_id")?,
            email: c.get("email")?,
            role: c.get("role")?,
            status: c.get("status")?,
            inviter_id: c.get("inviter_id")?,
            expires_at: c.get("expires_at")?,
            responded_at: c.get("responded_at")?,
            created_at: c.get("created_at")?,
            updated_at: c.get("updated_at")?,
            org_name: c.get("org_name")?,
            org_slug: c.get("org_slug")?,
            inviter_username: c.get("inviter_username")?,
            inviter_name: c.get("inviter_name")?,
            inviter_email: c.get("inviter_email")?,
            inviter_avatar_url: c.get("inviter_avatar_url")?,
        })
    }
}

from_query_result_by_position!(InvitationRow);

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

/// `SELECT <the invitation's columns but its token hash>, org and inviter fields FROM
/// invitations JOIN …`: [`InvitationRow`]'s columns in its order.
fn select() -> Select<invitations::Entity> {
    invitations::Entity::find()
        .select_only()
        .columns([
            I::Id,
            I::OrganizationId,
            I::Email,
            I::Role,
            I::Status,
            I::InviterId,
            I::ExpiresAt,
            I::RespondedAt,
            I::CreatedAt,
            I::UpdatedAt,
        ])
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

/// Whose invitations a listing shows.
#[derive(Clone, Copy)]
pub(super) enum Scope<'a> {
    /// An organization's.
    Org(Uuid),
    /// Those sent to a (normalized) email address.
    Email(&'a str),
}

impl Scope<'_> {
    fn condition(self) -> Condition {
        match self {
            Self::Org(id) => Condition::all().add(I::OrganizationId.eq(id)),
            Self::Email(email) => Condition::all().add(I::Email.eq(email)),
        }
    }

    fn value(self) -> Value {
        match self {
            Self::Org(id) => id.into(),
            Self::Email(email) => email.into(),
        }
    }

    /// The select list's last column, `org_version`: the org's version for an org's
    /// listing ([`versions::of`], the org as its value), 0 across orgs.
    fn version(self) -> (SimpleExpr, Option<Value>) {
        match self {
            Self::Org(id) => (versions::of(id), Some(id.into())),
            Self::Email(_) => (Expr::cust("CAST(0 AS BIGINT)"), None),
        }
    }
}

/// A listing as read: the page, the org version its rows were read at (an org's listing
/// with rows), and whether its total took a second statement.
pub(super) struct Listed {
    pub(super) page: Page<Invitation>,
    pub(super) read_at: Option<u64>,
    pub(super) counted: bool,
}

/// The values of [`status_at`], in its order.
fn status_values(wanted: InvitationStatus, now: OffsetDateTime) -> Vec<Value> {
    let now = to_db(now);
    match wanted {
        InvitationStatus::Pending => vec![wanted.as_str().into(), now.into()],
        InvitationStatus::Expired => vec![
            wanted.as_str().into(),
            InvitationStatus::Pending.as_str().into(),
            now.into(),
        ],
        other => vec![other.as_str().into()],
    }
}

/// A page of the invitations matching `scope` and, optionally, a status at `now`; newest
/// first, each with its status at `now`.
pub(super) async fn list(
    db: &DatabaseConnection,
    scope: Scope<'_>,
    wanted: Option<InvitationStatus>,
    now: OffsetDateTime,
    page: PageRequest,
) -> Result<Listed> {
    // Scope × status condition (none, pending, expired, one stored status).
    static SQL: SqlCache<8> = SqlCache::new();
    let filtered = || {
        let q = select().filter(scope.condition());
        match wanted {
            Some(s) => q.filter(status_at(s, now)),
            None => q,
        }
    };
    let shape = 4 * usize::from(matches!(scope, Scope::Email(_)))
        + match wanted {
            None => 0,
            Some(InvitationStatus::Pending) => 1,
            Some(InvitationStatus::Expired) => 2,
            Some(_) => 3,
        };
    let (version, version_value) = scope.version();
    let mut values: Vec<Value> = version_value.into_iter().collect();
    values.push(scope.value());
    values.extend(wanted.map(|s| status_values(s, now)).unwrap_or_default());
    values.extend([fetch_limit(page).into(), page.offset().into()]);
    let backend = db.get_database_backend();
    let stmt = SQL.statement(backend, shape, values, || {
        filtered()
            .expr_as(version, "org_version")
            .order_by_desc(I::CreatedAt)
            .order_by_desc(I::Id)
            .limit(fetch_limit(page))
            .offset(page.offset())
            .build(backend)
    });
    let mut rows: Vec<WithVersion<InvitationRow>> = direct::all(db, stmt).await.map_err(db_err)?;
    let read_at = match scope {
        Scope::Org(_) => rows.first().map(|r| r.version),
        Scope::Email(_) => None,
    };
    let (total, counted) = match known_total(&mut rows, page) {
        Some(n) => (n, false),
        None => (filtered().count(db).await.map_err(db_err)?, true),
    };
    let items = rows
        .into_iter()
        .map(|r| {
            let mut inv = r.row.into_domain()?;
            inv.status = inv.status_at(now);
            Ok(inv)
        })
        .collect::<Result<_>>()?;
    Ok(Listed {
        page: Page::new(items, total, page),
        read_at,
        counted,
    })
}
