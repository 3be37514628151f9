//! Who may call which route: one table, [`RULES`], next to the routes.
//!
//! The `SignedIn` and `MaybeSignedIn` extractors look the request's route up here (by method
//! and route pattern) and refuse a role the rule does not name (`403`), so handlers do not
//! check roles themselves. (Rules about one object — an officer of *this* meeting — stay with
//! the object.) The OpenAPI document states each operation's rule (`x-access`, `x-roles`, a
//! "Who may call it" line, and its `security`), written from the same table; a test walks
//! every operation of the live document with no token, each wrong role and each right one.
//! A route that has no rule here answers `500` to anyone signed in, and that test fails.
use utoipa::openapi::{OpenApi, PathItem, extensions::Extensions, path::Operation, security::SecurityRequirement};

use crate::domain::Role;

/// Everyone who reviews consultations: may see drafts, and results before they are public.
const REVIEWERS: &[Role] = &[Role::Organiser, Role::Commissioner];

/// The rule of one route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not (residents, the projector, health checks).
    Anyone,
    /// Anyone while the consultation is past its draft; a draft only for these roles (for
    /// anyone else it does not exist: `404`).
    AnyoneOnceOpen(&'static [Role]),
    /// Anyone once the consultation is published; after voting closes and before it is
    /// published, only these roles (`401` without a token, `403` for another role).
    AnyoneOncePublished(&'static [Role]),
    /// Any signed-in account, whatever its role.
    SignedIn,
    /// Only accounts with one of these roles.
    Roles(&'static [Role]),
}

/// One route: its method, its path as the router and the OpenAPI document write it, its
/// rule, and what it does (for the `403` message: "only organisers can {action}").
#[derive(Debug)]
pub struct Rule {
    pub method: &'static str,
    pub path: &'static str,
    pub access: Access,
    pub action: &'static str,
}

const fn rule(method: &'static str, path: &'static str, access: Access, action: &'static str) -> Rule {
    Rule { method, path, access, action }
}

use Access::{Anyone, AnyoneOnceOpen, AnyoneOncePublished, Roles, SignedIn};
const ADMIN: &[Role] = &[Role::Admin];
const ORGANISER: &[Role] = &[Role::Organiser];
const COMMISSIONER: &[Role] = &[Role::Commissioner];
const ORGANISER_OR_OFFICER: &[Role] = &[Role::Organiser, Role::Officer];

/// Every API route's rule. Keep it in the order of `api_routes!`.
pub static RULES: &[Rule] = &[
    rule("POST", "/api/v1/consultations/{id}/ballots", Anyone, "vote"),
    rule("GET", "/health", Anyone, "check health"),
    rule("GET", "/ready", Anyone, "check readiness"),
    rule("POST", "/api/v1/auth/sign-in", Anyone, "sign in"),
    rule("POST", "/api/v1/auth/sign-out", SignedIn, "sign out"),
    rule("GET", "/api/v1/auth/me", SignedIn, "see who is signed in"),
    rule("GET", "/api/v1/consultations", Anyone, "list consultations"),
    rule("GET", "/api/v1/manage/consultations", Roles(REVIEWERS), "see draft consultations"),
    rule("POST", "/api/v1/consultations", Roles(ORGANISER), "create consultations"),
    rule("GET", "/api/v1/consultations/{id}", AnyoneOnceOpen(REVIEWERS), "see draft consultations"),
    rule("PATCH", "/api/v1/consultations/{id}", Roles(ORGANISER), "edit consultations"),
    rule("POST", "/api/v1/consultations/{id}/open", Roles(ORGANISER), "open a vote"),
    rule("POST", "/api/v1/consultations/{id}/close", Roles(ORGANISER), "close a vote"),
    rule("POST", "/api/v1/consultations/{id}/publish", Roles(REVIEWERS), "publish results"),
    rule("POST", "/api/v1/consultations/{id}/services", Roles(ORGANISER), "edit consultations"),
    rule("PUT", "/api/v1/consultations/{id}/services/{service_id}", Roles(ORGANISER), "edit consultations"),
    rule("DELETE", "/api/v1/consultations/{id}/services/{service_id}", Roles(ORGANISER), "edit consultations"),
    rule("POST", "/api/v1/consultations/{id}/proposals", Roles(ORGANISER), "edit consultations"),
    rule("PUT", "/api/v1/consultations/{id}/proposals/{proposal_id}", Roles(ORGANISER), "edit consultations"),
    rule("DELETE", "/api/v1/consultations/{id}/proposals/{proposal_id}", Roles(ORGANISER), "edit consultations"),
    rule("POST", "/api/v1/consultations/{id}/voter-codes", Roles(ORGANISER), "make voter codes"),
    rule("GET", "/api/v1/consultations/{id}/voter-codes/stats", Roles(REVIEWERS), "see voter code numbers"),
    rule("GET", "/api/v1/consultations/{id}/code-batches", Roles(REVIEWERS), "see who made which codes"),
    rule("PUT", "/api/v1/consultations/{id}/code-approval", Roles(ORGANISER), "change the consultation's settings"),
    rule("POST", "/api/v1/code-batches/{batch}/approve", Roles(COMMISSIONER), "approve codes made after voting opened"),
    rule("PUT", "/api/v1/consultations/{id}/self-registration", Roles(ORGANISER), "change the consultation's settings"),
    rule("POST", "/api/v1/consultations/{id}/registrations", Anyone, "ask for a voter code by e-mail"),
    rule("POST", "/api/v1/consultations/{id}/roll", Roles(ORGANISER), "import voter rolls"),
    rule("GET", "/api/v1/consultations/{id}/roll", Roles(ORGANISER), "look people up on the roll"),
    rule("POST", "/api/v1/roll-entries/{entry}/revoke", Roles(ORGANISER), "revoke voter codes"),
    rule("GET", "/api/v1/receipts/{receipt}", Anyone, "check a receipt"),
    rule("GET", "/api/v1/consultations/{id}/results", AnyoneOncePublished(REVIEWERS), "see results before they are published"),
    rule("GET", "/api/v1/consultations/{id}/export", AnyoneOncePublished(REVIEWERS), "export ballots before they are published"),
    rule("POST", "/api/v1/consultations/{id}/meetings", Roles(ORGANISER), "add meetings"),
    rule("GET", "/api/v1/consultations/{id}/meetings", Roles(REVIEWERS), "see a consultation's meetings"),
    rule("GET", "/api/v1/meetings/assigned", SignedIn, "see the meetings they are assigned to"),
    rule("GET", "/api/v1/meetings/{mid}", Anyone, "see a meeting"),
    rule("PUT", "/api/v1/meetings/{mid}", Roles(ORGANISER), "change meetings"),
    rule("POST", "/api/v1/meetings/{mid}/open", Roles(ORGANISER), "run meetings"),
    rule("POST", "/api/v1/meetings/{mid}/close", Roles(ORGANISER), "run meetings"),
    rule("POST", "/api/v1/meetings/{mid}/reveal", Roles(ORGANISER), "run meetings"),
    rule("POST", "/api/v1/meetings/{mid}/reset", Roles(ORGANISER), "run meetings"),
    rule("PUT", "/api/v1/meetings/{mid}/focus", Roles(ORGANISER), "run meetings"),
    rule("POST", "/api/v1/meetings/{mid}/slips", Roles(ORGANISER), "print admission slips"),
    rule("POST", "/api/v1/meetings/{mid}/exchange", Roles(ORGANISER_OR_OFFICER), "exchange letters for slips"),
    rule("POST", "/api/v1/meetings/{mid}/officers", Roles(ORGANISER), "assign officers"),
    rule("GET", "/api/v1/meetings/{mid}/officers", Roles(ORGANISER), "see a meeting's officers"),
    rule("DELETE", "/api/v1/meetings/{mid}/officers/{user_id}", Roles(ORGANISER), "remove officers"),
    rule("POST", "/api/v1/meetings/{mid}/join", Anyone, "join a meeting"),
    rule("POST", "/api/v1/meetings/{mid}/ballots", Anyone, "vote in a meeting"),
    rule("POST", "/api/v1/meetings/{mid}/paper", Roles(ORGANISER_OR_OFFICER), "enter paper ballots"),
    rule("PUT", "/api/v1/meetings/{mid}/paper/{serial}", Roles(ORGANISER_OR_OFFICER), "correct paper ballots"),
    rule("POST", "/api/v1/meetings/{mid}/paper/{serial}/settle", Roles(ORGANISER_OR_OFFICER), "settle paper ballots"),
    rule("GET", "/api/v1/meetings/{mid}/paper", Roles(ORGANISER_OR_OFFICER), "see paper entries"),
    rule("GET", "/api/v1/meetings/{mid}/record", Roles(REVIEWERS), "see a meeting's record"),
    rule("GET", "/api/v1/meetings/{mid}/live", Anyone, "follow a meeting"),
    rule("GET", "/api/v1/meetings/{mid}/stream", Anyone, "follow a meeting"),
    rule("GET", "/api/v1/meetings/{mid}/result", Anyone, "see a meeting's result"),
    rule("GET", "/api/v1/join/{code}", Anyone, "find a meeting"),
    rule("POST", "/api/v1/codes/find", Anyone, "find where a code votes"),
    rule("POST", "/api/v1/qr", Roles(ORGANISER_OR_OFFICER), "print QR codes"),
    rule("GET", "/api/v1/council", Anyone, "see the council's details"),
    rule("GET", "/api/v1/consultations/{id}/breakdowns", AnyoneOncePublished(REVIEWERS), "see breakdowns before they are published"),
    rule("PUT", "/api/v1/consultations/{id}/population", Roles(ORGANISER), "enter population figures"),
    rule("POST", "/api/v1/consultations/{id}/decisions", Roles(COMMISSIONER), "record decisions"),
    rule("GET", "/api/v1/consultations/{id}/decisions", AnyoneOncePublished(REVIEWERS), "see decisions before they are published"),
    rule("POST", "/api/v1/consultations/{id}/updates", Roles(COMMISSIONER), "post updates"),
    rule("GET", "/api/v1/consultations/{id}/updates", Anyone, "see updates"),
    rule("GET", "/api/v1/consultations/{id}/files/{file}", AnyoneOncePublished(REVIEWERS), "download files before they are published"),
    rule("GET", "/api/v1/accounts", Roles(ADMIN), "manage accounts"),
    rule("POST", "/api/v1/accounts", Roles(ADMIN), "manage accounts"),
    rule("PATCH", "/api/v1/accounts/{user_id}", Roles(ADMIN), "manage accounts"),
    rule("POST", "/api/v1/accounts/{user_id}/reset", Roles(ADMIN), "manage accounts"),
    rule("DELETE", "/api/v1/accounts/{user_id}/totp", Roles(ADMIN), "manage accounts"),
    rule("POST", "/api/v1/invitations/look", Anyone, "look up an invitation"),
    rule("POST", "/api/v1/invitations/accept", Anyone, "set a password with an invitation"),
    rule("POST", "/api/v1/auth/totp/setup", SignedIn, "set up two-step sign-in"),
    rule("POST", "/api/v1/auth/totp/confirm", SignedIn, "set up two-step sign-in"),
    rule("GET", "/api/v1/audit", Roles(ADMIN), "read the audit record"),
    rule("GET", "/api/v1/audit/verify", Roles(ADMIN), "check the audit record"),
    rule("GET", "/api/v1/audit/export", Roles(ADMIN), "export the audit record"),
];

/// The rule of a route, by method and route pattern (`/api/v1/consultations/{id}`).
pub fn rule_for(method: &str, pattern: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.method == method && r.path == pattern)
}

impl Access {
    /// The roles this rule names (for `Anyone` and `SignedIn`: every role).
    pub fn roles(self) -> &'static [Role] {
        match self {
            Anyone | SignedIn => Role::ALL,
            AnyoneOnceOpen(roles) | AnyoneOncePublished(roles) | Roles(roles) => roles,
        }
    }

    /// The name in the OpenAPI document's `x-access`.
    pub fn name(self) -> &'static str {
        match self {
            Anyone => "anyone",
            AnyoneOnceOpen(_) => "anyone-once-open",
            AnyoneOncePublished(_) => "anyone-once-published",
            SignedIn => "signed-in",
            Roles(_) => "roles",
        }
    }

    /// One sentence for the operation's description.
    pub fn sentence(self) -> String {
        let names = |roles: &[Role]| {
            let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
            names.join(" or ")
        };
        match self {
            Anyone => "Who may call it: anyone (no sign-in).".into(),
            AnyoneOnceOpen(roles) => format!("Who may call it: anyone once voting has opened; a draft only {}.", names(roles)),
            AnyoneOncePublished(roles) => {
                format!("Who may call it: anyone once the result is published; before that only {}.", names(roles))
            }
            SignedIn => "Who may call it: any signed-in account.".into(),
            Roles(roles) => format!("Who may call it: {} only.", names(roles)),
        }
    }
}

/// Write each operation's rule into the OpenAPI document: `x-access`, `x-roles`, a line of
/// its description and its `security`. An operation without a rule gets `x-access: none`
/// (the route walk test fails on it).
pub struct AccessRules;

impl utoipa::Modify for AccessRules {
    fn modify(&self, openapi: &mut OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            for (method, operation) in operations(item) {
                let Some(rule) = rule_for(method, path) else {
                    let mut extensions = Extensions::default();
                    extensions.insert("x-access".into(), "none".into());
                    operation.extensions.get_or_insert_with(Default::default).merge(extensions);
                    continue;
                };
                let access = rule.access;
                let mut extensions = Extensions::default();
                extensions.insert("x-access".into(), access.name().into());
                extensions.insert("x-roles".into(), access.roles().iter().map(|r| r.as_str()).collect::<Vec<_>>().into());
                operation.extensions.get_or_insert_with(Default::default).merge(extensions);
                let sentence = access.sentence();
                operation.description = Some(match operation.description.take() {
                    Some(text) if !text.is_empty() => format!("{text}\n\n{sentence}"),
                    _ => sentence,
                });
                let bearer = SecurityRequirement::new("bearer", Vec::<String>::new());
                operation.security = match access {
                    Anyone => None,
                    AnyoneOnceOpen(_) | AnyoneOncePublished(_) => Some(vec![SecurityRequirement::default(), bearer]),
                    SignedIn | Roles(_) => Some(vec![bearer]),
                };
            }
        }
    }
}

fn operations(item: &mut PathItem) -> impl Iterator<Item = (&'static str, &mut Operation)> {
    [
        ("GET", item.get.as_mut()),
        ("PUT", item.put.as_mut()),
        ("POST", item.post.as_mut()),
        ("DELETE", item.delete.as_mut()),
        ("PATCH", item.patch.as_mut()),
        ("HEAD", item.head.as_mut()),
        ("OPTIONS", item.options.as_mut()),
        ("TRACE", item.trace.as_mut()),
    ]
    .into_iter()
    .filter_map(|(m, op)| op.map(|op| (m, op)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_route_has_one_rule() {
        for (i, a) in RULES.iter().enumerate() {
            assert!(!RULES[..i].iter().any(|b| a.method == b.method && a.path == b.path), "{} {} has two rules", a.method, a.path);
            assert!(!a.access.roles().is_empty(), "{} {} names no role", a.method, a.path);
        }
    }

    /// A rule for a route that no longer exists would hide a rename: every rule names an
    /// operation of the document.
    #[test]
    fn every_rule_names_a_documented_operation() {
        use utoipa::OpenApi as _;
        let mut doc = super::super::ApiDoc::openapi();
        for r in RULES {
            let item = doc.paths.paths.get_mut(r.path).unwrap_or_else(|| panic!("{} is not in the document", r.path));
            assert!(operations(item).any(|(m, _)| m == r.method), "{} {} is not in the document", r.method, r.path);
        }
    }
}
