//! Pictures: the GraphQL type and the loader that fetches the pictures of many
//! owners in one statement.

use std::collections::HashMap;

use async_graphql::{ID, SimpleObject, dataloader::Loader};
use entity::image::{self, ImageKind};
use sea_orm::{ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};

use crate::error::AppError;

/// A picture.
#[derive(Clone, Debug, SimpleObject)]
pub struct Image {
    /// Id of the picture.
    pub id: ID,
    /// Absolute http(s) URL of the picture.
    pub url: String,
    /// Position among the pictures of a post, from 0; 0 for other pictures.
    pub sequence: i32,
}

impl From<image::Model> for Image {
    fn from(model: image::Model) -> Self {
        Self {
            id: ID(model.id.to_string()),
            url: model.url,
            sequence: model.sequence,
        }
    }
}

/// The owner of pictures: a user, a post or a story, by id.
pub type ImageOwner = (ImageKind, String);

/// Loads the pictures of many owners at once, each owner's in `sequence` order.
pub struct ImageLoader {
    pub db: DatabaseConnection,
}

impl Loader<ImageOwner> for ImageLoader {
    type Value = Vec<Image>;
    type Error = AppError;

    async fn load(&self, keys: &[ImageOwner]) -> Result<HashMap<ImageOwner, Vec<Image>>, AppError> {
        let mut by_kind: HashMap<ImageKind, Vec<&str>> = HashMap::new();
        for (kind, id) in keys {
            by_kind.entry(*kind).or_default().push(id);
        }
        let owners = by_kind
            .into_iter()
            .fold(Condition::any(), |any, (kind, ids)| {
                any.add(
                    Condition::all()
                        .add(image::Column::Kind.eq(kind))
                        .add(image::Column::AssociatedId.is_in(ids)),
                )
            });

        let rows = image::Entity::find()
            .filter(owners)
            .order_by_asc(image::Column::Sequence)
            .order_by_asc(image::Column::Id)
            .all(&self.db)
            .await?;

        // Owners without pictures get an empty list, which is an answer too.
        let mut images: HashMap<ImageOwner, Vec<Image>> =
            keys.iter().map(|key| (key.clone(), Vec::new())).collect();
        for row in rows {
            images
                .entry((row.kind, row.associated_id.clone()))
                .or_default()
                .push(row.into());
        }
        Ok(images)
    }
}
