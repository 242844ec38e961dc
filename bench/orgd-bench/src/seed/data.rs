//! The peer workload's data set as orgd rows, generated in memory (deterministic ids and
//! tokens from a fixed-seed PRNG, like the peer's `seed.mjs`).
//!
//! 1,000 organizations × 50 members: slot 1 owner, slots 2–3 admin, 4–50 member; the hot
//! user holds slot 2 of orgs 1–100; every other membership is its own user (49,900 + 1);
//! one session per user; 200 pending invitations, two per hot org, sent by its owner.
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use org_domain::auth::{SESSION_PREFIX, TokenHash};
use org_domain::organizations::OrgSettings;
use org_infra::entities::{invitations, members, organizations, sessions, users};
use rand::rngs::StdRng;
use rand::{RngCore as _, SeedableRng as _};
use sea_orm::ActiveValue::Set;
use serde_json::json;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

pub const N_ORGS: usize = 1000;
pub const MEMBERS_PER_ORG: usize = 50;
pub const HOT_ORGS: usize = 100;
pub const N_INVITES: usize = 200;
const HOT_SLOT: usize = 2;
const S5_TARGET_SLOT: usize = 50;
/// Every user's password (one argon2id hash shared by all rows).
pub const PASSWORD: &str = "bench-password";
/// Ids are UUIDv7 like orgd's own; their time part counts from this fixed instant
/// (2026-01-01T00:00:00Z) so the ids are the same in every run.
const ID_EPOCH_MS: u64 = 1_767_225_600_000;

/// All rows, in insertion order, plus what the wrk script needs.
pub struct DataSet {
    pub users: Vec<users::ActiveModel>,
    pub orgs: Vec<organizations::ActiveModel>,
    pub members: Vec<members::ActiveModel>,
    pub sessions: Vec<sessions::ActiveModel>,
    pub invitations: Vec<invitations::ActiveModel>,
    pub hot_user: Uuid,
    pub hot_token: String,
    /// The hot user's 100 orgs in org order.
    pub hot_orgs: Vec<Uuid>,
    /// Per hot org: (org, user id of its slot-50 member).
    pub s5_targets: Vec<(Uuid, Uuid)>,
}

struct Gen {
    rng: StdRng,
    /// Seed time minus 7 days: `created_at` of everything counts from here, as in the peer.
    base: OffsetDateTime,
}

impl Gen {
    /// A UUIDv7 whose timestamp is `offset_s` after the fixed id epoch.
    fn id(&mut self, offset_s: u64) -> Uuid {
        let mut rand = [0u8; 10];
        self.rng.fill_bytes(&mut rand);
        uuid::Builder::from_unix_timestamp_millis(ID_EPOCH_MS + offset_s * 1000, &rand).into_uuid()
    }

    /// 32 random bytes, base64url: the shape of orgd's `new_secret`.
    fn secret(&mut self) -> String {
        let mut bytes = [0u8; 32];
        self.rng.fill_bytes(&mut bytes);
        URL_SAFE_NO_PAD.encode(bytes)
    }

    fn at(&self, offset_s: u64) -> OffsetDateTime {
        to_db(self.base + Duration::seconds(offset_s.try_into().unwrap_or(i64::MAX)))
    }
}

/// What orgd's adapters do to every stored timestamp (`org_infra::db::to_db`): UTC, whole
/// microseconds plus one nanosecond, so SQLite's text form has a fixed width.
pub fn to_db(t: OffsetDateTime) -> OffsetDateTime {
    let t = t.to_offset(time::UtcOffset::UTC);
    let micros = t.nanosecond() / 1_000 * 1_000;
    t.replace_nanosecond(micros + 1).unwrap_or(t)
}

fn user(id: Uuid, name: &str, email: &str, hash: &str, at: OffsetDateTime) -> users::ActiveModel {
    users::ActiveModel {
        id: Set(id),
        email: Set(email.to_owned()),
        username: Set(email.split('@').next().unwrap_or_default().to_owned()),
        name: Set(Some(name.to_owned())),
        avatar_url: Set(None),
        company: Set(None),
        job_title: Set(None),
        metadata: Set(json!({})),
        password_hash: Set(Some(hash.to_owned())),
        is_active: Set(true),
        is_superuser: Set(false),
        is_service_account: Set(false),
        is_onboarded: Set(false),
        two_factor_enabled: Set(false),
        totp_secret: Set(None),
        created_at: Set(at),
        updated_at: Set(at),
    }
}

/// Generates the data set; `now` is the seed time, `password_hash` the shared hash.
pub fn generate(now: OffsetDateTime, password_hash: &str) -> serde_json::Result<DataSet> {
    let now = to_db(now);
    let mut g = Gen {
        rng: StdRng::seed_from_u64(0x6f72_6764_6265_6e63), // "orgdbenc"
        base: now - Duration::days(7),
    };
    let settings = serde_json::to_value(OrgSettings::default())?;
    let hot_user = g.id(0);
    let mut users = vec![user(
        hot_user,
        "Hot User",
        "hot-user@bench.invalid",
        password_hash,
        g.at(0),
    )];
    let (mut orgs, mut members) = (
        Vec::with_capacity(N_ORGS),
        Vec::with_capacity(N_ORGS * MEMBERS_PER_ORG),
    );
    let (mut hot_orgs, mut s5_targets, mut owners) = (Vec::new(), Vec::new(), Vec::new());
    let mut user_no = 0u64;
    for o in 1..=N_ORGS {
        let o64 = o as u64;
        let org_id = g.id(o64);
        let mut owner = hot_user;
        let mut org_members = Vec::with_capacity(MEMBERS_PER_ORG);
        for slot in 1..=MEMBERS_PER_ORG {
            let role = match slot {
                1 => "owner",
                2 | 3 => "admin",
                _ => "member",
            };
            let user_id = if o <= HOT_ORGS && slot == HOT_SLOT {
                hot_user
            } else {
                user_no += 1;
                let id = g.id(1000 + user_no);
                let (name, email) = (
                    format!("User {user_no:05}"),
                    format!("user-{user_no:05}@bench.invalid"),
                );
                users.push(user(id, &name, &email, password_hash, g.at(1000 + user_no)));
                id
            };
            if slot == 1 {
                owner = user_id;
            }
            if o <= HOT_ORGS && slot == S5_TARGET_SLOT {
                s5_targets.push((org_id, user_id));
            }
            let at = g.at(100_000 + o64 * 60 + slot as u64);
            org_members.push(members::ActiveModel {
                organization_id: Set(org_id),
                user_id: Set(user_id),
                role: Set(role.to_owned()),
                created_at: Set(at),
                updated_at: Set(at),
            });
        }
        orgs.push(organizations::ActiveModel {
            id: Set(org_id),
            name: Set(format!("Bench Org {o:04}")),
            slug: Set(format!("bench-org-{o:04}")),
            description: Set(None),
            logo_url: Set(None),
            timezone: Set("UTC".to_owned()),
            owner_id: Set(owner),
            metadata: Set(json!({})),
            settings: Set(settings.clone()),
            registry_key: Set(format!("orgd_r_{}", g.secret())),
            has_active_subscription: Set(false),
            trial_expiry: Set(None),
            member_count: Set(i64::try_from(org_members.len()).unwrap_or(i64::MAX)),
            created_at: Set(g.at(o64)),
            updated_at: Set(g.at(o64)),
        });
        members.append(&mut org_members);
        owners.push(owner);
        if o <= HOT_ORGS {
            hot_orgs.push(org_id);
        }
    }
    let mut hot_token = String::new();
    let session_expires = to_db(now + Duration::days(7));
    let mut sessions = Vec::with_capacity(users.len());
    for u in &users {
        let user_id = *u.id.as_ref();
        let token = format!("{SESSION_PREFIX}{}", g.secret());
        sessions.push(sessions::ActiveModel {
            id: Set(g.id(500_000)),
            user_id: Set(user_id),
            token_hash: Set(TokenHash::of(&token).to_hex()),
            active_organization_id: Set(None),
            created_at: Set(now),
            expires_at: Set(session_expires),
        });
        if user_id == hot_user {
            hot_token = token;
        }
    }
    let invite_expires = to_db(now + Duration::hours(48));
    let mut invitations = Vec::with_capacity(N_INVITES);
    for k in 0..N_INVITES {
        let o = k % HOT_ORGS;
        // Distinct, recent creation times, so "newest first" is well defined.
        let at = to_db(now - Duration::seconds((N_INVITES - k) as i64));
        invitations.push(invitations::ActiveModel {
            id: Set(g.id(600_000 + k as u64)),
            organization_id: Set(hot_orgs[o]),
            email: Set(format!("invitee-{k:03}@bench.invalid")),
            role: Set("member".to_owned()),
            status: Set("pending".to_owned()),
            token_hash: Set(TokenHash::of(&format!("orgd_i_{}", g.secret())).to_hex()),
            inviter_id: Set(Some(owners[o])),
            expires_at: Set(invite_expires),
            responded_at: Set(None),
            created_at: Set(at),
            updated_at: Set(at),
        });
    }
    Ok(DataSet {
        users,
        orgs,
        members,
        sessions,
        invitations,
        hot_user,
        hot_token,
        hot_orgs,
        s5_targets,
    })
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};

    use super::*;

    fn set() -> DataSet {
        generate(OffsetDateTime::now_utc(), "$argon2id$fake").unwrap()
    }

    #[test]
    fn counts_roles_and_hot_user_match_the_peer_workload() {
        let d = set();
        assert_eq!(d.users.len(), 49_901);
        assert_eq!(d.sessions.len(), 49_901);
        assert_eq!(d.orgs.len(), 1000);
        assert_eq!(d.members.len(), 50_000);
        assert_eq!(d.invitations.len(), 200);
        let mut roles: HashMap<String, usize> = HashMap::new();
        for m in &d.members {
            *roles.entry(m.role.clone().unwrap()).or_default() += 1;
        }
        assert_eq!(roles["owner"], 1000);
        assert_eq!(roles["admin"], 2000);
        assert_eq!(roles["member"], 47_000);
        // The hot user is slot 2 (admin) of exactly the first 100 orgs.
        let hot: Vec<(usize, &members::ActiveModel)> = d
            .members
            .iter()
            .enumerate()
            .filter(|(_, m)| m.user_id.clone().unwrap() == d.hot_user)
            .collect();
        assert_eq!(hot.len(), 100);
        for (k, (i, m)) in hot.iter().enumerate() {
            assert_eq!(*i, k * MEMBERS_PER_ORG + 1);
            assert_eq!(m.role.clone().unwrap(), "admin");
            assert_eq!(m.organization_id.clone().unwrap(), d.hot_orgs[k]);
        }
        // Every other membership is its own user.
        let others: HashSet<Uuid> = d
            .members
            .iter()
            .map(|m| m.user_id.clone().unwrap())
            .filter(|u| *u != d.hot_user)
            .collect();
        assert_eq!(others.len(), 49_900);
        for o in &d.orgs {
            assert_eq!(o.member_count.clone().unwrap(), 50);
        }
    }

    #[test]
    fn targets_invitations_and_tokens() {
        let d = set();
        for (k, (org, user)) in d.s5_targets.iter().enumerate() {
            let m = &d.members[k * MEMBERS_PER_ORG + 49];
            assert_eq!(
                (
                    m.organization_id.clone().unwrap(),
                    m.user_id.clone().unwrap()
                ),
                (*org, *user)
            );
            assert_eq!(m.role.clone().unwrap(), "member");
        }
        let mut per_org: HashMap<Uuid, usize> = HashMap::new();
        for i in &d.invitations {
            *per_org
                .entry(i.organization_id.clone().unwrap())
                .or_default() += 1;
            assert_eq!(i.status.clone().unwrap(), "pending");
        }
        assert_eq!(per_org.len(), 100);
        assert!(per_org.values().all(|n| *n == 2));
        assert!(d.hot_token.starts_with(SESSION_PREFIX));
        let hot_hash = TokenHash::of(&d.hot_token).to_hex();
        let hashes: HashSet<String> = d
            .sessions
            .iter()
            .map(|s| s.token_hash.clone().unwrap())
            .collect();
        assert_eq!(hashes.len(), d.sessions.len());
        assert!(hashes.contains(&hot_hash));
    }

    #[test]
    fn ids_and_tokens_are_the_same_in_every_run() {
        let (a, b) = (set(), set());
        assert_eq!(a.hot_token, b.hot_token);
        assert_eq!(a.hot_orgs, b.hot_orgs);
        assert_eq!(a.s5_targets, b.s5_targets);
    }
}
