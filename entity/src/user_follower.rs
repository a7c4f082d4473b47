//! A follow: `follower_id` follows `user_id`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "user_followers")]
pub struct Model {
    /// The person followed.
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: String,
    /// The person following.
    #[sea_orm(primary_key, auto_increment = false)]
    pub follower_id: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
