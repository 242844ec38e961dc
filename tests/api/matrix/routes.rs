//! The matrix's table: every org-scoped route with its cases, and the routes that are not
//! org-scoped, with why.
use reqwest::Method;
use serde_json::{Value, json};

/// The routes that are not org-scoped, and why: (method, template, needs a caller, reason).
/// Those that need a caller are swept with every kind of bad credentials (`401`).
pub(super) const NOT_ORG_SCOPED: &[(&str, &str, bool, &str)] = &[
    ("GET", "/healthz", false, "public liveness probe"),
    ("GET", "/readyz", false, "public readiness probe"),
    ("POST", "/api/auth/signup", false, "public; creates a user"),
    ("POST", "/api/auth/login", false, "public; names no org"),
    (
        "POST",
        "/api/auth/logout",
        true,
        "ends the caller's own session",
    ),
    (
        "POST",
        "/api/auth/session/organization",
        true,
        "names the org in its body, not its path: \
         isolation::outsiders_cannot_list_select_or_bind_a_foreign_org",
    ),
    (
        "POST",
        "/api/invitations/accept",
        true,
        "takes the emailed secret token, not an id: invitations.rs covers wrong tokens and recipients",
    ),
    (
        "GET",
        "/api/organizations",
        true,
        "the caller's own organizations: isolation::outsiders_cannot_list_select_or_bind_a_foreign_org",
    ),
    (
        "POST",
        "/api/organizations",
        true,
        "creates a new organization",
    ),
    (
        "GET",
        "/api/outbox",
        true,
        "superusers only, across every org",
    ),
    (
        "GET",
        "/api/permissions",
        true,
        "the catalog, the same for everyone",
    ),
    ("GET", "/api/users", true, "superusers only"),
    ("POST", "/api/users", true, "superusers only"),
    ("GET", "/api/users/me", true, "the caller's own account"),
    ("PATCH", "/api/users/me", true, "the caller's own account"),
    (
        "GET",
        "/api/users/me/api-keys",
        true,
        "the caller's own keys",
    ),
    (
        "POST",
        "/api/users/me/api-keys",
        true,
        "names the org to bind in its body: isolation.rs covers foreign and other-org bindings",
    ),
    (
        "DELETE",
        "/api/users/me/api-keys/{id}",
        true,
        "a key belongs to a user, not an org",
    ),
    (
        "GET",
        "/api/users/me/invitations",
        true,
        "invitations addressed to the caller's own email",
    ),
    (
        "POST",
        "/api/users/me/two-factor",
        true,
        "the caller's own account",
    ),
    (
        "POST",
        "/api/users/me/two-factor/enable",
        true,
        "the caller's own account",
    ),
    (
        "POST",
        "/api/users/me/two-factor/disable",
        true,
        "the caller's own account",
    ),
    (
        "POST",
        "/api/users/{id}/api-keys",
        true,
        "superusers only, for service accounts",
    ),
];

/// Whether a template is org-scoped: such a route must have a matrix entry.
pub(super) fn org_scoped(template: &str) -> bool {
    template.starts_with("/api/organizations/") || template.starts_with("/api/invitations/{")
}

/// What lets a caller through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Gate {
    /// This catalog permission.
    Perm(&'static str),
    /// Membership alone: the refused callers still get `404`/`403`/`401`, a member holding no
    /// permission at all gets `200`.
    Member,
    /// Superusers only: even the owner is refused.
    Superuser,
    /// The invitation's addressee only.
    Addressee,
}

impl Gate {
    /// The key of the lacking callers built for this gate.
    pub(super) fn key(self) -> &'static str {
        match self {
            Self::Perm(p) => p,
            Self::Member | Self::Addressee => "(member)",
            Self::Superuser => "(superuser)",
        }
    }
}

/// Where a route acts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Scope {
    /// `{org}` in the path: the target org, named by UUID, slug, exact name or `me`.
    Org,
    /// The caller's current organization (`/api/organizations/members`, …).
    Current(OwnOrg),
    /// An invitation, answered by its addressee (`/api/invitations/{id}/…`).
    Recipient,
}

/// What a current-org route does for a caller whose current org is its own (the outsider,
/// the key bound to the other org).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum OwnOrg {
    /// Lists its own org: `200`, naming nothing of the target org.
    List,
    /// The target org's id is foreign there: `404`, as for an unknown id.
    ForeignId,
    /// Would change its own org, legitimately: not called, for this reason.
    Skip(&'static str),
}

const CREATES_IN_OWN_ORG: OwnOrg =
    OwnOrg::Skip("creates in the caller's own current org: a legitimate change, not a leak");

/// Who succeeds with a route (checked after every refusal).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Rightful {
    /// The target org's owner (session, current org = target).
    Owner,
    /// The bootstrap superuser.
    Superuser,
    /// The invitation's addressee, with this session token.
    Invitee(String),
}

/// One request to send.
#[derive(Debug, Clone)]
pub(super) struct Case {
    pub(super) query: &'static str,
    pub(super) body: Option<Value>,
    pub(super) gate: Gate,
}

/// One route of the table.
#[derive(Debug, Clone)]
pub(super) struct Entry {
    pub(super) method: Method,
    pub(super) template: &'static str,
    pub(super) scope: Scope,
    /// The value of `{user_id}` or `{id}`, for templates that have one.
    pub(super) id: String,
    pub(super) cases: Vec<Case>,
    pub(super) rightful: Rightful,
    pub(super) status: u16,
}

impl Entry {
    fn new(method: Method, template: &'static str, scope: Scope) -> Self {
        Self {
            method,
            template,
            scope,
            id: String::new(),
            cases: Vec::new(),
            rightful: Rightful::Owner,
            status: 0,
        }
    }

    fn id(mut self, id: &str) -> Self {
        self.id = id.to_owned();
        self
    }

    fn case(mut self, query: &'static str, body: Option<Value>, gate: Gate) -> Self {
        self.cases.push(Case { query, body, gate });
        self
    }

    /// A case that needs `perm`.
    fn needs(self, query: &'static str, body: Option<Value>, perm: &'static str) -> Self {
        self.case(query, body, Gate::Perm(perm))
    }

    fn ok(mut self, rightful: Rightful, status: u16) -> Self {
        self.rightful = rightful;
        self.status = status;
        self
    }

    pub(super) fn key(&self) -> (String, String) {
        (self.method.to_string(), self.template.to_owned())
    }

    /// The concrete path, with `{org}` as `org`.
    pub(super) fn path(&self, org: &str, id: &str, query: &str) -> String {
        let path = self
            .template
            .replace("{org}", org)
            .replace("{user_id}", id)
            .replace("{id}", id);
        format!("{path}{query}")
    }
}

fn org(method: Method, template: &'static str) -> Entry {
    Entry::new(method, template, Scope::Org)
}

fn current(method: Method, template: &'static str, own: OwnOrg) -> Entry {
    Entry::new(method, template, Scope::Current(own))
}

/// [`org`] for a template naming `{org}`, else [`current`] (the shorthand routes).
fn scoped(method: Method, template: &'static str, own: OwnOrg) -> Entry {
    if template.contains("{org}") {
        org(method, template)
    } else {
        current(method, template, own)
    }
}

/// The ids the matrix's entries name; `Default` gives placeholders, enough to classify.
#[derive(Debug, Default)]
pub(super) struct Fixture {
    pub(super) org_id: String,
    pub(super) slug: String,
    /// The org's plain member, whose role the PATCH routes change.
    pub(super) member_id: String,
    /// Members removed by the three DELETE member routes.
    pub(super) victims: [String; 3],
    /// Users added by the three POST member routes.
    pub(super) newcomers: [String; 3],
    /// A custom role read and changed.
    pub(super) role_id: String,
    /// Custom roles deleted by the two DELETE role routes.
    pub(super) doomed: [String; 2],
    /// A pending invitation, resent.
    pub(super) pending: String,
    /// Invitations revoked by the two DELETE invitation routes.
    pub(super) revocable: [String; 2],
    /// Invitations answered by their addressees: (id, the addressee's session).
    pub(super) to_accept: (String, String),
    pub(super) to_decline: (String, String),
}

/// Every org-scoped route of the table.
pub(super) fn matrix(f: &Fixture) -> Vec<Entry> {
    use Method as M;
    use Rightful::Owner;
    let mut m = vec![
        org(M::GET, "/api/organizations/{org}")
            .needs("", None, "organization:read")
            .needs("?expand=members", None, "users:read")
            .needs("?expand=invitations", None, "users:read")
            .needs("?expand=roles", None, "roles:read")
            .ok(Owner, 200),
        org(M::PATCH, "/api/organizations/{org}")
            .needs(
                "",
                Some(json!({"description": "mine now"})),
                "organization:write",
            )
            .needs(
                "",
                Some(json!({"settings": {"members_can_invite": true}})),
                "org:settings",
            )
            .ok(Owner, 200),
        org(M::DELETE, "/api/organizations/{org}")
            .needs("", None, "organization:delete")
            .ok(Owner, 204),
        org(M::PATCH, "/api/organizations/{org}/subscription")
            .case(
                "",
                Some(json!({"has_active_subscription": true})),
                Gate::Superuser,
            )
            .ok(Rightful::Superuser, 200),
        org(M::GET, "/api/organizations/{org}/permissions")
            .case("", None, Gate::Member)
            .ok(Owner, 200),
        org(M::POST, "/api/organizations/{org}/permissions/check")
            .case(
                "",
                Some(json!({"permissions": ["organization:read"]})),
                Gate::Member,
            )
            .needs(
                "?explain=true",
                Some(json!({"permissions": ["users:read"], "user_id": f.member_id})),
                "users:read",
            )
            .ok(Owner, 200),
        org(M::GET, "/api/organizations/{org}/audit-events")
            .needs("", None, "audit:read")
            .ok(Owner, 200),
    ];
    // Members: the canonical routes, seed 002's `/users` alias, seed 003's shorthand.
    let members = [
        (
            "/api/organizations/{org}/members",
            "/api/organizations/{org}/members/{user_id}",
        ),
        (
            "/api/organizations/{org}/users",
            "/api/organizations/{org}/users/{user_id}",
        ),
        (
            "/api/organizations/members",
            "/api/organizations/members/{user_id}",
        ),
    ];
    for (i, (coll, item)) in members.into_iter().enumerate() {
        m.extend([
            scoped(M::GET, coll, OwnOrg::List)
                .needs("", None, "users:read")
                .needs("?search=acme&role=member", None, "users:read")
                .ok(Owner, 200),
            scoped(M::POST, coll, CREATES_IN_OWN_ORG)
                .needs(
                    "",
                    Some(json!({"user_id": f.newcomers[i], "role": "member"})),
                    "users:update",
                )
                .ok(Owner, 201),
            scoped(M::PATCH, item, OwnOrg::ForeignId)
                .id(&f.member_id)
                .needs("", Some(json!({"role": "admin"})), "users:update")
                .ok(Owner, 200),
            scoped(M::DELETE, item, OwnOrg::ForeignId)
                .id(&f.victims[i])
                .needs("", None, "users:delete")
                .ok(Owner, 204),
        ]);
    }
    let roles = [
        (
            "/api/organizations/{org}/roles",
            "/api/organizations/{org}/roles/{id}",
        ),
        ("/api/organizations/roles", "/api/organizations/roles/{id}"),
    ];
    for (i, (coll, item)) in roles.into_iter().enumerate() {
        m.extend([
            scoped(M::GET, coll, OwnOrg::List)
                .needs("", None, "roles:read")
                .ok(Owner, 200),
            scoped(M::POST, coll, CREATES_IN_OWN_ORG)
                .needs(
                    "",
                    Some(
                        json!({"name": format!("matrix role {i}"), "permissions": ["audit:read"]}),
                    ),
                    "roles:create",
                )
                .ok(Owner, 201),
            scoped(M::GET, item, OwnOrg::ForeignId)
                .id(&f.role_id)
                .needs("", None, "roles:read")
                .ok(Owner, 200),
            scoped(M::PATCH, item, OwnOrg::ForeignId)
                .id(&f.role_id)
                .needs("", Some(json!({"description": "changed"})), "roles:update")
                .ok(Owner, 200),
            scoped(M::DELETE, item, OwnOrg::ForeignId)
                .id(&f.doomed[i])
                .needs("", None, "roles:delete")
                .ok(Owner, 204),
        ]);
    }
    let invitations = [
        (
            "/api/organizations/{org}/invitations",
            "/api/organizations/{org}/invitations/{id}",
        ),
        (
            "/api/organizations/invitations",
            "/api/organizations/invitations/{id}",
        ),
    ];
    for (i, (coll, item)) in invitations.into_iter().enumerate() {
        m.extend([
            scoped(M::GET, coll, OwnOrg::List)
                .needs("", None, "users:read")
                .needs("?status=pending", None, "users:read")
                .ok(Owner, 200),
            scoped(M::POST, coll, CREATES_IN_OWN_ORG)
                .needs(
                    "",
                    Some(json!({"email": format!("new-{i}@example.test")})),
                    "users:invite",
                )
                .ok(Owner, 201),
            scoped(M::POST, item, OwnOrg::ForeignId)
                .id(&f.pending)
                .needs("", None, "users:invite")
                .ok(Owner, 200),
            scoped(M::DELETE, item, OwnOrg::ForeignId)
                .id(&f.revocable[i])
                .needs("", None, "users:invite")
                .ok(Owner, 204),
        ]);
    }
    m.extend([
        Entry::new(M::POST, "/api/invitations/{id}/accept", Scope::Recipient)
            .id(&f.to_accept.0)
            .case("", None, Gate::Addressee)
            .ok(Rightful::Invitee(f.to_accept.1.clone()), 200),
        Entry::new(M::POST, "/api/invitations/{id}/decline", Scope::Recipient)
            .id(&f.to_decline.0)
            .case("", None, Gate::Addressee)
            .ok(Rightful::Invitee(f.to_decline.1.clone()), 204),
    ]);
    m
}
