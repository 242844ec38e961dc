//! A token row and its user in one statement — with one organization and that user's role
//! there for an org-scoped request (`/api/organizations/{id}/…`), which otherwise costs a
//! second round trip for the org ([`OrganizationRepository::access`]), or with the versions
//! of the user's orgs for a listing of them ([`versions::member_orgs`]), which otherwise
//! costs the listing a round trip for them.
//!
//! The organization part is exactly what `access` reads for `OrgRef::Id`: the org joined
//! with its owner's public fields, the user's membership role and the custom role behind
//! it, all `LEFT JOIN`ed so that the token is found whether or not the org exists or the
//! user belongs to it. For [`OrgDetail::Basics`] it is the org's [`OrgBasics`] columns
//! only, without the owner's join: the shape of every org-scoped request that does not
//! show the org, and one join and a dozen columns cheaper for PostgreSQL.
//!
//! [`OrgBasics`]: org_domain::organizations::OrgBasics
//!
//! [`OrganizationRepository::access`]: org_domain::ports::OrganizationRepository::access
use org_domain::Result;
use org_domain::auth::{Preload, TokenHash};
use org_domain::organizations::{MemberOrgVersions, OrgDetail, PreloadedOrg};
use sea_orm::sea_query::{Alias, Condition, Expr, ExprTrait, JoinType, Query, SelectStatement};
use sea_orm::{DatabaseConnection, DbBackend, EntityTrait, IdenStatic, Iterable, Value};
use uuid::Uuid;

use crate::db::columns::{Columns, ReadColumns};
use crate::db::direct;
use crate::db::sql_cache::SqlCache;
use crate::db::versions;
use crate::db::{corrupt, db_err};
use crate::entities::{custom_roles, members, organizations, users};
use crate::organizations::query::{OrgBasicsRow, OrgRow};
use crate::users::UserRow;

/// Table aliases; every column is selected as `<alias>_<column>`.
const TOKEN: &str = "t";
const USER: &str = "u";
const ORG: &str = "o";
const OWNER: &str = "ow";
const MEMBER: &str = "m";
const CUSTOM: &str = "cr";

fn a(name: &str) -> Alias {
    Alias::new(name)
}

/// Every column of `E` under `table`, as `<table>_<column>`.
fn all_columns<E: EntityTrait>(q: &mut SelectStatement, table: &str) {
    columns(q, table, E::Column::iter());
}

/// `columns` under `table`, as `<table>_<column>`.
fn columns<C>(q: &mut SelectStatement, table: &str, columns: impl IntoIterator<Item = C>)
where
    C: IdenStatic + Copy + 'static,
{
    for c in columns {
        q.expr_as(
            Expr::col((a(table), c)),
            a(&format!("{table}_{}", c.as_str())),
        );
    }
}

/// `SELECT t.*, u.<UserRow's columns> [, o.* …] [, <the user's org versions>] FROM <token
/// table> t JOIN users u [LEFT JOIN organizations o ON o.id = <org_id> …] WHERE
/// t.token_hash = <hash>`.
fn statement<E: EntityTrait>(
    backend: DbBackend,
    token_hash: E::Column,
    user_id: E::Column,
    hash: String,
    preload: Option<Preload>,
) -> SelectStatement {
    let mut q = Query::select();
    all_columns::<E>(&mut q, TOKEN);
    // The user without the secrets (password hash, TOTP secret) no request after login
    // needs.
    columns(&mut q, USER, UserRow::COLUMNS);
    q.from_as(E::default(), a(TOKEN)).join_as(
        JoinType::InnerJoin,
        users::Entity,
        a(USER),
        Expr::col((a(USER), users::Column::Id)).equals((a(TOKEN), user_id)),
    );
    match preload {
        None => {}
        Some(Preload::Org(org_id, detail)) => org_part::<E>(&mut q, user_id, org_id, detail),
        Some(Preload::MemberOrgs) => {
            let user = format!(r#""{TOKEN}"."{}""#, user_id.as_str());
            q.expr_as(versions::member_orgs(backend, &user), a("member_orgs"));
        }
    }
    // `token_hash` is unique: at most one row.
    q.and_where(Expr::col((a(TOKEN), token_hash)).eq(hash));
    q
}

/// The org's columns (those [`OrgRow`] reads, or [`OrgBasicsRow`]'s) and joins.
fn org_part<E: EntityTrait>(
    q: &mut SelectStatement,
    user_id: E::Column,
    org_id: Uuid,
    detail: OrgDetail,
) {
    let full = detail == OrgDetail::Full;
    if full {
        all_columns::<organizations::Entity>(q, ORG);
    } else {
        columns(q, ORG, OrgBasicsRow::COLUMNS);
    }
    // The names the rows read after the org's own columns: the owner's profile (`OrgRow`
    // only), then the role and the custom role behind it.
    let owner: [(&str, &str, &str); 4] = [
        (OWNER, users::Column::Username.as_str(), "owner_username"),
        (OWNER, users::Column::Name.as_str(), "owner_name"),
        (OWNER, users::Column::Email.as_str(), "owner_email"),
        (OWNER, users::Column::AvatarUrl.as_str(), "owner_avatar_url"),
    ];
    let role: [(&str, &str, &str); 4] = [
        (MEMBER, members::Column::Role.as_str(), "role"),
        (CUSTOM, custom_roles::Column::Id.as_str(), "custom_id"),
        (CUSTOM, custom_roles::Column::Name.as_str(), "custom_name"),
        (
            CUSTOM,
            custom_roles::Column::Permissions.as_str(),
            "custom_permissions",
        ),
    ];
    let extra = owner.into_iter().filter(|_| full).chain(role);
    for (table, column, name) in extra {
        q.expr_as(
            Expr::col((a(table), a(column))),
            a(&format!("{ORG}_{name}")),
        );
    }
    // The org's listing version, in the same snapshot as the membership it was read with.
    if detail.with_version() {
        q.expr_as(versions::of(org_id), a(&format!("{ORG}_version")));
    }
    q.join_as(
        JoinType::LeftJoin,
        organizations::Entity,
        a(ORG),
        Expr::col((a(ORG), organizations::Column::Id)).eq(org_id),
    );
    if full {
        q.join_as(
            JoinType::LeftJoin,
            users::Entity,
            a(OWNER),
            Expr::col((a(OWNER), users::Column::Id))
                .equals((a(ORG), organizations::Column::OwnerId)),
        );
    }
    q.join_as(
        JoinType::LeftJoin,
        members::Entity,
        a(MEMBER),
        // The org by value, not `= o.id`: PostgreSQL then looks the membership up by
        // its primary key (org, user) instead of scanning all of the user's memberships.
        Condition::all()
            .add(Expr::col((a(MEMBER), members::Column::OrganizationId)).eq(org_id))
            .add(Expr::col((a(MEMBER), members::Column::UserId)).equals((a(TOKEN), user_id))),
    )
    // The custom role the membership's key names (`uq_custom_roles_role_key`).
    .join_as(
        JoinType::LeftJoin,
        custom_roles::Entity,
        a(CUSTOM),
        Condition::all()
            .add(Expr::col((a(CUSTOM), custom_roles::Column::OrganizationId)).eq(org_id))
            .add(
                Expr::col((a(CUSTOM), custom_roles::Column::RoleKey))
                    .equals((a(MEMBER), members::Column::Role)),
            ),
    );
}

/// The statement's values, in the order of their placeholders: the org in its version's
/// subquery (but for the basics alone) and in three joins, then the hash in the `WHERE`.
/// The versions of the user's orgs have no placeholder.
fn values(hash: String, preload: Option<Preload>) -> Vec<Value> {
    match preload {
        Some(Preload::Org(org, detail)) => {
            let joins = if detail.with_version() { 4 } else { 3 };
            let mut v: Vec<Value> = std::iter::repeat_n(org.into(), joins).collect();
            v.push(hash.into());
            v
        }
        None | Some(Preload::MemberOrgs) => vec![hash.into()],
    }
}

/// The statement's shape in the cache: nothing more, the whole org, its basics with the
/// version, its basics, the versions of the user's orgs.
fn shape(preload: Option<Preload>) -> usize {
    match preload {
        None => 0,
        Some(Preload::Org(_, OrgDetail::Full)) => 1,
        Some(Preload::Org(_, OrgDetail::Listed)) => 2,
        Some(Preload::Org(_, OrgDetail::Basics)) => 3,
        Some(Preload::MemberOrgs) => 4,
    }
}

/// The shapes of [`shape`].
pub(super) type Shapes = SqlCache<5>;

/// What was read with the token, by [`Preload`].
#[derive(Debug)]
pub(super) enum Extra {
    /// Without a preload.
    Nothing,
    /// [`Preload::Org`]: the org, `None` when no org has that id.
    Org(Option<PreloadedOrg>),
    /// [`Preload::MemberOrgs`].
    MemberOrgs(MemberOrgVersions),
}

impl Extra {
    /// The org read for [`Preload::Org`].
    ///
    /// # Errors
    /// When the read was for another preload.
    pub(super) fn into_org(self) -> org_domain::Result<Option<PreloadedOrg>> {
        match self {
            Self::Org(org) => Ok(org),
            other => Err(corrupt("preload", format_args!("{other:?} for an org"))),
        }
    }

    /// The versions read for [`Preload::MemberOrgs`].
    ///
    /// # Errors
    /// When the read was for another preload.
    pub(super) fn into_member_orgs(self) -> org_domain::Result<MemberOrgVersions> {
        match self {
            Self::MemberOrgs(v) => Ok(v),
            other => Err(corrupt(
                "preload",
                format_args!("{other:?} for org versions"),
            )),
        }
    }
}

/// The token row `M` (of entity `E`), its user and what `preload` names, by token hash. The
/// row is read by position (see [`crate::db::columns`]): the token's columns, the user's
/// ([`UserRow`]: no secrets), then [`OrgRow`]'s or [`OrgBasicsRow`]'s — all NULL when the
/// org does not exist — or the versions of the user's orgs.
pub(super) async fn find<E>(
    db: &DatabaseConnection,
    cache: &Shapes,
    token_hash: E::Column,
    user_id: E::Column,
    hash: &TokenHash,
    preload: Option<Preload>,
) -> Result<Option<(E::Model, UserRow, Extra)>>
where
    E: EntityTrait,
    E::Model: ReadColumns,
{
    // Building the ~50-column select took more CPU than PostgreSQL spends on it.
    let backend = db.get_database_backend();
    let stmt = cache.statement(
        backend,
        shape(preload),
        values(hash.to_hex(), preload),
        || {
            backend.build(&statement::<E>(
                backend,
                token_hash,
                user_id,
                hash.to_hex(),
                preload,
            ))
        },
    );
    let Some(row) = direct::query_one(db, stmt).await.map_err(db_err)? else {
        return Ok(None);
    };
    let mut cols = Columns::of(&row);
    let token = E::Model::read(&mut cols).map_err(db_err)?;
    let user = UserRow::read(&mut cols).map_err(db_err)?;
    let detail = match preload {
        None => {
            debug_assert!(cols.is_at_end());
            return Ok(Some((token, user, Extra::Nothing)));
        }
        Some(Preload::MemberOrgs) => {
            let text: Option<String> = cols.get("member_orgs").map_err(db_err)?;
            let orgs = versions::parse_member_orgs(text.as_deref()).map_err(db_err)?;
            debug_assert!(cols.is_at_end());
            return Ok(Some((token, user, Extra::MemberOrgs(orgs))));
        }
        Some(Preload::Org(_, detail)) => detail,
    };
    // The org's id decides whether the rest is there; read it without moving on.
    if cols.peek::<Option<Uuid>>("id").map_err(db_err)?.is_none() {
        return Ok(Some((token, user, Extra::Org(None))));
    }
    let access = match detail {
        OrgDetail::Full => {
            let mut access = OrgRow::read(&mut cols).map_err(db_err)?.into_access()?;
            access.version = Some(versions::read(&mut cols, "version").map_err(db_err)?);
            PreloadedOrg::Full(Box::new(access))
        }
        OrgDetail::Listed | OrgDetail::Basics => {
            let mut access = OrgBasicsRow::read(&mut cols)
                .map_err(db_err)?
                .into_access()?;
            if detail.with_version() {
                access.version = Some(versions::read(&mut cols, "version").map_err(db_err)?);
            }
            PreloadedOrg::Basics(access)
        }
    };
    debug_assert!(cols.is_at_end());
    Ok(Some((token, user, Extra::Org(Some(access)))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entities::sessions;

    /// The listed values are those the statement binds, in its order, on both backends and
    /// in every shape (the cache asserts it in debug builds); the user's secrets are not
    /// selected.
    #[test]
    fn values_follow_the_placeholders() {
        let cache = Shapes::new();
        let org = Uuid::from_u128(7);
        for preload in [
            Some(Preload::Org(org, OrgDetail::Full)),
            Some(Preload::Org(org, OrgDetail::Listed)),
            Some(Preload::Org(org, OrgDetail::Basics)),
            Some(Preload::MemberOrgs),
            None,
        ] {
            for backend in [DbBackend::Postgres, DbBackend::Sqlite] {
                let stmt = cache.statement(
                    backend,
                    shape(preload),
                    values("abc".into(), preload),
                    || {
                        backend.build(&statement::<sessions::Entity>(
                            backend,
                            sessions::Column::TokenHash,
                            sessions::Column::UserId,
                            "abc".into(),
                            preload,
                        ))
                    },
                );
                let detail = match preload {
                    Some(Preload::Org(_, detail)) => Some(detail),
                    _ => None,
                };
                assert_eq!(stmt.sql.contains("organizations"), detail.is_some());
                // Only the whole org joins its owner's profile, and only it selects the
                // display fields.
                let full = detail == Some(OrgDetail::Full);
                assert_eq!(stmt.sql.contains(r#""ow""#), full, "{}", stmt.sql);
                assert_eq!(stmt.sql.contains("registry_key"), full, "{}", stmt.sql);
                // The versions: of the org where a listing of it may use them, of the
                // user's orgs (their memberships) for a listing of those.
                let versioned = detail.is_some_and(OrgDetail::with_version);
                let orgs = preload == Some(Preload::MemberOrgs);
                assert_eq!(
                    stmt.sql.contains("org_versions"),
                    versioned || orgs,
                    "{}",
                    stmt.sql
                );
                assert_eq!(stmt.sql.contains("FROM members"), orgs, "{}", stmt.sql);
                for secret in ["password_hash", "totp_secret"] {
                    assert!(!stmt.sql.contains(secret), "{secret} in {}", stmt.sql);
                }
            }
        }
    }
}
