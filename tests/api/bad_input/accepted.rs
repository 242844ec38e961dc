//! The other side of the injection corpus: where an injection string is valid data — free
//! text such as an organization's name, description and metadata, a profile's name, a
//! search or exact-name query — it is ACCEPTED, stored and answered verbatim, matches
//! only itself, and has no other effect (every table intact). Strings with NUL are not in
//! this list: no text column of PostgreSQL can hold them, so they are refused everywhere
//! (see `injections::nul_in_free_text_is_refused`).
use serde_json::json;

use super::injections::INJECTIONS;
use super::runner::{Fixture, enc};
use crate::helpers::report;

#[tokio::test]
async fn injection_strings_in_free_text_are_accepted_verbatim_with_no_other_effect() {
    let fx = Fixture::new(None).await;
    let app = &fx.app;
    let owner = &fx.team.owner;
    let before = app.snapshot().await;
    let texts: Vec<&str> = INJECTIONS
        .into_iter()
        .filter(|s| !s.contains('\0'))
        .collect();
    let mut sent = 0;
    let mut created = Vec::new();
    for inj in &texts {
        let body = json!({"name": inj, "description": inj, "metadata": {*inj: inj, "$gt": ""}});
        let org = app
            .post("/api/organizations", owner, body)
            .await
            .expect(201);
        let id = org["id"].as_str().unwrap().to_owned();
        let got = app
            .get(&format!("/api/organizations/{id}"), owner)
            .await
            .expect(200);
        for o in [&org, &got] {
            assert_eq!(o["name"], *inj, "{o}");
            assert_eq!(o["description"], *inj, "{o}");
            assert_eq!(o["metadata"], json!({*inj: inj, "$gt": ""}), "{o}");
        }
        // The exact-name filter finds it and nothing else.
        let by_name = app
            .get(&format!("/api/organizations?name={}", enc(inj)), owner)
            .await
            .expect(200);
        let ids: Vec<_> = by_name["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["id"].clone())
            .collect();
        assert_eq!(ids, [json!(id)], "name={inj:?}: {by_name}");
        sent += 3;
        created.push(id);
    }
    // A search is a literal "contains": `%`, `_`, `*`, `'` match only names holding them.
    for inj in &texts {
        let found = app
            .get(
                &format!("/api/organizations?search={}&limit=100", enc(inj)),
                owner,
            )
            .await
            .expect(200);
        let items = found["items"].as_array().unwrap();
        let needle = inj.to_lowercase();
        for o in items {
            let hay = |k: &str| o[k].as_str().unwrap_or_default().to_lowercase();
            assert!(
                hay("name").contains(&needle) || hay("slug").contains(&needle),
                "search={inj:?} matched {}",
                o["name"]
            );
        }
        assert!(
            items.iter().any(|o| o["name"] == *inj),
            "search={inj:?}: {found}"
        );
        for path in [
            format!(
                "/api/organizations/{}/members?search={}",
                fx.team.slug,
                enc(inj)
            ),
            format!(
                "/api/organizations/{}/audit-events?action={}",
                fx.team.slug,
                enc(inj)
            ),
            format!(
                "/api/organizations/{}/audit-events?target_id={}",
                fx.team.slug,
                enc(inj)
            ),
        ] {
            let page = app.get(&path, owner).await.expect(200);
            assert_eq!(page["items"], json!([]), "{path}: {page}");
        }
        sent += 4;
    }
    // A search longer than any name matches nothing, and is no error.
    let long = "x".repeat(10_000);
    for path in [
        format!("/api/organizations?search={long}"),
        format!("/api/organizations/{}/members?search={long}", fx.team.slug),
    ] {
        let page = app.get(&path, owner).await.expect(200);
        assert_eq!(page["items"], json!([]), "{page}");
        sent += 1;
    }
    // Free text of a profile.
    let me_before = app.get("/api/users/me", owner).await.expect(200);
    for inj in &texts {
        let body = json!({"name": inj, "company": inj, "job_title": inj});
        let me = app.patch("/api/users/me", owner, body).await.expect(200);
        let again = app.get("/api/users/me", owner).await.expect(200);
        for u in [&me, &again] {
            assert_eq!(
                (&u["name"], &u["company"], &u["job_title"]),
                (&json!(inj), &json!(inj), &json!(inj))
            );
            assert_eq!(u["email"], me_before["email"]);
        }
        sent += 2;
    }
    // No other effect: the tables the requests do not write are as they were, and every row
    // that existed still does.
    let after = app.snapshot().await;
    for table in [
        "api_keys",
        "invitations",
        "custom_roles",
        "outbox",
        "sessions",
    ] {
        assert_eq!(before[table], after[table], "{table} changed");
    }
    for table in ["members", "organizations", "audit_events"] {
        for row in &before[table] {
            assert!(after[table].contains(row), "{table} lost or changed {row}");
        }
    }
    assert_eq!(
        after["organizations"].len(),
        before["organizations"].len() + created.len()
    );
    assert_eq!(after["users"].len(), before["users"].len());
    report("bad_input.accepted", sent);
}
