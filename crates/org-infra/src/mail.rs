//! Mail delivery: the default outbox mailer (a table plus a log line), the outbox reader
//! behind `GET /api/outbox`, and an SMTP mailer.
use async_trait::async_trait;
use org_domain::Result;
use org_domain::invitations::OutboxMail;
use org_domain::pagination::{Page, PageRequest};
use org_domain::ports::{Clock as _, Mail, MailOutbox, Mailer};
use sea_orm::{
    ActiveValue::Set, DatabaseConnection, EntityTrait, PaginatorTrait, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use crate::db::{db_err, fetch_limit, from_db, known_total, to_db};
use crate::entities::outbox::{self, Column as O};
use crate::system::SystemClock;

mod smtp;

pub use smtp::SmtpMailer;

/// The default mailer: keeps every message in the `outbox` table, where a superuser reads
/// it (`GET /api/outbox`), and logs that it did. Nothing leaves the machine.
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
    async fn send(&self, mail: &Mail) -> Result<()> {
        let row = outbox::ActiveModel {
            id: Set(Uuid::now_v7()),
            recipient: Set(mail.to.clone()),
            subject: Set(mail.subject.clone()),
            body: Set(mail.body.clone()),
            created_at: Set(to_db(SystemClock.now())),
        };
        outbox::Entity::insert(row)
            .exec_without_returning(&self.db)
            .await
            .map_err(db_err)?;
        // Never the body: an invitation's carries its accept token.
        tracing::info!(to = %mail.to, subject = %mail.subject, "mail queued in the outbox");
        Ok(())
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
    async fn list(&self, page: PageRequest) -> Result<Page<OutboxMail>> {
        let mut rows = outbox::Entity::find()
            // Backed by idx_outbox_created; the id (UUIDv7) breaks ties in sending order.
            .order_by_desc(O::CreatedAt)
            .order_by_desc(O::Id)
            .limit(fetch_limit(page))
            .offset(page.offset())
            .all(&self.db)
            .await
            .map_err(db_err)?;
        let total = match known_total(&mut rows, page) {
            Some(n) => n,
            None => outbox::Entity::find()
                .count(&self.db)
                .await
                .map_err(db_err)?,
        };
        Ok(Page::new(
            rows.into_iter().map(to_domain).collect(),
            total,
            page,
        ))
    }
}

fn to_domain(m: outbox::Model) -> OutboxMail {
    OutboxMail {
        id: m.id,
        to: m.recipient,
        subject: m.subject,
        body: m.body,
        created: from_db(m.created_at),
    }
}
