//! User search: usernames containing a string, those that start with it first.
//!
//! The list has two runs, prefix matches and then the other matches, each in
//! order of lower-cased username (unique, so a total order). A cursor names the
//! run and the username it stopped at, so a page may end in the first run and
//! the next one continue into the second.

use entity::user;
use sea_orm::{
    ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select,
    sea_query::{Expr, ExprTrait, Func, LikeExpr, SimpleExpr},
};

use crate::{
    error::{AppError, AppResult},
    pagination::{PageRequest, Position},
};

/// Longest search string, in characters.
const MAX_QUERY_CHARS: usize = 64;

/// A search string: trimmed, lower-cased, never blank.
#[derive(Clone, Debug)]
pub struct Needle(String);

impl Needle {
    pub fn parse(raw: &str) -> AppResult<Self> {
        let text = raw.trim();
        if text.is_empty() {
            return Err(AppError::bad_input(
                "query",
                "the search text must not be blank",
            ));
        }
        // Counted as sent: lower-casing can lengthen text ('İ' becomes two
        // characters).
        if text.chars().count() > MAX_QUERY_CHARS {
            return Err(AppError::bad_input(
                "query",
                format!("the search text can be at most {MAX_QUERY_CHARS} characters"),
            ));
        }
        Ok(Self(text.to_lowercase()))
    }

    /// The needle with LIKE's wildcards escaped.
    fn escaped(&self) -> String {
        let mut escaped = String::with_capacity(self.0.len());
        for c in self.0.chars() {
            if matches!(c, '\\' | '%' | '_') {
                escaped.push('\\');
            }
            escaped.push(c);
        }
        escaped
    }
}

/// Which run of the results a row is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Run {
    Prefix,
    Rest,
}

/// A position in the search results.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchCursor {
    pub run: Run,
    /// The lower-cased username of the last row returned.
    pub key: String,
}

impl Position for SearchCursor {
    fn encode(&self, _list: &str) -> String {
        let run = match self.run {
            Run::Prefix => "0",
            Run::Rest => "1",
        };
        crate::pagination::wrap("s1", &format!("{run}:{}", self.key))
    }

    fn decode(text: &str, _list: &str) -> AppResult<Self> {
        let invalid = || AppError::bad_input("after", "the cursor is not valid");
        let body = crate::pagination::unwrap(text, "s1")?;
        let (run, key) = body.split_once(':').ok_or_else(invalid)?;
        let run = match run {
            "0" => Run::Prefix,
            "1" => Run::Rest,
            _ => return Err(invalid()),
        };
        // Keys are lower-cased usernames.
        let plain = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '_';
        if key.is_empty() || key.len() > 64 || !key.chars().all(plain) {
            return Err(invalid());
        }
        Ok(Self {
            run,
            key: key.to_owned(),
        })
    }
}

fn lower_username() -> SimpleExpr {
    Func::lower(Expr::col(user::Column::Username)).into()
}

// TODO: serve search from an index on SQLite too (it reads the users table).

/// The query of one run of matches after `after`, at most `limit` rows.
pub fn run_query(
    needle: &Needle,
    which: Run,
    after: Option<&str>,
    limit: u64,
) -> Select<user::Entity> {
    let escaped = needle.escaped();
    let prefix = LikeExpr::new(format!("{escaped}%")).escape('\\');
    let mut query = user::Entity::find();
    query = match which {
        Run::Prefix => query.filter(lower_username().like(prefix)),
        Run::Rest => query
            .filter(lower_username().like(LikeExpr::new(format!("%{escaped}%")).escape('\\')))
            .filter(lower_username().not_like(prefix)),
    };
    if let Some(after) = after {
        query = query.filter(lower_username().gt(after));
    }
    query
        .order_by(lower_username(), sea_orm::Order::Asc)
        .limit(limit)
}

/// One page of results, each with its cursor; one row more than the page when
/// another page follows.
pub async fn page(
    db: &impl ConnectionTrait,
    needle: &Needle,
    page: &PageRequest<SearchCursor>,
) -> AppResult<Vec<(SearchCursor, user::Model)>> {
    let limit = page.limit();
    let tag = |which: Run| {
        move |model: user::Model| {
            let cursor = SearchCursor {
                run: which,
                key: model.username.to_lowercase(),
            };
            (cursor, model)
        }
    };

    let mut rows = Vec::new();
    let in_rest = page
        .after
        .as_ref()
        .is_some_and(|cursor| cursor.run == Run::Rest);
    if !in_rest {
        let after = page.after.as_ref().map(|cursor| cursor.key.as_str());
        let found = run_query(needle, Run::Prefix, after, limit).all(db).await?;
        rows.extend(found.into_iter().map(tag(Run::Prefix)));
    }
    let missing = limit - rows.len() as u64;
    if missing > 0 {
        let after = page
            .after
            .as_ref()
            .filter(|cursor| cursor.run == Run::Rest)
            .map(|cursor| cursor.key.as_str());
        let found = run_query(needle, Run::Rest, after, missing).all(db).await?;
        rows.extend(found.into_iter().map(tag(Run::Rest)));
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_wildcards_in_the_needle_are_escaped() {
        let needle = Needle::parse(" A_b%c\\ ").map(|n| n.escaped()).ok();
        assert_eq!(needle.as_deref(), Some("a\\_b\\%c\\\\"));
    }

    #[test]
    fn blank_needles_are_refused() {
        assert!(Needle::parse("   ").is_err());
        assert!(Needle::parse(&"a".repeat(65)).is_err());
        assert!(Needle::parse(&"\u{130}".repeat(64)).is_ok());
    }
}
