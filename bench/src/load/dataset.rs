//! The synthetic dataset the load benchmark runs against: users, posts with
//! their pictures, likes and follows at a chosen scale, written with multi-row
//! INSERTs into a freshly migrated database.
//!
//! Activity is skewed the way social data is: a few authors post far more
//! than the rest and attract most follows and likes, posts are spread over
//! months, and a handful of ordinary users (the viewers) follow exactly
//! [`VIEWER_FOLLOWS`] authors each, so the feed workloads read a feed of a
//! known shape. A fixed seed makes every run write the same rows; only the
//! times move with the clock, so the feed always looks recent.

use std::{
    collections::HashSet,
    time::{Duration as StdDuration, Instant},
};

use chrono::{DateTime, Duration, Utc};
use entity::{image, post, post_like, user, user_follower};
use rand::{
    Rng, SeedableRng,
    distr::{Distribution, weighted::WeightedIndex},
    rngs::StdRng,
};
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ConnectionTrait, DatabaseConnection, EntityTrait, TransactionTrait,
};

/// The password of every generated account.
pub const PASSWORD: &str = "load-bench-passphrase";
/// The production bcrypt cost, so that `signIn` costs what it costs in
/// production.
pub const BCRYPT_COST: u32 = 12;
/// How many viewers the feed, profile and like workloads act as.
pub const VIEWERS: usize = 8;
/// How many authors each viewer follows.
pub const VIEWER_FOLLOWS: usize = 50;
/// How many profiles the profile workload visits in turn.
const PROFILES: usize = 40;
/// How many accounts the sign-in workload signs in as, in turn.
pub const SIGNERS: usize = 256;
/// How many posts the like workload likes and unlikes in turn.
const LIKE_TARGETS: usize = 100;

/// Bound parameters per INSERT: under SQLite's limit of 32,766 and
/// PostgreSQL's of 65,535.
const PARAMS_PER_INSERT: usize = 30_000;
/// Rows per transaction, so that PostgreSQL never holds one huge transaction.
const ROWS_PER_TRANSACTION: usize = 100_000;

/// How much data to generate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Preset {
    /// 1,000 users, 20,000 posts: a quick run.
    Small,
    /// 10,000 users, 200,000 posts, 1,000,000 likes, 200,000 follows.
    Default,
    /// Ten times `default`.
    X10,
}

/// Row targets of a preset.
#[derive(Clone, Copy, Debug)]
pub struct Scale {
    pub users: usize,
    pub posts: usize,
    pub likes: usize,
    pub follows: usize,
}

impl Preset {
    pub fn scale(self) -> Scale {
        let base = Scale {
            users: 10_000,
            posts: 200_000,
            likes: 1_000_000,
            follows: 200_000,
        };
        match self {
            Preset::Small => Scale {
                users: 1_000,
                posts: 20_000,
                likes: 100_000,
                follows: 20_000,
            },
            Preset::Default => base,
            Preset::X10 => Scale {
                users: base.users * 10,
                posts: base.posts * 10,
                likes: base.likes * 10,
                follows: base.follows * 10,
            },
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Preset::Small => "small",
            Preset::Default => "default",
            Preset::X10 => "x10",
        }
    }
}

/// What the workloads need to know about the generated data.
#[derive(Debug)]
pub struct Generated {
    /// Emails of the viewers, who follow [`VIEWER_FOLLOWS`] authors each.
    pub viewer_emails: Vec<String>,
    /// The viewers' user ids, in the same order.
    pub viewer_ids: Vec<String>,
    /// Emails of the [`SIGNERS`] accounts the sign-in workload signs in as,
    /// so that at most a few sign-ins for one account are in flight at once,
    /// as with real people, rather than tripping the per-account limit.
    pub signer_emails: Vec<String>,
    /// Usernames the profile workload visits: the busiest authors and others.
    pub profiles: Vec<String>,
    /// Posts the like workload likes and unlikes.
    pub like_targets: Vec<String>,
    pub elapsed: StdDuration,
}

fn user_id(index: usize) -> String {
    format!("u{index:07}")
}

fn username(index: usize) -> String {
    format!("user{index}")
}

fn email(index: usize) -> String {
    format!("user{index}@load.example.com")
}

fn post_id(index: usize) -> String {
    format!("p{index:08}")
}

/// Weights `1 / (rank + 1)^exponent`: user 0 is the busiest and most
/// followed, and the tail is long.
fn zipf(count: usize, exponent: f64) -> anyhow::Result<WeightedIndex<f64>> {
    Ok(WeightedIndex::new(
        (0..count).map(|rank| 1.0 / ((rank + 1) as f64).powf(exponent)),
    )?)
}

/// Fills `db`, which must be migrated and have no users, at `scale`.
/// `password_hash` is a bcrypt hash of [`PASSWORD`], shared by every account.
pub async fn generate(
    db: &DatabaseConnection,
    scale: Scale,
    password_hash: &str,
) -> anyhow::Result<Generated> {
    anyhow::ensure!(
        scale.users > VIEWERS + VIEWER_FOLLOWS + PROFILES,
        "too few users for the workloads"
    );
    let started = Instant::now();
    let now = instanext_api::clock::now();
    let mut rng = StdRng::seed_from_u64(0x10ad_bec4);
    let users = scale.users;

    // Ordinary users from the middle of the ranking: they post little and are
    // followed little, like most people.
    let viewers: Vec<usize> = (users / 2..users / 2 + VIEWERS).collect();

    insert_chunked::<user::Entity, _>(
        db,
        6,
        (0..users).map(|index| {
            let created_at = within(&mut rng, now, Duration::days(730));
            user::ActiveModel {
                id: Set(user_id(index)),
                username: Set(username(index)),
                email: Set(email(index)),
                password: Set(password_hash.to_owned()),
                description: Set(format!("Account number {index} of the load benchmark.")),
                created_at: Set(created_at),
            }
        }),
    )
    .await?;

    // Authors post with a Zipf-like skew; every post is somewhere in the last
    // six months, and carries 1 to 5 pictures, most often one.
    let activity = zipf(users, 0.8)?;
    let pictures = WeightedIndex::new([40, 25, 15, 10, 10])?;
    let mut post_author = Vec::with_capacity(scale.posts);
    let mut post_time = Vec::with_capacity(scale.posts);
    let mut posts_by_author: Vec<Vec<u32>> = vec![Vec::new(); users];
    let mut picture_counts = Vec::with_capacity(scale.posts);
    for index in 0..scale.posts {
        let author = activity.sample(&mut rng);
        post_author.push(author as u32);
        post_time.push(within(&mut rng, now, Duration::days(180)));
        posts_by_author[author].push(index as u32);
        picture_counts.push(pictures.sample(&mut rng) + 1);
    }
    insert_chunked::<post::Entity, _>(
        db,
        4,
        (0..scale.posts).map(|index| post::ActiveModel {
            id: Set(post_id(index)),
            caption: Set(format!(
                "Picture {index} from {} #{}",
                username(post_author[index] as usize),
                ["travel", "food", "city", "sunset", "friends", "work"][index % 6]
            )),
            user_id: Set(user_id(post_author[index] as usize)),
            created_at: Set(post_time[index]),
        }),
    )
    .await?;

    let avatars = (0..users).map(|index| image::ActiveModel {
        id: NotSet,
        kind: Set(image::ImageKind::User),
        url: Set(format!("https://img.example.com/u/{index}.jpg")),
        associated_id: Set(user_id(index)),
        sequence: Set(0),
    });
    let post_pictures = picture_counts
        .iter()
        .enumerate()
        .flat_map(|(index, &count)| {
            (0..count).map(move |sequence| image::ActiveModel {
                id: NotSet,
                kind: Set(image::ImageKind::Post),
                url: Set(format!("https://img.example.com/p/{index}/{sequence}.jpg")),
                associated_id: Set(post_id(index)),
                sequence: Set(sequence as i32),
            })
        });
    insert_chunked::<image::Entity, _>(db, 4, avatars.chain(post_pictures)).await?;

    // Follows lean towards popular people: the followed side is drawn with
    // the popularity skew, the follower side uniformly.
    let popularity = zipf(users, 1.0)?;
    let mut follows: HashSet<(u32, u32)> = HashSet::with_capacity(scale.follows);
    let mut ordered = Vec::with_capacity(scale.follows);
    for &viewer in &viewers {
        let mut count = 0;
        while count < VIEWER_FOLLOWS {
            let followed = popularity.sample(&mut rng);
            if followed != viewer && follows.insert((followed as u32, viewer as u32)) {
                ordered.push((followed as u32, viewer as u32));
                count += 1;
            }
        }
    }
    let mut attempts = 0usize;
    while ordered.len() < scale.follows && attempts < scale.follows * 20 {
        attempts += 1;
        let follower = rng.random_range(0..users);
        let followed = popularity.sample(&mut rng);
        if follower == followed || viewers.contains(&follower) {
            continue;
        }
        if follows.insert((followed as u32, follower as u32)) {
            ordered.push((followed as u32, follower as u32));
        }
    }
    drop(follows);
    let follow_times: Vec<DateTime<Utc>> = ordered
        .iter()
        .map(|_| within(&mut rng, now, Duration::days(365)))
        .collect();
    insert_chunked::<user_follower::Entity, _>(
        db,
        3,
        ordered
            .iter()
            .zip(&follow_times)
            .map(
                |(&(followed, follower), &created_at)| user_follower::ActiveModel {
                    user_id: Set(user_id(followed as usize)),
                    follower_id: Set(user_id(follower as usize)),
                    created_at: Set(created_at),
                },
            ),
    )
    .await?;

    // Likes go mostly to the posts of popular authors, from anyone, within a
    // week of the post.
    let mut liked: HashSet<u64> = HashSet::with_capacity(scale.likes);
    let mut likes = Vec::with_capacity(scale.likes);
    let mut attempts = 0usize;
    while likes.len() < scale.likes && attempts < scale.likes * 20 {
        attempts += 1;
        let author = popularity.sample(&mut rng);
        let Some(&post) = pick(&mut rng, &posts_by_author[author]) else {
            continue;
        };
        let liker = rng.random_range(0..users) as u32;
        if liked.insert(u64::from(liker) << 32 | u64::from(post)) {
            let posted = post_time[post as usize];
            let age = (now - posted).min(Duration::days(7));
            likes.push((liker, post, within(&mut rng, posted + age, age)));
        }
    }
    drop(liked);
    insert_chunked::<post_like::Entity, _>(
        db,
        3,
        likes
            .iter()
            .map(|&(liker, post, created_at)| post_like::ActiveModel {
                user_id: Set(user_id(liker as usize)),
                post_id: Set(post_id(post as usize)),
                created_at: Set(created_at),
            }),
    )
    .await?;

    let mut profiles: Vec<String> = (0..PROFILES / 2).map(username).collect();
    while profiles.len() < PROFILES {
        let index = rng.random_range(PROFILES..users);
        if !posts_by_author[index].is_empty() {
            profiles.push(username(index));
        }
    }
    let like_targets = posts_by_author
        .iter()
        .filter_map(|posts| posts.last())
        .take(LIKE_TARGETS)
        .map(|&post| post_id(post as usize))
        .collect();

    Ok(Generated {
        viewer_emails: viewers.iter().map(|&index| email(index)).collect(),
        viewer_ids: viewers.iter().map(|&index| user_id(index)).collect(),
        signer_emails: (0..SIGNERS.min(users / 4))
            .map(|n| email(users / 4 + n))
            .collect(),
        profiles,
        like_targets,
        elapsed: started.elapsed(),
    })
}

fn pick<'a, T>(rng: &mut StdRng, items: &'a [T]) -> Option<&'a T> {
    if items.is_empty() {
        None
    } else {
        items.get(rng.random_range(0..items.len()))
    }
}

/// A time between `span` before `end` and `end`, to the microsecond.
fn within(rng: &mut StdRng, end: DateTime<Utc>, span: Duration) -> DateTime<Utc> {
    let micros = span.num_microseconds().unwrap_or(1).max(1);
    end - Duration::microseconds(rng.random_range(0..micros))
}

/// Inserts `rows` with as many rows per statement as the parameter limit
/// allows (`columns` bound values per row), committing every
/// [`ROWS_PER_TRANSACTION`] rows.
async fn insert_chunked<E, A>(
    db: &DatabaseConnection,
    columns: usize,
    rows: impl Iterator<Item = A>,
) -> anyhow::Result<()>
where
    E: EntityTrait<ActiveModel = A>,
    A: sea_orm::ActiveModelTrait<Entity = E> + Send,
{
    let per_insert = PARAMS_PER_INSERT / columns;
    let mut rows = rows.peekable();
    while rows.peek().is_some() {
        let txn = db.begin().await?;
        let mut written = 0;
        while written < ROWS_PER_TRANSACTION && rows.peek().is_some() {
            let chunk: Vec<A> = rows.by_ref().take(per_insert).collect();
            written += chunk.len();
            E::insert_many(chunk).exec_without_returning(&txn).await?;
        }
        txn.commit().await?;
    }
    Ok(())
}

/// Rows per table, counted in the database.
pub async fn count_rows(db: &DatabaseConnection) -> anyhow::Result<Vec<(&'static str, i64)>> {
    let mut counts = Vec::new();
    for table in ["users", "posts", "images", "user_followers", "post_likes"] {
        let row = db
            .query_one_raw(sea_orm::Statement::from_string(
                db.get_database_backend(),
                format!("SELECT COUNT(*) FROM {table}"),
            ))
            .await?
            .ok_or_else(|| anyhow::anyhow!("no count for {table}"))?;
        counts.push((table, row.try_get_by_index::<i64>(0)?));
    }
    Ok(counts)
}
