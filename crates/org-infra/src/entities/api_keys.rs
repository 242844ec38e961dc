//! `api_keys`.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "api_keys")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    pub name: String,
    pub prefix: String,
    /// Lower-case hex SHA-256 of the key.
    pub token_hash: String,
    /// JSON array of canonical permission names.
    pub scopes: String,
    pub organization_id: Option<Uuid>,
    pub expires_at: Option<TimeDateTimeWithTimeZone>,
    pub last_used_at: Option<TimeDateTimeWithTimeZone>,
    pub created_at: TimeDateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::users::Entity",
        from = "Column::UserId",
        to = "super::users::Column::Id",
        on_delete = "Cascade"
    )]
    User,
}

impl Related<super::users::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::User.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}

impl crate::db::columns::ReadColumns for Model {
    fn read(c: &mut crate::db::columns::Columns<'_>) -> Result<Self, DbErr> {
        Ok(Self {
            id: c.get("id")?,
            user_id: c.get("user_id")?,
            name: c.get("name")?,
            prefix: c.get("prefix")?,
            token_hash: c.get("token_hash")?,
            scopes: c.get("scopes")?,
            organization_id: c.get("organization_id")?,
            expires_at: c.get("expires_at")?,
            last_used_at: c.get("last_used_at")?,
            created_at: c.get("created_at")?,
        })
    }
}
