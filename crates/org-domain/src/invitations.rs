//! Invitations to join an organization.
use std::fmt;

use time::OffsetDateTime;
use uuid::Uuid;

use crate::error::{DomainError, Result};
use crate::roles::RoleKey;
use crate::users::PublicUser;

/// Where an invitation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InvitationStatus {
    /// Sent, not answered, not expired.
    Pending,
    /// The recipient joined.
    Accepted,
    /// The recipient said no.
    Declined,
    /// Withdrawn by the organization.
    Revoked,
    /// Not answered in time.
    Expired,
}

impl InvitationStatus {
    /// Every status, in the order of the API documentation.
    pub const ALL: [Self; 5] = [
        Self::Pending,
        Self::Accepted,
        Self::Declined,
        Self::Revoked,
        Self::Expired,
    ];

    /// The status as stored and sent.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Accepted => "accepted",
            Self::Declined => "declined",
            Self::Revoked => "revoked",
            Self::Expired => "expired",
        }
    }

    /// Parses a status; `422` naming `field` when unknown.
    pub fn parse(field: &str, s: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| {
                DomainError::invalid(
                    field,
                    format!(
                        "unknown status '{s}': use pending, accepted, declined, revoked or expired"
                    ),
                )
            })
    }
}

impl fmt::Display for InvitationStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The organization an invitation is for, as shown to its recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvitedTo {
    /// Id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Slug.
    pub slug: String,
}

/// An invitation. The token that accepts it is never part of it: only its hash is stored,
/// and the token itself travels in the delivered message alone.
#[derive(Debug, Clone, PartialEq)]
pub struct Invitation {
    /// Id.
    pub id: Uuid,
    /// The organization.
    pub organization: InvitedTo,
    /// The invited address (normalized).
    pub email: String,
    /// The role the recipient gets on accepting.
    pub role: RoleKey,
    /// Status, with expiry already applied (a pending invitation past `expires_at` is
    /// `Expired`).
    pub status: InvitationStatus,
    /// Who invited (absent when that user was deleted).
    pub inviter: Option<PublicUser>,
    /// When the token stops working.
    pub expires_at: OffsetDateTime,
    /// When it was accepted, declined or revoked.
    pub responded_at: Option<OffsetDateTime>,
    /// Created.
    pub created: OffsetDateTime,
    /// Last changed (resent, answered).
    pub updated: OffsetDateTime,
}

impl Invitation {
    /// The status at `now`: a pending invitation past its expiry is expired.
    pub fn status_at(&self, now: OffsetDateTime) -> InvitationStatus {
        if self.status == InvitationStatus::Pending && self.expires_at <= now {
            InvitationStatus::Expired
        } else {
            self.status
        }
    }

    /// Why this invitation cannot be answered at `now`, if it cannot.
    pub fn unanswerable(&self, now: OffsetDateTime) -> Option<DomainError> {
        match self.status_at(now) {
            InvitationStatus::Pending => None,
            InvitationStatus::Accepted => Some(DomainError::conflict(
                "invitation_already_used",
                "this invitation was already accepted",
            )),
            InvitationStatus::Declined => Some(DomainError::conflict(
                "invitation_declined",
                "this invitation was declined",
            )),
            InvitationStatus::Revoked => Some(DomainError::gone(
                "invitation_revoked",
                "this invitation was revoked by the organization",
            )),
            InvitationStatus::Expired => Some(DomainError::gone(
                "invitation_expired",
                "this invitation has expired; ask for a new one",
            )),
        }
    }
}

/// Filters of an invitation listing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InvitationFilter {
    /// Only invitations in this status (expiry applied).
    pub status: Option<InvitationStatus>,
}

/// A new invitation as stored: the token's hash, never the token.
#[derive(Debug, Clone, PartialEq)]
pub struct NewInvitation {
    /// Id.
    pub id: Uuid,
    /// Organization.
    pub organization_id: Uuid,
    /// Invited address.
    pub email: String,
    /// Role on acceptance.
    pub role: RoleKey,
    /// SHA-256 of the token, hex.
    pub token_hash: String,
    /// Inviter.
    pub inviter_id: Uuid,
    /// Expiry.
    pub expires_at: OffsetDateTime,
    /// Now.
    pub created: OffsetDateTime,
}

/// A delivered message as the default mailer keeps it (`GET /api/outbox`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxMail {
    /// Id.
    pub id: Uuid,
    /// Recipient.
    pub to: String,
    /// Subject.
    pub subject: String,
    /// Plain-text body.
    pub body: String,
    /// When it was queued.
    pub created: OffsetDateTime,
}
