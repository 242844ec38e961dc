//! [`SmtpMailer`]: delivers plain-text mail through an SMTP relay with lettre.
use std::time::Duration;

use anyhow::Context as _;
use async_trait::async_trait;
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Message};
use lettre::{AsyncSmtpTransport, AsyncTransport as _, Tokio1Executor};
use org_domain::ports::{Mail, Mailer};
use org_domain::{DomainError, Result};
use url::Url;
use uuid::Uuid;

/// Longest wait for each step of an SMTP exchange. The request that sends an invitation
/// waits for delivery, so a relay that hangs must fail it well before lettre's default
/// minute (and before clients give up on the request).
const SMTP_TIMEOUT: Duration = Duration::from_secs(10);

/// Delivers mail through an SMTP relay. Build it once at startup and share it (`Arc`)
/// between workers: it holds no connection, every message opens its own on the runtime
/// that sends it.
#[derive(Debug)]
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    endpoint: String,
}

impl SmtpMailer {
    /// A mailer for `url` in lettre's form — `smtp://host:25` (plain text),
    /// `smtp://user:pass@host:587?tls=required` (STARTTLS), `smtps://user:pass@host:465`
    /// (implicit TLS); user and password percent-encoded — sending as `from`
    /// (`Name <address>` or a bare address).
    ///
    /// # Errors
    /// When the URL or the from-address is malformed. Messages never include the password.
    pub fn new(url: &str, from: &str) -> anyhow::Result<Self> {
        let parsed = Url::parse(url).context("the SMTP URL is malformed")?;
        let endpoint = endpoint(&parsed);
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .with_context(|| format!("unusable SMTP URL {endpoint}"))?
            .timeout(Some(SMTP_TIMEOUT))
            .build();
        let from = from
            .parse::<Mailbox>()
            .with_context(|| format!("invalid sender address {from:?}"))?;
        let encrypted = parsed.scheme() == "smtps"
            || parsed
                .query_pairs()
                .any(|(k, v)| k == "tls" && v == "required");
        if parsed.password().is_some() && !encrypted {
            // lettre speaks `smtp://` in clear (and `tls=opportunistic` falls back to it),
            // credentials included: allowed for a trusted local relay, worth a warning.
            tracing::warn!(
                smtp = %endpoint,
                "SMTP credentials may cross the network unencrypted; \
                 use smtps:// or ?tls=required"
            );
        }
        Ok(Self {
            transport,
            from,
            endpoint,
        })
    }

    /// The relay as a URL without user and password, for logs.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }
}

/// `url` without its credentials.
fn endpoint(url: &Url) -> String {
    let mut url = url.clone();
    // Both only fail for URLs without a host, which lettre refuses anyway.
    let _ = url.set_username("");
    let _ = url.set_password(None);
    url.to_string()
}

#[async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, mail: &Mail) -> Result<()> {
        let to = mail.to.parse::<Mailbox>().map_err(|e| {
            DomainError::Unknown(anyhow::anyhow!("unusable recipient {:?}: {e}", mail.to))
        })?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject.as_str())
            .header(ContentType::TEXT_PLAIN)
            // Relays do not all add a Message-ID, and spam filters count its absence; the
            // sender's domain (not this host's name) is the one a recipient can relate to.
            .message_id(Some(format!(
                "<{}@{}>",
                Uuid::now_v7().simple(),
                self.from.email.domain()
            )))
            .body(mail.body.clone())
            .map_err(|e| DomainError::Unknown(anyhow::anyhow!("building a message: {e}")))?;
        match self.transport.send(message).await {
            Ok(_) => {
                tracing::info!(to = %mail.to, subject = %mail.subject, "mail sent");
                Ok(())
            }
            Err(e) => {
                // lettre's Display already appends the source error; the relay's reply
                // text, when there is one, is part of it.
                tracing::warn!(
                    error = %e, smtp = %self.endpoint, to = %mail.to,
                    "mail delivery failed"
                );
                Err(DomainError::Unavailable(
                    "mail delivery failed; try again later".to_owned(),
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests;
