//! `invitations`.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "invitations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    /// Normalized (lower-cased) like `users.email`.
    pub email: String,
    /// A role key: `admin`, `member`, … or a custom role's id.
    pub role: String,
    /// `pending`, `accepted`, `declined`, `revoked` or `expired`; a pending row past
    /// `expires_at` is expired whether or not the column says so yet.
    pub status: String,
    /// Lower-case hex SHA-256 of the token.
    pub token_hash: String,
    pub inviter_id: Option<Uuid>,
    pub expires_at: TimeDateTimeWithTimeZone,
    pub responded_at: Option<TimeDateTimeWithTimeZone>,
    pub created_at: TimeDateTimeWithTimeZone,
    pub updated_at: TimeDateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::organizations::Entity",
        from = "Column::OrganizationId",
        to = "super::organizations::Column::Id",
        on_delete = "Cascade"
    )]
    Organization,
    #[sea_orm(
        belongs_to = "super::users::Entity",
        from = "Column::InviterId",
        to = "super::users::Column::Id",
        on_delete = "SetNull"
    )]
    Inviter,
}

impl Related<super::organizations::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Organization.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
