//! `users`.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub email: String,
    pub username: String,
    pub name: Option<String>,
    pub avatar_url: Option<String>,
    pub company: Option<String>,
    pub job_title: Option<String>,
    #[sea_orm(column_type = "Json")]
    pub metadata: Json,
    pub password_hash: Option<String>,
    pub is_active: bool,
    pub is_superuser: bool,
    pub is_service_account: bool,
    pub is_onboarded: bool,
    pub two_factor_enabled: bool,
    pub totp_secret: Option<String>,
    pub created_at: TimeDateTimeWithTimeZone,
    pub updated_at: TimeDateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl crate::db::columns::ReadColumns for Model {
    fn read(c: &mut crate::db::columns::Columns<'_>) -> Result<Self, DbErr> {
        Ok(Self {
            id: c.get("id")?,
            email: c.get("email")?,
            username: c.get("username")?,
            name: c.get("name")?,
            avatar_url: c.get("avatar_url")?,
            company: c.get("company")?,
            job_title: c.get("job_title")?,
            metadata: c.get::<sea_orm::sqlx::types::Json<Json>>("metadata")?.0,
            password_hash: c.get("password_hash")?,
            is_active: c.get("is_active")?,
            is_superuser: c.get("is_superuser")?,
            is_service_account: c.get("is_service_account")?,
            is_onboarded: c.get("is_onboarded")?,
            two_factor_enabled: c.get("two_factor_enabled")?,
            totp_secret: c.get("totp_secret")?,
            created_at: c.get("created_at")?,
            updated_at: c.get("updated_at")?,
        })
    }
}
