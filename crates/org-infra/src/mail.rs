//! Mail delivery: the default outbox mailer (a table plus a log line), the outbox reader
//! behind `GET /api/outbox`, and an SMTP mailer.
use async_trait::async_trait;
use org_domain::invitations::OutboxMail;
use org_domain::pagination::{Page, PageRequest};
use org_domain::ports::{Mail, MailOutbox, Mailer};
use org_domain::{DomainError, Result};
use sea_orm::DatabaseConnection;

/// The default mailer: keeps every message in the `outbox` table and logs it.
#[derive(Clone, Debug)]
pub struct OutboxMailer {
    db: DatabaseConnection,
}

impl OutboxMailer {
    /// A mailer writing to `db`'s outbox.
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

#[async_trait]
impl Mailer for OutboxMailer {
    async fn send(&self, _mail: &Mail) -> Result<()> {
        let _ = &self.db;
        Err(DomainError::Unknown(anyhow::anyhow!(
            "OutboxMailer is being written"
        )))
    }
}

/// Reads the outbox.
#[derive(Clone, Debug)]
pub struct SeaOutbox {
    db: DatabaseConnection,
}

impl SeaOutbox {
    /// The outbox of `db`.
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

#[async_trait]
impl MailOutbox for SeaOutbox {
    async fn list(&self, _page: PageRequest) -> Result<Page<OutboxMail>> {
        let _ = &self.db;
        Err(DomainError::Unknown(anyhow::anyhow!(
            "SeaOutbox is being written"
        )))
    }
}
