//! The non-storage adapters: system clock, random ids and secrets, argon2id password
//! hashing.
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use async_trait::async_trait;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use org_domain::ports::{Clock, IdGenerator, PasswordHasher};
use org_domain::two_factor::TOTP_SECRET_LEN;
use org_domain::{DomainError, Result};
use rand::RngCore as _;
use time::OffsetDateTime;
use uuid::Uuid;

/// The system clock, truncated to microseconds — the precision both databases keep, so a
/// value read back equals the value written.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        let now = OffsetDateTime::now_utc();
        now.replace_nanosecond(now.nanosecond() / 1_000 * 1_000)
            .unwrap_or(now)
    }
}

/// UUIDv7 ids (time-ordered, index friendly), 256-bit secrets from the OS-seeded
/// thread-local CSPRNG, base64url without padding, and 160-bit TOTP secrets from the same.
#[derive(Clone, Copy, Debug, Default)]
pub struct RandomIds;

impl IdGenerator for RandomIds {
    fn new_id(&self) -> Uuid {
        Uuid::now_v7()
    }

    fn new_secret(&self) -> String {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        URL_SAFE_NO_PAD.encode(bytes)
    }

    fn new_totp_secret(&self) -> Vec<u8> {
        let mut bytes = vec![0u8; TOTP_SECRET_LEN];
        rand::rng().fill_bytes(&mut bytes);
        bytes
    }
}

/// argon2id with the crate's default parameters, off the async runtime.
#[derive(Clone, Copy, Debug, Default)]
pub struct Argon2Hasher;

#[async_trait]
impl PasswordHasher for Argon2Hasher {
    async fn hash(&self, password: &str) -> Result<String> {
        let password = password.to_owned();
        let mut salt = [0u8; 16];
        rand::rng().fill_bytes(&mut salt);
        tokio::task::spawn_blocking(move || {
            let salt = SaltString::encode_b64(&salt).map_err(|e| anyhow::anyhow!("salt: {e}"))?;
            Argon2::default()
                .hash_password(password.as_bytes(), &salt)
                .map(|h| h.to_string())
                .map_err(|e| anyhow::anyhow!("argon2: {e}"))
        })
        .await
        .map_err(|e| DomainError::Unknown(anyhow::anyhow!("hashing task failed: {e}")))?
        .map_err(DomainError::Unknown)
    }

    async fn verify(&self, password: &str, hash: &str) -> bool {
        let (password, hash) = (password.to_owned(), hash.to_owned());
        tokio::task::spawn_blocking(move || {
            PasswordHash::new(&hash).is_ok_and(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
        })
        .await
        .unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Login's timing equalizer must cost a real argon2 computation with our parameters:
    /// a hash that failed to parse would answer unknown emails faster than wrong passwords.
    #[test]
    fn the_dummy_hash_is_a_real_argon2id_hash_with_default_parameters() {
        let parsed = PasswordHash::new(org_domain::auth::DUMMY_PASSWORD_HASH).unwrap();
        assert_eq!(parsed.algorithm.as_str(), "argon2id");
        let params = argon2::Params::try_from(&parsed).unwrap();
        let default = argon2::Params::default();
        assert_eq!(
            (params.m_cost(), params.t_cost(), params.p_cost()),
            (default.m_cost(), default.t_cost(), default.p_cost())
        );
        assert!(Argon2::default().verify_password(b"x", &parsed).is_err());
    }

    #[tokio::test]
    async fn hashes_verify_and_malformed_hashes_do_not() {
        let h = Argon2Hasher.hash("correct horse").await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(Argon2Hasher.verify("correct horse", &h).await);
        assert!(!Argon2Hasher.verify("wrong horse", &h).await);
        assert!(!Argon2Hasher.verify("correct horse", "not a hash").await);
    }

    #[test]
    fn secrets_are_long_and_url_safe() {
        let s = RandomIds.new_secret();
        assert_eq!(s.len(), 43);
        assert!(
            s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
        assert_ne!(s, RandomIds.new_secret());
        assert_eq!(RandomIds.new_id().get_version_num(), 7);
    }

    #[test]
    fn clock_is_microsecond_precise() {
        assert_eq!(SystemClock.now().nanosecond() % 1_000, 0);
    }
}
