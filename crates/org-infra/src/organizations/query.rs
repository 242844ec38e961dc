//! The organization row as read — joined with its owner's public fields and, optionally,
//! one user's membership role and the custom role behind it — and the row lock the
//! ownership and role invariants rely on.
use org_domain::Result;
use org_domain::organizations::{OrgAccess, OrgBasics, OrgSettings, Organization};
use org_domain::roles::{MemberRole, RoleKey};
use sea_orm::sea_query::{Expr, ExprTrait, IntoCondition};
use sea_orm::sqlx::types::Json;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, JoinType, QueryFilter, QuerySelect,
    QueryTrait, RelationTrait, Select, Value,
};
use uuid::Uuid;

use crate::db::columns::{Columns, ReadColumns, from_query_result_by_position};
use crate::db::sql_cache::SqlCache;
use crate::db::{corrupt, db_err, from_db};
use crate::entities::{custom_roles, members, organizations, users};
use crate::organizations::settings::StoredSettings;
use crate::roles::GrantRow;
use crate::users::public;

/// One organization with its owner, and a membership role when one was joined: the columns
/// of [`select`], in its order (read by position, see [`crate::db::columns`]).
#[derive(Debug)]
pub(crate) struct OrgRow {
    id: Uuid,
    name: String,
    slug: String,
    description: Option<String>,
    logo_url: Option<String>,
    timezone: String,
    owner_id: Uuid,
    metadata: serde_json::Value,
    settings: OrgSettings,
    registry_key: String,
    has_active_subscription: bool,
    trial_expiry: Option<time::OffsetDateTime>,
    member_count: i64,
    created_at: time::OffsetDateTime,
    updated_at: time::OffsetDateTime,
    owner_username: String,
    owner_name: Option<String>,
    owner_email: String,
    owner_avatar_url: Option<String>,
    role: Option<String>,
    /// The custom role behind `role` (see [`RoleOf::Optional`]).
    custom: GrantRow,
}

impl ReadColumns for OrgRow {
    fn read(c: &mut Columns<'_>) -> Result<Self, DbErr> {
        Ok(Self {
            id: c.get("id")?,
            name: c.get("name")?,
            slug: c.get("slug")?,
            description: c.get("description")?,
            logo_url: c.get("logo_url")?,
            timezone: c.get("timezone")?,
            owner_id: c.get("owner_id")?,
            metadata: c.get::<Json<serde_json::Value>>("metadata")?.0,
            settings: c.get::<StoredSettings>("settings")?.0,
            registry_key: c.get("registry_key")?,
            has_active_subscription: c.get("has_active_subscription")?,
            trial_expiry: c.get("trial_expiry")?,
            member_count: c.get("member_count")?,
            created_at: c.get("created_at")?,
            updated_at: c.get("updated_at")?,
            owner_username: c.get("owner_username")?,
            owner_name: c.get("owner_name")?,
            owner_email: c.get("owner_email")?,
            owner_avatar_url: c.get("owner_avatar_url")?,
            role: c.get("role")?,
            custom: GrantRow::read(c)?,
        })
    }
}

from_query_result_by_position!(OrgRow);

impl OrgRow {
    /// The org's id.
    pub(crate) fn id(&self) -> Uuid {
        self.id
    }

    /// The slug, to tell a slug match from a name match.
    pub(crate) fn slug(&self) -> &str {
        &self.slug
    }

    /// The organization and the joined role with its custom role, if any.
    pub(crate) fn into_access(mut self) -> Result<OrgAccess> {
        let custom = std::mem::replace(&mut self.custom, GrantRow::NONE);
        let (org, key) = self.into_domain()?;
        Ok(OrgAccess {
            org,
            role: member_role(key, custom)?,
            version: None,
        })
    }

    /// The organization and the joined role.
    pub(crate) fn into_domain(self) -> Result<(Organization, Option<RoleKey>)> {
        let role = role_key(self.role.as_deref())?;
        let org = Organization {
            id: self.id,
            name: self.name,
            slug: self.slug,
            description: self.description,
            logo_url: self.logo_url,
            timezone: self.timezone,
            owner: public(
                self.owner_id,
                self.owner_username,
                self.owner_name,
                self.owner_email,
                self.owner_avatar_url,
            ),
            metadata: self.metadata,
            settings: self.settings,
            registry_key: self.registry_key,
            has_active_subscription: self.has_active_subscription,
            trial_expiry: self.trial_expiry.map(from_db),
            member_count: u64::try_from(self.member_count).unwrap_or_default(),
            created: from_db(self.created_at),
            updated: from_db(self.updated_at),
        };
        Ok((org, role))
    }
}

/// A joined membership role's key, if a membership was joined.
fn role_key(role: Option<&str>) -> Result<Option<RoleKey>> {
    role.map(RoleKey::parse)
        .transpose()
        .map_err(|e| corrupt("role", e))
}

/// The joined membership role with the custom role behind it, if a membership was joined.
fn member_role(key: Option<RoleKey>, custom: GrantRow) -> Result<Option<MemberRole>> {
    let custom = custom.into_grant()?;
    Ok(key.map(|key| MemberRole { key, custom }))
}

/// An organization's [`OrgBasics`] with one user's membership role and the custom role
/// behind it: [`OrgRow`] without the display fields and the owner's profile, for the
/// requests that do not show the org. Read by position: [`Self::COLUMNS`], the role, the
/// custom role's columns.
#[derive(Debug)]
pub(crate) struct OrgBasicsRow {
    id: Uuid,
    owner_id: Uuid,
    settings: OrgSettings,
    member_count: i64,
    role: Option<String>,
    custom: GrantRow,
}

impl OrgBasicsRow {
    /// The org's own columns, in the order [`ReadColumns::read`] reads them.
    pub(crate) const COLUMNS: [organizations::Column; 4] = [
        organizations::Column::Id,
        organizations::Column::OwnerId,
        organizations::Column::Settings,
        organizations::Column::MemberCount,
    ];

    /// The basics and the joined role with its custom role, if any.
    pub(crate) fn into_access(self) -> Result<OrgAccess<OrgBasics>> {
        let role = member_role(role_key(self.role.as_deref())?, self.custom)?;
        Ok(OrgAccess {
            org: OrgBasics {
                id: self.id,
                owner_id: self.owner_id,
                settings: self.settings,
                member_count: u64::try_from(self.member_count).unwrap_or_default(),
            },
            role,
            version: None,
        })
    }
}

impl ReadColumns for OrgBasicsRow {
    fn read(c: &mut Columns<'_>) -> Result<Self, DbErr> {
        Ok(Self {
            id: c.get("id")?,
            owner_id: c.get("owner_id")?,
            settings: c.get::<StoredSettings>("settings")?.0,
            member_count: c.get("member_count")?,
            role: c.get("role")?,
            custom: GrantRow::read(c)?,
        })
    }
}

/// Whose role to join into the rows.
#[derive(Clone, Copy, Debug)]
pub(crate) enum RoleOf {
    /// No membership: `role` is NULL.
    Nobody,
    /// `LEFT JOIN` this user's membership (the org is returned either way) and the custom
    /// role its key names.
    Optional(Uuid),
    /// `INNER JOIN` this user's membership (only their orgs).
    Required(Uuid),
}

impl RoleOf {
    /// The values [`select`] binds for this role, in its order: the NULLs it selects in
    /// place of the columns it does not join, then the user in the membership's join.
    pub(crate) fn values(self) -> Vec<Value> {
        let no_custom_role = no_custom_role_columns().map(|(null, _)| null);
        match self {
            Self::Nobody => std::iter::once(no_role()).chain(no_custom_role).collect(),
            Self::Optional(user) => vec![user.into()],
            Self::Required(user) => no_custom_role.into_iter().chain([user.into()]).collect(),
        }
    }
}

/// `SELECT organizations.*, owner fields, role FROM organizations JOIN users …`; one
/// round trip however the role is joined.
pub(crate) fn select(role_of: RoleOf) -> Select<organizations::Entity> {
    let q = organizations::Entity::find()
        .join(JoinType::InnerJoin, organizations::Relation::Owner.def())
        .column_as(users::Column::Username, "owner_username")
        .column_as(users::Column::Name, "owner_name")
        .column_as(users::Column::Email, "owner_email")
        .column_as(users::Column::AvatarUrl, "owner_avatar_url");
    let membership = |user_id: Uuid| {
        organizations::Relation::Members
            .def()
            .on_condition(move |_org, member| {
                Expr::col((member, members::Column::UserId))
                    .eq(user_id)
                    .into_condition()
            })
    };
    // The custom role a membership's key names: the role itself for a custom key, the
    // shadowing role for a system key (`uq_custom_roles_role_key` backs the join).
    let custom_role = organizations::Relation::CustomRoles
        .def()
        .on_condition(|_org, role| {
            Expr::col((role, custom_roles::Column::RoleKey))
                .equals((members::Entity, members::Column::Role))
                .into_condition()
        });
    match role_of {
        RoleOf::Nobody => no_custom_role(q.expr_as(Expr::value(no_role()), "role")),
        RoleOf::Optional(user) => q
            .join(JoinType::LeftJoin, membership(user))
            .column_as(members::Column::Role, "role")
            .join(JoinType::LeftJoin, custom_role)
            .column_as(custom_roles::Column::Id, "custom_id")
            .column_as(custom_roles::Column::Name, "custom_name")
            .column_as(custom_roles::Column::Permissions, "custom_permissions"),
        RoleOf::Required(user) => no_custom_role(
            q.join(JoinType::InnerJoin, membership(user))
                .column_as(members::Column::Role, "role"),
        ),
    }
}

/// The NULL selected as `role` when no membership is joined.
fn no_role() -> Value {
    Option::<String>::None.into()
}

/// The NULLs selected in place of a membership's custom role, with their names.
fn no_custom_role_columns() -> [(Value, &'static str); 3] {
    [
        (Option::<Uuid>::None.into(), "custom_id"),
        (Option::<String>::None.into(), "custom_name"),
        (
            Option::<serde_json::Value>::None.into(),
            "custom_permissions",
        ),
    ]
}

/// NULL custom role columns, for the listings that do not need them.
fn no_custom_role(q: Select<organizations::Entity>) -> Select<organizations::Entity> {
    no_custom_role_columns()
        .into_iter()
        .fold(q, |q, (null, name)| q.expr_as(Expr::value(null), name))
}

/// Locks an organization's row until the transaction ends (`SELECT … FOR UPDATE` on
/// PostgreSQL; SQLite write transactions already hold the database's single write lock).
/// Every change to an org's owners goes through this lock, so such changes serialize; so
/// do deleting a custom role and every write that makes a membership, invitation or the
/// default role setting name one (`SeaMembers::add` takes it through `count_in`'s UPDATE).
/// A role change between `admin` and `member` does not take it on PostgreSQL (a
/// compare-and-set on the membership's row, `SeaMembers::change_plain_role`); the changes
/// that judge a member's role under this lock lock that row too (`lock_membership`).
pub(crate) async fn lock<C: ConnectionTrait>(
    txn: &C,
    org_id: Uuid,
) -> Result<Option<organizations::Model>> {
    organizations::Entity::find()
        .filter(organizations::Column::Id.eq(org_id))
        .lock_exclusive()
        .one(txn)
        .await
        .map_err(db_err)
}

/// [`lock`] for the writes that need only the org's owner of record (a member's role
/// change or removal, on every `PATCH …/members/{user_id}`): the same row lock, with one
/// column read instead of the whole row (settings and metadata parsed from JSON), its SQL
/// built once.
pub(crate) async fn lock_owner<C: ConnectionTrait>(txn: &C, org_id: Uuid) -> Result<Option<Uuid>> {
    static SQL: SqlCache<1> = SqlCache::new();
    let backend = txn.get_database_backend();
    let stmt = SQL.statement(backend, 0, vec![org_id.into()], || {
        organizations::Entity::find()
            .select_only()
            .column(organizations::Column::OwnerId)
            .filter(organizations::Column::Id.eq(org_id))
            .lock_exclusive()
            .build(backend)
    });
    let Some(row) = txn.query_one_raw(stmt).await.map_err(db_err)? else {
        return Ok(None);
    };
    row.try_get::<Uuid>("", "owner_id")
        .map(Some)
        .map_err(db_err)
}
