//! Credentials: session tokens and personal API keys, and the authenticated principal.
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use time::OffsetDateTime;
use uuid::Uuid;

use std::sync::Arc;

use crate::organizations::{MemberOrgVersions, OrgDetail, PreloadedOrg};
use crate::permissions::PermissionSet;
use crate::users::User;

/// Prefix of session tokens.
pub const SESSION_PREFIX: &str = "orgd_s_";
/// Prefix of personal API keys.
pub const API_KEY_PREFIX: &str = "orgd_k_";
/// How many leading characters of an API key are kept in clear to identify it in lists.
pub const API_KEY_DISPLAY_LEN: usize = 12;

/// A well-formed argon2id hash (default parameters) of a random password. Login verifies
/// against it when the account does not exist, so unknown emails take as long as wrong
/// passwords; adapters test that their hasher really computes it.
pub const DUMMY_PASSWORD_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Lb0m9w8Q7mWk5N3r9v1mJm8c1Zb7ZrGQ0F2s1u8q2wI";

/// The SHA-256 of a token: the only form in which tokens are stored.
///
/// Deliberately neither `PartialEq`, `Eq`, `Ord` nor `Hash`: the only comparison is
/// [`TokenHash::ct_eq`], so no code can compare hashes in variable time by accident.
///
/// ```compile_fail
/// # use org_domain::auth::TokenHash;
/// let _ = TokenHash::of("orgd_s_a") == TokenHash::of("orgd_s_b");
/// ```
#[derive(Clone)]
pub struct TokenHash([u8; 32]);

static_assertions::assert_not_impl_any!(
    TokenHash: PartialEq, Eq, PartialOrd, Ord, std::hash::Hash
);

impl TokenHash {
    /// Hashes a presented token.
    pub fn of(token: &str) -> Self {
        Self(Sha256::digest(token.as_bytes()).into())
    }

    /// Rebuilds a hash from its stored hex form.
    pub fn from_hex(s: &str) -> Option<Self> {
        let mut out = [0u8; 32];
        hex::decode_to_slice(s, &mut out).ok()?;
        Some(Self(out))
    }

    /// The lower-case hex form that is stored and indexed.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Compares in constant time, so response timing reveals nothing about stored hashes.
    pub fn ct_eq(&self, other: &Self) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl std::fmt::Debug for TokenHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenHash(…)")
    }
}

/// What kind of token a bearer string is, told apart by prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// `orgd_s_…`
    Session,
    /// `orgd_k_…`
    ApiKey,
}

impl TokenKind {
    /// Classifies a bearer token by its prefix.
    pub fn of(token: &str) -> Option<Self> {
        if token.starts_with(SESSION_PREFIX) {
            Some(Self::Session)
        } else if token.starts_with(API_KEY_PREFIX) {
            Some(Self::ApiKey)
        } else {
            None
        }
    }
}

/// A login session. Equality compares the token hash in constant time.
#[derive(Debug, Clone)]
pub struct Session {
    /// Id.
    pub id: Uuid,
    /// Whose.
    pub user_id: Uuid,
    /// Stored hash of the token.
    pub token_hash: TokenHash,
    /// The session's current organization (`me`).
    pub active_organization_id: Option<Uuid>,
    /// Created.
    pub created: OffsetDateTime,
    /// Expires.
    pub expires_at: OffsetDateTime,
}

/// A personal API key. Equality compares the token hash in constant time.
#[derive(Debug, Clone)]
pub struct ApiKey {
    /// Id.
    pub id: Uuid,
    /// Whose.
    pub user_id: Uuid,
    /// Label.
    pub name: String,
    /// The first characters of the key, to recognise it.
    pub prefix: String,
    /// Stored hash of the key.
    pub token_hash: TokenHash,
    /// The most the key may do; intersected with its owner's role in each org.
    pub scopes: PermissionSet,
    /// The only organization the key is valid for, if bound; also its current org.
    pub organization_id: Option<Uuid>,
    /// Expiry.
    pub expires_at: Option<OffsetDateTime>,
    /// Last use (updated at most once a minute).
    pub last_used_at: Option<OffsetDateTime>,
    /// Created.
    pub created: OffsetDateTime,
}

impl PartialEq for Session {
    fn eq(&self, other: &Self) -> bool {
        // Destructured, so that a new field cannot be forgotten here.
        let Self {
            id,
            user_id,
            token_hash,
            active_organization_id,
            created,
            expires_at,
        } = self;
        token_hash.ct_eq(&other.token_hash)
            && *id == other.id
            && *user_id == other.user_id
            && *active_organization_id == other.active_organization_id
            && *created == other.created
            && *expires_at == other.expires_at
    }
}

impl PartialEq for ApiKey {
    fn eq(&self, other: &Self) -> bool {
        let Self {
            id,
            user_id,
            name,
            prefix,
            token_hash,
            scopes,
            organization_id,
            expires_at,
            last_used_at,
            created,
        } = self;
        token_hash.ct_eq(&other.token_hash)
            && *id == other.id
            && *user_id == other.user_id
            && *name == other.name
            && *prefix == other.prefix
            && *scopes == other.scopes
            && *organization_id == other.organization_id
            && *expires_at == other.expires_at
            && *last_used_at == other.last_used_at
            && *created == other.created
    }
}

/// How the caller authenticated.
#[derive(Debug, Clone, PartialEq)]
pub enum Credential {
    /// With a session token.
    Session {
        /// The session's id.
        id: Uuid,
        /// Its current organization.
        active_organization_id: Option<Uuid>,
    },
    /// With an API key.
    ApiKey {
        /// The key's id.
        id: Uuid,
        /// Its scopes.
        scopes: PermissionSet,
        /// The organization it is bound to.
        organization_id: Option<Uuid>,
    },
}

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq)]
pub struct Principal {
    /// The user.
    pub user: User,
    /// The credential used.
    pub credential: Credential,
}

impl Principal {
    /// The caller's current organization: the session's active org or the key's bound org.
    pub fn current_organization(&self) -> Option<Uuid> {
        match &self.credential {
            Credential::Session {
                active_organization_id,
                ..
            } => *active_organization_id,
            Credential::ApiKey {
                organization_id, ..
            } => *organization_id,
        }
    }

    /// The API key's scopes, if the caller used one.
    pub fn key_scopes(&self) -> Option<PermissionSet> {
        match &self.credential {
            Credential::ApiKey { scopes, .. } => Some(*scopes),
            Credential::Session { .. } => None,
        }
    }
}

/// Who acts, and in which request: passed to every use case so audit events name both.
#[derive(Debug, Clone, PartialEq)]
pub struct Actor {
    /// The authenticated caller.
    pub principal: Principal,
    /// The request id for logs and audit.
    pub request_id: Option<String>,
    /// The organization the request names, loaded with the credential (see [`Preloaded`]).
    pub preloaded: Option<Preloaded>,
    /// The versions of the caller's organizations, read with the credential for a listing
    /// of them ([`Preload::MemberOrgs`]).
    pub member_orgs: Option<Arc<MemberOrgVersions>>,
}

impl Actor {
    /// A caller with nothing preloaded.
    pub fn new(principal: Principal, request_id: Option<String>) -> Self {
        Self {
            principal,
            request_id,
            preloaded: None,
            member_orgs: None,
        }
    }
}

/// What authentication reads with the credential, in the same store round trip, for the
/// request it authenticates. A wrong guess costs the use case a read of its own, never a
/// wrong answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preload {
    /// The organization with this id, at this detail, with the caller's role there
    /// ([`Actor::preloaded`]): for an org-scoped request.
    Org(Uuid, OrgDetail),
    /// The versions of the caller's organizations ([`Actor::member_orgs`]): for a listing
    /// of them.
    MemberOrgs,
}

/// An organization read in the same store round trip as the credential, with the caller's
/// role there: an org-scoped request names its organization in the path, so authentication
/// can load it too and the use case needs no second round trip. The use case takes it in
/// place of its own read only when it names the same organization by id.
#[derive(Debug, Clone, PartialEq)]
pub struct Preloaded {
    /// The id that was looked up.
    pub organization_id: Uuid,
    /// The organization (at the detail asked for) and the caller's role there; `None` when
    /// no org has that id.
    pub access: Option<PreloadedOrg>,
}

/// A freshly issued session (the token is shown once).
#[derive(Debug, Clone)]
pub struct IssuedSession {
    /// The bearer token.
    pub token: String,
    /// Expiry.
    pub expires_at: OffsetDateTime,
    /// The user.
    pub user: User,
}

/// A freshly created API key with its full token (shown once).
#[derive(Debug, Clone)]
pub struct IssuedApiKey {
    /// The key's record.
    pub key: ApiKey,
    /// The full key.
    pub token: String,
}

/// A request to create an API key.
#[derive(Debug, Clone, Default)]
pub struct NewApiKey {
    /// Label, 1–100 characters.
    pub name: String,
    /// Scopes; `None` means every permission (still limited by the owner's roles).
    pub scopes: Option<Vec<String>>,
    /// Bind to one organization (UUID or slug).
    pub organization: Option<String>,
    /// Expiry, in the future.
    pub expires_at: Option<OffsetDateTime>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_round_trip_and_compare() {
        let h = TokenHash::of("orgd_s_abc");
        assert!(TokenHash::from_hex(&h.to_hex()).unwrap().ct_eq(&h));
        assert!(h.ct_eq(&TokenHash::of("orgd_s_abc")));
        assert!(!h.ct_eq(&TokenHash::of("orgd_s_abd")));
        assert!(TokenHash::from_hex("zz").is_none());
        // Every byte counts, the last one too.
        let mut last = h.0;
        last[31] ^= 1;
        assert!(!h.ct_eq(&TokenHash(last)));
    }

    #[test]
    fn kinds_by_prefix() {
        assert_eq!(TokenKind::of("orgd_s_x"), Some(TokenKind::Session));
        assert_eq!(TokenKind::of("orgd_k_x"), Some(TokenKind::ApiKey));
        assert_eq!(TokenKind::of("Bearer x"), None);
    }
}
