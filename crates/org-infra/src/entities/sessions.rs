//! `sessions`.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "sessions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    /// Lower-case hex SHA-256 of the token.
    pub token_hash: String,
    pub active_organization_id: Option<Uuid>,
    pub created_at: TimeDateTimeWithTimeZone,
    pub expires_at: TimeDateTimeWithTimeZone,
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
            token_hash: c.get("token_hash")?,
            active_organization_id: c.get("active_organization_id")?,
            created_at: c.get("created_at")?,
            expires_at: c.get("expires_at")?,
        })
    }
}
