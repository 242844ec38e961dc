//! JSON conventions shared by the request and response bodies: RFC 3339 UTC timestamps,
//! and PATCH fields where `null` (clear) differs from absent (leave unchanged).
use serde::{Deserialize, Deserializer, Serializer};
use time::{OffsetDateTime, UtcOffset};

/// A timestamp in UTC, as every answer shows it.
pub fn utc(t: OffsetDateTime) -> OffsetDateTime {
    t.to_offset(UtcOffset::UTC)
}

/// An RFC 3339 timestamp in a request body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Rfc3339(#[serde(with = "time::serde::rfc3339")] pub OffsetDateTime);

/// Deserializes a field that may be absent (`None`), `null` (`Some(None)`) or a value
/// (`Some(Some(v))`). Use with `#[serde(default, deserialize_with = "nullable")]`.
///
/// # Errors
/// When the value is present and not a `T`.
pub fn nullable<'de, T, D>(de: D) -> Result<Option<Option<T>>, D::Error>
where
    T: Deserialize<'de>,
    D: Deserializer<'de>,
{
    Option::<T>::deserialize(de).map(Some)
}

/// Serializes an optional timestamp as RFC 3339 UTC or `null`.
///
/// # Errors
/// When the timestamp cannot be formatted (years outside 0–9999).
pub fn opt_ts<S: Serializer>(t: &Option<OffsetDateTime>, s: S) -> Result<S::Ok, S::Error> {
    time::serde::rfc3339::option::serialize(&t.map(utc), s)
}

/// Serializes a timestamp as RFC 3339 UTC.
///
/// # Errors
/// When the timestamp cannot be formatted (years outside 0–9999).
pub fn ts<S: Serializer>(t: &OffsetDateTime, s: S) -> Result<S::Ok, S::Error> {
    time::serde::rfc3339::serialize(&utc(*t), s)
}

/// Serializes a shown-or-absent nullable timestamp (pair it with
/// `skip_serializing_if = "Option::is_none"`).
///
/// # Errors
/// When the timestamp cannot be formatted (years outside 0–9999).
pub fn opt_opt_ts<S: Serializer>(
    t: &Option<Option<OffsetDateTime>>,
    s: S,
) -> Result<S::Ok, S::Error> {
    opt_ts(&t.flatten(), s)
}

#[cfg(test)]
mod tests {
    use serde::Serialize;
    use serde_json::json;

    use super::*;

    #[derive(Debug, Deserialize)]
    struct Patch {
        #[serde(default, deserialize_with = "nullable")]
        name: Option<Option<String>>,
        #[serde(default, deserialize_with = "nullable")]
        at: Option<Option<Rfc3339>>,
    }

    #[derive(Serialize)]
    struct Out {
        #[serde(serialize_with = "ts")]
        at: OffsetDateTime,
        #[serde(serialize_with = "opt_ts")]
        maybe: Option<OffsetDateTime>,
    }

    #[test]
    fn absent_null_and_values_differ() {
        let p: Patch = serde_json::from_value(json!({})).unwrap();
        assert_eq!((p.name, p.at), (None, None));
        let p: Patch = serde_json::from_value(json!({"name": null, "at": null})).unwrap();
        assert_eq!((p.name, p.at), (Some(None), Some(None)));
        let p: Patch =
            serde_json::from_value(json!({"name": "x", "at": "2030-01-01T01:00:00+01:00"}))
                .unwrap();
        assert_eq!(p.name, Some(Some("x".to_owned())));
        assert_eq!(
            p.at.unwrap().unwrap().0,
            time::macros::datetime!(2030-01-01 0:00 UTC)
        );
        assert!(serde_json::from_value::<Patch>(json!({"at": "tomorrow"})).is_err());
    }

    #[test]
    fn timestamps_are_utc_rfc3339() {
        let at = time::macros::datetime!(2030-01-01 01:00 +01:00);
        let v = serde_json::to_value(Out { at, maybe: None }).unwrap();
        assert_eq!(v, json!({"at": "2030-01-01T00:00:00Z", "maybe": null}));
    }
}
