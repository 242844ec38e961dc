//! Targeted corpora for the fields with rules of their own: time zones and slugs
//! (malformed, reserved, Unicode confusables).
use reqwest::Method;
use serde_json::json;

use super::runner::{Fixture, Req, Runner, Want, enc};

/// Names that are not IANA time zones.
const BAD_TIMEZONES: [&str; 22] = [
    "",
    " ",
    "Mars/Olympus",
    "Europe/Berlin ",
    " Europe/Berlin",
    "europe/berlin",
    "EUROPE/BERLIN",
    "UTC+5",
    "+05:00",
    "GMT+25",
    "Europe//Berlin",
    "Europe/Berlin/Mitte",
    "America/New York",
    "Europe\\Berlin",
    "../../../etc/passwd",
    "Europe/\u{0412}erlin",
    "\u{ff25}urope/Berlin",
    "Europe/Berl\u{200d}in",
    "Europe/Berlin\u{0}",
    "localtime",
    "'; DROP TABLE organizations; --",
    "{\"$gt\": \"\"}",
];

#[tokio::test]
async fn invalid_time_zones_are_refused() {
    let fx = Fixture::new(None).await;
    let mut run = Runner::new(&fx).await;
    let org = format!("/api/organizations/{}", fx.team.slug);
    for tz in BAD_TIMEZONES.iter().copied().chain([&*"A".repeat(300)]) {
        let want = Want::Invalid("timezone".into());
        let create = json!({"name": "Zoned", "timezone": tz});
        let r = Req::owner(&fx, Method::POST, "/api/organizations", Some(create));
        run.case(format!("create timezone {tz:?}"), r, want.clone())
            .await;
        let r = Req::owner(&fx, Method::PATCH, &org, Some(json!({"timezone": tz})));
        run.case(format!("patch timezone {tz:?}"), r, want).await;
    }
    run.finish("time zones");
}

/// Slugs that break `^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$`.
fn malformed_slugs() -> Vec<String> {
    let mut out: Vec<String> = [
        "",
        " ",
        "Acme",
        "ACME",
        "acme corp",
        " acme",
        "acme ",
        "-acme",
        "acme-",
        "-",
        "--",
        "acme_corp",
        "acme.corp",
        "acme/corp",
        "acme\\corp",
        "acme\n",
        "acme\t",
        "ME",
        "Members",
        "me ",
        "%61cme",
        "acme%00",
    ]
    .map(str::to_owned)
    .to_vec();
    out.push("a".repeat(64));
    out.push(format!("a{}a", "-".repeat(62)));
    out
}

/// Slugs that look like `acme` (or a valid slug) but are not ASCII.
const CONFUSABLE_SLUGS: [&str; 16] = [
    "\u{0430}cme",                      // Cyrillic а
    "acm\u{0435}",                      // Cyrillic е
    "\u{ff41}\u{ff43}\u{ff4d}\u{ff45}", // fullwidth ａｃｍｅ
    "\u{ff41}cme",                      // one fullwidth letter
    "ac\u{200d}me",                     // zero-width joiner
    "ac\u{200b}me",                     // zero-width space
    "acme\u{feff}",                     // byte order mark
    "acme\u{0301}",                     // combining acute accent
    "acm\u{e9}",                        // precomposed é
    "\u{202e}emca",                     // right-to-left override
    "acme\u{00ad}",                     // soft hyphen
    "acme\u{2011}corp",                 // non-breaking hyphen
    "acme\u{2010}corp",                 // hyphen
    "\u{212a}ilo",                      // Kelvin sign, lower-cases to k
    "\u{0131}nc",                       // dotless i
    "acme\u{0}",                        // NUL
];

#[tokio::test]
async fn invalid_reserved_and_confusable_slugs_are_refused() {
    let fx = Fixture::new(None).await;
    let mut run = Runner::new(&fx).await;
    let org = format!("/api/organizations/{}", fx.team.slug);
    let mut cases: Vec<(String, Want)> = malformed_slugs()
        .into_iter()
        .chain(CONFUSABLE_SLUGS.map(str::to_owned))
        .map(|s| (s, Want::Invalid("slug".into())))
        .collect();
    for reserved in ["me", "members", "roles", "invitations", "users"] {
        cases.push((
            reserved.into(),
            Want::Refused("reserved_slug", reserved.into()),
        ));
    }
    for (slug, want) in cases {
        let create = json!({"name": "Slugged", "slug": slug});
        let r = Req::owner(&fx, Method::POST, "/api/organizations", Some(create));
        run.case(format!("create slug {slug:?}"), r, want.clone())
            .await;
        let r = Req::owner(&fx, Method::PATCH, &org, Some(json!({"slug": slug})));
        run.case(format!("patch slug {slug:?}"), r, want).await;
        // As a path segment, a confusable names no organization.
        if !slug.is_empty() {
            let r = Req::owner(
                &fx,
                Method::GET,
                &format!("/api/organizations/{}", enc(&slug)),
                None,
            );
            // A NUL in the path is refused before routing, as a path naming nothing.
            let want = Want::NotFound;
            if !["me", "members", "roles", "invitations"].contains(&slug.as_str()) {
                run.case(format!("get by slug {slug:?}"), r, want).await;
            }
        }
    }
    run.finish("slugs");
}
