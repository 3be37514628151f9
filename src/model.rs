//! The service's data as the rest of the code sees it: plain structs, free of both the
//! database and HTTP. Storage builds them from rows; routes send them as JSON.
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::{MeetingPhase, Phase, ProposalKind, Role};

/// The money side of a consultation, in minor units (pence, cents).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize, ToSchema)]
pub struct Budget {
    /// The council's whole budget, for context only. `null`: not shown.
    pub overall_budget: Option<u64>,
    /// The savings the adopted cuts must reach. `null`: no target (every cut with support is adopted).
    pub savings_target: Option<u64>,
    /// What new spending may cost at most. `null`: no limit.
    pub development_budget: Option<u64>,
}

/// The counting rule's settings (see docs/tally.md).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct TallySettings {
    /// Most entries in each list (1 to 20).
    pub rank_depth: u32,
    /// The share of the say guaranteed to a service's users (0 to 90).
    pub minority_share_percent: u32,
    /// Cap on a user's weight (at least 1).
    pub max_weight: u32,
    /// Users needed before their weight is raised or a cut is protected (at least 1).
    pub min_group: u32,
    /// Share of a service's users rejecting a cut that protects it (1 to 100).
    pub protect_threshold_percent: u32,
    /// Whose "I use this" counts towards a service's protected say: `declared` (what
    /// residents tick), `declared_or_verified` (that, and service-user codes), or `verified`
    /// (service-user codes only). Service-user codes can be made only when it is not
    /// `declared`.
    pub service_users: crate::domain::ServiceUsers,
}

impl Default for TallySettings {
    fn default() -> Self {
        let d = pbvote_tally::Config::default();
        TallySettings {
            rank_depth: d.rank_depth,
            minority_share_percent: d.minority_share_percent,
            max_weight: d.max_weight,
            min_group: d.min_group,
            protect_threshold_percent: d.protect_threshold_percent,
            service_users: crate::domain::ServiceUsers::default(),
        }
    }
}

impl TallySettings {
    /// The counting rule's configuration for these settings and budget.
    pub fn tally_config(&self, budget: &Budget) -> pbvote_tally::Config {
        pbvote_tally::Config {
            rank_depth: self.rank_depth,
            minority_share_percent: self.minority_share_percent,
            max_weight: self.max_weight,
            min_group: self.min_group,
            protect_threshold_percent: self.protect_threshold_percent,
            savings_target: budget.savings_target,
            development_budget: budget.development_budget,
        }
    }
}

/// A council service that proposals touch and residents use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Service {
    /// Short id, unique in the consultation, e.g. `day-centre`.
    pub id: String,
    pub name: String,
    pub description: String,
}

/// A saving (a cut) or a development (new spending).
// The OpenAPI schema of `ProposalKind`, which lives in the tally crate and knows nothing of
// OpenAPI.
#[derive(ToSchema)]
#[schema(as = ProposalKind, rename_all = "lowercase")]
#[allow(dead_code)] // describes the API only
pub enum ProposalKindName {
    /// Saves its amount; adopted savings count towards the savings target.
    Saving,
    /// Costs its amount; adopted developments spend the development budget.
    Development,
}

/// A saving (a cut) or a development (new spending).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Proposal {
    /// Short id, unique in the consultation, e.g. `S1`.
    pub id: String,
    #[schema(value_type = ProposalKindName)]
    pub kind: ProposalKind,
    pub title: String,
    pub summary: String,
    pub details: String,
    /// What the saving saves or the development costs, in minor units.
    pub amount: u64,
    /// The id of the service it touches, if any.
    pub service: Option<String>,
}

/// A consultation with everything on its ballot paper.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Consultation {
    pub id: Uuid,
    pub title: String,
    pub description: String,
    pub phase: Phase,
    /// ISO 4217 code of the currency amounts are in.
    pub currency: String,
    pub budget: Budget,
    pub settings: TallySettings,
    /// Areas a resident may say they live in (for breakdowns). Empty: not asked.
    pub areas: Vec<String>,
    pub opens_at: Option<DateTime<Utc>>,
    pub closes_at: Option<DateTime<Utc>>,
    pub services: Vec<Service>,
    pub proposals: Vec<Proposal>,
    /// Who lives in each area and uses each service, as far as the council knows: shown
    /// beside the turnout, never counted.
    pub population: Population,
    /// The rules' fingerprint: the SHA-256 of the counting settings, the budget, the currency,
    /// the services and the proposals as the published file writes them
    /// (`Election::rules_fingerprint`). It cannot change once voting opens; the ballot page,
    /// the results, the public record and the file of ballots all show it.
    pub fingerprint: String,
    /// Residents may ask for a voter code by e-mail, one per address (organisers turn it on
    /// with `PUT …/self-registration`, in draft or while voting is open).
    pub self_registration: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What the council knows of its population, for turnout against population. pbvote shows;
/// it does not weight.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize, ToSchema)]
pub struct Population {
    /// Area name → people living there.
    pub areas: std::collections::BTreeMap<String, u64>,
    /// Service id → people who use it.
    pub services: std::collections::BTreeMap<String, u64>,
}

impl Consultation {
    /// The rules' fingerprint of these settings and proposals (see [`Consultation::fingerprint`]).
    pub fn rules_fingerprint(&self) -> String {
        pbvote_tally::Election {
            currency: Some(self.currency.clone()),
            config: self.settings.tally_config(&self.budget),
            services: self.services.iter().map(|s| pbvote_tally::Service { id: s.id.clone(), name: Some(s.name.clone()) }).collect(),
            proposals: self
                .proposals
                .iter()
                .map(|p| pbvote_tally::Proposal {
                    id: p.id.clone(),
                    kind: p.kind,
                    amount: p.amount,
                    service: p.service.clone(),
                    title: Some(p.title.clone()),
                })
                .collect(),
            ballots: Vec::new(),
            withheld: None,
            note: None,
        }
        .rules_fingerprint()
    }

    /// The counting rule's view of the ballot paper.
    pub fn ballot_paper(&self) -> Result<pbvote_tally::BallotPaper, pbvote_tally::TallyError> {
        pbvote_tally::BallotPaper::new(
            self.settings.tally_config(&self.budget),
            self.services.iter().map(|s| pbvote_tally::Service { id: s.id.clone(), name: Some(s.name.clone()) }).collect(),
            self.proposals
                .iter()
                .map(|p| pbvote_tally::Proposal {
                    id: p.id.clone(),
                    kind: p.kind,
                    amount: p.amount,
                    service: p.service.clone(),
                    title: Some(p.title.clone()),
                })
                .collect(),
        )
    }

    /// Whether a ballot may be cast at `now`, or the plain-English reason why not.
    pub fn voting_is_open(&self, now: DateTime<Utc>) -> Result<(), String> {
        match self.phase {
            Phase::Draft => return Err("voting has not started yet".into()),
            Phase::Closed | Phase::Published => return Err("voting has closed".into()),
            Phase::Open => {}
        }
        if let Some(opens) = self.opens_at
            && now < opens
        {
            return Err(format!("voting opens at {}", opens.format("%H:%M on %-d %B %Y (UTC)")));
        }
        if let Some(closes) = self.closes_at
            && now >= closes
        {
            return Err(format!("voting closed at {}", closes.format("%H:%M on %-d %B %Y (UTC)")));
        }
        Ok(())
    }
}

/// A line in a list of consultations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ConsultationListItem {
    pub id: Uuid,
    pub title: String,
    pub description: String,
    pub phase: Phase,
    pub opens_at: Option<DateTime<Utc>>,
    pub closes_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

/// A batch of voter codes: who made it, when, how many, for what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct CodeBatch {
    pub id: Uuid,
    pub consultation_id: Uuid,
    /// `letter` (residents' letters), `roll` (letters for a voter roll), `slip` (a meeting's
    /// admission slips), `exchange` (a slip given at a meeting's door for a letter) or
    /// `service-user` (codes a service provider hands its users, given with a ballot).
    pub kind: String,
    /// The meeting of slips.
    pub meeting_id: Option<Uuid>,
    pub count: u32,
    /// The e-mail address of the account that made it, or the command (the demo).
    pub made_by: String,
    pub made_at: DateTime<Utc>,
    /// Made after voting opened: flagged wherever batches are shown.
    pub after_opening: bool,
    /// Letters made after opening on a consultation that asks for approval: they work only
    /// once a commissioner approves the batch.
    pub needs_approval: bool,
    /// The commissioner who approved it.
    pub approved_by: Option<String>,
    pub approved_at: Option<DateTime<Utc>>,
    /// The service a `service-user` batch verifies.
    pub service: Option<String>,
}

impl CodeBatch {
    /// Whether its codes work yet.
    pub fn waiting(&self) -> bool {
        self.needs_approval && self.approved_at.is_none()
    }
}

/// The codes of a consultation against its ballots: what a commissioner checks before
/// trusting a count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct CodeSummary {
    /// Whether letters made after voting opened need a commissioner's approval.
    pub approval_required: bool,
    /// Letter codes made (approved or not).
    pub letters: u64,
    /// Admission slips made for meetings, and slips given for letters at the door.
    pub slips: u64,
    /// Service-user codes made (they verify a ballot's service; they cast none).
    pub service_user_codes: u64,
    /// Codes made after voting opened (letters and slips).
    pub after_opening: u64,
    /// Letter codes whose batch waits for approval (they cannot vote yet).
    pub awaiting_approval: u64,
    /// Codes made before batches were recorded (no maker known).
    pub unrecorded: u64,
    /// People on the voter roll (0 without one, or once retention has deleted it).
    pub roll: u64,
    /// Codes residents asked for by e-mail (one per address; batch kind `e-mail`).
    pub email: u64,
    /// Ballots stored: only once voting has closed. While it is open nobody, staff
    /// included, sees more than the turnout in steps (`voter-codes/stats`), so that nobody
    /// can tell when one person voted (docs/privacy.md).
    pub ballots: Option<u64>,
    pub batches: Vec<CodeBatch>,
}

/// A person on a consultation's voter roll.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct RollEntry {
    pub id: Uuid,
    /// The line of the file it was imported from.
    pub line: u64,
    pub reference: String,
    pub name: String,
    pub address: String,
    pub area: Option<String>,
    /// Whether the person's current code was revoked (and not replaced).
    pub revoked: bool,
    /// Whether the person's current code has voted (never how).
    pub voted: bool,
}

/// A signed-in person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct User {
    pub id: Uuid,
    pub email: String,
    pub role: Role,
    /// Whether two-step sign-in (a code from an authenticator app) is on.
    pub totp: bool,
}

/// A staff account as an admin manages it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Account {
    pub id: Uuid,
    pub email: String,
    pub role: Role,
    /// Whether two-step sign-in is on.
    pub totp: bool,
    /// `false` until the person has set a password with their invitation link.
    pub password_set: bool,
    /// When it was disabled (it cannot sign in); `null` while it is active.
    pub disabled_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// A one-time link to set a password (an invitation, or a reset an admin issued).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Invitation {
    pub email: String,
    /// `invite` (a new account) or `reset` (a new password for an existing one).
    pub purpose: String,
    pub expires_at: DateTime<Utc>,
}

/// A meeting in a hall, where people vote on phones and on paper.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Meeting {
    pub id: Uuid,
    pub consultation_id: Uuid,
    pub title: String,
    pub place: String,
    pub starts_at: Option<DateTime<Utc>>,
    pub phase: MeetingPhase,
    /// Short code for the join link (`/go#CODE`): finds the meeting's page; gives no vote.
    pub join_code: String,
    /// The proposal the projector shows (focus mode), if any.
    pub focus: Option<String>,
    /// Paper ballots are entered by two officers and must agree.
    pub double_entry: bool,
    /// Whether the meeting's result is shown on its projector and phones.
    pub revealed: bool,
    /// Goes up by one at each reset.
    pub generation: u32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// An entry of a meeting's record: a staff action, with who and why.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct MeetingEvent {
    pub at: DateTime<Utc>,
    /// The e-mail of the member of staff, if any.
    pub by: Option<String>,
    /// created, changed, voting-opened, closed, closed-with-mismatches, revealed, reset,
    /// focus, slips-printed, letter-exchanged, officer-assigned, officer-removed.
    pub kind: String,
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
}

/// The numbers a meeting is closed on, and which go in its record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct Reconciliation {
    pub slips_printed: u64,
    /// Slips that cast a ballot (on a phone or on paper).
    pub slips_used: u64,
    /// Letters exchanged for a slip at the door.
    pub letters_exchanged: u64,
    /// Letters whose code opened the meeting's page in the hall.
    pub letters_used_in_hall: u64,
    /// Codes (slips and letters) that opened the meeting's page on a phone.
    pub phones_admitted: u64,
    pub phone_ballots: u64,
    pub paper_ballots: u64,
    /// Papers entered twice differently and not settled yet.
    pub open_mismatches: u64,
    /// Phone and paper ballots together.
    pub ballots_counted: u64,
}

/// A paper ballot as an officer typed it (the meeting's record of its paper).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct PaperEntry {
    pub serial: String,
    pub officer: String,
    /// entered, pending, matched, mismatched, settled, corrected, replaced or reset.
    pub status: String,
    pub entered_at: DateTime<Utc>,
    pub want: Vec<String>,
    pub dont_want: Vec<String>,
    pub uses: Vec<String>,
    pub area: Option<String>,
}

/// What the commissioners decided about a proposal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum DecisionKind {
    Adopt,
    Reject,
    /// Decide later.
    Defer,
    /// Adopt with another amount.
    Amend,
}

impl DecisionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DecisionKind::Adopt => "adopt",
            DecisionKind::Reject => "reject",
            DecisionKind::Defer => "defer",
            DecisionKind::Amend => "amend",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, crate::errors::ParseError> {
        match raw {
            "adopt" => Ok(DecisionKind::Adopt),
            "reject" => Ok(DecisionKind::Reject),
            "defer" => Ok(DecisionKind::Defer),
            "amend" => Ok(DecisionKind::Amend),
            other => Err(crate::errors::ParseError(format!("must be adopt, reject, defer or amend, got {other:?}"))),
        }
    }
}

/// A decision, as recorded: never changed afterwards (a new decision is a new entry).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Decision {
    pub id: Uuid,
    pub proposal: String,
    pub decision: DecisionKind,
    /// For `amend`: the amended amount (minor units).
    pub amount: Option<u64>,
    pub reason: String,
    /// Whether it departs from the computed result (protected, and every protected cut).
    pub departs: bool,
    /// The commissioner's e-mail (staff views only; the public page shows none).
    pub decided_by: Option<String>,
    pub decided_at: DateTime<Utc>,
}

/// Where an adopted proposal has got to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum UpdateStatus {
    Planned,
    Started,
    Done,
    Stopped,
}

impl UpdateStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            UpdateStatus::Planned => "planned",
            UpdateStatus::Started => "started",
            UpdateStatus::Done => "done",
            UpdateStatus::Stopped => "stopped",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, crate::errors::ParseError> {
        match raw {
            "planned" => Ok(UpdateStatus::Planned),
            "started" => Ok(UpdateStatus::Started),
            "done" => Ok(UpdateStatus::Done),
            "stopped" => Ok(UpdateStatus::Stopped),
            other => Err(crate::errors::ParseError(format!("must be planned, started, done or stopped, got {other:?}"))),
        }
    }
}

/// A dated milestone of a decided proposal ("we did").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Update {
    pub id: Uuid,
    pub proposal: String,
    pub status: UpdateStatus,
    /// Percent done, if known.
    pub progress: Option<u8>,
    pub note: String,
    /// For a saving: the money actually saved in `saved_year`.
    pub saved_year: Option<i32>,
    pub saved_amount: Option<u64>,
    pub posted_at: DateTime<Utc>,
}

/// One stored ballot, as the count and the export see it: no voter key, no receipt, no times.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountedBallot {
    pub want: Vec<String>,
    pub dont_want: Vec<String>,
    /// The services the resident ticked.
    pub uses: Vec<String>,
    /// The services of the service-user codes given with it.
    pub verified: Vec<String>,
    pub channel: pbvote_tally::Channel,
    pub area: Option<String>,
}

impl CountedBallot {
    /// The counting rule's ballot: its `uses` are the services that count for it under the
    /// consultation's `service_users` setting.
    pub fn into_tally_ballot(self, service_users: crate::domain::ServiceUsers) -> pbvote_tally::Ballot {
        let uses = service_users.counted_uses(&self.uses, &self.verified);
        pbvote_tally::Ballot { want: self.want, dont_want: self.dont_want, uses, channel: Some(self.channel), area: self.area }
    }
}
