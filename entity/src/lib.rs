//! SeaORM entities of the InstaNext data model.
//!
//! These are storage types only: they mirror the tables one to one and are never
//! handed to GraphQL directly, so a column such as `users.password` cannot leak
//! through the API by accident. The API crate maps them to its own types.

pub mod auth_throttle;
pub mod image;
pub mod post;
pub mod post_like;
pub mod session;
pub mod story;
pub mod user;
pub mod user_follower;

pub mod prelude {
    //! The entities under their table-like names.
    pub use super::auth_throttle::Entity as AuthThrottle;
    pub use super::image::Entity as Image;
    pub use super::post::Entity as Post;
    pub use super::post_like::Entity as PostLike;
    pub use super::session::Entity as Session;
    pub use super::story::Entity as Story;
    pub use super::user::Entity as User;
    pub use super::user_follower::Entity as UserFollower;
}
