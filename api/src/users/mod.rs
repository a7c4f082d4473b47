//! People: the `User` type as others see it, loading users in batches, and
//! the `me` query.

pub mod fields;
pub mod repo;

use std::collections::HashMap;

use async_graphql::{Context, ID, Object, dataloader::Loader};
use chrono::{DateTime, Utc};
use entity::{image::ImageKind, user};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use crate::{
    auth::{Authenticated, current_viewer, require_viewer},
    error::{AppError, AppResult},
    images::{Image, ImageLoader},
    request::loader,
};

/// A person with an account. The password hash is not part of this type at all,
/// and the email is shown to its owner only.
#[derive(Clone, Debug)]
pub struct User {
    id: String,
    username: String,
    description: String,
    created_at: DateTime<Utc>,
    email: String,
    /// Set when the value is built for its owner, such as in `signIn`'s answer,
    /// where the request carries no token yet.
    email_revealed: bool,
}

impl User {
    /// The user as seen by the owner of the account.
    pub fn for_owner(model: user::Model) -> Self {
        Self {
            email_revealed: true,
            ..model.into()
        }
    }

    pub fn id(&self) -> &str {
        &self.id
    }
}

impl From<user::Model> for User {
    fn from(model: user::Model) -> Self {
        Self {
            id: model.id,
            username: model.username,
            description: model.description,
            created_at: model.created_at,
            email: model.email,
            email_revealed: false,
        }
    }
}

/// A person with an account. The email is visible to its owner only.
#[Object(name = "User")]
impl User {
    /// Opaque id.
    #[graphql(name = "id")]
    async fn gql_id(&self) -> ID {
        ID(self.id.clone())
    }

    /// Unique handle, shown as the display name.
    async fn username(&self) -> &str {
        &self.username
    }

    /// Free text the user wrote about themself; empty when they wrote none.
    async fn description(&self) -> &str {
        &self.description
    }

    /// When the account was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.created_at
    }

    /// Profile picture; null when the user has none.
    async fn profile_pic(&self, ctx: &Context<'_>) -> AppResult<Option<Image>> {
        let images = loader::<ImageLoader>(ctx)
            .load_one((ImageKind::User, self.id.clone()))
            .await?;
        Ok(images.and_then(|images| images.into_iter().next()))
    }

    /// Email address: visible to the user themself only, null for everyone else.
    async fn email(&self, ctx: &Context<'_>) -> AppResult<Option<&str>> {
        let visible = self.email_revealed
            || current_viewer(ctx)
                .await?
                .is_some_and(|viewer| viewer.user_id == self.id);
        Ok(visible.then_some(self.email.as_str()))
    }
}

/// Loads many users by id in one statement.
pub struct UserLoader {
    pub db: DatabaseConnection,
}

impl Loader<String> for UserLoader {
    type Value = User;
    type Error = AppError;

    async fn load(&self, ids: &[String]) -> Result<HashMap<String, User>, AppError> {
        let rows = user::Entity::find()
            .filter(user::Column::Id.is_in(ids.iter().map(String::as_str)))
            .all(&self.db)
            .await?;
        Ok(rows
            .into_iter()
            .map(|row| (row.id.clone(), User::from(row)))
            .collect())
    }
}

/// Loads one user who must exist, such as the author of a post.
pub async fn load_user(ctx: &Context<'_>, id: &str) -> AppResult<User> {
    loader::<UserLoader>(ctx)
        .load_one(id.to_owned())
        .await?
        .ok_or_else(|| AppError::internal("a referenced user is missing", id))
}

/// Queries about people.
#[derive(Default)]
pub struct UserQuery;

#[Object]
impl UserQuery {
    /// The signed-in user.
    #[graphql(guard = "Authenticated")]
    async fn me(&self, ctx: &Context<'_>) -> AppResult<User> {
        let viewer = require_viewer(ctx).await?;
        load_user(ctx, &viewer.user_id).await
    }
}
