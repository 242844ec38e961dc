//! sea-orm entity models, one per table of the `migration` crate. They are storage rows:
//! the repositories convert them to and from the domain types.
pub mod api_keys;
pub mod audit_events;
pub mod custom_roles;
pub mod invitations;
pub mod members;
pub mod organizations;
pub mod outbox;
pub mod sessions;
pub mod users;
