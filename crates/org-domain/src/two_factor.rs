//! Two-factor authentication with time-based one-time passwords (RFC 6238): HMAC-SHA1,
//! 6 digits, 30-second steps, one step of clock skew either way — what every
//! authenticator app understands.
use std::fmt;

use time::OffsetDateTime;
use totp_rs::{Algorithm, Builder, Secret, Totp};

use crate::error::{DomainError, Result};

/// Issuer shown by authenticator apps next to the account name.
pub const TOTP_ISSUER: &str = "orgd";

/// Bytes of a new TOTP secret: 160 bits, as RFC 4226 §4 recommends.
pub const TOTP_SECRET_LEN: usize = 20;

/// A user's TOTP shared secret. Its `Debug` is redacted so that it never reaches a log.
#[derive(Clone, PartialEq, Eq)]
pub struct TotpSecret(Vec<u8>);

impl TotpSecret {
    /// A secret from random bytes (at least 128 bits).
    ///
    /// # Errors
    /// `Unknown` when the random source gave fewer than 16 bytes.
    pub fn new(bytes: Vec<u8>) -> Result<Self> {
        if bytes.len() < 16 {
            return Err(DomainError::Unknown(anyhow::anyhow!(
                "a TOTP secret needs at least 128 bits, got {} bytes",
                bytes.len()
            )));
        }
        Ok(Self(bytes))
    }

    /// A secret from its stored form (RFC 4648 base32, no padding).
    ///
    /// # Errors
    /// `Unknown` when the stored value is not valid base32 or too short (corrupt data).
    pub fn from_base32(s: &str) -> Result<Self> {
        let secret = Secret::try_from_base32(s)
            .map_err(|e| DomainError::Unknown(anyhow::anyhow!("stored TOTP secret: {e}")))?;
        Self::new(secret.as_ref().to_vec())
    }

    /// The stored and displayed form: RFC 4648 base32 without padding.
    pub fn to_base32(&self) -> String {
        Secret::from(self.0.as_slice()).to_base32()
    }

    fn totp(&self, account: &str) -> Result<Totp> {
        Builder::new()
            .with_algorithm(Algorithm::SHA1)
            .with_digits(6)
            .with_step_duration(30)
            .with_skew(1)
            .with_secret(self.0.as_slice())
            .with_account_name(account.replace(':', "_"))
            .with_issuer(Some(TOTP_ISSUER))
            .build()
            .map_err(|e| DomainError::Unknown(anyhow::anyhow!("TOTP parameters: {e}")))
    }

    /// Whether `code` is valid at `now` (or one step before or after). Spaces are ignored,
    /// so `123 456` as shown by some apps is accepted.
    pub fn verify(&self, code: &str, now: OffsetDateTime) -> bool {
        let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
        let Ok(totp) = self.totp("") else {
            return false;
        };
        let time = u64::try_from(now.unix_timestamp()).unwrap_or(0);
        totp.check(&code, time).is_some()
    }

    /// The `otpauth://totp/…` URL that authenticator apps import (usually as a QR code).
    ///
    /// # Errors
    /// `Unknown` when the URL cannot be built.
    pub fn otpauth_url(&self, account: &str) -> Result<String> {
        self.totp(account)?
            .to_url()
            .map_err(|e| DomainError::Unknown(anyhow::anyhow!("otpauth URL: {e}")))
    }
}

impl fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TotpSecret(<redacted>)")
    }
}

/// The answer to starting enrollment: what the user types or scans into an authenticator
/// app. Shown once; `Debug` is redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct TwoFactorEnrollment {
    /// The secret, base32.
    pub secret: String,
    /// The same secret as an `otpauth://` URL.
    pub otpauth_url: String,
}

impl fmt::Debug for TwoFactorEnrollment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TwoFactorEnrollment(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    // RFC 6238 appendix B, SHA1: the ASCII secret "12345678901234567890".
    fn rfc() -> TotpSecret {
        TotpSecret::new(b"12345678901234567890".to_vec()).unwrap()
    }

    #[test]
    fn rfc_6238_vectors_and_skew() {
        let s = rfc();
        // T = 59 → 94287082 (8 digits); the 6-digit code is its last six.
        let t = OffsetDateTime::from_unix_timestamp(59).unwrap();
        assert!(s.verify("287082", t));
        assert!(s.verify("287 082", t));
        // One step later is still accepted (skew 1), two steps later is not.
        assert!(s.verify("287082", t + time::Duration::seconds(30)));
        assert!(!s.verify("287082", t + time::Duration::seconds(61)));
        assert!(!s.verify("287083", t));
        assert!(!s.verify("28708", t));
        assert!(!s.verify("abcdef", t));
        // T = 1111111109 → 07081804.
        assert!(s.verify("081804", datetime!(2005-03-18 01:58:29 UTC)));
    }

    #[test]
    fn base32_round_trip_url_and_redaction() {
        let s = rfc();
        let b32 = s.to_base32();
        assert_eq!(b32, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        assert_eq!(TotpSecret::from_base32(&b32).unwrap(), s);
        assert!(TotpSecret::from_base32("not base32!").is_err());
        assert!(TotpSecret::new(vec![0; 8]).is_err());
        let url = s.otpauth_url("ann@example.com").unwrap();
        assert!(
            url.starts_with("otpauth://totp/orgd:ann%40example.com?"),
            "{url}"
        );
        assert!(url.contains(&format!("secret={b32}")), "{url}");
        assert!(!format!("{s:?}").contains(&b32));
    }
}
