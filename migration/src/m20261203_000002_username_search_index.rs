//! A trigram index for user search on PostgreSQL, so that "usernames
//! containing this text" is answered from an index rather than by reading
//! every user. SQLite has no such index; there search reads the users table.

use sea_orm_migration::{prelude::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// The savepoint below needs a transaction around the migration.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        // pg_trgm is a trusted extension: a database owner may create it. It is
        // put in `public` so that every schema of the database can use it.
        // Two migrations racing on one database can both find the extension
        // missing; the loser's error is harmless once the extension exists. A
        // savepoint keeps that error from aborting the migration's transaction.
        db.execute_unprepared("SAVEPOINT create_pg_trgm").await?;
        let created = db
            .execute_unprepared("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public")
            .await;
        if let Err(err) = created {
            db.execute_unprepared("ROLLBACK TO SAVEPOINT create_pg_trgm")
                .await?;
            let exists = db
                .query_one_raw(sea_orm::Statement::from_string(
                    DbBackend::Postgres,
                    "SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'",
                ))
                .await?
                .is_some();
            if !exists {
                return Err(err);
            }
        }
        db.execute_unprepared("RELEASE SAVEPOINT create_pg_trgm")
            .await?;
        db.execute_unprepared(
            "CREATE INDEX idx_users_username_trgm ON users \
             USING gin (lower(username) public.gin_trgm_ops)",
        )
        .await?;
        Ok(())
    }
}
