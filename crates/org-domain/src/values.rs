//! Value objects: once parsed, always valid.
use std::fmt;
use std::sync::LazyLock;

use crate::error::{DomainError, Result};

static SLUG_RE: LazyLock<regex::Regex> = LazyLock::new(|| {
    #[allow(clippy::expect_used)] // a constant pattern, covered by tests
    regex::Regex::new(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$").expect("valid slug regex")
});

/// Slugs that would collide with fixed path segments under `/api/organizations/`.
pub const RESERVED_SLUGS: [&str; 5] = ["me", "members", "roles", "invitations", "users"];

/// An organization slug: `^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$`, not reserved.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Slug(String);

impl Slug {
    /// Parses a slug; `422 validation_failed` when malformed, `422 reserved_slug` when reserved.
    pub fn parse(s: &str) -> Result<Self> {
        if !SLUG_RE.is_match(s) {
            return Err(DomainError::invalid(
                "slug",
                "must be 1-63 lowercase ASCII letters, digits or inner hyphens",
            ));
        }
        if RESERVED_SLUGS.contains(&s) {
            return Err(DomainError::unprocessable(
                "reserved_slug",
                format!("the slug '{s}' is reserved"),
            ));
        }
        Ok(Self(s.to_owned()))
    }

    /// Derives a slug from a display name: ASCII-folds nothing, keeps `[a-z0-9]`, joins the
    /// rest with single hyphens. Falls back to `org` when nothing is left, and suffixes
    /// reserved words with `-org`.
    pub fn derive(name: &str) -> Self {
        let mut out = String::with_capacity(name.len());
        for c in name.chars().flat_map(char::to_lowercase) {
            if c.is_ascii_lowercase() || c.is_ascii_digit() {
                out.push(c);
            } else if !out.ends_with('-') && !out.is_empty() {
                out.push('-');
            }
        }
        out.truncate(63);
        let mut out = out.trim_end_matches('-').to_owned();
        if out.is_empty() {
            out = "org".to_owned();
        }
        if RESERVED_SLUGS.contains(&out.as_str()) {
            out.push_str("-org");
        }
        Self(out)
    }

    /// The slug text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An email address, trimmed and lower-cased (emails are unique case-insensitively).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    /// Parses an email: one `@`, a non-empty local part, a dotted domain, no spaces, ≤ 254.
    pub fn parse(s: &str) -> Result<Self> {
        let s = s.trim().to_lowercase();
        let valid = s.len() <= 254
            && !s.chars().any(|c| c.is_whitespace() || c.is_control())
            && match s.split_once('@') {
                Some((local, domain)) => {
                    !local.is_empty()
                        && !domain.contains('@')
                        && domain.contains('.')
                        && !domain.starts_with('.')
                        && !domain.ends_with('.')
                }
                None => false,
            };
        if valid {
            Ok(Self(s))
        } else {
            Err(DomainError::invalid(
                "email",
                "is not a valid email address",
            ))
        }
    }

    /// The normalized address.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The part before `@`, used as the default username.
    pub fn local_part(&self) -> &str {
        self.0.split('@').next().unwrap_or_default()
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An IANA time zone name such as `Europe/Berlin` or `UTC`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timezone(String);

impl Timezone {
    /// Parses a time zone name against the IANA database.
    pub fn parse(s: &str) -> Result<Self> {
        s.parse::<chrono_tz::Tz>()
            .map(|tz| Self(tz.name().to_owned()))
            .map_err(|_| {
                DomainError::invalid("timezone", format!("'{s}' is not an IANA time zone"))
            })
    }

    /// `UTC`, the default.
    pub fn utc() -> Self {
        Self("UTC".to_owned())
    }

    /// The zone name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Checks a free-text field's length in characters (not bytes); `min` 0 allows empty.
pub fn check_len(field: &str, value: &str, min: usize, max: usize) -> Result<()> {
    let n = value.chars().count();
    if n < min || n > max {
        let msg = if min > 0 {
            format!("must be {min} to {max} characters long")
        } else {
            format!("must be at most {max} characters long")
        };
        return Err(DomainError::invalid(field, msg));
    }
    Ok(())
}

/// An organization display name: 1–200 characters, not only whitespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgName(String);

impl OrgName {
    /// Parses a name; surrounding whitespace is trimmed.
    pub fn parse(s: &str) -> Result<Self> {
        let s = s.trim();
        check_len("name", s, 1, 200)?;
        Ok(Self(s.to_owned()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A URL field (`logo_url`, `avatar_url`): `http(s)://…`, ≤ 2048 characters.
pub fn check_url(field: &str, value: &str) -> Result<()> {
    check_len(field, value, 1, 2048)?;
    let lower = value.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"));
    match rest {
        Some(r) if !r.is_empty() && !value.chars().any(char::is_whitespace) => Ok(()),
        _ => Err(DomainError::invalid(field, "must be an http(s) URL")),
    }
}

/// A password in clear text as the client sent it: 8–256 characters.
pub struct Password(String);

impl Password {
    /// Parses a new password.
    pub fn parse(s: &str) -> Result<Self> {
        check_len("password", s, 8, 256)?;
        Ok(Self(s.to_owned()))
    }

    /// The clear text, for the hasher only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert!(Slug::parse("acme").is_ok());
        assert!(Slug::parse("a").is_ok());
        assert!(Slug::parse("acme-2").is_ok());
        for bad in [
            "",
            "-a",
            "a-",
            "Acme",
            "a_b",
            "ａcme",
            "acme\u{0430}",
            &"a".repeat(64),
        ] {
            assert!(
                matches!(Slug::parse(bad), Err(DomainError::Validation(_))),
                "{bad}"
            );
        }
        assert_eq!(Slug::parse("me").unwrap_err().code(), "reserved_slug");
        assert_eq!(Slug::derive("Acme Corp!").as_str(), "acme-corp");
        assert_eq!(Slug::derive("Ünïcode").as_str(), "n-code");
        assert_eq!(Slug::derive("!!!").as_str(), "org");
        assert_eq!(Slug::derive("Members").as_str(), "members-org");
        assert!(Slug::parse(Slug::derive(&"x y ".repeat(80)).as_str()).is_ok());
    }

    #[test]
    fn emails() {
        assert_eq!(
            Email::parse(" Ann@Example.COM ").unwrap().as_str(),
            "ann@example.com"
        );
        for bad in [
            "", "ann", "@x.io", "ann@", "ann@x", "a b@x.io", "a@b@c.io", "a@.io",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn timezones() {
        assert_eq!(
            Timezone::parse("Europe/Berlin").unwrap().as_str(),
            "Europe/Berlin"
        );
        assert!(Timezone::parse("Mars/Olympus").is_err());
        assert!(Timezone::parse("").is_err());
    }

    #[test]
    fn names_and_urls() {
        assert!(OrgName::parse("  ").is_err());
        assert!(OrgName::parse(&"n".repeat(201)).is_err());
        assert_eq!(OrgName::parse(" Acme ").unwrap().as_str(), "Acme");
        assert!(check_url("logo_url", "https://x.io/l.png").is_ok());
        assert!(check_url("logo_url", "javascript:alert(1)").is_err());
        assert!(Password::parse("short").is_err());
    }
}
