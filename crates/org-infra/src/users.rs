//! [`UserRepository`] on sea-orm.
use async_trait::async_trait;
use org_domain::audit::AuditEvent;
use org_domain::pagination::{Page, PageRequest};
use org_domain::ports::UserRepository;
use org_domain::users::{PublicUser, User};
use org_domain::values::Email;
use org_domain::{DomainError, Result};
use sea_orm::sea_query::{Condition, Expr, ExprTrait, Func, LikeExpr, SimpleExpr};
use sea_orm::sqlx::types::Json;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, IntoSimpleExpr, NotSet,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::audit;
use crate::db::columns::{Columns, ReadColumns};
use crate::db::{
    Unique, begin_write, corrupt, db_err, fetch_limit, from_db, known_total, on_unique, to_db,
};
use crate::entities::users::{self, Column as U};

const EMAIL_TAKEN: &[Unique] = &[Unique {
    needle: "email",
    code: "email_taken",
    detail: "a user with this email already exists",
}];

/// [`UserRepository`] on sea-orm.
#[derive(Clone, Debug)]
pub struct SeaUsers {
    db: DatabaseConnection,
}

impl SeaUsers {
    /// The users of `db`.
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

/// A user row without its secrets (`password_hash`, `totp_secret`), which no request after
/// login needs: the columns of [`UserRow::COLUMNS`], in their order. What authentication
/// reads on every request (`tokens::with_org`), so the secrets stay off the hot path.
#[derive(Debug)]
pub(crate) struct UserRow {
    id: Uuid,
    email: String,
    username: String,
    name: Option<String>,
    avatar_url: Option<String>,
    company: Option<String>,
    job_title: Option<String>,
    metadata: serde_json::Value,
    is_active: bool,
    is_superuser: bool,
    is_service_account: bool,
    is_onboarded: bool,
    two_factor_enabled: bool,
    created_at: OffsetDateTime,
    updated_at: OffsetDateTime,
}

impl UserRow {
    /// The columns read, in order.
    pub(crate) const COLUMNS: [U; 15] = [
        U::Id,
        U::Email,
        U::Username,
        U::Name,
        U::AvatarUrl,
        U::Company,
        U::JobTitle,
        U::Metadata,
        U::IsActive,
        U::IsSuperuser,
        U::IsServiceAccount,
        U::IsOnboarded,
        U::TwoFactorEnabled,
        U::CreatedAt,
        U::UpdatedAt,
    ];

    /// The domain user.
    pub(crate) fn into_domain(self) -> Result<User> {
        Ok(User {
            id: self.id,
            email: Email::parse(&self.email).map_err(|e| corrupt("email", e))?,
            username: self.username,
            name: self.name,
            avatar_url: self.avatar_url,
            company: self.company,
            job_title: self.job_title,
            metadata: self.metadata,
            is_active: self.is_active,
            is_superuser: self.is_superuser,
            is_service_account: self.is_service_account,
            is_onboarded: self.is_onboarded,
            two_factor_enabled: self.two_factor_enabled,
            created: from_db(self.created_at),
            updated: from_db(self.updated_at),
        })
    }
}

impl ReadColumns for UserRow {
    fn read(c: &mut Columns<'_>) -> Result<Self, DbErr> {
        Ok(Self {
            id: c.get("id")?,
            email: c.get("email")?,
            username: c.get("username")?,
            name: c.get("name")?,
            avatar_url: c.get("avatar_url")?,
            company: c.get("company")?,
            job_title: c.get("job_title")?,
            metadata: c.get::<Json<serde_json::Value>>("metadata")?.0,
            is_active: c.get("is_active")?,
            is_superuser: c.get("is_superuser")?,
            is_service_account: c.get("is_service_account")?,
            is_onboarded: c.get("is_onboarded")?,
            two_factor_enabled: c.get("two_factor_enabled")?,
            created_at: c.get("created_at")?,
            updated_at: c.get("updated_at")?,
        })
    }
}

impl From<users::Model> for UserRow {
    /// The row without its secrets.
    fn from(m: users::Model) -> Self {
        Self {
            id: m.id,
            email: m.email,
            username: m.username,
            name: m.name,
            avatar_url: m.avatar_url,
            company: m.company,
            job_title: m.job_title,
            metadata: m.metadata,
            is_active: m.is_active,
            is_superuser: m.is_superuser,
            is_service_account: m.is_service_account,
            is_onboarded: m.is_onboarded,
            two_factor_enabled: m.two_factor_enabled,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

/// The domain user of a row.
pub(crate) fn to_domain(m: users::Model) -> Result<User> {
    UserRow::from(m).into_domain()
}

/// `404 user_not_found`: a write referenced a user that does not exist.
pub(crate) fn user_not_found() -> DomainError {
    DomainError::NotFound {
        code: "user_not_found",
        detail: "user not found".to_owned(),
    }
}

/// The public projection of a joined user row.
pub(crate) fn public(
    id: Uuid,
    username: String,
    name: Option<String>,
    email: String,
    avatar_url: Option<String>,
) -> PublicUser {
    PublicUser {
        id,
        username,
        name,
        email,
        avatar_url,
    }
}

/// `LOWER(col) LIKE '%needle%'`, with the user's `%`, `_` and `\` taken literally; the
/// pattern bound is [`contains_pattern`]'s.
pub(crate) fn contains_ci(col: impl IntoSimpleExpr, needle: &str) -> SimpleExpr {
    Expr::expr(Func::lower(col.into_simple_expr()))
        .like(LikeExpr::new(contains_pattern(needle)).escape('\\'))
}

/// The `LIKE` pattern of [`contains_ci`].
pub(crate) fn contains_pattern(needle: &str) -> String {
    let mut pattern = String::with_capacity(needle.len() + 2);
    pattern.push('%');
    for c in needle.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

fn active_model(user: &User, password_hash: Option<String>) -> users::ActiveModel {
    users::ActiveModel {
        id: Set(user.id),
        email: Set(user.email.as_str().to_owned()),
        username: Set(user.username.clone()),
        name: Set(user.name.clone()),
        avatar_url: Set(user.avatar_url.clone()),
        company: Set(user.company.clone()),
        job_title: Set(user.job_title.clone()),
        metadata: Set(user.metadata.clone()),
        password_hash: password_hash.map_or(NotSet, |h| Set(Some(h))),
        is_active: Set(user.is_active),
        is_superuser: Set(user.is_superuser),
        is_service_account: Set(user.is_service_account),
        is_onboarded: Set(user.is_onboarded),
        two_factor_enabled: Set(user.two_factor_enabled),
        // Written only by the two-factor methods, never by profile updates.
        totp_secret: NotSet,
        created_at: Set(to_db(user.created)),
        updated_at: Set(to_db(user.updated)),
    }
}

#[async_trait]
impl UserRepository for SeaUsers {
    async fn insert(
        &self,
        user: &User,
        password_hash: Option<String>,
        event: &AuditEvent,
    ) -> Result<()> {
        let txn = begin_write(&self.db).await?;
        let mut row = active_model(user, None);
        row.password_hash = Set(password_hash);
        users::Entity::insert(row)
            .exec_without_returning(&txn)
            .await
            .map_err(|e| on_unique(e, EMAIL_TAKEN))?;
        audit::insert(&txn, event).await?;
        txn.commit().await.map_err(db_err)
    }

    async fn find_by_id(&self, id: Uuid) -> Result<Option<User>> {
        let row = users::Entity::find_by_id(id)
            .one(&self.db)
            .await
            .map_err(db_err)?;
        row.map(to_domain).transpose()
    }

    async fn find_by_email(&self, email: &Email) -> Result<Option<User>> {
        Ok(self.find_for_login(email).await?.map(|(u, _)| u))
    }

    async fn find_for_login(&self, email: &Email) -> Result<Option<(User, Option<String>)>> {
        let row = users::Entity::find()
            .filter(U::Email.eq(email.as_str()))
            .one(&self.db)
            .await
            .map_err(db_err)?;
        row.map(|mut m| {
            let hash = m.password_hash.take();
            to_domain(m).map(|u| (u, hash))
        })
        .transpose()
    }

    async fn update(
        &self,
        user: &User,
        password_hash: Option<String>,
        event: &AuditEvent,
    ) -> Result<()> {
        let txn = begin_write(&self.db).await?;
        let mut row = active_model(user, password_hash);
        row.id = NotSet;
        row.created_at = NotSet;
        let res = users::Entity::update_many()
            .set(row)
            .filter(U::Id.eq(user.id))
            .exec(&txn)
            .await
            .map_err(|e| on_unique(e, EMAIL_TAKEN))?;
        if res.rows_affected == 0 {
            return Err(DomainError::not_found("user"));
        }
        audit::insert(&txn, event).await?;
        txn.commit().await.map_err(db_err)
    }

    async fn find_totp_secret(&self, user_id: Uuid) -> Result<Option<String>> {
        let secret: Option<Option<String>> = users::Entity::find_by_id(user_id)
            .select_only()
            .column(U::TotpSecret)
            .into_tuple()
            .one(&self.db)
            .await
            .map_err(db_err)?;
        Ok(secret.flatten())
    }

    async fn set_pending_totp_secret(
        &self,
        user_id: Uuid,
        secret: &str,
        at: OffsetDateTime,
        event: &AuditEvent,
    ) -> Result<()> {
        let txn = begin_write(&self.db).await?;
        // The flag is part of the condition, so enabling and restarting cannot interleave.
        let res = users::Entity::update_many()
            .col_expr(U::TotpSecret, Expr::value(secret))
            .col_expr(U::UpdatedAt, Expr::value(to_db(at)))
            .filter(U::Id.eq(user_id))
            .filter(U::TwoFactorEnabled.eq(false))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        if res.rows_affected == 0 {
            let exists = users::Entity::find_by_id(user_id)
                .count(&txn)
                .await
                .map_err(db_err)?
                > 0;
            return Err(if exists {
                DomainError::conflict(
                    "two_factor_already_enabled",
                    "two-factor authentication is already enabled; disable it first",
                )
            } else {
                user_not_found()
            });
        }
        audit::insert(&txn, event).await?;
        txn.commit().await.map_err(db_err)
    }

    async fn set_two_factor(
        &self,
        user_id: Uuid,
        secret: &str,
        enabled: bool,
        at: OffsetDateTime,
        event: &AuditEvent,
    ) -> Result<()> {
        let txn = begin_write(&self.db).await?;
        let kept = if enabled { Some(secret) } else { None };
        let res = users::Entity::update_many()
            .col_expr(U::TwoFactorEnabled, Expr::value(enabled))
            .col_expr(U::TotpSecret, Expr::value(kept))
            .col_expr(U::UpdatedAt, Expr::value(to_db(at)))
            .filter(U::Id.eq(user_id))
            .filter(U::TotpSecret.eq(secret))
            .filter(U::TwoFactorEnabled.eq(!enabled))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        if res.rows_affected == 0 {
            return Err(DomainError::conflict(
                "two_factor_changed",
                "two-factor settings changed meanwhile; reload and retry",
            ));
        }
        audit::insert(&txn, event).await?;
        txn.commit().await.map_err(db_err)
    }

    async fn list(&self, search: Option<String>, page: PageRequest) -> Result<Page<User>> {
        let mut q = users::Entity::find();
        if let Some(s) = search.as_deref().filter(|s| !s.is_empty()) {
            q = q.filter(
                Condition::any()
                    .add(contains_ci(U::Email, s))
                    .add(contains_ci(U::Username, s))
                    .add(contains_ci(U::Name, s)),
            );
        }
        let mut rows = q
            .clone()
            .order_by_asc(U::Email)
            .limit(fetch_limit(page))
            .offset(page.offset())
            .all(&self.db)
            .await
            .map_err(db_err)?;
        let total = match known_total(&mut rows, page) {
            Some(n) => n,
            None => q.count(&self.db).await.map_err(db_err)?,
        };
        let items = rows.into_iter().map(to_domain).collect::<Result<_>>()?;
        Ok(Page::new(items, total, page))
    }
}
