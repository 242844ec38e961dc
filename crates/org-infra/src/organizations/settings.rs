//! An organization's settings read from their stored JSON text, parsed once per distinct text
//! per thread.
//!
//! Every org-scoped request reads its org's settings with its authentication, and a user's
//! orgs listing reads a hundred of them; almost every org keeps the defaults, stored as the
//! same text. Parsing that text with serde_json was ~8 % of orgd's CPU on the listing
//! (docs/performance.md, optimisation 27). Parsing is a pure function of the text, so each
//! thread remembers the last text it parsed and its value, and answers the next identical
//! text with a copy: nothing to invalidate, a different text is parsed (and remembered).
use std::cell::RefCell;

use org_domain::organizations::OrgSettings;
use sea_orm::sqlx::error::BoxDynError;
use sea_orm::sqlx::postgres::{PgTypeInfo, PgValueFormat, PgValueRef, Postgres};
use sea_orm::sqlx::sqlite::{Sqlite, SqliteTypeInfo, SqliteValueRef};
use sea_orm::sqlx::types::Json;
use sea_orm::sqlx::{Decode, Type, ValueRef};

/// [`OrgSettings`] decoded from a `json` / `jsonb` (PostgreSQL) or text (SQLite) column.
pub(crate) struct StoredSettings(pub(crate) OrgSettings);

thread_local! {
    /// The last text this thread parsed, and what it parsed to.
    static LAST: RefCell<Option<(Box<[u8]>, OrgSettings)>> = const { RefCell::new(None) };
}

impl StoredSettings {
    /// The settings `text` holds.
    ///
    /// # Errors
    /// Text that is not a settings document.
    pub(crate) fn parse(text: &[u8]) -> Result<Self, BoxDynError> {
        LAST.with(|last| {
            let mut last = last.borrow_mut();
            if let Some((seen, settings)) = last.as_ref()
                && **seen == *text
            {
                return Ok(Self(settings.clone()));
            }
            let settings: OrgSettings = serde_json::from_slice(text)?;
            *last = Some((text.into(), settings.clone()));
            Ok(Self(settings))
        })
    }
}

impl Type<Postgres> for StoredSettings {
    fn type_info() -> PgTypeInfo {
        <Json<OrgSettings> as Type<Postgres>>::type_info()
    }

    fn compatible(ty: &PgTypeInfo) -> bool {
        <Json<OrgSettings> as Type<Postgres>>::compatible(ty)
    }
}

impl<'r> Decode<'r, Postgres> for StoredSettings {
    fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
        let mut text = value.as_bytes()?;
        // A `jsonb` value in the binary format starts with its version byte (1), as sqlx's
        // `Json` decoder reads it; `json` is sent as its text.
        let jsonb = <Json<OrgSettings> as Type<Postgres>>::type_info();
        if value.format() == PgValueFormat::Binary && *value.type_info() == jsonb {
            match text.split_first() {
                Some((1, rest)) => text = rest,
                _ => return Err("unsupported JSONB format version (expected 1)".into()),
            }
        }
        Self::parse(text)
    }
}

impl Type<Sqlite> for StoredSettings {
    fn type_info() -> SqliteTypeInfo {
        <Json<OrgSettings> as Type<Sqlite>>::type_info()
    }

    fn compatible(ty: &SqliteTypeInfo) -> bool {
        <Json<OrgSettings> as Type<Sqlite>>::compatible(ty)
    }
}

impl<'r> Decode<'r, Sqlite> for StoredSettings {
    fn decode(value: SqliteValueRef<'r>) -> Result<Self, BoxDynError> {
        Self::parse(<&[u8] as Decode<Sqlite>>::decode(value)?)
    }
}

#[cfg(test)]
mod tests {
    use org_domain::organizations::StatsMethod;

    use super::*;

    fn text(s: &OrgSettings) -> Vec<u8> {
        serde_json::to_vec(s).unwrap()
    }

    #[test]
    fn each_text_is_read_as_itself_whatever_was_read_before() {
        let defaults = OrgSettings::default();
        let changed = OrgSettings {
            members_can_invite: true,
            default_experiment_stats_method: StatsMethod::Frequentist,
            default_role_id: Some("admin".into()),
            ..OrgSettings::default()
        };
        for s in [
            &defaults, &defaults, &changed, &changed, &defaults, &changed,
        ] {
            assert_eq!(StoredSettings::parse(&text(s)).unwrap().0, *s);
        }
    }

    #[test]
    fn a_text_that_is_no_settings_document_is_refused_and_forgotten() {
        let defaults = text(&OrgSettings::default());
        assert!(StoredSettings::parse(&defaults).is_ok());
        // Each twice: a refused text must not be kept as if it had parsed to the last value.
        for bad in [&b"{\"enforce_2fa\": 3}"[..], b"not json", b""] {
            assert!(StoredSettings::parse(bad).is_err());
            assert!(StoredSettings::parse(bad).is_err());
        }
        let changed = OrgSettings {
            enforce_2fa: true,
            ..OrgSettings::default()
        };
        assert_eq!(StoredSettings::parse(&text(&changed)).unwrap().0, changed);
        assert_eq!(
            StoredSettings::parse(&defaults).unwrap().0,
            OrgSettings::default()
        );
    }
}
