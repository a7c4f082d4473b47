//! Failed authentication attempts per key, such as an account or a client
//! address, and how long that key is blocked.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "auth_throttles")]
pub struct Model {
    /// What is limited, e.g. `signin:account:<email>` or `signin:ip:<address>`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub key: String,
    /// Failures since the window began.
    pub failures: i32,
    pub last_failure: DateTimeUtc,
    /// Attempts are refused until then.
    pub blocked_until: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
