//! Account fields, parsed once at the edge: a value of these types is known to
//! be well-formed, so nothing below has to check again.

use std::{collections::HashSet, sync::LazyLock};

use validator::ValidateEmail;

use crate::error::{AppError, AppResult};

/// Longest description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 500;

/// A well-formed email address, trimmed and lower-cased.
#[derive(Clone, Debug)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> AppResult<Self> {
        // Checked before lower-casing, which turns a few non-ASCII letters
        // (the Kelvin sign) into ASCII ones; the validator alone would take
        // an internationalised domain.
        if !raw.trim().is_ascii() {
            return Err(AppError::bad_input("email", "enter a valid email address"));
        }
        let email = Self::normalize(raw);
        if email.len() > 254 || !email.validate_email() {
            return Err(AppError::bad_input("email", "enter a valid email address"));
        }
        Ok(Self(email))
    }

    /// The form emails are stored and compared in. Only ASCII letters are
    /// folded, so that no other character can turn into one of them.
    pub fn normalize(raw: &str) -> String {
        raw.trim().to_ascii_lowercase()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// 1 to 30 letters, digits, `.` or `_`.
#[derive(Clone, Debug)]
pub struct Username(String);

impl Username {
    pub fn parse(raw: &str) -> AppResult<Self> {
        let username = raw.trim();
        let allowed = |c: char| c.is_ascii_alphanumeric() || c == '.' || c == '_';
        if username.is_empty() || username.len() > 30 || !username.chars().all(allowed) {
            return Err(AppError::bad_input(
                "username",
                "a username is 1 to 30 letters, digits, '.' or '_'",
            ));
        }
        Ok(Self(username.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The 10,000 most common passwords of public breach data, lower-cased.
static COMMON_PASSWORDS: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("../../data/common-passwords.txt")
        .lines()
        .filter(|line| !line.starts_with('#'))
        .collect()
});

/// A password bcrypt can hash faithfully: 8 to 72 bytes and no NUL, since
/// bcrypt ignores everything after 72 bytes or after a NUL.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    pub fn parse(raw: &str) -> AppResult<Self> {
        if raw.len() < 8 {
            return Err(AppError::bad_input(
                "password",
                "a password needs at least 8 bytes",
            ));
        }
        if raw.len() > 72 {
            return Err(AppError::bad_input(
                "password",
                "a password can be at most 72 bytes long",
            ));
        }
        if raw.contains('\0') {
            return Err(AppError::bad_input(
                "password",
                "a password cannot contain a NUL character",
            ));
        }
        if raw.trim().is_empty() {
            return Err(AppError::bad_input(
                "password",
                "a password cannot be only white space",
            ));
        }
        if COMMON_PASSWORDS.contains(raw.to_lowercase().as_str()) {
            return Err(AppError::bad_input(
                "password",
                "this password is among the most common ones; choose another",
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether bcrypt reads all of `raw`: at most 72 bytes and no NUL. Other
    /// passwords could match a stored hash of their beginning.
    pub fn is_verifiable(raw: &str) -> bool {
        raw.len() <= 72 && !raw.contains('\0')
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(..)")
    }
}

/// Free text about a user, at most [`MAX_DESCRIPTION_CHARS`] characters.
#[derive(Clone, Debug)]
pub struct Description(String);

impl Description {
    pub fn parse(raw: &str) -> AppResult<Self> {
        // The limit is on what is kept, as for captions.
        let description = raw.trim();
        if description.chars().count() > MAX_DESCRIPTION_CHARS {
            return Err(AppError::bad_input(
                "description",
                format!("a description can be at most {MAX_DESCRIPTION_CHARS} characters"),
            ));
        }
        Ok(Self(description.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_and_lower_cased() {
        let email = Email::parse("  Ada@Example.COM ").map(|e| e.as_str().to_owned());
        assert_eq!(email.ok().as_deref(), Some("ada@example.com"));
        assert!(Email::parse("not-an-email").is_err());
        for outside_ascii in ["ada@exämple.com", "\u{212a}elvin@example.com"] {
            assert!(Email::parse(outside_ascii).is_err(), "{outside_ascii}");
        }
    }

    #[test]
    fn descriptions_are_measured_once_trimmed() {
        let padded = format!("  {}\n", "é".repeat(MAX_DESCRIPTION_CHARS));
        let kept = Description::parse(&padded).map(|d| d.as_str().chars().count());
        assert_eq!(kept.ok(), Some(MAX_DESCRIPTION_CHARS));
        assert!(Description::parse(&"é".repeat(MAX_DESCRIPTION_CHARS + 1)).is_err());
    }

    #[test]
    fn usernames_allow_letters_digits_dots_and_underscores() {
        assert!(Username::parse("ada.lovelace_1").is_ok());
        for bad in ["", "ada lovelace", "ada@home", &"a".repeat(31), "ädä"] {
            assert!(Username::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn common_passwords_are_refused_whatever_their_case() {
        for common in [
            "password",
            "PassWord1",
            "iloveyou",
            "trustno1",
            "FOOTBALL",
            "        ",
            "\t\t\t\t\t\t\t\t\u{3000}",
        ] {
            assert!(Password::parse(common).is_err(), "{common}");
        }
        assert!(Password::parse("baseball").is_err());
        assert!(Password::parse("correct horse battery").is_ok());
        assert!(
            COMMON_PASSWORDS.len() >= 9_990,
            "{}",
            COMMON_PASSWORDS.len()
        );
    }

    #[test]
    fn passwords_bcrypt_would_truncate_are_refused() {
        assert!(Password::parse("short").is_err());
        assert!(Password::parse(&"x".repeat(73)).is_err());
        assert!(Password::parse("abcdefgh\0xyz").is_err());
        assert!(Password::parse(&"x".repeat(72)).is_ok());
    }
}
