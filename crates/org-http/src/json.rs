//! JSON conventions shared by the request and response bodies: RFC 3339 UTC timestamps,
//! PATCH fields where `null` (clear) differs from absent (leave unchanged), and nested
//! objects that must be objects.
use std::fmt;
use std::marker::PhantomData;

use actix_web::http::header::ContentType;
use actix_web::{HttpResponse, HttpResponseBuilder};
use serde::de::{self, MapAccess, Visitor};
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

/// Deserializes an optional nested object (`null` or absent is `None`). serde's derive
/// would also take an array of the fields' values in order, so `"settings": [true]` would
/// set the first setting; no client means that. Use with
/// `#[serde(default, deserialize_with = "object")]`.
///
/// # Errors
/// When the value is present and neither `null` nor an object that makes a `T`.
pub fn object<'de, T, D>(de: D) -> Result<Option<T>, D::Error>
where
    T: Deserialize<'de>,
    D: Deserializer<'de>,
{
    struct ObjectVisitor<T>(PhantomData<T>);

    impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjectVisitor<T> {
        type Value = Option<T>;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a JSON object or null")
        }

        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_some<D2: Deserializer<'de>>(self, de: D2) -> Result<Self::Value, D2::Error> {
            de.deserialize_map(self)
        }

        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
            T::deserialize(de::value::MapAccessDeserializer::new(map)).map(Some)
        }
    }

    de.deserialize_option(ObjectVisitor(PhantomData))
}

/// Serializes an optional timestamp as RFC 3339 UTC or `null`.
///
/// # Errors
/// When the timestamp cannot be formatted (years outside 0–9999).
pub fn opt_ts<S: Serializer>(t: &Option<OffsetDateTime>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => ts(t, s),
        None => s.serialize_none(),
    }
}

/// Serializes a timestamp as RFC 3339 UTC: what `time::serde::rfc3339` writes, formatted
/// on the stack by [`rfc3339`] (pages carry two or three per row).
///
/// # Errors
/// When the timestamp cannot be formatted (years outside 0–9999).
pub fn ts<S: Serializer>(t: &OffsetDateTime, s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::Error as _;
    let mut buf = [0u8; RFC3339_MAX];
    let text = rfc3339(*t, &mut buf)
        .ok_or_else(|| S::Error::custom("a year outside 0-9999 has no RFC 3339 form"))?;
    s.serialize_str(text)
}

/// The longest form [`rfc3339`] writes: `9999-12-31T23:59:59.999999999Z`.
const RFC3339_MAX: usize = 30;

/// `t` in UTC as RFC 3339, written into `buf`: the text `time`'s `Rfc3339` format writes
/// (seconds always; a fraction only when non-zero, without trailing zeros; `Z`), without
/// its general formatting machinery, which cost ~900 instructions a timestamp with the
/// buffer around it — a 50-member organization carries ~100 of them. `None` for years
/// outside 0–9999, which RFC 3339 cannot write (`time` refuses them too).
fn rfc3339(t: OffsetDateTime, buf: &mut [u8; RFC3339_MAX]) -> Option<&str> {
    fn two(out: &mut [u8], v: u8) {
        out[0] = b'0' + v / 10;
        out[1] = b'0' + v % 10;
    }
    let t = utc(t);
    let (year, month, day) = t.to_calendar_date();
    let year = u16::try_from(year).ok().filter(|y| *y <= 9999)?;
    let (hour, minute, second, nano) = t.to_hms_nano();
    // Each part is below 100 (the year's two halves included).
    let [hi, lo] = [year / 100, year % 100].map(|v| u8::try_from(v).unwrap_or(0));
    two(&mut buf[0..2], hi);
    two(&mut buf[2..4], lo);
    buf[4] = b'-';
    two(&mut buf[5..7], u8::from(month));
    buf[7] = b'-';
    two(&mut buf[8..10], day);
    buf[10] = b'T';
    two(&mut buf[11..13], hour);
    buf[13] = b':';
    two(&mut buf[14..16], minute);
    buf[16] = b':';
    two(&mut buf[17..19], second);
    let mut len = 19;
    if nano != 0 {
        buf[19] = b'.';
        let mut n = nano;
        for digit in buf[20..29].iter_mut().rev() {
            *digit = b'0' + u8::try_from(n % 10).unwrap_or(0);
            n /= 10;
        }
        len = 29;
        while buf[len - 1] == b'0' {
            len -= 1;
        }
    }
    buf[len] = b'Z';
    std::str::from_utf8(&buf[..=len]).ok()
}

/// Answers `body` as JSON — what `HttpResponseBuilder::json` answers, byte for byte, written
/// by sonic-rs into a buffer sized by the thread's previous large answer. Pages and
/// organizations with embeds are 5–70 KB: serde_json's buffer starts at 128 bytes and copies
/// itself at every doubling on the way there, and it escapes strings a byte at a time (a
/// fifth of a 50-member organization's CPU in orgd); sonic-rs serializes the same
/// `Serialize` types into the same text, scanning strings 32 bytes at a time with SIMD (SSE2
/// when the build does not target AVX2). For answers that can be large.
pub fn large<T: serde::Serialize>(res: HttpResponseBuilder, body: &T) -> HttpResponse {
    match large_text(body) {
        Ok(text) => large_answer(res, text),
        Err(e) => HttpResponse::from_error(e),
    }
}

/// The JSON text [`large`] answers with.
///
/// # Errors
/// When `body` cannot be serialized (a map with non-string keys, say).
pub fn large_text<T: serde::Serialize>(
    body: &T,
) -> Result<Vec<u8>, actix_web::error::JsonPayloadError> {
    let mut buf = Vec::with_capacity(LARGE_CAPACITY.get());
    sonic_rs::to_writer(&mut buf, body)
        .map_err(|e| actix_web::error::JsonPayloadError::Serialize(serde::ser::Error::custom(e)))?;
    LARGE_CAPACITY.set(large_capacity(buf.len()));
    Ok(buf)
}

/// Answers `text`, JSON written by [`large_text`].
pub fn large_answer(
    mut res: HttpResponseBuilder,
    text: impl actix_web::body::MessageBody + 'static,
) -> HttpResponse {
    res.insert_header(ContentType::json()).body(text)
}

thread_local! {
    /// The buffer [`large`] starts with on this thread: what the thread's last large answer
    /// needed (a user's orgs listing is ~70 KB, three doublings from 16 KiB — each a copy,
    /// ~6 % of that answer's instructions), an eighth more for a neighbour's longer names.
    static LARGE_CAPACITY: std::cell::Cell<usize> = const { std::cell::Cell::new(16 * 1024) };
}

/// The capacity for the next large answer after one of `len` bytes: an eighth more, at
/// least 16 KiB, at most 1 MiB (a rare huge answer does not make every later one allocate
/// that much; beyond it the buffer doubles as it would anyway).
fn large_capacity(len: usize) -> usize {
    (len + len / 8).clamp(16 * 1024, 1024 * 1024)
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
    use time::format_description::well_known::Rfc3339 as Rfc3339Format;

    use super::*;

    #[test]
    fn a_large_answer_sizes_the_next_ones_buffer_within_bounds() {
        assert_eq!(large_capacity(0), 16 * 1024);
        assert_eq!(large_capacity(70_000), 78_750);
        assert_eq!(large_capacity(50 * 1024 * 1024), 1024 * 1024);
    }

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

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Inner {
        #[serde(default)]
        flag: Option<bool>,
    }

    #[derive(Debug, Deserialize)]
    struct Outer {
        #[serde(default, deserialize_with = "object")]
        inner: Option<Inner>,
    }

    #[test]
    fn nested_objects_must_be_objects() {
        let o: Outer = serde_json::from_value(json!({"inner": {"flag": true}})).unwrap();
        assert_eq!(o.inner, Some(Inner { flag: Some(true) }));
        let o: Outer = serde_json::from_value(json!({"inner": null})).unwrap();
        assert_eq!(o.inner, None);
        let o: Outer = serde_json::from_value(json!({})).unwrap();
        assert_eq!(o.inner, None);
        for bad in [
            json!([]),
            json!([true]),
            json!(1),
            json!("x"),
            json!({"nope": 1}),
        ] {
            let r = serde_json::from_value::<Outer>(json!({ "inner": bad }));
            assert!(r.is_err(), "{bad}");
        }
        // Paths into the object survive, for the problem's `errors[].field`.
        let body = br#"{"inner": {"flag": 1}}"#;
        let de = &mut serde_json::Deserializer::from_slice(body);
        let err = serde_path_to_error::deserialize::<_, Outer>(de).unwrap_err();
        assert_eq!(err.path().to_string(), "inner.flag");
    }

    #[test]
    fn timestamps_are_utc_rfc3339() {
        let at = time::macros::datetime!(2030-01-01 01:00 +01:00);
        let v = serde_json::to_value(Out { at, maybe: None }).unwrap();
        assert_eq!(v, json!({"at": "2030-01-01T00:00:00Z", "maybe": null}));
    }

    /// [`rfc3339`] against `time`'s formatting over the whole range it writes: every year
    /// 0–9999 at a pseudo-random instant, whole seconds to nanoseconds, UTC and other
    /// offsets; and both refuse a negative year.
    #[test]
    fn rfc3339_is_what_time_writes() {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let first = time::macros::datetime!(0000-01-01 0:00 UTC).unix_timestamp();
        let last = time::macros::datetime!(9999-12-31 23:59:59 UTC).unix_timestamp();
        let span = u64::try_from(last - first).unwrap();
        let offsets = [
            0,
            3_600,
            -3_600,
            5 * 3_600 + 30 * 60,
            -(9 * 3_600 + 45 * 60),
        ];
        for i in 0..200_000u64 {
            let secs = first + i64::try_from(next() % span).unwrap();
            let nanos = match i % 4 {
                0 => 0,
                1 => (next() % 1_000) * 1_000_000,
                2 => (next() % 1_000_000) * 1_000,
                _ => next() % 1_000_000_000,
            };
            let offset = UtcOffset::from_whole_seconds(offsets[(i % 5) as usize]).unwrap();
            let utc_t = OffsetDateTime::from_unix_timestamp(secs).unwrap()
                + time::Duration::nanoseconds(i64::try_from(nanos).unwrap());
            let t = utc_t.to_offset(offset);
            if !(0..=9999).contains(&utc(t).year()) {
                continue;
            }
            let mut buf = [0u8; RFC3339_MAX];
            let theirs = utc(t).format(&Rfc3339Format).unwrap();
            assert_eq!(rfc3339(t, &mut buf), Some(theirs.as_str()), "{t}");
        }
        let before = time::macros::datetime!(0000-01-01 0:00 UTC) - time::Duration::seconds(1);
        let mut buf = [0u8; RFC3339_MAX];
        assert_eq!(rfc3339(before, &mut buf), None);
        assert!(before.format(&Rfc3339Format).is_err());
        assert!(
            serde_json::to_value(Out {
                at: before,
                maybe: None
            })
            .is_err()
        );
    }

    #[test]
    fn timestamps_read_as_time_writes_them() {
        // What `time::serde::rfc3339` writes (the format before it was done on the stack),
        // from whole seconds to nanoseconds, the extreme years included.
        let at = time::macros::datetime!(2030-01-01 01:00 +01:00);
        for t in [
            at,
            at + time::Duration::nanoseconds(1),
            at + time::Duration::microseconds(463_853),
            at + time::Duration::milliseconds(500),
            time::macros::datetime!(0000-01-01 0:00 UTC),
            time::macros::datetime!(9999-12-31 23:59:59.999_999_999 UTC),
        ] {
            let ours = serde_json::to_value(Out {
                at: t,
                maybe: Some(t),
            })
            .unwrap();
            let theirs = utc(t).format(&Rfc3339Format).unwrap();
            assert_eq!(ours, json!({ "at": theirs, "maybe": theirs }));
        }
    }

    /// Same status, content type and bytes as `.json()` (serde_json), for every kind of
    /// value an answer holds: escapes and control characters, non-ASCII text, integers at
    /// their limits, floats (settings and metadata are free JSON), nulls, nesting.
    #[actix_web::test]
    async fn large_answers_are_what_json_answers() {
        let mut text: String = (0u32..0x300).filter_map(char::from_u32).collect();
        text.push_str("\u{2028}\u{2029}\u{fffd}\u{1f600}\\/\"");
        let floats = [
            0.1,
            1.0,
            -0.0,
            1e21,
            1e-7,
            5e-324,
            f64::MAX,
            123.456,
            f64::NAN,
        ];
        let body = json!({
            "items": [{"name": "a\"b", "n": 1, "text": text, "floats": floats}],
            "ints": [i64::MIN, i64::MAX, u64::MAX, 0],
            "nested": {"a": [[], {}, null, true, false, {"b\nc": "\t"}]},
            "total": 1,
        });
        let ours = large(HttpResponse::Created(), &body);
        let theirs = HttpResponse::Created().json(&body);
        assert_eq!(ours.status(), theirs.status());
        assert_eq!(
            ours.headers().get("content-type"),
            theirs.headers().get("content-type")
        );
        let ours = actix_web::body::to_bytes(ours.into_body()).await.unwrap();
        let theirs = actix_web::body::to_bytes(theirs.into_body()).await.unwrap();
        assert_eq!(ours, theirs);
    }
}
