//! The demo consultation `pbvote serve --demo` loads, so a newcomer can vote at once: a
//! council that must save £1.2 million and may spend £400,000, with twelve proposals
//! across seven services.
use uuid::Uuid;

use crate::{
    app::AppContext,
    domain::{Amount, BoundedText, Currency, Email, Password, Phase, ProposalKind, Role, ShortId, Title, VoterCode},
    errors::AppError,
    model::{Budget, TallySettings},
    security::hash_password,
    storage::{
        self,
        consultations::{ConsultationFields, ProposalInput, ServiceInput},
    },
};

/// Who loads the demo, in the audit record.
const DEMO: crate::audit::Actor = crate::audit::Actor::Command("pbvote serve --demo");

pub const DEMO_TITLE: &str = "Riverside Borough Council: budget 2027 to 2028";
/// The demo's council, shown on every page when `serve --demo` runs without one.
pub const COUNCIL: &str = "Riverside Borough Council (demo)";
pub const CONTACT: &str = "consultation@riverside.example, 01632 960 000";

pub struct Demo {
    pub consultation_id: Uuid,
    /// Earlier demo consultations that can no longer take votes (closed or published), kept
    /// as they are beside the fresh one.
    pub earlier: Vec<Uuid>,
    pub voter_codes: Vec<String>,
    /// Accounts created this time, with their passwords (shown once).
    pub accounts: Vec<(String, String)>,
}

const SERVICES: &[(&str, &str, &str)] = &[
    ("day-centre", "Riverside Day Centre", "Day care, meals and company for about 60 older people, most of them living with dementia."),
    ("disability-support", "Support for disabled people", "Door-to-door transport and short breaks for disabled adults and their carers."),
    ("libraries", "Libraries", "The central library and four branch libraries."),
    ("parks", "Parks and open spaces", "Twelve parks, playgrounds and the riverside walk."),
    ("street-lighting", "Street lighting", "About 14,000 street lights."),
    ("youth", "Youth services", "Youth clubs and outreach workers for 11 to 19 year olds."),
    ("waste", "Bins and recycling", "Household, garden waste and recycling collections."),
];

/// (id, kind, title, summary, amount in pence, service)
type DemoProposal = (&'static str, ProposalKind, &'static str, &'static str, i64, Option<&'static str>);
const PROPOSALS: &[DemoProposal] = &[
    (
        "S1",
        ProposalKind::Saving,
        "Close Riverside Day Centre",
        "Close the day centre and offer people places at centres in other boroughs, up to 40 minutes away.",
        45_000_000,
        Some("day-centre"),
    ),
    (
        "S2",
        ProposalKind::Saving,
        "Cut the grass in parks once a month",
        "Cut grass monthly instead of every two weeks from April to September. Sports pitches stay as they are.",
        12_000_000,
        Some("parks"),
    ),
    (
        "S3",
        ProposalKind::Saving,
        "Dim street lights from 1am to 5am",
        "Dim most street lights to half brightness at night. Main roads and crossings stay fully lit.",
        18_000_000,
        Some("street-lighting"),
    ),
    (
        "S4",
        ProposalKind::Saving,
        "Close two branch libraries",
        "Close the Eastgate and Millbrook branches. A mobile library would visit each area weekly.",
        38_000_000,
        Some("libraries"),
    ),
    (
        "S5",
        ProposalKind::Saving,
        "Reduce door-to-door transport for disabled people",
        "Offer transport on three days a week instead of five.",
        26_000_000,
        Some("disability-support"),
    ),
    (
        "S6",
        ProposalKind::Saving,
        "Collect garden waste every four weeks in winter",
        "From November to February, collect garden waste every four weeks instead of every two.",
        15_000_000,
        Some("waste"),
    ),
    (
        "S7",
        ProposalKind::Saving,
        "Share office services with Northbrook Council",
        "Run payroll, IT and finance jointly with the neighbouring council. No front-line service changes.",
        30_000_000,
        None,
    ),
    (
        "D1",
        ProposalKind::Development,
        "Open a youth club in Northfield",
        "A new evening youth club, four nights a week, in the Northfield community hall.",
        18_000_000,
        Some("youth"),
    ),
    (
        "D2",
        ProposalKind::Development,
        "Open libraries later on Saturdays",
        "Keep the central library open until 8pm on Saturdays.",
        6_000_000,
        Some("libraries"),
    ),
    (
        "D3",
        ProposalKind::Development,
        "Free wifi and tablets at the day centre",
        "Help people at the day centre keep in touch with family by video call.",
        1_500_000,
        Some("day-centre"),
    ),
    (
        "D4",
        ProposalKind::Development,
        "Accessible play equipment in Central Park",
        "Swings and roundabouts that children using wheelchairs can use.",
        12_000_000,
        Some("parks"),
    ),
    ("D5", ProposalKind::Development, "Repair the riverside cycle path", "Resurface 3 km of cracked and flooded path.", 9_000_000, None),
];

fn parse<T, E: std::fmt::Display>(r: Result<T, E>) -> Result<T, AppError> {
    r.map_err(|e| AppError::internal(format!("demo data: {e}")))
}

/// Reuse the demo consultation that is open for votes, or make a fresh open one (beside any
/// earlier demo that was closed or published, which stays as it is), and issue ten fresh
/// voter codes for it.
pub async fn load(ctx: &AppContext) -> Result<Demo, AppError> {
    let demos: Vec<_> = storage::consultations::list(&ctx.db, true).await?.into_iter().filter(|c| c.title == DEMO_TITLE).collect();
    let now = chrono::Utc::now();
    let open =
        demos.iter().find(|c| c.phase == Phase::Open && c.closes_at.is_none_or(|at| at > now) && c.opens_at.is_none_or(|at| at <= now));
    let consultation_id = match open {
        Some(c) => c.id,
        None => create(ctx).await?,
    };
    let earlier =
        demos.iter().filter(|c| c.id != consultation_id && matches!(c.phase, Phase::Closed | Phase::Published)).map(|c| c.id).collect();
    let codes: Vec<VoterCode> = (0..10).map(|_| VoterCode::generate()).collect();
    storage::voter_codes::issue(
        &ctx.db,
        consultation_id,
        DEMO,
        codes.iter().map(|c| ctx.keys.new_code(consultation_id, c)).collect(),
        None,
    )
    .await?;
    let mut accounts = Vec::new();
    for (email, role) in [("organiser@demo.example", Role::Organiser), ("commissioner@demo.example", Role::Commissioner)] {
        let email = parse(Email::parse(email))?;
        if storage::accounts::find_for_sign_in(&ctx.db, &email).await?.is_none() {
            let password = VoterCode::generate().display();
            let hash = hash_password(&parse(Password::parse(&password))?).map_err(AppError::internal)?;
            storage::accounts::create_user(&ctx.db, DEMO, &email, hash, role).await?;
            accounts.push((email.as_str().to_owned(), password));
        }
    }
    Ok(Demo { consultation_id, earlier, voter_codes: codes.iter().map(VoterCode::display).collect(), accounts })
}

async fn create(ctx: &AppContext) -> Result<Uuid, AppError> {
    let fields = ConsultationFields {
        title: parse(Title::parse(DEMO_TITLE))?,
        description: parse(BoundedText::parse(
            "The council has to save £1.2 million next year, and it can spend up to £400,000 on new things. \
             Tell us which proposals you want, and which you do not want. If you use a service, say so: \
             people who use a service get a bigger say on proposals that affect it.",
            20_000,
        ))?,
        currency: Currency::default(),
        budget: Budget { overall_budget: Some(21_000_000_000), savings_target: Some(120_000_000), development_budget: Some(40_000_000) },
        settings: TallySettings::default(),
        areas: ["North", "South", "East", "West", "Town centre"].map(String::from).to_vec(),
        opens_at: None,
        closes_at: None,
    };
    let services: Vec<ServiceInput> = SERVICES
        .iter()
        .map(|(id, name, description)| {
            Ok(ServiceInput {
                id: parse(ShortId::parse(id))?,
                name: parse(Title::parse(name))?,
                description: parse(BoundedText::parse(description, 5_000))?,
            })
        })
        .collect::<Result<_, AppError>>()?;
    let proposals: Vec<ProposalInput> = PROPOSALS
        .iter()
        .map(|(id, kind, title, summary, amount, service)| {
            Ok(ProposalInput {
                id: parse(ShortId::parse(id))?,
                kind: *kind,
                title: parse(Title::parse(title))?,
                summary: parse(BoundedText::parse(summary, 2_000))?,
                details: parse(BoundedText::parse("", 20_000))?,
                amount: parse(Amount::parse(*amount))?,
                service: service.map(ShortId::parse).transpose().map_err(|e| AppError::internal(e.to_string()))?,
            })
        })
        .collect::<Result<_, AppError>>()?;
    let created = storage::consultations::create(&ctx.db, DEMO, &fields, &services, &proposals).await?;
    storage::consultations::advance_phase(&ctx.db, created.id, DEMO, Phase::Open, |_| Ok(())).await?;
    Ok(created.id)
}
