//! The service's data as the rest of the code sees it: plain structs, free of both the
//! database and HTTP. Storage builds them from rows; routes send them as JSON.
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::{Phase, ProposalKind, Role};

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
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Consultation {
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

/// A signed-in person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct User {
    pub id: Uuid,
    pub email: String,
    pub role: Role,
}

/// One stored ballot, as the count and the export see it: no voter key, no receipt, no times.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountedBallot {
    pub want: Vec<String>,
    pub dont_want: Vec<String>,
    pub uses: Vec<String>,
    pub channel: pbvote_tally::Channel,
    pub area: Option<String>,
}

impl CountedBallot {
    pub fn into_tally_ballot(self) -> pbvote_tally::Ballot {
        pbvote_tally::Ballot { want: self.want, dont_want: self.dont_want, uses: self.uses, channel: Some(self.channel), area: self.area }
    }
}
