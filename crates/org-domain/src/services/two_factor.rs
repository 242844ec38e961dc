//! Two-factor authentication: enrollment, enabling, disabling, and the login check.
use serde_json::json;

use super::Services;
use crate::auth::{Actor, Credential};
use crate::error::{DomainError, Result};
use crate::two_factor::{TotpSecret, TwoFactorEnrollment};
use crate::users::User;

fn invalid_code() -> DomainError {
    DomainError::unprocessable("invalid_totp_code", "the one-time code is not valid")
}

/// Only a person's own session may change their second factor: an API key is not proof
/// of the first one, and service accounts authenticate by key only.
fn require_session(actor: &Actor) -> Result<()> {
    if actor.principal.user.is_service_account {
        return Err(DomainError::forbidden(
            "illegal_operation",
            "service accounts cannot use two-factor authentication",
        ));
    }
    match actor.principal.credential {
        Credential::Session { .. } => Ok(()),
        Credential::ApiKey { .. } => Err(DomainError::forbidden(
            "illegal_operation",
            "two-factor authentication is managed from a session, not with an API key",
        )),
    }
}

impl Services {
    /// Starts (or restarts) two-factor enrollment: stores a new pending secret and returns
    /// it with its `otpauth://` URL. Nothing is enforced until [`Services::enable_two_factor`].
    ///
    /// # Errors
    /// `403 illegal_operation` for API keys and service accounts; `409
    /// two_factor_already_enabled`.
    pub async fn start_two_factor(&self, actor: &Actor) -> Result<TwoFactorEnrollment> {
        require_session(actor)?;
        let user = &actor.principal.user;
        if user.two_factor_enabled {
            return Err(already_enabled());
        }
        let secret = TotpSecret::new(self.ports.ids.new_totp_secret())?;
        let enrollment = TwoFactorEnrollment {
            secret: secret.to_base32(),
            otpauth_url: secret.otpauth_url(user.email.as_str())?,
        };
        let event = self.event(
            Some(actor),
            None,
            "user.two_factor_started",
            "user",
            user.id,
            None,
            Some(json!({"two_factor_enabled": false})),
        );
        let now = self.ports.clock.now();
        self.ports
            .users
            .set_pending_totp_secret(user.id, &enrollment.secret, now, &event)
            .await?;
        Ok(enrollment)
    }

    /// Turns two-factor authentication on once `code` proves the user's app holds the
    /// pending secret.
    ///
    /// # Errors
    /// `403 illegal_operation` for API keys; `409 two_factor_already_enabled`; `409
    /// two_factor_not_started` without a pending secret; `422 invalid_totp_code`.
    pub async fn enable_two_factor(&self, actor: &Actor, code: &str) -> Result<User> {
        require_session(actor)?;
        if actor.principal.user.two_factor_enabled {
            return Err(already_enabled());
        }
        self.switch_two_factor(actor, code, true).await
    }

    /// Turns two-factor authentication off and erases the secret; a current code is
    /// required, so a stolen session alone cannot remove the second factor.
    ///
    /// # Errors
    /// `403 illegal_operation` for API keys; `409 two_factor_not_enabled`; `422
    /// invalid_totp_code`.
    pub async fn disable_two_factor(&self, actor: &Actor, code: &str) -> Result<User> {
        require_session(actor)?;
        if !actor.principal.user.two_factor_enabled {
            return Err(DomainError::conflict(
                "two_factor_not_enabled",
                "two-factor authentication is not enabled",
            ));
        }
        self.switch_two_factor(actor, code, false).await
    }

    async fn switch_two_factor(&self, actor: &Actor, code: &str, enabled: bool) -> Result<User> {
        let before = actor.principal.user.clone();
        let stored = self
            .ports
            .users
            .find_totp_secret(before.id)
            .await?
            .ok_or_else(|| {
                DomainError::conflict(
                    "two_factor_not_started",
                    "start enrollment with POST /api/users/me/two-factor first",
                )
            })?;
        let now = self.ports.clock.now();
        if !TotpSecret::from_base32(&stored)?.verify(code, now) {
            return Err(invalid_code());
        }
        let mut user = before;
        user.two_factor_enabled = enabled;
        user.updated = now;
        let action = if enabled {
            "user.two_factor_enabled"
        } else {
            "user.two_factor_disabled"
        };
        let event = self.event(
            Some(actor),
            None,
            action,
            "user",
            user.id,
            Some(json!({"two_factor_enabled": !enabled})),
            Some(json!({"two_factor_enabled": enabled})),
        );
        self.ports
            .users
            .set_two_factor(user.id, &stored, enabled, now, &event)
            .await?;
        Ok(user)
    }

    /// The login step after a correct password, for users with two-factor authentication.
    ///
    /// # Errors
    /// `401 totp_required` without a code; `401 unauthenticated` for a wrong one (the same
    /// answer as a wrong password).
    pub(super) async fn check_login_totp(&self, user: &User, code: Option<&str>) -> Result<()> {
        let Some(code) = code.filter(|c| !c.trim().is_empty()) else {
            return Err(DomainError::TotpRequired);
        };
        let secret = self
            .ports
            .users
            .find_totp_secret(user.id)
            .await?
            .ok_or_else(|| {
                DomainError::Unknown(anyhow::anyhow!(
                    "user {} has two-factor enabled but no secret",
                    user.id
                ))
            })?;
        if TotpSecret::from_base32(&secret)?.verify(code, self.ports.clock.now()) {
            Ok(())
        } else {
            Err(super::auth::invalid_credentials())
        }
    }
}

fn already_enabled() -> DomainError {
    DomainError::conflict(
        "two_factor_already_enabled",
        "two-factor authentication is already enabled; disable it first",
    )
}

#[cfg(test)]
#[path = "two_factor_tests.rs"]
mod tests;
