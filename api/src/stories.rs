//! Stories: a caption and one picture, visible for a limited time (the story
//! lifetime, 24 hours by default), and the story tray.

use std::collections::HashMap;

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use entity::{
    image::{self, ImageKind},
    story, user_follower,
};
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Select, TransactionTrait,
    sea_query::Query,
};

use crate::{
    auth::{Authenticated, require_viewer},
    clock,
    content::{Caption, PictureUrl},
    context::app,
    error::{AppError, AppResult},
    images::{Image, ImageLoader, ImageOwner},
    request::loader,
    users::{User, UserLoader, load_user},
};

/// A story: a caption and one picture, shown until it expires.
#[derive(Clone, Debug)]
pub struct Story {
    id: String,
    caption: String,
    user_id: String,
    created_at: DateTime<Utc>,
}

impl From<story::Model> for Story {
    fn from(model: story::Model) -> Self {
        Self {
            id: model.id,
            caption: model.caption,
            user_id: model.user_id,
            created_at: model.created_at,
        }
    }
}

/// A story: a caption and one picture, shown until it expires.
#[Object]
impl Story {
    /// Opaque id.
    async fn id(&self) -> ID {
        ID(self.id.clone())
    }

    /// Text shown over the picture; may be empty.
    async fn caption(&self) -> &str {
        &self.caption
    }

    /// When the story was posted.
    async fn created_at(&self) -> DateTime<Utc> {
        self.created_at
    }

    /// Who posted it.
    async fn author(&self, ctx: &Context<'_>) -> AppResult<User> {
        load_user(ctx, &self.user_id).await
    }

    /// The story's picture.
    async fn image(&self, ctx: &Context<'_>) -> AppResult<Option<Image>> {
        let images = loader::<ImageLoader>(ctx)
            .load_one((ImageKind::Story, self.id.clone()))
            .await?;
        Ok(images.and_then(|images| images.into_iter().next()))
    }
}

/// One person's live stories in the story tray.
#[derive(SimpleObject)]
pub struct UserStories {
    /// Whose stories these are.
    pub user: User,
    /// Their live stories, oldest first, in the order they are watched.
    pub stories: Vec<Story>,
}

/// Queries about stories.
#[derive(Default)]
pub struct StoryQuery;

#[Object]
impl StoryQuery {
    /// The story tray: the viewer first (with their own live stories, possibly
    /// none), then each followed person who has live stories, most recently
    /// active first. Stories older than the story lifetime are not shown.
    #[graphql(guard = "Authenticated")]
    async fn following_stories(&self, ctx: &Context<'_>) -> AppResult<Vec<UserStories>> {
        let viewer = require_viewer(ctx).await?;
        let app = app(ctx);
        let lifetime = chrono::Duration::from_std(app.settings.story_lifetime)
            .map_err(|err| AppError::internal("story lifetime out of range", err))?;
        let since = clock::now() - lifetime;

        let stories = live_stories(&app.db, &viewer.user_id, since).await?;
        prefetch(ctx, &viewer.user_id, &stories).await?;

        // Group by author, keeping each author's stories oldest first.
        let mut by_author: HashMap<String, Vec<Story>> = HashMap::new();
        for story in stories {
            by_author
                .entry(story.user_id.clone())
                .or_default()
                .push(story.into());
        }
        let own = by_author.remove(&viewer.user_id).unwrap_or_default();
        let mut others: Vec<(String, Vec<Story>)> = by_author.into_iter().collect();
        others.sort_by(|(a_id, a), (b_id, b)| {
            let latest = |stories: &[Story]| stories.last().map(|story| story.created_at);
            latest(b).cmp(&latest(a)).then_with(|| a_id.cmp(b_id))
        });

        let ids =
            std::iter::once(viewer.user_id.clone()).chain(others.iter().map(|(id, _)| id.clone()));
        let users = users_in_order(ctx, ids).await?;
        let tray = std::iter::once(own)
            .chain(others.into_iter().map(|(_, stories)| stories))
            .zip(users)
            .map(|(stories, user)| UserStories { user, stories })
            .collect();
        Ok(tray)
    }
}

/// Loads, in one batch per kind, what the selection will ask of the tray's
/// people and stories, so that the tray costs the same statements however many
/// people are in it.
async fn prefetch(ctx: &Context<'_>, viewer_id: &str, stories: &[story::Model]) -> AppResult<()> {
    let entry = ctx.look_ahead();
    let story_field = entry.field("stories");
    let mut owners: Vec<ImageOwner> = Vec::new();
    if story_field.field("image").exists() {
        owners.extend(
            stories
                .iter()
                .map(|story| (ImageKind::Story, story.id.clone())),
        );
    }
    let mut user_ids: Vec<String> = std::iter::once(viewer_id.to_owned())
        .chain(stories.iter().map(|story| story.user_id.clone()))
        .collect();
    user_ids.sort_unstable();
    user_ids.dedup();
    let pictures = entry.field("user").field("profilePic").exists()
        || story_field.field("author").field("profilePic").exists();
    if pictures {
        owners.extend(user_ids.iter().map(|id| (ImageKind::User, id.clone())));
    }

    tokio::try_join!(
        loader::<UserLoader>(ctx).load_many(user_ids),
        loader::<ImageLoader>(ctx).load_many(owners),
    )?;
    Ok(())
}

/// Loads users through the batching loader, in the order given.
async fn users_in_order(
    ctx: &Context<'_>,
    ids: impl Iterator<Item = String>,
) -> AppResult<Vec<User>> {
    let ids: Vec<String> = ids.collect();
    let mut found = loader::<UserLoader>(ctx)
        .load_many(ids.iter().cloned())
        .await?;
    ids.iter()
        .map(|id| {
            found
                .remove(id)
                .ok_or_else(|| AppError::internal("a story author is missing", id))
        })
        .collect()
}

/// What a new story is made of.
#[derive(InputObject)]
pub struct CreateStoryInput {
    /// Text shown over the picture, up to 2,200 characters.
    #[graphql(default)]
    pub caption: String,
    /// The story's picture: an absolute http(s) URL.
    pub image_url: String,
}

/// Mutations about stories.
#[derive(Default)]
pub struct StoryMutation;

#[Object]
impl StoryMutation {
    /// Posts a story with its picture, in one transaction. It is shown for the
    /// story lifetime.
    #[graphql(guard = "Authenticated")]
    async fn create_story(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new story.")] input: CreateStoryInput,
    ) -> AppResult<Story> {
        let caption = Caption::parse(&input.caption)?;
        let url = PictureUrl::parse("imageUrl", &input.image_url)?;
        let viewer = require_viewer(ctx).await?;

        let story = create(
            &app(ctx).db,
            &viewer.user_id,
            caption.into_inner(),
            url.into_inner(),
        )
        .await?;
        Ok(story.into())
    }

    /// Deletes one of the viewer's stories with its picture. Returns true;
    /// another person's story is `FORBIDDEN`, an unknown one `NOT_FOUND`.
    #[graphql(guard = "Authenticated")]
    async fn delete_story(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The story's id.")] id: ID,
    ) -> AppResult<bool> {
        let viewer = require_viewer(ctx).await?;
        let db = &app(ctx).db;

        let story = story::Entity::find_by_id(id.to_string())
            .one(db)
            .await?
            .ok_or_else(|| AppError::NotFound("there is no story with this id".into()))?;
        if story.user_id != viewer.user_id {
            return Err(AppError::Forbidden(
                "only the author can delete a story".into(),
            ));
        }
        delete(db, &story.id).await?;
        Ok(true)
    }
}

/// Stores a story with its picture, in one transaction.
async fn create(
    db: &DatabaseConnection,
    author_id: &str,
    caption: String,
    url: String,
) -> AppResult<story::Model> {
    let model = story::Model {
        id: cuid2::create_id(),
        caption,
        user_id: author_id.to_owned(),
        created_at: clock::now(),
    };
    let txn = db.begin().await?;
    story::Entity::insert(story::ActiveModel {
        id: Set(model.id.clone()),
        caption: Set(model.caption.clone()),
        user_id: Set(model.user_id.clone()),
        created_at: Set(model.created_at),
    })
    .exec_without_returning(&txn)
    .await?;
    image::Entity::insert(image::ActiveModel {
        id: NotSet,
        kind: Set(ImageKind::Story),
        url: Set(url),
        associated_id: Set(model.id.clone()),
        sequence: Set(0),
    })
    .exec_without_returning(&txn)
    .await?;
    txn.commit().await?;
    Ok(model)
}

/// Deletes a story with its picture, in one transaction; a story already
/// gone (deleted by a racing request) is `NOT_FOUND`.
async fn delete(db: &DatabaseConnection, id: &str) -> AppResult<()> {
    let txn = db.begin().await?;
    image::Entity::delete_many()
        .filter(image::Column::Kind.eq(ImageKind::Story))
        .filter(image::Column::AssociatedId.eq(id))
        .exec(&txn)
        .await?;
    let deleted = story::Entity::delete_by_id(id.to_owned())
        .exec(&txn)
        .await?;
    if deleted.rows_affected == 0 {
        return Err(AppError::NotFound("there is no story with this id".into()));
    }
    txn.commit().await?;
    Ok(())
}

/// Stories posted after `since` by `viewer_id` and by the people they follow,
/// oldest first.
async fn live_stories(
    db: &impl ConnectionTrait,
    viewer_id: &str,
    since: DateTime<Utc>,
) -> AppResult<Vec<story::Model>> {
    Ok(live_stories_query(viewer_id, since).all(db).await?)
}

/// The query of [`live_stories`].
pub fn live_stories_query(viewer_id: &str, since: DateTime<Utc>) -> Select<story::Entity> {
    let followed = Query::select()
        .column(user_follower::Column::UserId)
        .from(user_follower::Entity)
        .and_where(user_follower::Column::FollowerId.eq(viewer_id))
        .to_owned();
    story::Entity::find()
        .filter(
            Condition::any()
                .add(story::Column::UserId.in_subquery(followed))
                .add(story::Column::UserId.eq(viewer_id)),
        )
        .filter(story::Column::CreatedAt.gt(since))
        .order_by_asc(story::Column::CreatedAt)
        .order_by_asc(story::Column::Id)
}
