//! Voter rolls: import the council's CSV (a preview first), one code per person, and the
//! letters as a mail-merge file. The codes are shown this once.
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{auth::SignedIn, json::SignedInJson, problem::Problem, voter_codes::IssueCodesQuery};
use crate::{
    app::AppContext,
    domain::VoterCode,
    errors::AppError,
    errors::FieldContext,
    model::{CodeBatch, RollEntry},
    rolls::{self, RollRow, RowProblem},
    storage,
};

/// The largest roll file accepted, in bytes (a route of its own: other bodies stay small).
pub const MAX_ROLL_BYTES: usize = 32 * 1024 * 1024;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RollRequest {
    /// The roll as CSV text: a first line naming the columns `name`, `address`, `reference`
    /// and (optionally) `area`, in any order (others are ignored); one person a line.
    pub csv: String,
    /// `true`: read and check only, store nothing.
    #[serde(default)]
    pub preview: bool,
}

#[derive(Serialize, ToSchema)]
pub struct RollPreview {
    /// How many people would be imported.
    pub people: usize,
    /// The first 10 as read.
    pub sample: Vec<RollRow>,
    /// Every row that cannot be imported, by line; while there is one, nothing is.
    pub problems: Vec<RowProblem>,
}

/// A person's letter: who, and the code shown this once.
#[derive(Serialize, ToSchema)]
pub struct Letter {
    pub line: u64,
    pub reference: String,
    pub name: String,
    pub address: String,
    pub area: Option<String>,
    pub code: String,
    /// The code's short link, for the letter and its QR code.
    pub link: String,
}

#[derive(Serialize, ToSchema)]
pub struct RollImported {
    pub batch: CodeBatch,
    pub letters: Vec<Letter>,
}

/// Import a voter roll (or preview it): one code per person, all or nothing. A row that
/// cannot be imported is named by its line; while there is one, nothing is stored (`422`
/// naming `csv`; the preview lists them all). `?format=csv` answers the letters as a
/// mail-merge file: `reference,name,address,area,code,short_link`.
#[utoipa::path(
    tag = "voter codes",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Consultation id"), IssueCodesQuery),
    request_body = RollRequest,
    responses(
        (status = 200, description = "The preview", body = RollPreview),
        (status = 201, description = "Imported: the letters (JSON, or CSV with `?format=csv`)", content(
            (RollImported = "application/json"),
            (String = "text/csv"),
        )),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/consultations/{id}/roll")]
pub async fn import(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    id: web::Path<Uuid>,
    query: web::Query<IssueCodesQuery>,
    staff: SignedInJson<RollRequest>,
) -> Result<HttpResponse, AppError> {
    let id = *id;
    let csv = match query.format.as_deref() {
        None | Some("json") => false,
        Some("csv") => true,
        Some(other) => return Err(AppError::invalid("format", format!("must be csv or json, got {other:?}"))),
    };
    let consultation = storage::consultations::get(&ctx.db, id).await?;
    let body = staff.body.0;
    let (rows, mut problems) = rolls::read(&body.csv, &consultation.areas);
    let taken = storage::rolls::taken_references(&ctx.db, id).await?;
    let (rows, clashes): (Vec<RollRow>, Vec<RollRow>) = rows.into_iter().partition(|r| !taken.contains(&r.reference));
    problems.extend(
        clashes
            .into_iter()
            .map(|r| RowProblem { line: r.line, problem: format!("reference {:?} is already on this consultation's roll", r.reference) }),
    );
    problems.sort_by_key(|p| p.line);
    if body.preview {
        let sample = rows.iter().take(10).cloned().collect();
        return Ok(HttpResponse::Ok().insert_header(("Cache-Control", "no-store")).json(RollPreview {
            people: rows.len(),
            sample,
            problems,
        }));
    }
    if !problems.is_empty() {
        let listed: Vec<String> = problems.iter().take(10).map(|p| format!("line {}: {}", p.line, p.problem)).collect();
        let more = if problems.len() > 10 {
            format!(" (and {} more: preview the file to see them all)", problems.len() - 10)
        } else {
            String::new()
        };
        return Err(AppError::invalid(
            "csv",
            format!("{} row(s) cannot be imported, so nothing was: {}{more}", problems.len(), listed.join("; ")),
        ));
    }
    let codes: Vec<VoterCode> = rows.iter().map(|_| VoterCode::generate()).collect();
    let people = rows.iter().cloned().zip(codes.iter().map(|c| ctx.keys.new_code(id, c))).collect();
    let batch = storage::rolls::import(&ctx.db, id, staff.user.actor(), people).await?;
    let base = super::voter_codes::public_base(&ctx, &req);
    let letters: Vec<Letter> = rows
        .into_iter()
        .zip(&codes)
        .map(|(r, c)| Letter {
            line: r.line,
            reference: r.reference,
            name: r.name,
            address: r.address,
            area: r.area,
            code: c.display(),
            link: crate::meetings::code_link(&base, c),
        })
        .collect();
    if csv {
        let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::new());
        let err = |e: csv::Error| AppError::internal(format!("csv: {e}"));
        w.write_record(["reference", "name", "address", "area", "code", "short_link"]).map_err(err)?;
        for l in &letters {
            w.write_record([&l.reference, &l.name, &l.address, l.area.as_deref().unwrap_or(""), &l.code, &l.link]).map_err(err)?;
        }
        let bytes = w.into_inner().map_err(|e| AppError::internal(format!("csv: {e}")))?;
        return Ok(HttpResponse::Created()
            .content_type("text/csv; charset=utf-8")
            .insert_header(("Content-Disposition", format!("attachment; filename=\"roll-letters-{id}.csv\"")))
            .insert_header(("Cache-Control", "no-store"))
            .body(bytes));
    }
    Ok(HttpResponse::Created().insert_header(("Cache-Control", "no-store")).json(RollImported { batch, letters }))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RollQuery {
    /// The council's reference for the person (required). (Optional to the parser, so
    /// that a request without a token is refused with 401 before the query is judged.)
    pub reference: Option<String>,
}

/// A person on the roll, by the council's reference: whether their code was revoked and
/// whether it has voted (never how).
#[utoipa::path(
    tag = "voter codes",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Consultation id"), RollQuery),
    responses(
        (status = 200, body = RollEntry),
        (status = 400, description = "The query string cannot be read (e.g. a number that is not one)", body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/consultations/{id}/roll")]
pub async fn find(
    ctx: web::Data<AppContext>,
    _user: SignedIn,
    id: web::Path<Uuid>,
    query: web::Query<RollQuery>,
) -> Result<HttpResponse, AppError> {
    let reference = query
        .reference
        .as_deref()
        .filter(|r| !r.is_empty())
        .ok_or_else(|| AppError::invalid("reference", "give the council's reference for the person, as ?reference=…"))?;
    Ok(HttpResponse::Ok().insert_header(("Cache-Control", "no-store")).json(storage::rolls::find(&ctx.db, *id, reference).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevokeRequest {
    /// Why (it goes into the audit record), e.g. "letter returned: moved away".
    #[schema(max_length = 500)]
    pub reason: String,
    /// The code on the person's letter, when the council has it (a returned letter): then
    /// the ballot cast with it, if any, leaves the count. Without it the code only stops
    /// working: the roll holds no key that finds a ballot.
    #[serde(default)]
    pub letter_code: Option<String>,
    /// Make a new code for the person (shown once, in `letter`).
    #[serde(default)]
    pub replace: bool,
}

#[derive(Serialize, ToSchema)]
pub struct RevokeAnswer {
    pub entry: RollEntry,
    /// Whether a ballot cast with the code was found and taken out of the count.
    pub ballot_removed: bool,
    /// The new letter, when `replace` was asked for.
    pub letter: Option<Letter>,
    pub batch: Option<CodeBatch>,
}

/// Revoke a person's code (before voting closes), optionally with a new one for them.
#[utoipa::path(
    tag = "voter codes",
    security(("bearer" = [])),
    params(("entry" = Uuid, Path, description = "Roll entry id")),
    request_body = RevokeRequest,
    responses(
        (status = 200, body = RevokeAnswer),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/roll-entries/{entry}/revoke")]
pub async fn revoke(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    entry: web::Path<Uuid>,
    staff: SignedInJson<RevokeRequest>,
) -> Result<HttpResponse, AppError> {
    let body = staff.body.0;
    let reason = crate::domain::BoundedText::parse(body.reason.trim(), 500).field("reason")?.into_string();
    if reason.is_empty() {
        return Err(AppError::invalid("reason", "say why the code is revoked: it goes into the audit record"));
    }
    let consultation = storage::rolls::consultation_of(&ctx.db, *entry).await?;
    let letter = body
        .letter_code
        .as_deref()
        .map(|raw| VoterCode::parse(raw).field("letter_code"))
        .transpose()?
        .map(|code| (ctx.keys.code_lookup_hash(consultation, &code), ctx.keys.voter_key(consultation, &code)));
    let new_code = body.replace.then(VoterCode::generate);
    let replacement = new_code.as_ref().map(|c| ctx.keys.new_code(consultation, c));
    let done = storage::rolls::revoke(&ctx.db, staff.user.actor(), *entry, letter, &reason, replacement).await?;
    let base = super::voter_codes::public_base(&ctx, &req);
    let letter = new_code.map(|c| Letter {
        line: done.entry.line,
        reference: done.entry.reference.clone(),
        name: done.entry.name.clone(),
        address: done.entry.address.clone(),
        area: done.entry.area.clone(),
        code: c.display(),
        link: crate::meetings::code_link(&base, &c),
    });
    Ok(HttpResponse::Ok().insert_header(("Cache-Control", "no-store")).json(RevokeAnswer {
        entry: done.entry,
        ballot_removed: done.ballot_removed,
        letter,
        batch: done.batch,
    }))
}
