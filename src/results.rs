//! Results: the stored ballots counted by the same function as `pbvote tally`.
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{
    app::AppContext,
    errors::AppError,
    model::Consultation,
    storage,
};

/// Count a consultation's ballots. Returns the consultation and the counting rule's result.
pub async fn count(ctx: &AppContext, id: Uuid) -> Result<(Consultation, pbvote_tally::TallyResult), AppError> {
    let frozen = ctx.frozen_paper(id).await?;
    let ballots = storage::ballots::counted(&ctx.db, id).await?;
    let mut count = pbvote_tally::Count::new(&frozen.paper);
    for ballot in ballots {
        let ballot = ballot.into_tally_ballot();
        count
            .add(&ballot)
            .map_err(|e| AppError::internal(format!("a stored ballot does not fit the paper: {}", e.technical())))?;
    }
    let result = count.result();
    // The consultation may have moved on (closed, published) since the paper was cached.
    let consultation = storage::consultations::get(&ctx.db, id).await?;
    Ok((consultation, result))
}

/// The result as the API shows it: the counting rule's output, each proposal joined with
/// its title, amount and service so a page needs nothing else.
pub fn present(consultation: &Consultation, result: &pbvote_tally::TallyResult) -> Value {
    let proposals: Vec<Value> = result
        .proposals
        .iter()
        .map(|outcome| {
            let mut entry = serde_json::to_value(outcome).unwrap_or(Value::Null);
            if let (Value::Object(map), Some(p)) = (&mut entry, consultation.proposals.iter().find(|p| p.id == outcome.id)) {
                map.insert("title".into(), json!(p.title));
                map.insert("summary".into(), json!(p.summary));
                map.insert("amount".into(), json!(p.amount));
                map.insert("service".into(), json!(p.service));
                let service_name = p.service.as_ref().and_then(|s| consultation.services.iter().find(|x| &x.id == s)).map(|s| s.name.clone());
                map.insert("service_name".into(), json!(service_name));
            }
            entry
        })
        .collect();
    json!({
        "consultation": {
            "id": consultation.id,
            "title": consultation.title,
            "description": consultation.description,
            "phase": consultation.phase,
            "currency": consultation.currency,
            "budget": consultation.budget,
            "settings": consultation.settings,
            "services": consultation.services,
        },
        "summary": result.summary,
        "proposals": proposals,
    })
}

/// The consultation in the exchange format, with every counted ballot, so anyone can
/// recount it with `pbvote tally`. Ballots are sorted by their contents, which carries
/// no trace of who voted or when.
pub async fn export(ctx: &AppContext, id: Uuid) -> Result<pbvote_tally::Election, AppError> {
    let frozen = ctx.frozen_paper(id).await?;
    let c = &frozen.consultation;
    let mut ballots: Vec<pbvote_tally::Ballot> =
        storage::ballots::counted(&ctx.db, id).await?.into_iter().map(|b| b.into_tally_ballot()).collect();
    ballots.sort_by(|a, b| {
        (&a.want, &a.dont_want, &a.uses, a.channel.map(|c| c.as_str()), &a.area)
            .cmp(&(&b.want, &b.dont_want, &b.uses, b.channel.map(|c| c.as_str()), &b.area))
    });
    Ok(pbvote_tally::Election {
        config: c.settings.tally_config(&c.budget),
        services: frozen.paper.services().to_vec(),
        proposals: frozen.paper.proposals().to_vec(),
        ballots,
    })
}
