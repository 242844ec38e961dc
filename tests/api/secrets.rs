//! Passwords and tokens are stored only hashed: after every way of setting a password and
//! of issuing a token, no column of any table holds one in clear — but the outbox message,
//! whose job is to carry the invitation token.
use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use org_domain::auth::TokenHash;
use org_domain::ports::PasswordHasher as _;
use org_infra::Argon2Hasher;
use reqwest::Method;
use sea_orm::{FromQueryResult, JsonValue, Statement};
use serde_json::{Value, json};

use crate::helpers::{ADMIN_EMAIL, ADMIN_PASSWORD, TestApp, spawn_app};

/// Every row of every table of the database, whatever the migrations created.
async fn every_row(app: &TestApp) -> BTreeMap<String, Vec<Value>> {
    let backend = app.db.get_database_backend();
    let list = if app.is_postgres() {
        "SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema()"
    } else {
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    };
    let tables = JsonValue::find_by_statement(Statement::from_string(backend, list))
        .all(&app.db)
        .await
        .unwrap();
    let mut out = BTreeMap::new();
    for t in tables {
        let name = t["name"].as_str().unwrap().to_owned();
        let rows = JsonValue::find_by_statement(Statement::from_string(
            backend,
            format!("SELECT * FROM \"{name}\""),
        ))
        .all(&app.db)
        .await
        .unwrap();
        out.insert(name, rows);
    }
    out
}

/// The values of one column.
fn column<'a>(rows: &'a BTreeMap<String, Vec<Value>>, table: &str, col: &str) -> Vec<&'a Value> {
    rows[table].iter().map(|r| &r[col]).collect()
}

fn sha256_hex(token: &str) -> Value {
    json!(TokenHash::of(token).to_hex())
}

fn totp_code(secret: &str) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    totp_rs::Builder::new()
        .with_secret(totp_rs::Secret::try_from_base32(secret).unwrap())
        .build()
        .unwrap()
        .generate(now)
        .to_string()
}

#[tokio::test]
async fn passwords_and_tokens_are_stored_only_hashed() {
    let app = spawn_app().await;
    let mut passwords = vec![(ADMIN_EMAIL.to_owned(), ADMIN_PASSWORD.to_owned())];
    let mut tokens = vec![app.admin.clone()];

    // Every way to set a password: signup, superuser creation, change of password.
    let signup = app
        .call(
            Method::POST,
            "/api/auth/signup",
            None,
            Some(json!({"email": "ann@example.test", "password": "ann-signup-Pa55word"})),
        )
        .await
        .expect(201);
    let ann = signup["token"].as_str().unwrap().to_owned();
    tokens.push(ann.clone());
    app.post(
        "/api/users",
        &app.admin,
        json!({"email": "bob@example.test", "password": "bob-created-Pa55word"}),
    )
    .await
    .expect(201);
    passwords.push(("bob@example.test".into(), "bob-created-Pa55word".into()));
    app.patch(
        "/api/users/me",
        &ann,
        json!({"password": "ann-changed-Pa55word"}),
    )
    .await
    .expect(200);
    passwords.push(("ann@example.test".into(), "ann-changed-Pa55word".into()));
    let old_password = "ann-signup-Pa55word";

    // Every kind of token: sessions (login, with a two-factor code too), an API key, an
    // invitation.
    tokens.push(app.login("ann@example.test", "ann-changed-Pa55word").await);
    tokens.push(app.login("bob@example.test", "bob-created-Pa55word").await);
    let key = app
        .post("/api/users/me/api-keys", &ann, json!({"name": "ci"}))
        .await
        .expect(201)["token"]
        .as_str()
        .unwrap()
        .to_owned();
    tokens.push(key.clone());
    let enrollment = app
        .call(Method::POST, "/api/users/me/two-factor", Some(&ann), None)
        .await
        .expect(200);
    let secret = enrollment["secret"].as_str().unwrap().to_owned();
    app.post(
        "/api/users/me/two-factor/enable",
        &ann,
        json!({"code": totp_code(&secret)}),
    )
    .await
    .expect(200);
    let with_code = app
        .call(
            Method::POST,
            "/api/auth/login",
            None,
            Some(json!({"email": "ann@example.test", "password": "ann-changed-Pa55word", "totp_code": totp_code(&secret)})),
        )
        .await
        .expect(200);
    tokens.push(with_code["token"].as_str().unwrap().to_owned());
    let org = app.org(&ann, "Acme").await;
    app.post(
        &format!(
            "/api/organizations/{}/invitations",
            org["id"].as_str().unwrap()
        ),
        &ann,
        json!({"email": "bob@example.test"}),
    )
    .await
    .expect(201);
    let rows = every_row(&app).await;
    let bodies = column(&rows, "outbox", "body");
    assert_eq!(bodies.len(), 1);
    let body = bodies[0].as_str().unwrap();
    let start = body.find("orgd_i_").expect("the message carries the token");
    let invitation: String = body[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect();
    assert!(invitation.len() > 40, "{invitation}");
    tokens.push(invitation.clone());

    // No column of any table holds a password or token in clear, nor the random part of a
    // token without its prefix; the outbox body alone carries the invitation token.
    let tables: Vec<&str> = rows.keys().map(String::as_str).collect();
    for t in [
        "users",
        "sessions",
        "api_keys",
        "invitations",
        "outbox",
        "audit_events",
    ] {
        assert!(tables.contains(&t), "{t} in {tables:?}");
    }
    let mut secrets: Vec<&str> = passwords.iter().map(|(_, p)| p.as_str()).collect();
    secrets.push(old_password);
    for t in &tokens {
        secrets.push(t);
        secrets.push(&t["orgd_x_".len()..]);
    }
    let mut allowed_hits = 0;
    for (table, list) in &rows {
        for row in list {
            for (col, value) in row.as_object().unwrap() {
                let text = value.to_string();
                for s in secrets.iter().filter(|s| text.contains(**s)) {
                    let allowed = table == "outbox" && col == "body" && invitation.contains(s);
                    assert!(allowed, "{table}.{col} holds a secret in clear");
                    allowed_hits += 1;
                }
            }
        }
    }
    // The scan sees what is there: the message's token, with and without its prefix.
    assert_eq!(allowed_hits, 2);

    // Passwords: argon2id PHC strings that verify; the replaced one no longer does.
    for (email, password) in &passwords {
        let user = rows["users"]
            .iter()
            .find(|u| u["email"] == email.as_str())
            .unwrap();
        let hash = user["password_hash"].as_str().expect("a password hash");
        let parts: Vec<&str> = hash.split('$').collect();
        assert_eq!(&parts[..3], ["", "argon2id", "v=19"], "{email}");
        assert_eq!(parts.len(), 6, "{email}");
        assert!(Argon2Hasher.verify(password, hash).await, "{email}");
        assert!(!Argon2Hasher.verify(old_password, hash).await, "{email}");
    }

    // Tokens: SHA-256 hex. Every live session and the key are found by their hash.
    for (table, col) in [
        ("sessions", "token_hash"),
        ("api_keys", "token_hash"),
        ("invitations", "token_hash"),
    ] {
        for v in column(&rows, table, col) {
            let hex = v.as_str().unwrap();
            assert!(
                hex.len() == 64
                    && hex
                        .bytes()
                        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
                "{table}.{col}: {hex}"
            );
        }
    }
    let sessions = column(&rows, "sessions", "token_hash");
    for t in tokens.iter().filter(|t| t.starts_with("orgd_s_")) {
        if app.get("/api/users/me", t).await.status == 200 {
            assert!(
                sessions.contains(&&sha256_hex(t)),
                "a live session by its hash"
            );
        }
    }
    assert_eq!(column(&rows, "api_keys", "token_hash"), [&sha256_hex(&key)]);
    assert_eq!(column(&rows, "api_keys", "prefix"), [&json!(key[..12])]);
    assert_eq!(
        column(&rows, "invitations", "token_hash"),
        [&sha256_hex(&invitation)]
    );
}
