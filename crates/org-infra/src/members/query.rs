//! The membership row as read: joined with the member's public user fields.
use org_domain::Result;
use org_domain::members::Member;
use org_domain::roles::{CustomRoleGrant, MemberRole, RoleKey};
use sea_orm::sea_query::{Alias, Condition, Expr, ExprTrait, SelectStatement, SimpleExpr};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, IdenStatic, JoinType,
    QueryFilter, QuerySelect, QueryTrait, RelationTrait, Select,
};
use uuid::Uuid;

use crate::db::columns::{Columns, ReadColumns, from_query_result_by_position};
use crate::db::sql_cache::SqlCache;
use crate::db::{corrupt, db_err, from_db};
use crate::entities::{custom_roles, members, users};
use crate::roles::GrantRow;
use crate::users::public;

/// A membership with its user's public fields: the columns of [`select`], in its order
/// (read by position, see [`crate::db::columns`]).
#[derive(Debug)]
pub(super) struct MemberRow {
    organization_id: Uuid,
    user_id: Uuid,
    role: String,
    created_at: time::OffsetDateTime,
    updated_at: time::OffsetDateTime,
    username: String,
    name: Option<String>,
    email: String,
    avatar_url: Option<String>,
}

impl ReadColumns for MemberRow {
    fn read(c: &mut Columns<'_>) -> Result<Self, DbErr> {
        Ok(Self {
            organization_id: c.get("organization_id")?,
            user_id: c.get("user_id")?,
            role: c.get("role")?,
            created_at: c.get("created_at")?,
            updated_at: c.get("updated_at")?,
            username: c.get("username")?,
            name: c.get("name")?,
            email: c.get("email")?,
            avatar_url: c.get("avatar_url")?,
        })
    }
}

from_query_result_by_position!(MemberRow);

impl MemberRow {
    pub(super) fn into_domain(self) -> Result<Member> {
        Ok(Member {
            organization_id: self.organization_id,
            role: RoleKey::parse(&self.role).map_err(|e| corrupt("role", e))?,
            user: public(
                self.user_id,
                self.username,
                self.name,
                self.email,
                self.avatar_url,
            ),
            created: from_db(self.created_at),
            updated: from_db(self.updated_at),
        })
    }
}

/// The user's public fields a [`MemberRow`] reads after the membership's columns (all of
/// `members`, in their order), in their order.
pub(super) const USER_COLUMNS: [users::Column; 4] = [
    users::Column::Username,
    users::Column::Name,
    users::Column::Email,
    users::Column::AvatarUrl,
];

/// `SELECT members.*, user fields FROM members JOIN users …` for one org.
pub(super) fn select(org_id: Uuid) -> Select<members::Entity> {
    USER_COLUMNS
        .into_iter()
        .fold(
            members::Entity::find().join(JoinType::InnerJoin, members::Relation::User.def()),
            |q, col| q.column_as(col, col.as_str()),
        )
        .filter(members::Column::OrganizationId.eq(org_id))
}

/// One membership with its user, on `db` (a connection or the caller's transaction).
pub(crate) async fn get<C: ConnectionTrait>(
    db: &C,
    org_id: Uuid,
    user_id: Uuid,
) -> Result<Option<Member>> {
    select(org_id)
        .filter(members::Column::UserId.eq(user_id))
        .into_model::<MemberRow>()
        .one(db)
        .await
        .map_err(db_err)?
        .map(MemberRow::into_domain)
        .transpose()
}

/// A membership with its user and the custom roles behind two keys: the one it holds and a
/// given one (see [`with_roles`]).
#[derive(Debug)]
struct MemberWithRoles {
    member: MemberRow,
    current: GrantRow,
    new: GrantRow,
}

impl ReadColumns for MemberWithRoles {
    fn read(c: &mut Columns<'_>) -> Result<Self, DbErr> {
        Ok(Self {
            member: MemberRow::read(c)?,
            current: GrantRow::read(c)?,
            new: GrantRow::read(c)?,
        })
    }
}

from_query_result_by_position!(MemberWithRoles);

/// One membership with its user and the role it holds, with the custom role behind its key
/// (the role itself, or the one shadowing a system key), and the custom role behind `new`
/// (when given), in one statement.
pub(crate) async fn with_roles<C: ConnectionTrait>(
    db: &C,
    org_id: Uuid,
    user_id: Uuid,
    new: Option<RoleKey>,
) -> Result<Option<(Member, MemberRole, Option<CustomRoleGrant>)>> {
    static SQL: SqlCache<1> = SqlCache::new();
    let key = |k: Option<RoleKey>| k.map(|k| k.to_string());
    // The `new` key in its join, then the membership's org and user.
    let values = vec![key(new).into(), org_id.into(), user_id.into()];
    let backend = db.get_database_backend();
    let stmt = SQL.statement(backend, 0, values, || {
        backend.build(&with_roles_statement(org_id, user_id, key(new)))
    });
    let Some(res) = db.query_one_raw(stmt).await.map_err(db_err)? else {
        return Ok(None);
    };
    let row = MemberWithRoles::from_query_result(&res, "").map_err(db_err)?;
    let member = row.member.into_domain()?;
    let current = MemberRole {
        key: member.role,
        custom: row.current.into_grant()?,
    };
    Ok(Some((member, current, row.new.into_grant()?)))
}

/// [`with_roles`]'s statement.
fn with_roles_statement(org_id: Uuid, user_id: Uuid, new: Option<String>) -> SelectStatement {
    let mut q = select(org_id)
        .filter(members::Column::UserId.eq(user_id))
        .into_query();
    // `<alias>.organization_id = members.organization_id AND <alias>.role_key = <key>`
    // (`uq_custom_roles_role_key`), the key being the membership's or `new`.
    let keys: [(&str, SimpleExpr); 2] = [
        ("cur", Expr::col((members::Entity, members::Column::Role))),
        // `= NULL` matches nothing: no `new`, no custom role.
        ("new", Expr::value(new)),
    ];
    for (prefix, key) in keys {
        let alias = Alias::new(prefix);
        q.join_as(
            JoinType::LeftJoin,
            custom_roles::Entity,
            alias.clone(),
            Condition::all()
                .add(
                    Expr::col((alias.clone(), custom_roles::Column::OrganizationId))
                        .equals((members::Entity, members::Column::OrganizationId)),
                )
                .add(Expr::col((alias.clone(), custom_roles::Column::RoleKey)).eq(key)),
        );
        for (col, name) in [
            (custom_roles::Column::Id, "id"),
            (custom_roles::Column::Name, "name"),
            (custom_roles::Column::Permissions, "permissions"),
        ] {
            q.expr_as(
                Expr::col((alias.clone(), col)),
                Alias::new(format!("{prefix}_{name}")),
            );
        }
    }
    q
}
