//! A signed-in session. A token is honoured only while its session row exists
//! and has not expired, which is what makes sign-out real.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sessions")]
pub struct Model {
    /// 256 random bits; the public handle of the session, as in `mySessions`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// Another 256 random bits, carried in the token's `sid` claim and never
    /// shown.
    pub session_token: String,
    pub user_id: String,
    /// When the session ends unless renewed: the idle limit, never past
    /// `absolute_expires`.
    pub expires: DateTimeUtc,
    /// When the session ends whatever happens.
    pub absolute_expires: DateTimeUtc,
    pub created_at: DateTimeUtc,
    /// When the session's expiry was last pushed back.
    pub renewed_at: DateTimeUtc,
    pub last_used_at: DateTimeUtc,
    pub user_agent: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::user::Entity",
        from = "Column::UserId",
        to = "super::user::Column::Id",
        on_delete = "Cascade"
    )]
    User,
}

impl Related<super::user::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::User.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
