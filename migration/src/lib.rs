//! Database migrations of the InstaNext data model, run at server start-up on
//! SQLite and PostgreSQL alike.

pub use sea_orm_migration::prelude::*;

mod m20261203_000001_create_tables;
mod m20261203_000002_username_search_index;

/// Applies every migration in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261203_000001_create_tables::Migration),
            Box::new(m20261203_000002_username_search_index::Migration),
        ]
    }
}
