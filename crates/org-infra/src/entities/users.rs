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
