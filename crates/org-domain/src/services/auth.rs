//! Signup, login, logout, bearer authentication, current organization, API keys.
use std::sync::Arc;

use serde_json::json;
use time::Duration;
use uuid::Uuid;

use super::Services;
use crate::auth::{
    API_KEY_DISPLAY_LEN, API_KEY_PREFIX, Actor, ApiKey, Credential, DUMMY_PASSWORD_HASH,
    IssuedApiKey, IssuedSession, NewApiKey, Preload, Preloaded, Principal, SESSION_PREFIX, Session,
    TokenHash, TokenKind,
};
use crate::error::{DomainError, Result};
use crate::organizations::{MemberOrgVersions, OrgRef, PreloadedOrg};
use crate::permissions::{Permission, PermissionSet};
use crate::users::{NewUserRequest, User};
use crate::values::{Email, check_len};

/// API keys touch `last_used_at` at most this often, to keep writes off the hot path.
const TOUCH_INTERVAL: Duration = Duration::minutes(1);

/// What authentication read with the credential ([`Preload`]).
enum Read {
    Nothing,
    Org(Uuid, Option<PreloadedOrg>),
    MemberOrgs(MemberOrgVersions),
}

pub(super) fn invalid_credentials() -> DomainError {
    DomainError::Unauthenticated("invalid email or password".to_owned())
}

impl Services {
    /// Self-service signup; answers a session like login.
    ///
    /// # Errors
    /// `403 signup_disabled`; `422` for invalid email/password; `409 email_taken`.
    pub async fn signup(
        &self,
        email: &str,
        password: &str,
        name: Option<String>,
    ) -> Result<IssuedSession> {
        if !self.config.allow_signup {
            return Err(DomainError::forbidden(
                "signup_disabled",
                "signup is disabled on this server",
            ));
        }
        let req = NewUserRequest {
            email: email.to_owned(),
            password: Some(password.to_owned()),
            name,
            ..Default::default()
        };
        let user = self.insert_user(None, req).await?;
        self.issue_session(user).await
    }

    /// Password login, with a one-time code for users who enabled two-factor
    /// authentication (ignored for the others).
    ///
    /// # Errors
    /// `401 unauthenticated` for an unknown email, wrong password, inactive user, service
    /// account (they have no password) or wrong one-time code; `401 totp_required` when
    /// the password is right but the user's one-time code is missing.
    pub async fn login(
        &self,
        email: &str,
        password: &str,
        totp_code: Option<&str>,
    ) -> Result<IssuedSession> {
        let Ok(email) = Email::parse(email) else {
            let _ = self
                .ports
                .hasher
                .verify(password, DUMMY_PASSWORD_HASH)
                .await;
            return Err(invalid_credentials());
        };
        let found = self.ports.users.find_for_login(&email).await?;
        let (user, hash) = match found {
            Some((user, Some(hash))) if user.is_active && !user.is_service_account => (user, hash),
            _ => {
                let _ = self
                    .ports
                    .hasher
                    .verify(password, DUMMY_PASSWORD_HASH)
                    .await;
                return Err(invalid_credentials());
            }
        };
        if !self.ports.hasher.verify(password, &hash).await {
            return Err(invalid_credentials());
        }
        if user.two_factor_enabled {
            self.check_login_totp(&user, totp_code).await?;
        }
        self.issue_session(user).await
    }

    async fn issue_session(&self, user: User) -> Result<IssuedSession> {
        let token = format!("{SESSION_PREFIX}{}", self.ports.ids.new_secret());
        let now = self.ports.clock.now();
        let session = Session {
            id: self.ports.ids.new_id(),
            user_id: user.id,
            token_hash: TokenHash::of(&token),
            active_organization_id: None,
            created: now,
            expires_at: now + self.config.session_ttl,
        };
        self.ports.tokens.insert_session(&session).await?;
        Ok(IssuedSession {
            token,
            expires_at: session.expires_at,
            user,
        })
    }

    /// Ends the caller's session.
    ///
    /// # Errors
    /// `403 illegal_operation` when called with an API key (delete the key instead).
    pub async fn logout(&self, actor: &Actor) -> Result<()> {
        match &actor.principal.credential {
            Credential::Session { id, .. } => self.ports.tokens.delete_session(*id).await,
            Credential::ApiKey { .. } => Err(DomainError::forbidden(
                "illegal_operation",
                "API keys are revoked with DELETE /api/users/me/api-keys/{id}",
            )),
        }
    }

    /// Authenticates a bearer token: one store round trip, a SHA-256, no password hashing.
    ///
    /// # Errors
    /// `401 unauthenticated` for unknown, expired or malformed tokens and inactive users.
    pub async fn authenticate(&self, token: &str) -> Result<Principal> {
        Ok(self.authenticate_in(token, None).await?.principal)
    }

    /// [`authenticate`](Self::authenticate), reading what `preload` names in the same store
    /// round trip: the organization an org-scoped request names, at the detail it needs,
    /// with the caller's role ([`Actor::preloaded`]), or the versions of the caller's
    /// organizations for a listing of them ([`Actor::member_orgs`]). The actor has no
    /// request id; the caller sets it.
    ///
    /// # Errors
    /// As [`authenticate`](Self::authenticate).
    pub async fn authenticate_in(&self, token: &str, preload: Option<Preload>) -> Result<Actor> {
        let unauthenticated =
            || DomainError::Unauthenticated("invalid or expired token".to_owned());
        let kind = TokenKind::of(token).ok_or_else(unauthenticated)?;
        if token.len() > 256 {
            return Err(unauthenticated());
        }
        let hash = TokenHash::of(token);
        let now = self.ports.clock.now();
        let tokens = &self.ports.tokens;
        let (principal, read) = match kind {
            TokenKind::Session => {
                let (session, user, read) = match preload {
                    None => tokens
                        .find_session(&hash)
                        .await?
                        .map(|(s, u)| (s, u, Read::Nothing)),
                    Some(Preload::Org(org, detail)) => tokens
                        .find_session_in(&hash, org, detail)
                        .await?
                        .map(|(s, u, a)| (s, u, Read::Org(org, a))),
                    Some(Preload::MemberOrgs) => tokens
                        .find_session_with_orgs(&hash)
                        .await?
                        .map(|(s, u, v)| (s, u, Read::MemberOrgs(v))),
                }
                .ok_or_else(unauthenticated)?;
                if !session.token_hash.ct_eq(&hash) || session.expires_at <= now {
                    return Err(unauthenticated());
                }
                let principal = Principal {
                    user,
                    credential: Credential::Session {
                        id: session.id,
                        active_organization_id: session.active_organization_id,
                    },
                };
                (principal, read)
            }
            TokenKind::ApiKey => {
                let (key, user, read) = match preload {
                    None => tokens
                        .find_api_key(&hash)
                        .await?
                        .map(|(k, u)| (k, u, Read::Nothing)),
                    Some(Preload::Org(org, detail)) => tokens
                        .find_api_key_in(&hash, org, detail)
                        .await?
                        .map(|(k, u, a)| (k, u, Read::Org(org, a))),
                    Some(Preload::MemberOrgs) => tokens
                        .find_api_key_with_orgs(&hash)
                        .await?
                        .map(|(k, u, v)| (k, u, Read::MemberOrgs(v))),
                }
                .ok_or_else(unauthenticated)?;
                if !key.token_hash.ct_eq(&hash) || key.expires_at.is_some_and(|e| e <= now) {
                    return Err(unauthenticated());
                }
                if key.last_used_at.is_none_or(|t| now - t >= TOUCH_INTERVAL) {
                    self.ports.tokens.touch_api_key(key.id, now).await?;
                }
                let principal = Principal {
                    user,
                    credential: Credential::ApiKey {
                        id: key.id,
                        scopes: key.scopes,
                        organization_id: key.organization_id,
                    },
                };
                (principal, read)
            }
        };
        if !principal.user.is_active {
            return Err(unauthenticated());
        }
        let mut actor = Actor::new(principal, None);
        match read {
            Read::Nothing => {}
            Read::Org(organization_id, access) => {
                actor.preloaded = Some(Preloaded {
                    organization_id,
                    access,
                });
            }
            Read::MemberOrgs(versions) => actor.member_orgs = Some(Arc::new(versions)),
        }
        Ok(actor)
    }

    /// Sets the session's current organization (UUID or slug), which the caller must be able
    /// to see. Returns the org id.
    ///
    /// # Errors
    /// `403 illegal_operation` for API keys (their org is fixed); `404` for orgs the caller
    /// is not a member of.
    pub async fn set_active_organization(&self, actor: &Actor, org: &str) -> Result<Uuid> {
        let Credential::Session { id, .. } = actor.principal.credential else {
            return Err(DomainError::forbidden(
                "illegal_operation",
                "an API key's organization is fixed when it is created",
            ));
        };
        let (access, _) = self.access(actor, org).await?;
        self.ports
            .tokens
            .set_active_organization(id, Some(access.org.id))
            .await?;
        Ok(access.org.id)
    }

    /// The caller's API keys.
    ///
    /// # Errors
    /// Storage failure only.
    pub async fn list_api_keys(&self, actor: &Actor) -> Result<Vec<ApiKey>> {
        self.ports
            .tokens
            .list_api_keys(actor.principal.user.id)
            .await
    }

    /// Creates an API key for the caller, or (superusers) for a service account.
    ///
    /// # Errors
    /// `422` for a bad name, unknown scopes or a past expiry; `404` for an org the owner is
    /// not a member of; `403 forbidden` when a key would exceed the calling key's scopes or
    /// a superuser targets a non-service account; `404 user_not_found`.
    pub async fn create_api_key(
        &self,
        actor: &Actor,
        for_user: Option<Uuid>,
        req: NewApiKey,
    ) -> Result<IssuedApiKey> {
        let owner = match for_user {
            None => actor.principal.user.clone(),
            Some(id) => {
                if !actor.principal.user.is_superuser {
                    return Err(DomainError::missing_permission(
                        "only superusers issue keys for other accounts",
                    ));
                }
                let user = self
                    .ports
                    .users
                    .find_by_id(id)
                    .await?
                    .ok_or_else(user_not_found)?;
                if !user.is_service_account {
                    return Err(DomainError::forbidden(
                        "illegal_operation",
                        "keys for other accounts can only be issued to service accounts",
                    ));
                }
                user
            }
        };
        check_len("name", req.name.trim(), 1, 100)?;
        let scopes = match &req.scopes {
            None => PermissionSet::ALL,
            Some(list) => PermissionSet::parse_list("scopes", list)?,
        };
        let now = self.ports.clock.now();
        if req.expires_at.is_some_and(|e| e <= now) {
            return Err(DomainError::invalid("expires_at", "must be in the future"));
        }
        if let Credential::ApiKey {
            scopes: own,
            organization_id: own_org,
            ..
        } = &actor.principal.credential
        {
            if !own.contains_all(scopes) {
                return Err(DomainError::missing_permission(
                    "a key cannot create a key with wider scopes than its own",
                ));
            }
            if own_org.is_some() && req.organization.is_none() {
                return Err(DomainError::missing_permission(
                    "a bound key can only create keys bound to its organization",
                ));
            }
        }
        let organization_id = match &req.organization {
            None => None,
            Some(org) => {
                let principal = Principal {
                    user: owner.clone(),
                    credential: actor.principal.credential.clone(),
                };
                let org_ref = OrgRef::parse(org);
                let access = self
                    .ports
                    .organizations
                    .access(&org_ref, owner.id)
                    .await?
                    .filter(|a| a.role.is_some() || principal.user.is_superuser)
                    .ok_or_else(|| DomainError::not_found("organization"))?;
                if let Credential::ApiKey {
                    organization_id: Some(bound),
                    ..
                } = &actor.principal.credential
                    && *bound != access.org.id
                {
                    return Err(DomainError::forbidden(
                        "key_not_valid_for_organization",
                        "this API key is bound to another organization",
                    ));
                }
                Some(access.org.id)
            }
        };
        let token = format!("{API_KEY_PREFIX}{}", self.ports.ids.new_secret());
        let key = ApiKey {
            id: self.ports.ids.new_id(),
            user_id: owner.id,
            name: req.name.trim().to_owned(),
            prefix: token.chars().take(API_KEY_DISPLAY_LEN).collect(),
            token_hash: TokenHash::of(&token),
            scopes,
            organization_id,
            expires_at: req.expires_at,
            last_used_at: None,
            created: now,
        };
        let event = self.event(
            Some(actor),
            organization_id,
            "api_key.created",
            "api_key",
            key.id,
            None,
            Some(json!({"name": key.name, "user_id": owner.id, "scopes": scopes.names()})),
        );
        self.ports.tokens.insert_api_key(&key, &event).await?;
        Ok(IssuedApiKey { key, token })
    }

    /// Deletes one of the caller's API keys.
    ///
    /// # Errors
    /// `404` when the caller has no such key.
    pub async fn delete_api_key(&self, actor: &Actor, id: Uuid) -> Result<()> {
        let event = self.event(
            Some(actor),
            None,
            "api_key.deleted",
            "api_key",
            id,
            None,
            None,
        );
        if self
            .ports
            .tokens
            .delete_api_key(actor.principal.user.id, id, &event)
            .await?
        {
            Ok(())
        } else {
            Err(DomainError::not_found("API key"))
        }
    }

    /// Requires an API key caller to hold `scope` for an org-independent action (listing or
    /// creating organizations).
    pub(super) fn require_scope(principal: &Principal, scope: Permission) -> Result<()> {
        match principal.key_scopes() {
            Some(s) if !s.contains(scope) => Err(DomainError::missing_permission(format!(
                "missing permission: {} (API key scope)",
                scope.name()
            ))),
            _ => Ok(()),
        }
    }
}

pub(super) fn user_not_found() -> DomainError {
    DomainError::NotFound {
        code: "user_not_found",
        detail: "user not found".to_owned(),
    }
}

#[cfg(test)]
#[path = "auth_tests.rs"]
mod tests;
