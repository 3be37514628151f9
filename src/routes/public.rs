//! The public record of published consultations, as server-rendered pages
//! (`crate::public_page`): `/published/` and `/published/{id}` (with `?receipt=` to check a
//! receipt without JavaScript).
use actix_web::{HttpResponse, get, web};
use serde::Deserialize;
use uuid::Uuid;

use crate::{
    app::AppContext,
    domain::{Phase, Receipt},
    errors::AppError,
    public_page::{self, EN, ReceiptAnswer, Record},
    results, review_files, storage,
};

fn page(html: String) -> HttpResponse {
    HttpResponse::Ok().content_type("text/html; charset=utf-8").insert_header(("Cache-Control", "no-cache")).body(html)
}

/// Every published consultation, newest first.
#[get("/published/")]
pub async fn list(ctx: web::Data<AppContext>) -> Result<HttpResponse, AppError> {
    let mut items = Vec::new();
    for item in storage::consultations::list(&ctx.db, false).await?.into_iter().filter(|c| c.phase == Phase::Published) {
        let consultation = storage::consultations::get(&ctx.db, item.id).await?;
        let decided = storage::review::decisions(&ctx.db, item.id).await?.iter().map(|d| d.decided_at).max();
        items.push((consultation, decided));
    }
    items.sort_by_key(|(c, _)| std::cmp::Reverse(c.updated_at));
    Ok(page(public_page::list(&EN, &ctx.settings.council, &items)))
}

#[derive(Deserialize)]
pub struct RecordQuery {
    receipt: Option<String>,
}

/// One published consultation's record: we asked, you said, we did.
#[get("/published/{id}")]
pub async fn record(ctx: web::Data<AppContext>, id: web::Path<Uuid>, query: web::Query<RecordQuery>) -> Result<HttpResponse, AppError> {
    let consultation = storage::consultations::get(&ctx.db, *id).await?;
    if consultation.phase != Phase::Published {
        return Err(AppError::not_found("published consultation"));
    }
    let published = results::published(&ctx, &consultation).await?;
    let mut decisions = storage::review::decisions(&ctx.db, *id).await?;
    decisions.iter_mut().for_each(|d| d.decided_by = None);
    let updates = storage::review::updates(&ctx.db, *id).await?;
    let codes = storage::voter_codes::summary(&ctx.db, *id).await?;
    let receipt = match query.receipt.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
        None => None,
        Some(raw) => Some(match Receipt::parse(raw) {
            Err(_) => (raw.chars().take(40).collect(), ReceiptAnswer::Malformed),
            Ok(receipt) => {
                let answer = match storage::receipts::check(&ctx.db, &ctx.keys.receipt_hash(&receipt)).await {
                    Ok(found) if found.consultation_id == *id => ReceiptAnswer::Here,
                    Ok(_) => ReceiptAnswer::Elsewhere,
                    Err(AppError::NotFound { .. }) => ReceiptAnswer::Unknown,
                    Err(other) => return Err(other),
                };
                (receipt.as_str().to_owned(), answer)
            }
        }),
    };
    let api = format!("/api/v1/consultations/{id}");
    let results_csv = review_files::results_csv(&consultation, &published.result)?;
    let breakdowns_csv = review_files::breakdowns_csv(&consultation, &published.breakdowns)?;
    let decisions_csv = review_files::decisions_csv(&consultation, &decisions)?;
    let files = vec![
        ("ballots", format!("{api}/export"), published.election_sha256.clone()),
        ("pabulib", format!("{api}/files/ballots.pb"), published.pabulib_sha256.clone()),
        ("results", format!("{api}/files/results.csv"), review_files::sha256(&results_csv)),
        ("breakdowns", format!("{api}/files/breakdowns.csv"), review_files::sha256(&breakdowns_csv)),
        ("decisions", format!("{api}/files/decisions.csv"), review_files::sha256(&decisions_csv)),
    ];
    let html = public_page::record(
        &EN,
        &ctx.settings.council,
        &Record {
            consultation: &consultation,
            result: &published.result,
            breakdowns: &published.breakdowns,
            decisions: &decisions,
            updates: &updates,
            files,
            codes: &codes,
            receipt,
        },
    );
    Ok(page(html))
}
