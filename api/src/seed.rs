//! Demo data: a few dozen people with pictures, posts over the last weeks,
//! stories from the last day, follows and likes, and the demo account
//! `demo@example.com`, all with the password `secret`.
//!
//! The data comes from a fixed random seed, so every fresh database looks the
//! same, while its times are relative to now, so the feed always looks recent.

use std::collections::HashSet;

use chrono::{DateTime, Duration, Utc};
use entity::{image, post, post_like, story, user, user_follower};
use fake::{
    Fake,
    faker::{
        address::en::CityName, company::en::CatchPhrase, internet::en::Username, job::en::Title,
        lorem::en::Word, name::en::FirstName,
    },
};
use rand::{Rng, SeedableRng, rngs::StdRng, seq::IndexedRandom};
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, TransactionTrait,
};

use crate::clock;

/// The demo account's email.
pub const DEMO_EMAIL: &str = "demo@example.com";
/// The demo account's username.
pub const DEMO_USERNAME: &str = "demo";
/// The password of every seeded account.
pub const DEMO_PASSWORD: &str = "secret";
/// How many people the demo account follows; each has posts and live stories.
pub const DEMO_FOLLOWS: usize = 15;
/// The fewest users `seed` accepts: the demo account and those it follows.
pub const MIN_USERS: u32 = DEMO_FOLLOWS as u32 + 1;

const ROWS_PER_INSERT: usize = 200;

/// What a seed run wrote.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub users: usize,
    pub posts: usize,
    pub stories: usize,
    pub images: usize,
    pub follows: usize,
    pub likes: usize,
}

/// Whether the database has no users yet.
pub async fn is_empty(db: &DatabaseConnection) -> Result<bool, sea_orm::DbErr> {
    Ok(user::Entity::find().count(db).await? == 0)
}

/// Fills an empty database with `users` accounts (the demo account among them)
/// and their content, in one transaction. `password_hash` is a bcrypt hash of
/// [`DEMO_PASSWORD`], shared by every seeded account.
pub async fn seed(
    db: &DatabaseConnection,
    users: u32,
    password_hash: &str,
) -> anyhow::Result<Summary> {
    anyhow::ensure!(users >= MIN_USERS, "seed needs at least {MIN_USERS} users");
    anyhow::ensure!(
        is_empty(db).await?,
        "the database already has users; seed only fills an empty database"
    );

    let data = Generator::new(clock::now()).generate(users as usize, password_hash);
    let summary = Summary {
        users: data.users.len(),
        posts: data.posts.len(),
        stories: data.stories.len(),
        images: data.images.len(),
        follows: data.follows.len(),
        likes: data.likes.len(),
    };

    let txn = db.begin().await?;
    insert_all::<user::Entity, _>(&txn, data.users).await?;
    insert_all::<post::Entity, _>(&txn, data.posts).await?;
    insert_all::<story::Entity, _>(&txn, data.stories).await?;
    insert_all::<image::Entity, _>(&txn, data.images).await?;
    insert_all::<user_follower::Entity, _>(&txn, data.follows).await?;
    insert_all::<post_like::Entity, _>(&txn, data.likes).await?;
    txn.commit().await?;

    Ok(summary)
}

async fn insert_all<E, A>(db: &impl ConnectionTrait, rows: Vec<A>) -> Result<(), sea_orm::DbErr>
where
    E: EntityTrait<ActiveModel = A>,
    A: sea_orm::ActiveModelTrait<Entity = E> + Send,
{
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<A> = rows.by_ref().take(ROWS_PER_INSERT).collect();
        E::insert_many(chunk).exec_without_returning(db).await?;
    }
    Ok(())
}

#[derive(Default)]
struct Data {
    users: Vec<user::ActiveModel>,
    posts: Vec<post::ActiveModel>,
    stories: Vec<story::ActiveModel>,
    images: Vec<image::ActiveModel>,
    follows: Vec<user_follower::ActiveModel>,
    likes: Vec<post_like::ActiveModel>,
}

struct Generator {
    rng: StdRng,
    now: DateTime<Utc>,
    data: Data,
}

impl Generator {
    fn new(now: DateTime<Utc>) -> Self {
        Self {
            rng: StdRng::seed_from_u64(0x1257_a9e7),
            now,
            data: Data::default(),
        }
    }

    fn generate(mut self, users: usize, password_hash: &str) -> Data {
        let ids = self.people(users, password_hash);
        let demo = ids[0].clone();
        let followed_by_demo = &ids[1..=DEMO_FOLLOWS];

        let mut post_ids = Vec::new();
        for (index, author) in ids.iter().enumerate() {
            let count = if index <= DEMO_FOLLOWS {
                self.rng.random_range(4..=10)
            } else {
                self.rng.random_range(1..=8)
            };
            for _ in 0..count {
                post_ids.push(self.post(author));
            }

            let stories = if index <= DEMO_FOLLOWS {
                self.rng.random_range(1..=3)
            } else if self.rng.random_bool(0.4) {
                self.rng.random_range(1..=2)
            } else {
                0
            };
            for _ in 0..stories {
                self.story(author);
            }
        }

        let mut follows = HashSet::new();
        for followed in followed_by_demo {
            follows.insert((followed.clone(), demo.clone()));
        }
        for follower in &ids[1..] {
            let count = self.rng.random_range(5..=15).min(ids.len() - 1);
            for followed in ids.choose_multiple(&mut self.rng, count) {
                if followed != follower {
                    follows.insert((followed.clone(), follower.clone()));
                }
            }
        }
        for (followed, follower) in follows {
            let created_at = self.within(Duration::days(60));
            self.data.follows.push(user_follower::ActiveModel {
                user_id: Set(followed),
                follower_id: Set(follower),
                created_at: Set(created_at),
            });
        }

        for post_id in &post_ids {
            let count = self.rng.random_range(0..=20).min(ids.len());
            let likers: Vec<String> = ids.choose_multiple(&mut self.rng, count).cloned().collect();
            for liker in likers {
                let created_at = self.within(Duration::days(7));
                self.data.likes.push(post_like::ActiveModel {
                    user_id: Set(liker),
                    post_id: Set(post_id.clone()),
                    created_at: Set(created_at),
                });
            }
        }

        self.data
    }

    /// Creates the accounts, the demo account first; returns their ids.
    fn people(&mut self, count: usize, password_hash: &str) -> Vec<String> {
        let mut taken = HashSet::new();
        let mut ids = Vec::with_capacity(count);
        for index in 0..count {
            let (username, description) = if index == 0 {
                (
                    DEMO_USERNAME.to_owned(),
                    "The demo account. Follows a few friends; say hi!".to_owned(),
                )
            } else {
                let name: String = Username().fake_with_rng(&mut self.rng);
                let mut username = clean_username(&name);
                while !taken.insert(username.to_lowercase()) {
                    username = format!(
                        "{}{}",
                        clean_username(&name),
                        self.rng.random_range(1..1000)
                    );
                }
                (username, self.description())
            };
            taken.insert(username.to_lowercase());

            let id = cuid2::create_id();
            let email = if index == 0 {
                DEMO_EMAIL.to_owned()
            } else {
                format!("{}@example.com", username.to_lowercase())
            };
            let created_at = self.within(Duration::days(365));
            self.data.users.push(user::ActiveModel {
                id: Set(id.clone()),
                username: Set(username.clone()),
                email: Set(email),
                password: Set(password_hash.to_owned()),
                description: Set(description),
                created_at: Set(created_at),
            });
            self.picture(
                image::ImageKind::User,
                &id,
                0,
                &format!("https://picsum.photos/seed/{username}/320/320"),
            );
            ids.push(id);
        }
        ids
    }

    fn description(&mut self) -> String {
        let first: String = FirstName().fake_with_rng(&mut self.rng);
        let job: String = Title().fake_with_rng(&mut self.rng);
        let city: String = CityName().fake_with_rng(&mut self.rng);
        match self.rng.random_range(0..3) {
            0 => format!("{first}. {job} in {city}."),
            1 => format!("{job} · {city} · coffee first"),
            _ => format!("{city} based. Pictures of whatever {first} finds on the way."),
        }
    }

    fn post(&mut self, author: &str) -> String {
        let id = cuid2::create_id();
        let phrase: String = CatchPhrase().fake_with_rng(&mut self.rng);
        let tag: String = Word().fake_with_rng(&mut self.rng);
        let caption = format!("{phrase} #{tag}");
        let created_at = self.within(Duration::days(21));
        self.data.posts.push(post::ActiveModel {
            id: Set(id.clone()),
            caption: Set(caption),
            user_id: Set(author.to_owned()),
            created_at: Set(created_at),
        });
        for sequence in 0..self.rng.random_range(1..=5) {
            let url = self.photo_url(640);
            self.picture(image::ImageKind::Post, &id, sequence, &url);
        }
        id
    }

    fn story(&mut self, author: &str) {
        let id = cuid2::create_id();
        let city: String = CityName().fake_with_rng(&mut self.rng);
        let created_at = self.within(Duration::hours(20));
        self.data.stories.push(story::ActiveModel {
            id: Set(id.clone()),
            caption: Set(format!("Today in {city}")),
            user_id: Set(author.to_owned()),
            created_at: Set(created_at),
        });
        let url = self.photo_url(1080);
        self.picture(image::ImageKind::Story, &id, 0, &url);
    }

    fn picture(&mut self, kind: image::ImageKind, owner: &str, sequence: i32, url: &str) {
        self.data.images.push(image::ActiveModel {
            id: NotSet,
            kind: Set(kind),
            url: Set(url.to_owned()),
            associated_id: Set(owner.to_owned()),
            sequence: Set(sequence),
        });
    }

    fn photo_url(&mut self, size: u32) -> String {
        let word: String = Word().fake_with_rng(&mut self.rng);
        let n: u32 = self.rng.random_range(1..10_000);
        format!("https://picsum.photos/seed/{word}{n}/{size}/{size}")
    }

    /// A time between `span` ago and now, to the microsecond.
    fn within(&mut self, span: Duration) -> DateTime<Utc> {
        let micros = self
            .rng
            .random_range(0..span.num_microseconds().unwrap_or(1).max(1));
        self.now - Duration::microseconds(micros)
    }
}

/// A fake username cut down to the characters and length usernames allow.
fn clean_username(raw: &str) -> String {
    let cleaned: String = raw
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '.' || *c == '_')
        .take(24)
        .collect();
    if cleaned.is_empty() {
        "user".to_owned()
    } else {
        cleaned
    }
}
