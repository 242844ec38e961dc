//! [`OrganizationRepository`] on sea-orm.
use std::sync::Arc;

use async_trait::async_trait;
use org_domain::audit::AuditEvent;
use org_domain::organizations::{
    MemberOrgVersions, OrgAccess, OrgFilter, OrgListing, OrgRef, Organization,
};
use org_domain::pagination::{Page, PageRequest};
use org_domain::ports::OrganizationRepository;
use org_domain::roles::{RoleKey, SystemRole};
use org_domain::{DomainError, Result};
use sea_orm::sea_query::{Condition, Expr, SimpleExpr};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, NotSet,
    Order, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Value,
};
use uuid::Uuid;

use crate::audit;
use crate::db::sql_cache::SqlCache;
use crate::db::versions::{Versioned, WithVersion};
use crate::db::{
    Unique, begin_write, corrupt, db_err, direct, fetch_limit, is_fk_violation, known_total,
    on_unique, to_db, versions,
};
use crate::entities::{members, organizations, users};
use crate::roles::holdable;
use crate::users::{contains_ci, contains_pattern, user_not_found};

pub(crate) mod query;
mod settings;
mod transfer;

use query::{OrgRow, RoleOf, select};
pub(crate) use query::{lock, lock_owner};

/// The columns an organization search looks in.
const SEARCHED: [organizations::Column; 2] =
    [organizations::Column::Name, organizations::Column::Slug];

const SLUG_OR_ID_TAKEN: &[Unique] = &[
    Unique {
        needle: "slug",
        code: "slug_taken",
        detail: "an organization with this slug already exists",
    },
    Unique {
        needle: "",
        code: "id_taken",
        detail: "an organization with this id already exists",
    },
];

/// Rows of a user's org listings a process keeps ([`Versioned`]): ~1 KiB each.
const KEPT_ROWS: u64 = 5_000;

/// A listing of one user's orgs: the user, the page (always a first page).
type ListKey = (Uuid, PageRequest);

/// [`OrganizationRepository`] on sea-orm.
#[derive(Clone, Debug)]
pub struct SeaOrganizations {
    db: DatabaseConnection,
    /// A user's whole org listings with the versions of the orgs they were read at (see
    /// [`crate::db::versions`]).
    kept: Arc<Versioned<ListKey, OrgListing, MemberOrgVersions>>,
}

impl SeaOrganizations {
    /// The organizations of `db`.
    pub fn new(db: DatabaseConnection) -> Self {
        Self {
            db,
            kept: Arc::new(Versioned::new(KEPT_ROWS)),
        }
    }
}

/// The columns of `org` that `insert` and `update` write (not the owner or the count,
/// which have their own rules).
fn fields(org: &Organization) -> Result<organizations::ActiveModel> {
    let settings = serde_json::to_value(&org.settings).map_err(|e| corrupt("settings", e))?;
    Ok(organizations::ActiveModel {
        id: NotSet,
        name: Set(org.name.clone()),
        slug: Set(org.slug.clone()),
        description: Set(org.description.clone()),
        logo_url: Set(org.logo_url.clone()),
        timezone: Set(org.timezone.clone()),
        owner_id: NotSet,
        metadata: Set(org.metadata.clone()),
        settings: Set(settings),
        registry_key: Set(org.registry_key.clone()),
        has_active_subscription: Set(org.has_active_subscription),
        trial_expiry: Set(org.trial_expiry.map(to_db)),
        member_count: NotSet,
        created_at: NotSet,
        updated_at: Set(to_db(org.updated)),
    })
}

/// Refuses a `default_role_id` naming a custom role the org does not have; run under the
/// org's lock, which a role's deletion also takes.
async fn default_role_exists(txn: &DatabaseTransaction, org: &Organization) -> Result<()> {
    let key = org.settings.default_role_id.as_deref().map(RoleKey::parse);
    if let Some(Ok(RoleKey::Custom(id))) = key
        && !holdable(txn, org.id, id).await?
    {
        return Err(DomainError::invalid(
            "settings.default_role_id",
            format!("'{id}' is not a role of this organization"),
        ));
    }
    Ok(())
}

#[async_trait]
impl OrganizationRepository for SeaOrganizations {
    async fn insert(
        &self,
        org: &Organization,
        max_owned: Option<u32>,
        event: &AuditEvent,
    ) -> Result<()> {
        let owner = org.owner.id;
        let txn = begin_write(&self.db).await?;
        if let Some(max) = max_owned {
            // Lock the owner so concurrent creations for them queue up behind this count.
            users::Entity::find_by_id(owner)
                .lock_exclusive()
                .one(&txn)
                .await
                .map_err(db_err)?
                .ok_or_else(user_not_found)?;
            let owned = organizations::Entity::find()
                .filter(organizations::Column::OwnerId.eq(owner))
                .count(&txn)
                .await
                .map_err(db_err)?;
            if owned >= u64::from(max) {
                return Err(DomainError::conflict(
                    "organization_limit_exceeded",
                    format!("a user may own at most {max} organizations"),
                ));
            }
        }
        let mut row = fields(org)?;
        row.id = Set(org.id);
        row.owner_id = Set(owner);
        row.member_count = Set(1);
        row.created_at = Set(to_db(org.created));
        organizations::Entity::insert(row)
            .exec_without_returning(&txn)
            .await
            .map_err(|e| {
                if is_fk_violation(&e) {
                    user_not_found()
                } else {
                    on_unique(e, SLUG_OR_ID_TAKEN)
                }
            })?;
        let membership = members::ActiveModel {
            organization_id: Set(org.id),
            user_id: Set(owner),
            role: Set(SystemRole::Owner.key().to_owned()),
            created_at: Set(to_db(org.created)),
            updated_at: Set(to_db(org.created)),
        };
        members::Entity::insert(membership)
            .exec_without_returning(&txn)
            .await
            .map_err(db_err)?;
        audit::insert(&txn, event).await?;
        txn.commit().await.map_err(db_err)
    }

    async fn access(&self, org: &OrgRef, user_id: Uuid) -> Result<Option<OrgAccess>> {
        let row = match org {
            OrgRef::Id(id) => {
                static SQL: SqlCache<1> = SqlCache::new();
                let role_of = RoleOf::Optional(user_id);
                let mut values = role_of.values();
                values.push((*id).into());
                let backend = self.db.get_database_backend();
                let stmt = SQL.statement(backend, 0, values, || {
                    select(role_of)
                        .filter(organizations::Column::Id.eq(*id))
                        .build(backend)
                });
                direct::one(&self.db, stmt).await.map_err(db_err)?
            }
            OrgRef::Key(key) => {
                // The slug match (unique) sorts first; two name matches without one are
                // ambiguous.
                let slug_first: SimpleExpr =
                    Expr::case(organizations::Column::Slug.eq(key.as_str()), 0)
                        .finally(1)
                        .into();
                let mut rows = select(RoleOf::Optional(user_id))
                    .filter(
                        Condition::any()
                            .add(organizations::Column::Slug.eq(key.as_str()))
                            .add(organizations::Column::Name.eq(key.as_str())),
                    )
                    .order_by(slug_first, Order::Asc)
                    .order_by_asc(organizations::Column::Id)
                    .limit(2)
                    .into_model::<OrgRow>()
                    .all(&self.db)
                    .await
                    .map_err(db_err)?;
                if rows.len() > 1 && rows[0].slug() != key {
                    return Err(DomainError::conflict(
                        "ambiguous_organization",
                        format!("several organizations are named '{key}': use the id or slug"),
                    ));
                }
                rows.truncate(1);
                rows.pop()
            }
        };
        row.map(OrgRow::into_access).transpose()
    }

    async fn list(&self, filter: &OrgFilter, page: PageRequest) -> Result<OrgListing> {
        // Membership required or not × search × name filter.
        static SQL: SqlCache<8> = SqlCache::new();
        let role_of = filter.member_of.map_or(RoleOf::Nobody, RoleOf::Required);
        let search = filter.search.as_deref().filter(|s| !s.is_empty());
        // A user's own orgs, neither searched nor named: the one listing that reads its
        // orgs' versions. From the first page, it is kept when the page holds all of them,
        // and answered while none of their versions changed and the memberships are the
        // same (see `MemberOrgVersions`): as authentication read them with the credential
        // (`filter.read_at`), or else as read here.
        let versioned = filter.member_of.is_some() && search.is_none() && filter.name.is_none();
        let key = filter
            .member_of
            .filter(|_| versioned && page.offset() == 0)
            .map(|user| (user, page));
        if let Some(key) = &key
            && self.kept.holds(key)
        {
            let read;
            let now = match filter.read_at.as_deref() {
                Some(at) => at,
                None => {
                    read = versions::of_user(&self.db, key.0).await.map_err(db_err)?;
                    &read
                }
            };
            if let Some(kept) = self.kept.get(key, Some(now)) {
                return Ok(kept);
            }
        }
        let filtered = || {
            let mut q = select(role_of);
            if let Some(s) = search {
                q = q.filter(
                    SEARCHED
                        .into_iter()
                        .fold(Condition::any(), |c, col| c.add(contains_ci(col, s))),
                );
            }
            if let Some(name) = &filter.name {
                q = q.filter(organizations::Column::Name.eq(name.as_str()));
            }
            q
        };
        let mut values = role_of.values();
        if let Some(s) = search {
            let pattern = Value::from(contains_pattern(s));
            values.extend(std::iter::repeat_n(pattern, SEARCHED.len()));
        }
        values.extend(filter.name.as_deref().map(Value::from));
        values.extend([fetch_limit(page).into(), page.offset().into()]);
        let shape = 4 * usize::from(filter.member_of.is_some())
            + 2 * usize::from(search.is_some())
            + usize::from(filter.name.is_some());
        let backend = self.db.get_database_backend();
        let stmt = SQL.statement(backend, shape, values, || {
            let version = if versioned {
                versions::of_each((organizations::Entity, organizations::Column::Id))
            } else {
                Expr::cust("CAST(NULL AS BIGINT)")
            };
            filtered()
                .expr_as(version, "org_version")
                .order_by_asc(organizations::Column::Name)
                .order_by_asc(organizations::Column::Id)
                .limit(fetch_limit(page))
                .offset(page.offset())
                .build(backend)
        });
        let mut rows: Vec<WithVersion<OrgRow>> =
            direct::all(&self.db, stmt).await.map_err(db_err)?;
        let known = known_total(&mut rows, page);
        let total = match known {
            Some(n) => n,
            None => filtered().count(&self.db).await.map_err(db_err)?,
        };
        // A first page whose total needed no count holds all of the user's orgs.
        let read_at = key.filter(|_| known.is_some()).map(|key| {
            (
                key,
                MemberOrgVersions::new(rows.iter().map(|r| (r.row.id(), r.version))),
            )
        });
        // Collected into a `Vec` of the rows' length: a `Result` collect cannot know it, and
        // grew the page of 100 orgs through six copies.
        let mut items = Vec::with_capacity(rows.len());
        for row in rows {
            items.push(row.row.into_domain()?);
        }
        let listed = Arc::new(Page::new(items, total, page));
        if let Some((key, at)) = read_at {
            self.kept.keep(key, at, &listed);
        }
        Ok(listed)
    }

    async fn update(
        &self,
        org: &Organization,
        previous_owner: Uuid,
        event: &AuditEvent,
    ) -> Result<()> {
        let txn = begin_write(&self.db).await?;
        lock(&txn, org.id)
            .await?
            .ok_or_else(|| DomainError::not_found("organization"))?;
        default_role_exists(&txn, org).await?;
        let mut row = fields(org)?;
        if org.owner.id != previous_owner {
            transfer::ownership(&txn, org.id, previous_owner, org.owner.id, org.updated).await?;
            row.owner_id = Set(org.owner.id);
        }
        organizations::Entity::update_many()
            .set(row)
            .filter(organizations::Column::Id.eq(org.id))
            .exec(&txn)
            .await
            .map_err(|e| on_unique(e, SLUG_OR_ID_TAKEN))?;
        audit::insert(&txn, event).await?;
        txn.commit().await.map_err(db_err)
    }

    async fn delete(&self, org_id: Uuid, event: &AuditEvent) -> Result<()> {
        let txn = begin_write(&self.db).await?;
        // Memberships and bound API keys go by cascade; sessions forget it (SET NULL).
        let res = organizations::Entity::delete_by_id(org_id)
            .exec(&txn)
            .await
            .map_err(db_err)?;
        if res.rows_affected == 0 {
            return Err(DomainError::not_found("organization"));
        }
        audit::insert(&txn, event).await?;
        txn.commit().await.map_err(db_err)
    }
}
