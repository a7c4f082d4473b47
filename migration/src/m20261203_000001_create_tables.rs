//! The seven tables, their keys, and an index for every lookup that the feed,
//! the story tray and the profile make.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Username,
    Email,
    Password,
    Description,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Posts {
    Table,
    Id,
    Caption,
    UserId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Stories {
    Table,
    Id,
    Caption,
    UserId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Images {
    Table,
    Id,
    Type,
    Url,
    AssociatedId,
    Sequence,
}

#[derive(DeriveIden)]
enum UserFollowers {
    Table,
    UserId,
    FollowerId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum PostLikes {
    Table,
    UserId,
    PostId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    Id,
    SessionToken,
    UserId,
    Expires,
    AbsoluteExpires,
    CreatedAt,
    RenewedAt,
    LastUsedAt,
    UserAgent,
}

#[derive(DeriveIden)]
enum AuthThrottles {
    Table,
    Key,
    Failures,
    LastFailure,
    BlockedUntil,
}

/// A foreign key to `users.id` that goes with the user.
fn user_fk(from_table: impl IntoIden, from_col: impl IntoIden) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from_table, from_col)
        .to(Users::Table, Users::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .col(string_len(Users::Id, 32).primary_key())
                    .col(string_len(Users::Username, 30))
                    .col(string_len_uniq(Users::Email, 254))
                    .col(string_len(Users::Password, 72))
                    .col(text(Users::Description).default(""))
                    .col(timestamp_with_time_zone(Users::CreatedAt))
                    .to_owned(),
            )
            .await?;
        // Usernames are unique whatever their case; an expression index says so
        // on both databases.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX idx_users_username_lower ON users (lower(username))",
            )
            .await?;

        for (table, id, caption, user_id, created_at) in [
            (
                Posts::Table.into_iden(),
                Posts::Id.into_iden(),
                Posts::Caption.into_iden(),
                Posts::UserId.into_iden(),
                Posts::CreatedAt.into_iden(),
            ),
            (
                Stories::Table.into_iden(),
                Stories::Id.into_iden(),
                Stories::Caption.into_iden(),
                Stories::UserId.into_iden(),
                Stories::CreatedAt.into_iden(),
            ),
        ] {
            manager
                .create_table(
                    Table::create()
                        .table(table.clone())
                        .col(string_len(id.clone(), 32).primary_key())
                        .col(text(caption))
                        .col(string_len(user_id.clone(), 32))
                        .col(timestamp_with_time_zone(created_at.clone()))
                        .foreign_key(&mut user_fk(table.clone(), user_id.clone()))
                        .to_owned(),
                )
                .await?;
            // Serves "this author's newest first" and keyset pages over it.
            manager
                .create_index(
                    Index::create()
                        .name(format!("idx_{table}_user_created"))
                        .table(table.clone())
                        .col(user_id)
                        .col(created_at.clone())
                        .col(id.clone())
                        .to_owned(),
                )
                .await?;
            manager
                .create_index(
                    Index::create()
                        .name(format!("idx_{table}_created"))
                        .table(table)
                        .col(created_at)
                        .col(id)
                        .to_owned(),
                )
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(Images::Table)
                    .col(big_pk_auto(Images::Id))
                    .col(string_len(Images::Type, 8))
                    .col(text(Images::Url))
                    .col(string_len(Images::AssociatedId, 32))
                    .col(integer(Images::Sequence).default(0))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_images_owner")
                    .table(Images::Table)
                    .col(Images::Type)
                    .col(Images::AssociatedId)
                    .col(Images::Sequence)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(UserFollowers::Table)
                    .col(string_len(UserFollowers::UserId, 32))
                    .col(string_len(UserFollowers::FollowerId, 32))
                    .col(timestamp_with_time_zone(UserFollowers::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(UserFollowers::UserId)
                            .col(UserFollowers::FollowerId),
                    )
                    .foreign_key(&mut user_fk(UserFollowers::Table, UserFollowers::UserId))
                    .foreign_key(&mut user_fk(
                        UserFollowers::Table,
                        UserFollowers::FollowerId,
                    ))
                    .to_owned(),
            )
            .await?;
        // "Whom does this person follow", newest follow first.
        manager
            .create_index(
                Index::create()
                    .name("idx_user_followers_follower")
                    .table(UserFollowers::Table)
                    .col(UserFollowers::FollowerId)
                    .col(UserFollowers::CreatedAt)
                    .col(UserFollowers::UserId)
                    .to_owned(),
            )
            .await?;
        // "Who follows this person", newest follow first.
        manager
            .create_index(
                Index::create()
                    .name("idx_user_followers_user_created")
                    .table(UserFollowers::Table)
                    .col(UserFollowers::UserId)
                    .col(UserFollowers::CreatedAt)
                    .col(UserFollowers::FollowerId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(PostLikes::Table)
                    .col(string_len(PostLikes::UserId, 32))
                    .col(string_len(PostLikes::PostId, 32))
                    .col(timestamp_with_time_zone(PostLikes::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(PostLikes::UserId)
                            .col(PostLikes::PostId),
                    )
                    .foreign_key(&mut user_fk(PostLikes::Table, PostLikes::UserId))
                    .foreign_key(
                        ForeignKey::create()
                            .from(PostLikes::Table, PostLikes::PostId)
                            .to(Posts::Table, Posts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // Like counts by post, and likers newest first.
        manager
            .create_index(
                Index::create()
                    .name("idx_post_likes_post_created")
                    .table(PostLikes::Table)
                    .col(PostLikes::PostId)
                    .col(PostLikes::CreatedAt)
                    .col(PostLikes::UserId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Sessions::Table)
                    .col(string_len(Sessions::Id, 64).primary_key())
                    .col(string_len_uniq(Sessions::SessionToken, 64))
                    .col(string_len(Sessions::UserId, 32))
                    .col(timestamp_with_time_zone(Sessions::Expires))
                    .col(timestamp_with_time_zone(Sessions::AbsoluteExpires))
                    .col(timestamp_with_time_zone(Sessions::CreatedAt))
                    .col(timestamp_with_time_zone(Sessions::RenewedAt))
                    .col(timestamp_with_time_zone(Sessions::LastUsedAt))
                    .col(string_len_null(Sessions::UserAgent, 512))
                    .foreign_key(&mut user_fk(Sessions::Table, Sessions::UserId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_sessions_user")
                    .table(Sessions::Table)
                    .col(Sessions::UserId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_sessions_expires")
                    .table(Sessions::Table)
                    .col(Sessions::Expires)
                    .to_owned(),
            )
            .await?;

        // Failed attempts per key (an account, a client address), shared by
        // every server instance on the database.
        manager
            .create_table(
                Table::create()
                    .table(AuthThrottles::Table)
                    .col(string_len(AuthThrottles::Key, 300).primary_key())
                    .col(integer(AuthThrottles::Failures))
                    .col(timestamp_with_time_zone(AuthThrottles::LastFailure))
                    .col(timestamp_with_time_zone_null(AuthThrottles::BlockedUntil))
                    .to_owned(),
            )
            .await?;

        Ok(())
    }
}
