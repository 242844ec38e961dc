//! Users: profile, superuser administration, bootstrap.
use serde_json::{Value, json};

use super::Services;
use super::auth::user_not_found;
use crate::auth::Actor;
use crate::error::{DomainError, Result};
use crate::pagination::{Page, PageRequest};
use crate::users::{NewUserRequest, ProfilePatch, User};
use crate::values::{Email, Password, check_len, check_url};

fn check_optional(field: &str, v: Option<&Option<String>>, max: usize) -> Result<()> {
    if let Some(Some(s)) = v {
        check_len(field, s, 0, max)?;
    }
    Ok(())
}

pub(super) fn check_metadata(v: &Value) -> Result<()> {
    if !v.is_object() {
        return Err(DomainError::invalid("metadata", "must be a JSON object"));
    }
    if v.to_string().len() > 16 * 1024 {
        return Err(DomainError::invalid("metadata", "must be at most 16 KiB"));
    }
    Ok(())
}

fn summary(u: &User) -> Value {
    json!({
        "email": u.email.as_str(),
        "username": u.username,
        "is_superuser": u.is_superuser,
        "is_service_account": u.is_service_account,
        "is_active": u.is_active,
    })
}

impl Services {
    /// Validates and stores a new user. `actor` is `None` for signup and bootstrap.
    pub(super) async fn insert_user(
        &self,
        actor: Option<&Actor>,
        req: NewUserRequest,
    ) -> Result<User> {
        let email = Email::parse(&req.email)?;
        let hash = match (&req.password, req.is_service_account) {
            (Some(_), true) => {
                return Err(DomainError::invalid(
                    "password",
                    "service accounts have no password",
                ));
            }
            (None, false) => return Err(DomainError::invalid("password", "is required")),
            (None, true) => None,
            (Some(p), false) => Some(self.ports.hasher.hash(Password::parse(p)?.expose()).await?),
        };
        if let Some(u) = &req.username {
            check_len("username", u.trim(), 1, 100)?;
        }
        check_optional("name", Some(&req.name), 200)?;
        let now = self.ports.clock.now();
        let user = User {
            id: self.ports.ids.new_id(),
            username: req
                .username
                .map_or_else(|| email.local_part().to_owned(), |u| u.trim().to_owned()),
            email,
            name: req.name,
            avatar_url: None,
            company: None,
            job_title: None,
            metadata: json!({}),
            is_active: true,
            is_superuser: req.is_superuser,
            is_service_account: req.is_service_account,
            is_onboarded: false,
            two_factor_enabled: false,
            created: now,
            updated: now,
        };
        let event = self.event(
            actor,
            None,
            "user.created",
            "user",
            user.id,
            None,
            Some(summary(&user)),
        );
        self.ports.users.insert(&user, hash, &event).await?;
        Ok(user)
    }

    /// Superuser: creates a user or service account.
    ///
    /// # Errors
    /// `403 forbidden` for non-superusers; `422`; `409 email_taken`.
    pub async fn create_user(&self, actor: &Actor, req: NewUserRequest) -> Result<User> {
        require_superuser(actor)?;
        self.insert_user(Some(actor), req).await
    }

    /// Superuser: lists users.
    ///
    /// # Errors
    /// `403 forbidden` for non-superusers.
    pub async fn list_users(
        &self,
        actor: &Actor,
        search: Option<String>,
        page: PageRequest,
    ) -> Result<Page<User>> {
        require_superuser(actor)?;
        self.ports.users.list(search, page).await
    }

    /// Changes the caller's own profile.
    ///
    /// # Errors
    /// `422` for invalid fields.
    pub async fn update_me(&self, actor: &Actor, patch: ProfilePatch) -> Result<User> {
        let before = actor.principal.user.clone();
        let mut user = before.clone();
        if let Some(u) = patch.username {
            check_len("username", u.trim(), 1, 100)?;
            user.username = u.trim().to_owned();
        }
        check_optional("name", patch.name.as_ref(), 200)?;
        check_optional("company", patch.company.as_ref(), 200)?;
        check_optional("job_title", patch.job_title.as_ref(), 200)?;
        if let Some(Some(url)) = &patch.avatar_url {
            check_url("avatar_url", url)?;
        }
        if let Some(m) = &patch.metadata {
            check_metadata(m)?;
        }
        let hash = match &patch.password {
            Some(p) => Some(self.ports.hasher.hash(Password::parse(p)?.expose()).await?),
            None => None,
        };
        if hash.is_some() && user.is_service_account {
            return Err(DomainError::invalid(
                "password",
                "service accounts have no password",
            ));
        }
        if let Some(v) = patch.name {
            user.name = v;
        }
        if let Some(v) = patch.avatar_url {
            user.avatar_url = v;
        }
        if let Some(v) = patch.company {
            user.company = v;
        }
        if let Some(v) = patch.job_title {
            user.job_title = v;
        }
        if let Some(v) = patch.metadata {
            user.metadata = v;
        }
        if let Some(v) = patch.is_onboarded {
            user.is_onboarded = v;
        }
        user.updated = self.ports.clock.now();
        let mut after = summary(&user);
        if hash.is_some() {
            after["password_changed"] = json!(true);
        }
        let event = self.event(
            Some(actor),
            None,
            "user.updated",
            "user",
            user.id,
            Some(summary(&before)),
            Some(after),
        );
        self.ports.users.update(&user, hash, &event).await?;
        Ok(user)
    }

    /// Creates the first superuser, or makes an existing account a superuser with the given
    /// password. Idempotent; used by `orgd bootstrap-admin` and on first start.
    ///
    /// # Errors
    /// `422` for an invalid email or password.
    pub async fn bootstrap_admin(&self, email: &str, password: &str) -> Result<User> {
        let parsed = Email::parse(email)?;
        match self.ports.users.find_by_email(&parsed).await? {
            None => {
                let req = NewUserRequest {
                    email: email.to_owned(),
                    password: Some(password.to_owned()),
                    is_superuser: true,
                    ..Default::default()
                };
                self.insert_user(None, req).await
            }
            Some(mut user) => {
                let hash = self
                    .ports
                    .hasher
                    .hash(Password::parse(password)?.expose())
                    .await?;
                let before = summary(&user);
                user.is_superuser = true;
                user.is_active = true;
                user.updated = self.ports.clock.now();
                let event = self.event(
                    None,
                    None,
                    "user.bootstrapped",
                    "user",
                    user.id,
                    Some(before),
                    Some(summary(&user)),
                );
                self.ports.users.update(&user, Some(hash), &event).await?;
                Ok(user)
            }
        }
    }

    /// A user by id (superusers), for `POST /api/users/{id}/api-keys` and similar.
    ///
    /// # Errors
    /// `403` for non-superusers; `404 user_not_found`.
    pub async fn get_user(&self, actor: &Actor, id: uuid::Uuid) -> Result<User> {
        require_superuser(actor)?;
        self.ports
            .users
            .find_by_id(id)
            .await?
            .ok_or_else(user_not_found)
    }
}

fn require_superuser(actor: &Actor) -> Result<()> {
    if actor.principal.user.is_superuser {
        Ok(())
    } else {
        Err(DomainError::missing_permission("superuser required"))
    }
}
