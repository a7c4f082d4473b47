//! Reading and writing accounts.

use entity::{image, post, story, user};
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, SqlErr,
    TransactionTrait,
    sea_query::{Expr, ExprTrait, Func, Query},
};

use crate::{
    clock,
    error::{AppError, AppResult},
};

use super::fields::{Description, Email, Username};

/// The generated picture a new account starts with. It is derived from the
/// random user id, so it reveals nothing about the person.
pub fn default_avatar_url(user_id: &str) -> String {
    format!("https://api.dicebear.com/9.x/identicon/svg?seed={user_id}")
}

/// The account with this (already normalised) email.
pub async fn find_by_email(
    db: &impl ConnectionTrait,
    email: &str,
) -> AppResult<Option<user::Model>> {
    Ok(user::Entity::find()
        .filter(user::Column::Email.eq(email))
        .one(db)
        .await?)
}

/// The account with this id.
pub async fn find_by_id(db: &impl ConnectionTrait, id: &str) -> AppResult<Option<user::Model>> {
    Ok(user::Entity::find_by_id(id.to_owned()).one(db).await?)
}

/// Replaces the password hash of `user_id`.
pub async fn set_password(db: &impl ConnectionTrait, user_id: &str, hash: String) -> AppResult<()> {
    user::Entity::update_many()
        .col_expr(user::Column::Password, Expr::value(hash))
        .filter(user::Column::Id.eq(user_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Deletes an account and everything it owns, in one transaction. Rows that
/// point at the user (posts, stories, likes, follows, sessions) go with it by
/// their foreign keys; pictures, which point at their owner by id only, are
/// deleted here.
pub async fn delete_account(db: &DatabaseConnection, user_id: &str) -> AppResult<()> {
    let posts = Query::select()
        .column(post::Column::Id)
        .from(post::Entity)
        .and_where(post::Column::UserId.eq(user_id))
        .to_owned();
    let stories = Query::select()
        .column(story::Column::Id)
        .from(story::Entity)
        .and_where(story::Column::UserId.eq(user_id))
        .to_owned();
    let pictures = Condition::any()
        .add(
            Condition::all()
                .add(image::Column::Kind.eq(image::ImageKind::User))
                .add(image::Column::AssociatedId.eq(user_id)),
        )
        .add(
            Condition::all()
                .add(image::Column::Kind.eq(image::ImageKind::Post))
                .add(image::Column::AssociatedId.in_subquery(posts)),
        )
        .add(
            Condition::all()
                .add(image::Column::Kind.eq(image::ImageKind::Story))
                .add(image::Column::AssociatedId.in_subquery(stories)),
        );

    let txn = db.begin().await?;
    image::Entity::delete_many()
        .filter(pictures)
        .exec(&txn)
        .await?;
    user::Entity::delete_by_id(user_id.to_owned())
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(())
}

/// The account with this username, compared without regard to case.
pub async fn find_by_username(
    db: &impl ConnectionTrait,
    username: &str,
) -> AppResult<Option<user::Model>> {
    let username = username.trim().to_lowercase();
    if username.is_empty() || username.len() > 64 {
        return Ok(None);
    }
    Ok(user::Entity::find()
        .filter(Expr::expr(Func::lower(Expr::col(user::Column::Username))).eq(username))
        .one(db)
        .await?)
}

/// Changes what is given of a user's profile, in one transaction, and returns
/// the account as it now is.
pub async fn update_profile(
    db: &DatabaseConnection,
    user_id: &str,
    description: Option<String>,
    picture_url: Option<String>,
) -> AppResult<Option<user::Model>> {
    let txn = db.begin().await?;
    if let Some(description) = description {
        user::Entity::update_many()
            .col_expr(user::Column::Description, Expr::value(description))
            .filter(user::Column::Id.eq(user_id))
            .exec(&txn)
            .await?;
    }
    if let Some(url) = picture_url {
        image::Entity::delete_many()
            .filter(image::Column::Kind.eq(image::ImageKind::User))
            .filter(image::Column::AssociatedId.eq(user_id))
            .exec(&txn)
            .await?;
        image::Entity::insert(image::ActiveModel {
            id: NotSet,
            kind: Set(image::ImageKind::User),
            url: Set(url),
            associated_id: Set(user_id.to_owned()),
            sequence: Set(0),
        })
        .exec_without_returning(&txn)
        .await?;
    }
    let user = user::Entity::find_by_id(user_id.to_owned())
        .one(&txn)
        .await?;
    txn.commit().await?;
    Ok(user)
}

/// What a new account is made of.
pub struct NewAccount<'a> {
    pub email: &'a Email,
    pub username: &'a Username,
    pub password_hash: String,
    pub description: &'a Description,
}

/// Creates an account with its default avatar, in one transaction. A taken
/// email or username is a `CONFLICT` naming the field.
pub async fn create_account(
    db: &DatabaseConnection,
    account: NewAccount<'_>,
) -> AppResult<user::Model> {
    let model = user::Model {
        id: cuid2::create_id(),
        username: account.username.as_str().to_owned(),
        email: account.email.as_str().to_owned(),
        password: account.password_hash,
        description: account.description.as_str().to_owned(),
        created_at: clock::now(),
    };

    let txn = db.begin().await?;
    let inserted = user::Entity::insert(user::ActiveModel {
        id: Set(model.id.clone()),
        username: Set(model.username.clone()),
        email: Set(model.email.clone()),
        password: Set(model.password.clone()),
        description: Set(model.description.clone()),
        created_at: Set(model.created_at),
    })
    .exec_without_returning(&txn)
    .await;
    if let Err(err) = inserted {
        return Err(match err.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(detail)) if detail.contains("email") => {
                AppError::conflict("email", "an account with this email already exists")
            }
            Some(SqlErr::UniqueConstraintViolation(_)) => {
                AppError::conflict("username", "this username is taken")
            }
            _ => err.into(),
        });
    }
    image::Entity::insert(image::ActiveModel {
        id: NotSet,
        kind: Set(image::ImageKind::User),
        url: Set(default_avatar_url(&model.id)),
        associated_id: Set(model.id.clone()),
        sequence: Set(0),
    })
    .exec_without_returning(&txn)
    .await?;
    txn.commit().await?;

    Ok(model)
}
