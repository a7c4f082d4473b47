//! What people publish, parsed at the edge: captions and picture URLs.

use crate::error::{AppError, AppResult};

/// Longest caption of a post or story, in characters.
pub const MAX_CAPTION_CHARS: usize = 2_200;
/// Longest picture URL, in bytes.
pub const MAX_URL_BYTES: usize = 2_048;
/// Most pictures in one post.
pub const MAX_POST_PICTURES: usize = 10;

/// A caption of at most [`MAX_CAPTION_CHARS`] characters, kept exactly as
/// written apart from surrounding white space.
#[derive(Clone, Debug)]
pub struct Caption(String);

impl Caption {
    pub fn parse(raw: &str) -> AppResult<Self> {
        let caption = raw.trim();
        if caption.chars().count() > MAX_CAPTION_CHARS {
            return Err(AppError::bad_input(
                "caption",
                format!("a caption can be at most {MAX_CAPTION_CHARS} characters"),
            ));
        }
        if caption.contains('\0') {
            return Err(AppError::bad_input(
                "caption",
                "a caption cannot contain a NUL character",
            ));
        }
        Ok(Self(caption.to_owned()))
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// An absolute http(s) URL of a picture.
#[derive(Clone, Debug)]
pub struct PictureUrl(String);

impl PictureUrl {
    pub fn parse(field: &'static str, raw: &str) -> AppResult<Self> {
        let invalid = || AppError::bad_input(field, "a picture must be an absolute http(s) URL");
        // Not trimmed: surrounding white space is refused like any other, so
        // that what is stored is what was sent.
        if raw.len() > MAX_URL_BYTES {
            return Err(AppError::bad_input(
                field,
                format!("a picture URL can be at most {MAX_URL_BYTES} bytes"),
            ));
        }
        // The authority must be written out: `https:a.b` and `https:///a.b`
        // parse with host `a.b`, but a browser reads them as paths.
        let authority = ["http://", "https://"].iter().find_map(|scheme| {
            let head = raw.get(..scheme.len())?;
            head.eq_ignore_ascii_case(scheme)
                .then(|| &raw[scheme.len()..])
        });
        if authority.is_none_or(|rest| rest.starts_with(['/', '\\'])) {
            return Err(invalid());
        }
        let url = url::Url::parse(raw).map_err(|_| invalid())?;
        let web = matches!(url.scheme(), "http" | "https");
        if !web || url.host_str().is_none_or(str::is_empty) || raw.chars().any(char::is_whitespace)
        {
            return Err(invalid());
        }
        // Every viewer sees a picture's URL: it must not carry a password.
        if !url.username().is_empty() || url.password().is_some() {
            return Err(AppError::bad_input(
                field,
                "a picture URL must not hold a user name or password",
            ));
        }
        // Stored as sent: the parser only judges it, since its normal form
        // (escapes, punycode) could be longer or differ from what was meant.
        Ok(Self(raw.to_owned()))
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_absolute_web_urls_are_pictures() {
        for good in [
            "https://example.com/a.jpg",
            "http://cdn.example.org/x?y=1",
            "HTTPS://X.TEST/é",
        ] {
            let parsed = PictureUrl::parse("url", good)
                .map(PictureUrl::into_inner)
                .ok();
            assert_eq!(parsed.as_deref(), Some(good), "kept exactly as sent");
        }
        let long = format!("https://example.com/{}", "a".repeat(MAX_URL_BYTES));
        for bad in [
            "",
            "example.com/a.jpg",
            "/a.jpg",
            "ftp://example.com/a",
            "javascript:alert(1)",
            "data:image/png;base64,AAAA",
            "file:///etc/passwd",
            "https://",
            "https:a.b",
            "https:///a.b",
            "https:\\\\a.b",
            "http:/a.b",
            " https://example.com/a.jpg",
            "https://example.com/a.jpg\n",
            &long,
        ] {
            assert!(PictureUrl::parse("url", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn captions_have_a_length_limit_in_characters() {
        assert!(Caption::parse(&"é".repeat(MAX_CAPTION_CHARS)).is_ok());
        assert!(Caption::parse(&"é".repeat(MAX_CAPTION_CHARS + 1)).is_err());
    }
}
