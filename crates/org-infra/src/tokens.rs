//! [`TokenRepository`] on sea-orm: sessions and personal API keys, stored by the SHA-256
//! of their token only.
use async_trait::async_trait;
use org_domain::Result;
use org_domain::audit::AuditEvent;
use org_domain::auth::{ApiKey, Preload, Session, TokenHash};
use org_domain::organizations::{MemberOrgVersions, OrgDetail, PreloadedOrg};
use org_domain::permissions::PermissionSet;
use org_domain::ports::TokenRepository;
use org_domain::users::User;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::audit;
use crate::db::{begin_write, corrupt, db_err, from_db, to_db};
use crate::entities::{api_keys, sessions};

mod with_org;

use with_org::{Extra, Shapes};

/// [`TokenRepository`] on sea-orm.
#[derive(Clone, Debug)]
pub struct SeaTokens {
    db: DatabaseConnection,
}

impl SeaTokens {
    /// The sessions and keys of `db`.
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    /// A session by token hash, with its user and what `preload` names: one statement.
    async fn session_row(
        &self,
        h: &TokenHash,
        preload: Option<Preload>,
    ) -> Result<Option<(Session, User, Extra)>> {
        static SQL: Shapes = Shapes::new();
        let row = with_org::find::<sessions::Entity>(
            &self.db,
            &SQL,
            sessions::Column::TokenHash,
            sessions::Column::UserId,
            h,
            preload,
        )
        .await?;
        row.map(|(s, u, extra)| Ok((session(s)?, u.into_domain()?, extra)))
            .transpose()
    }

    /// An API key by token hash, with its user and what `preload` names: one statement.
    async fn api_key_row(
        &self,
        h: &TokenHash,
        preload: Option<Preload>,
    ) -> Result<Option<(ApiKey, User, Extra)>> {
        static SQL: Shapes = Shapes::new();
        let row = with_org::find::<api_keys::Entity>(
            &self.db,
            &SQL,
            api_keys::Column::TokenHash,
            api_keys::Column::UserId,
            h,
            preload,
        )
        .await?;
        row.map(|(k, u, extra)| Ok((api_key(k)?, u.into_domain()?, extra)))
            .transpose()
    }
}

/// A token row with what was preloaded with it taken out by `take` (which refuses what was
/// read for another preload).
fn taking<T, X>(
    row: Option<(T, User, Extra)>,
    take: impl FnOnce(Extra) -> Result<X>,
) -> Result<Option<(T, User, X)>> {
    row.map(|(token, user, extra)| Ok((token, user, take(extra)?)))
        .transpose()
}

fn hash(s: &str) -> Result<TokenHash> {
    TokenHash::from_hex(s).ok_or_else(|| corrupt("token hash", s.len()))
}

fn session(m: sessions::Model) -> Result<Session> {
    Ok(Session {
        id: m.id,
        user_id: m.user_id,
        token_hash: hash(&m.token_hash)?,
        active_organization_id: m.active_organization_id,
        created: from_db(m.created_at),
        expires_at: from_db(m.expires_at),
    })
}

fn api_key(m: api_keys::Model) -> Result<ApiKey> {
    let names: Vec<String> = serde_json::from_str(&m.scopes).map_err(|e| corrupt("scopes", e))?;
    Ok(ApiKey {
        id: m.id,
        user_id: m.user_id,
        name: m.name,
        prefix: m.prefix,
        token_hash: hash(&m.token_hash)?,
        scopes: PermissionSet::parse_list("scopes", &names).map_err(|e| corrupt("scopes", e))?,
        organization_id: m.organization_id,
        expires_at: m.expires_at.map(from_db),
        last_used_at: m.last_used_at.map(from_db),
        created: from_db(m.created_at),
    })
}

#[async_trait]
impl TokenRepository for SeaTokens {
    async fn insert_session(&self, s: &Session) -> Result<()> {
        let row = sessions::ActiveModel {
            id: Set(s.id),
            user_id: Set(s.user_id),
            token_hash: Set(s.token_hash.to_hex()),
            active_organization_id: Set(s.active_organization_id),
            created_at: Set(to_db(s.created)),
            expires_at: Set(to_db(s.expires_at)),
        };
        sessions::Entity::insert(row)
            .exec_without_returning(&self.db)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn find_session(&self, h: &TokenHash) -> Result<Option<(Session, User)>> {
        Ok(self.session_row(h, None).await?.map(|(s, u, _)| (s, u)))
    }

    async fn find_session_in(
        &self,
        h: &TokenHash,
        org_id: Uuid,
        detail: OrgDetail,
    ) -> Result<Option<(Session, User, Option<PreloadedOrg>)>> {
        let row = self.session_row(h, Some(Preload::Org(org_id, detail)));
        taking(row.await?, Extra::into_org)
    }

    async fn find_session_with_orgs(
        &self,
        h: &TokenHash,
    ) -> Result<Option<(Session, User, MemberOrgVersions)>> {
        let row = self.session_row(h, Some(Preload::MemberOrgs));
        taking(row.await?, Extra::into_member_orgs)
    }

    async fn delete_session(&self, id: Uuid) -> Result<()> {
        sessions::Entity::delete_by_id(id)
            .exec(&self.db)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn set_active_organization(&self, session_id: Uuid, org_id: Option<Uuid>) -> Result<()> {
        sessions::Entity::update_many()
            .col_expr(
                sessions::Column::ActiveOrganizationId,
                sea_orm::sea_query::Expr::value(org_id),
            )
            .filter(sessions::Column::Id.eq(session_id))
            .exec(&self.db)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn insert_api_key(&self, k: &ApiKey, event: &AuditEvent) -> Result<()> {
        let scopes = serde_json::to_string(&k.scopes.names()).map_err(|e| corrupt("scopes", e))?;
        let row = api_keys::ActiveModel {
            id: Set(k.id),
            user_id: Set(k.user_id),
            name: Set(k.name.clone()),
            prefix: Set(k.prefix.clone()),
            token_hash: Set(k.token_hash.to_hex()),
            scopes: Set(scopes),
            organization_id: Set(k.organization_id),
            expires_at: Set(k.expires_at.map(to_db)),
            last_used_at: Set(k.last_used_at.map(to_db)),
            created_at: Set(to_db(k.created)),
        };
        let txn = begin_write(&self.db).await?;
        api_keys::Entity::insert(row)
            .exec_without_returning(&txn)
            .await
            .map_err(db_err)?;
        audit::insert(&txn, event).await?;
        txn.commit().await.map_err(db_err)
    }

    async fn find_api_key(&self, h: &TokenHash) -> Result<Option<(ApiKey, User)>> {
        Ok(self.api_key_row(h, None).await?.map(|(k, u, _)| (k, u)))
    }

    async fn find_api_key_in(
        &self,
        h: &TokenHash,
        org_id: Uuid,
        detail: OrgDetail,
    ) -> Result<Option<(ApiKey, User, Option<PreloadedOrg>)>> {
        let row = self.api_key_row(h, Some(Preload::Org(org_id, detail)));
        taking(row.await?, Extra::into_org)
    }

    async fn find_api_key_with_orgs(
        &self,
        h: &TokenHash,
    ) -> Result<Option<(ApiKey, User, MemberOrgVersions)>> {
        let row = self.api_key_row(h, Some(Preload::MemberOrgs));
        taking(row.await?, Extra::into_member_orgs)
    }

    async fn list_api_keys(&self, user_id: Uuid) -> Result<Vec<ApiKey>> {
        api_keys::Entity::find()
            .filter(api_keys::Column::UserId.eq(user_id))
            .order_by_desc(api_keys::Column::CreatedAt)
            .order_by_desc(api_keys::Column::Id)
            .all(&self.db)
            .await
            .map_err(db_err)?
            .into_iter()
            .map(api_key)
            .collect()
    }

    async fn delete_api_key(&self, user_id: Uuid, id: Uuid, event: &AuditEvent) -> Result<bool> {
        let txn = begin_write(&self.db).await?;
        let res = api_keys::Entity::delete_many()
            .filter(api_keys::Column::Id.eq(id))
            .filter(api_keys::Column::UserId.eq(user_id))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        if res.rows_affected == 0 {
            // Nothing changed, so nothing to record: the transaction rolls back on drop.
            return Ok(false);
        }
        audit::insert(&txn, event).await?;
        txn.commit().await.map_err(db_err)?;
        Ok(true)
    }

    async fn touch_api_key(&self, id: Uuid, at: OffsetDateTime) -> Result<()> {
        api_keys::Entity::update_many()
            .col_expr(
                api_keys::Column::LastUsedAt,
                sea_orm::sea_query::Expr::value(Some(to_db(at))),
            )
            .filter(api_keys::Column::Id.eq(id))
            .exec(&self.db)
            .await
            .map_err(db_err)?;
        Ok(())
    }
}
