//! Relay-style connections with opaque keyset cursors.
//!
//! A cursor is the position of an item in a list ordered by time and then by id,
//! newest first. It is encoded as URL-safe base64 so that clients treat it as
//! opaque; decoding checks its shape and reports a tampered cursor as bad input.
//! Pages are read with `WHERE (time, id) < (cursor) ... LIMIT first + 1`, never
//! with OFFSET, so a deep page costs what the first one does.

use async_graphql::SimpleObject;
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};

use crate::error::{AppError, AppResult};

/// Page size when `first` is not given.
pub const DEFAULT_PAGE_SIZE: i32 = 20;
/// Largest page size by default (`MAX_PAGE_SIZE`).
pub const DEFAULT_MAX_PAGE_SIZE: i32 = 50;

/// The page a list field's arguments ask for, within the configured size.
pub fn page_request<P: Position>(
    ctx: &async_graphql::Context<'_>,
    list: &'static str,
    first: Option<i32>,
    after: Option<String>,
) -> AppResult<PageRequest<P>> {
    PageRequest::new(
        list,
        first,
        after,
        crate::context::app(ctx).settings.max_page_size,
    )
}

/// The complexity of a page of `first` items, each costing `child`: a list
/// field counts once per item it may return.
pub fn page_complexity(first: Option<i32>, child: usize) -> usize {
    // Counted up to the default largest page; a larger configured page size
    // makes big pages look cheaper than they are, by that factor at most.
    let items = first
        .unwrap_or(DEFAULT_PAGE_SIZE)
        .clamp(1, DEFAULT_MAX_PAGE_SIZE);
    (items as usize).saturating_mul(child).saturating_add(1)
}

/// A position in a list, carried by clients as an opaque cursor. A cursor
/// names the list it belongs to (`list`, such as "feed" or "followers"), and
/// is refused by any other.
pub trait Position: Sized {
    fn encode(&self, list: &str) -> String;
    /// Reads a cursor of `list` back; anything else is bad input.
    fn decode(text: &str, list: &str) -> AppResult<Self>;
}

fn invalid_cursor() -> AppError {
    AppError::bad_input("after", "the cursor is not valid")
}

/// Wraps `tag:body` in URL-safe base64.
pub(crate) fn wrap(tag: &str, body: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{tag}:{body}"))
}

/// The body of a cursor written by `wrap` with this tag.
pub(crate) fn unwrap(text: &str, tag: &str) -> AppResult<String> {
    let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| invalid_cursor())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid_cursor())?;
    text.strip_prefix(tag)
        .and_then(|rest| rest.strip_prefix(':'))
        .map(str::to_owned)
        .ok_or_else(invalid_cursor)
}

/// The times a cursor may hold, in microseconds since 1970: the years 1 to
/// 9999.
const CURSOR_MICROS: std::ops::RangeInclusive<i64> =
    -62_135_596_800_000_000..=253_402_300_799_999_999;

/// Whether `id` looks like an id this server generates.
fn is_plain_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A position in a list ordered by `(time, id)` descending.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cursor {
    pub time: DateTime<Utc>,
    pub id: String,
}

impl Cursor {
    pub fn new(time: DateTime<Utc>, id: impl Into<String>) -> Self {
        Self {
            time,
            id: id.into(),
        }
    }
}

impl Position for Cursor {
    fn encode(&self, list: &str) -> String {
        wrap(
            &format!("v1.{list}"),
            &format!("{}:{}", self.time.timestamp_micros(), self.id),
        )
    }

    fn decode(text: &str, list: &str) -> AppResult<Self> {
        let body = unwrap(text, &format!("v1.{list}"))?;
        let (micros, id) = body.split_once(':').ok_or_else(invalid_cursor)?;
        let micros: i64 = micros.parse().map_err(|_| invalid_cursor())?;
        // Only times that both databases can compare: PostgreSQL refuses a
        // timestamp before 4713 BC, which chrono would still accept.
        if !CURSOR_MICROS.contains(&micros) {
            return Err(invalid_cursor());
        }
        let time = DateTime::from_timestamp_micros(micros).ok_or_else(invalid_cursor)?;
        if !is_plain_id(id) {
            return Err(invalid_cursor());
        }
        Ok(Self::new(time, id))
    }
}

/// The validated `first` and `after` arguments of a list field.
#[derive(Clone, Debug)]
pub struct PageRequest<P = Cursor> {
    /// Which list this is, as named in its cursors.
    pub list: &'static str,
    /// How many items to return, between 0 and the configured largest page.
    pub first: u64,
    /// Where the page starts; `None` for the first page.
    pub after: Option<P>,
}

impl<P: Position> PageRequest<P> {
    /// The page of `list` that a field's arguments ask for, at most `max` items.
    pub fn new(
        list: &'static str,
        first: Option<i32>,
        after: Option<String>,
        max: i32,
    ) -> AppResult<Self> {
        let first = first.unwrap_or(DEFAULT_PAGE_SIZE);
        if first < 0 {
            return Err(AppError::bad_input("first", "`first` must not be negative"));
        }
        let after = after
            .as_deref()
            .map(|text| P::decode(text, list))
            .transpose()?;
        Ok(Self {
            list,
            first: first.min(max) as u64,
            after,
        })
    }

    /// The cursor of `position` in this list.
    pub fn cursor(&self, position: &P) -> String {
        position.encode(self.list)
    }

    /// How many rows to fetch: one more than the page, to learn whether
    /// another page follows.
    pub fn limit(&self) -> u64 {
        self.first + 1
    }
}

/// Information about where a page sits in its list.
#[derive(Clone, Debug, SimpleObject)]
pub struct PageInfo {
    /// Whether more items follow this page.
    pub has_next_page: bool,
    /// Always false: lists are read forwards only, with `first` and `after`.
    pub has_previous_page: bool,
    /// Cursor of the first item of the page, if it has any.
    pub start_cursor: Option<String>,
    /// Cursor of the last item of the page; pass it as `after` for the next page.
    pub end_cursor: Option<String>,
}

/// Cuts the rows read for `page` (up to `page.limit()` of them, in list order)
/// to the page, and describes where the page sits. `cursor` gives each row's
/// encoded position, `node` turns a row into the item clients see.
pub fn paginate<R, N, P>(
    page: &PageRequest<P>,
    mut rows: Vec<R>,
    cursor: impl Fn(&R) -> String,
    node: impl Fn(R) -> N,
) -> (Vec<(String, N)>, PageInfo) {
    let has_next_page = rows.len() as u64 > page.first;
    rows.truncate(page.first as usize);
    let items: Vec<(String, N)> = rows
        .into_iter()
        .map(|row| (cursor(&row), node(row)))
        .collect();
    let page_info = PageInfo {
        has_next_page,
        has_previous_page: false,
        start_cursor: items.first().map(|(cursor, _)| cursor.clone()),
        end_cursor: items.last().map(|(cursor, _)| cursor.clone()),
    };
    (items, page_info)
}

/// Declares a connection type and its edge type for one kind of node:
/// `connection!(PostConnection, PostEdge, Post, "post")`.
macro_rules! connection {
    ($connection:ident, $edge:ident, $node:ty, $what:literal) => {
        #[doc = concat!("One ", $what, " in a page, with its cursor.")]
        #[derive(Clone, Debug, async_graphql::SimpleObject)]
        pub struct $edge {
            /// Opaque position of this item; pass it as `after` to read what follows.
            pub cursor: String,
            /// The item.
            pub node: $node,
        }

        #[doc = concat!("One page of a list of ", $what, "s, in the list's order.")]
        #[derive(Clone, Debug, async_graphql::SimpleObject)]
        pub struct $connection {
            /// The items of this page with their cursors.
            pub edges: Vec<$edge>,
            /// Where this page sits in the list.
            pub page_info: $crate::pagination::PageInfo,
        }

        impl $connection {
            /// Builds the page from the rows read for it; see `paginate`.
            pub fn from_rows<R, P>(
                page: &$crate::pagination::PageRequest<P>,
                rows: Vec<R>,
                cursor: impl Fn(&R) -> String,
                node: impl Fn(R) -> $node,
            ) -> Self {
                let (items, page_info) = $crate::pagination::paginate(page, rows, cursor, node);
                let edges = items
                    .into_iter()
                    .map(|(cursor, node)| $edge { cursor, node })
                    .collect();
                Self { edges, page_info }
            }
        }
    };
}
pub(crate) use connection;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_survives_a_round_trip() {
        let cursor = Cursor::new(crate::clock::now(), "ckabc123");
        assert_eq!(
            Cursor::decode(&cursor.encode("feed"), "feed").ok(),
            Some(cursor)
        );
    }

    #[test]
    fn tampered_cursors_are_bad_input() {
        for text in ["", "!!!", "djE6MTIz", &URL_SAFE_NO_PAD.encode("v1:abc:id")] {
            let err = Cursor::decode(text, "feed").err();
            assert!(matches!(err, Some(AppError::BadInput { .. })), "{text}");
        }
        let sql = URL_SAFE_NO_PAD.encode("v1:0:x' OR 1=1 --");
        assert!(Cursor::decode(&sql, "feed").is_err());
        for micros in [i64::MIN, -210_866_803_200_000_001, 253_402_300_800_000_000] {
            let ancient = URL_SAFE_NO_PAD.encode(format!("v1.feed:{micros}:abc"));
            assert!(Cursor::decode(&ancient, "feed").is_err(), "{micros}");
        }
    }

    #[test]
    fn a_cursor_of_one_list_is_refused_by_another() {
        let cursor = Cursor::new(crate::clock::now(), "ckabc123").encode("feed");
        assert!(Cursor::decode(&cursor, "followers").is_err());
        assert!(PageRequest::<Cursor>::new("likers", None, Some(cursor), 50).is_err());
    }

    #[test]
    fn page_size_is_capped_and_never_negative() {
        let first = |n| {
            PageRequest::<Cursor>::new("feed", n, None, 50)
                .map(|p| p.first)
                .ok()
        };
        assert_eq!(first(Some(500)), Some(50));
        assert_eq!(first(None), Some(20));
        assert_eq!(first(Some(-1)), None);
    }
}
