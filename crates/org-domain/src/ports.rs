//! Ports: what the domain needs from the outside world. Adapters (org-infra, or an
//! embedding service's own) implement them; the services only see these traits.
//!
//! Every mutating repository method takes the [`AuditEvent`] describing the change and must
//! write it in the same transaction as the change.
use async_trait::async_trait;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::audit::{AuditEvent, AuditFilter};
use crate::auth::{ApiKey, Session, TokenHash};
use crate::error::Result;
use crate::members::{Member, MemberFilter, RemovalRules, RoleChangeRules};
use crate::organizations::{
    MemberOrgVersions, OrgAccess, OrgDetail, OrgFilter, OrgListing, OrgRef, Organization,
    PreloadedOrg,
};
use crate::pagination::{Page, PageRequest};
use crate::roles::RoleKey;
use crate::users::User;
use crate::values::Email;

mod invitations;
mod roles;

pub use invitations::{InvitationRepository, MailOutbox};
#[cfg(any(test, feature = "mocks"))]
pub use invitations::{MockInvitationRepository, MockMailOutbox};
#[cfg(any(test, feature = "mocks"))]
pub use roles::MockRoleRepository;
pub use roles::RoleRepository;

/// The current time. Code never reads the system clock directly.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait Clock: Send + Sync {
    /// Now, UTC.
    fn now(&self) -> OffsetDateTime;
}

/// Identifiers and secrets.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait IdGenerator: Send + Sync {
    /// A new unique id.
    fn new_id(&self) -> Uuid;
    /// A new high-entropy random string (≥ 256 bits) of URL-safe characters.
    fn new_secret(&self) -> String;
    /// [`TOTP_SECRET_LEN`](crate::two_factor::TOTP_SECRET_LEN) random bytes from a CSPRNG,
    /// for a new TOTP shared secret.
    fn new_totp_secret(&self) -> Vec<u8>;
}

/// Password hashing (argon2id in the default adapter). Slow on purpose, so async.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait PasswordHasher: Send + Sync {
    /// Hashes a password into a self-describing PHC string.
    ///
    /// # Errors
    /// `Unknown` when hashing fails.
    async fn hash(&self, password: &str) -> Result<String>;
    /// Whether `password` matches `hash`; `false` for a malformed hash.
    async fn verify(&self, password: &str, hash: &str) -> bool;
}

/// An outgoing message (invitations).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    /// Recipient.
    pub to: String,
    /// Subject.
    pub subject: String,
    /// Plain-text body.
    pub body: String,
}

/// Mail delivery.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait Mailer: Send + Sync {
    /// Delivers (or queues) a message.
    ///
    /// # Errors
    /// `Unavailable` when the transport is down.
    async fn send(&self, mail: &Mail) -> Result<()>;
}

/// Users.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait UserRepository: Send + Sync {
    /// Stores a new user with an optional password hash.
    ///
    /// # Errors
    /// `Conflict { code: "email_taken" }` when the email is in use.
    async fn insert(
        &self,
        user: &User,
        password_hash: Option<String>,
        audit: &AuditEvent,
    ) -> Result<()>;
    /// A user by id.
    ///
    /// # Errors
    /// `Unavailable` / `Unknown` on storage failure only; absence is `Ok(None)`.
    async fn find_by_id(&self, id: Uuid) -> Result<Option<User>>;
    /// A user by (normalized) email.
    ///
    /// # Errors
    /// Storage failure only.
    async fn find_by_email(&self, email: &Email) -> Result<Option<User>>;
    /// A user with their password hash, for login.
    ///
    /// # Errors
    /// Storage failure only.
    async fn find_for_login(&self, email: &Email) -> Result<Option<(User, Option<String>)>>;
    /// Replaces a user's profile fields; a new password hash when given.
    ///
    /// # Errors
    /// `NotFound` when the user vanished.
    async fn update(
        &self,
        user: &User,
        password_hash: Option<String>,
        audit: &AuditEvent,
    ) -> Result<()>;
    /// The user's TOTP secret (base32): pending while `two_factor_enabled` is false, in
    /// force once it is true. `Ok(None)` when there is none (or no such user).
    ///
    /// # Errors
    /// Storage failure only.
    async fn find_totp_secret(&self, user_id: Uuid) -> Result<Option<String>>;
    /// Stores (or replaces) a pending TOTP secret and sets `updated` to `at`, atomically
    /// refusing when two-factor authentication is already enabled.
    ///
    /// # Errors
    /// `Conflict { code: "two_factor_already_enabled" }`; `NotFound` when the user vanished.
    async fn set_pending_totp_secret(
        &self,
        user_id: Uuid,
        secret: &str,
        at: OffsetDateTime,
        audit: &AuditEvent,
    ) -> Result<()>;
    /// Turns two-factor authentication on (keeping the secret) or off (erasing it) and sets
    /// `updated` to `at` — only while the stored secret is still `secret`, the one the
    /// caller's code was checked against, and the flag is not already `enabled`.
    ///
    /// # Errors
    /// `Conflict { code: "two_factor_changed" }` when the secret or flag changed meanwhile
    /// (or the user vanished).
    async fn set_two_factor(
        &self,
        user_id: Uuid,
        secret: &str,
        enabled: bool,
        at: OffsetDateTime,
        audit: &AuditEvent,
    ) -> Result<()>;
    /// All users, optionally filtered by email/name/username containing `search`.
    ///
    /// # Errors
    /// Storage failure only.
    async fn list(&self, search: Option<String>, page: PageRequest) -> Result<Page<User>>;
}

/// Sessions and API keys.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait TokenRepository: Send + Sync {
    /// Stores a new session.
    ///
    /// # Errors
    /// Storage failure only.
    async fn insert_session(&self, session: &Session) -> Result<()>;
    /// A session and its user by token hash, in one round trip.
    ///
    /// # Errors
    /// Storage failure only.
    async fn find_session(&self, hash: &TokenHash) -> Result<Option<(Session, User)>>;
    /// [`find_session`](Self::find_session) and, in the same round trip, the organization
    /// `org_id` with the session user's role there, exactly as
    /// [`OrganizationRepository::access`] reads it — all of it for [`OrgDetail::Full`],
    /// its [`OrgBasics`](crate::organizations::OrgBasics) for [`OrgDetail::Basics`] (`None`
    /// when no org has that id).
    ///
    /// # Errors
    /// Storage failure only.
    async fn find_session_in(
        &self,
        hash: &TokenHash,
        org_id: Uuid,
        detail: OrgDetail,
    ) -> Result<Option<(Session, User, Option<PreloadedOrg>)>>;
    /// [`find_session`](Self::find_session) and, in the same round trip, the listing
    /// versions of every organization the session's user is a member of, as
    /// [`OrganizationRepository::list`] reads them ([`MemberOrgVersions`]).
    ///
    /// # Errors
    /// Storage failure only.
    async fn find_session_with_orgs(
        &self,
        hash: &TokenHash,
    ) -> Result<Option<(Session, User, MemberOrgVersions)>>;
    /// Ends a session.
    ///
    /// # Errors
    /// Storage failure only.
    async fn delete_session(&self, id: Uuid) -> Result<()>;
    /// Sets a session's current organization.
    ///
    /// # Errors
    /// Storage failure only.
    async fn set_active_organization(&self, session_id: Uuid, org_id: Option<Uuid>) -> Result<()>;
    /// Stores a new API key.
    ///
    /// # Errors
    /// Storage failure only.
    async fn insert_api_key(&self, key: &ApiKey, audit: &AuditEvent) -> Result<()>;
    /// An API key and its user by token hash, in one round trip.
    ///
    /// # Errors
    /// Storage failure only.
    async fn find_api_key(&self, hash: &TokenHash) -> Result<Option<(ApiKey, User)>>;
    /// [`find_api_key`](Self::find_api_key) and, in the same round trip, the organization
    /// `org_id` with the key user's role there (see [`find_session_in`](Self::find_session_in)).
    ///
    /// # Errors
    /// Storage failure only.
    async fn find_api_key_in(
        &self,
        hash: &TokenHash,
        org_id: Uuid,
        detail: OrgDetail,
    ) -> Result<Option<(ApiKey, User, Option<PreloadedOrg>)>>;
    /// [`find_api_key`](Self::find_api_key) and, in the same round trip, the versions of
    /// the key user's organizations (see
    /// [`find_session_with_orgs`](Self::find_session_with_orgs)).
    ///
    /// # Errors
    /// Storage failure only.
    async fn find_api_key_with_orgs(
        &self,
        hash: &TokenHash,
    ) -> Result<Option<(ApiKey, User, MemberOrgVersions)>>;
    /// A user's API keys, newest first.
    ///
    /// # Errors
    /// Storage failure only.
    async fn list_api_keys(&self, user_id: Uuid) -> Result<Vec<ApiKey>>;
    /// Deletes one of a user's keys; `false` when the user has no such key.
    ///
    /// # Errors
    /// Storage failure only.
    async fn delete_api_key(&self, user_id: Uuid, id: Uuid, audit: &AuditEvent) -> Result<bool>;
    /// Records a key's use.
    ///
    /// # Errors
    /// Storage failure only.
    async fn touch_api_key(&self, id: Uuid, at: OffsetDateTime) -> Result<()>;
}

/// Organizations.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait OrganizationRepository: Send + Sync {
    /// Stores a new organization and its owner's `owner` membership. When
    /// `max_owned` is set, refuses if the owner already owns that many, atomically
    /// (two concurrent creates cannot both pass).
    ///
    /// # Errors
    /// `Conflict { code: "slug_taken" }`, `Conflict { code: "id_taken" }`,
    /// `Conflict { code: "organization_limit_exceeded" }`.
    async fn insert(
        &self,
        org: &Organization,
        max_owned: Option<u32>,
        audit: &AuditEvent,
    ) -> Result<()>;
    /// An organization and `user_id`'s role in it, in one round trip. A slug match wins
    /// over a name match.
    ///
    /// # Errors
    /// `Conflict { code: "ambiguous_organization" }` when a name matches several orgs.
    async fn access(&self, org: &OrgRef, user_id: Uuid) -> Result<Option<OrgAccess>>;
    /// Organizations matching the filter, by name, with the member's role when filtered by
    /// membership. Shared ([`OrgListing`]): an adapter that keeps a listing hands out the
    /// one it keeps, never changed once handed out.
    ///
    /// # Errors
    /// Storage failure only.
    async fn list(&self, filter: &OrgFilter, page: PageRequest) -> Result<OrgListing>;
    /// Replaces the org's fields and settings. When `org.owner` differs from
    /// `previous_owner`, transfers ownership in the same transaction: the new owner must
    /// be a member and becomes `owner`; the previous owner, if still a member, `admin`.
    ///
    /// # Errors
    /// `Conflict { code: "slug_taken" }`; `Unprocessable { code: "not_a_member" }`;
    /// `NotFound` when the org vanished.
    async fn update(
        &self,
        org: &Organization,
        previous_owner: Uuid,
        audit: &AuditEvent,
    ) -> Result<()>;
    /// Deletes the org and everything it owns.
    ///
    /// # Errors
    /// `NotFound` when already gone.
    async fn delete(&self, org_id: Uuid, audit: &AuditEvent) -> Result<()>;
}

/// Memberships.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait MemberRepository: Send + Sync {
    /// An org's members with their public user fields, oldest first. `known_total` is
    /// the number of members the filter matches when the caller already knows it (an
    /// unfiltered list: the org's transactionally maintained `member_count`); the adapter
    /// then skips its COUNT query. `version` is the org's [`OrgAccess::version`] as the
    /// caller read it: an adapter may answer with a page it read at that same version
    /// (the same committed rows) instead of reading again.
    ///
    /// [`OrgAccess::version`]: crate::organizations::OrgAccess::version
    ///
    /// # Errors
    /// Storage failure only.
    async fn list(
        &self,
        org_id: Uuid,
        filter: &MemberFilter,
        page: PageRequest,
        known_total: Option<u64>,
        version: Option<u64>,
    ) -> Result<Page<Member>>;
    /// One membership.
    ///
    /// # Errors
    /// Storage failure only.
    async fn get(&self, org_id: Uuid, user_id: Uuid) -> Result<Option<Member>>;
    /// Adds a membership and counts it in the org's `member_count`.
    ///
    /// # Errors
    /// `Conflict { code: "already_member" }`; `NotFound` when the org vanished.
    async fn add(
        &self,
        org_id: Uuid,
        user_id: Uuid,
        role: RoleKey,
        at: OffsetDateTime,
        audit: &AuditEvent,
    ) -> Result<Member>;
    /// Changes a member's role. It reads the membership with the custom roles behind its
    /// current key and behind `role`, and asks [`RoleChangeRules::decide`], the caller's
    /// decision on the change from the one to the other: an error refuses the change,
    /// `None` leaves it as it is (the member is returned unchanged), `Some(event)` writes
    /// the role and `event` in the same transaction. The role decided on is the role replaced, even when another request
    /// changed it a moment earlier: the decision is made under the org's row lock (and the
    /// membership's), or — for a change between `admin` and `member`, neither backed by a
    /// custom role, where no owner or custom role is at stake — the write only replaces the
    /// role it was decided on, and a role changed meanwhile is decided afresh. Such a
    /// change may even be decided before the read, on the one role the member can hold
    /// (`member` for a move to `admin`, and the other way round), and written only where
    /// they hold it.
    /// Refuses atomically, under concurrent requests too, when the member is the org's
    /// last `owner` and the new role is not `owner`. When the owner of record stops being
    /// an owner, the longest-standing remaining owner becomes the owner of record in the
    /// same transaction.
    ///
    /// # Errors
    /// The rules' refusal; `LastOwner`; `NotFound` when not a member;
    /// `Unprocessable { code: "unknown_role" }` for a custom key the org does not have.
    async fn change_role(
        &self,
        org_id: Uuid,
        user_id: Uuid,
        role: RoleKey,
        at: OffsetDateTime,
        rules: &RoleChangeRules,
    ) -> Result<Member>;
    /// Removes a membership (and counts it out), refusing atomically to remove the last owner.
    /// Like [`MemberRepository::change_role`] it reads the membership and the custom role
    /// behind its key under the org's lock and asks [`RemovalRules::decide`], whose event
    /// it writes in the same transaction. The owner of record is handed on as there.
    ///
    /// # Errors
    /// The rules' refusal; `LastOwner`; `NotFound` when not a member.
    async fn remove(&self, org_id: Uuid, user_id: Uuid, rules: &RemovalRules) -> Result<()>;
}

/// The audit log (writes happen inside the other repositories' transactions).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait AuditRepository: Send + Sync {
    /// An org's events, newest first.
    ///
    /// # Errors
    /// Storage failure only.
    async fn list(
        &self,
        org_id: Uuid,
        filter: &AuditFilter,
        page: PageRequest,
    ) -> Result<Page<AuditEvent>>;
    /// Writes a standalone event (for changes with no other row, e.g. logins).
    ///
    /// # Errors
    /// Storage failure only.
    async fn record(&self, event: &AuditEvent) -> Result<()>;
    /// Probes the store (`/readyz`).
    ///
    /// # Errors
    /// `Unavailable` when unreachable.
    async fn ping(&self) -> Result<()>;
}
