//! The public record of a consultation: "we asked, you said, we did", and what became of
//! it. Rendered on the server as plain HTML (it reads without JavaScript and prints to a
//! tidy PDF from the browser), from exactly what is published: the kept result and
//! breakdowns (no group of fewer than `min_group`), the decisions without staff names, the
//! updates, and the files with their SHA-256.
//!
//! Every word a reader sees is in [`Text`], so that a Welsh catalogue can stand beside the
//! English one.
use maud::{DOCTYPE, Markup, html};
use serde_json::Value;

use crate::{
    config::Council,
    domain::Currency,
    model::{Consultation, Decision, DecisionKind, Update},
};

/// The words of the public pages.
pub struct Text {
    pub lang: &'static str,
    pub site: &'static str,
    pub nav: &'static str,
    pub nav_home: &'static str,
    pub nav_receipt: &'static str,
    pub published_title: &'static str,
    pub published_intro: &'static str,
    pub none_published: &'static str,
    pub decided_on: &'static str,
    pub not_decided: &'static str,
    pub skip: &'static str,
    pub fingerprint: &'static str,
    pub fingerprint_help: &'static str,
    pub we_asked: &'static str,
    pub savings_target: &'static str,
    pub no_target: &'static str,
    pub development_budget: &'static str,
    pub no_budget: &'static str,
    pub savings: &'static str,
    pub developments: &'static str,
    pub saves: &'static str,
    pub costs: &'static str,
    pub affects: &'static str,
    pub you_said: &'static str,
    pub ballots_counted: &'static str,
    pub codes_given: &'static str,
    pub codes_by_letter: &'static str,
    pub codes_by_email: &'static str,
    pub codes_at_meetings: &'static str,
    pub codes_after_opening: &'static str,
    pub roll_size: &'static str,
    pub service_users: &'static str,
    pub service_users_verified: &'static str,
    pub service_users_both: &'static str,
    pub service_users_row: &'static str,
    pub fewer_than: &'static str,
    pub by_channel: &'static str,
    pub by_area: &'static str,
    pub channel_names: [(&'static str, &'static str); 5],
    pub no_area: &'static str,
    pub ranked: &'static str,
    pub col_rank: &'static str,
    pub col_proposal: &'static str,
    pub col_score: &'static str,
    pub col_plain: &'static str,
    pub col_result: &'static str,
    pub col_plain_result: &'static str,
    pub agreed: &'static str,
    pub not_agreed: &'static str,
    pub protected: &'static str,
    pub what_protection_changed: &'static str,
    pub protection_changed_nothing: &'static str,
    pub every_proposal: &'static str,
    pub we_did: &'static str,
    pub decision_names: [(&'static str, &'static str); 4],
    pub departs: &'static str,
    pub no_decisions: &'static str,
    pub decided_savings: &'static str,
    pub decided_spending: &'static str,
    pub updates: &'static str,
    pub no_updates: &'static str,
    pub status_names: [(&'static str, &'static str); 4],
    pub progress: &'static str,
    pub saved_in: &'static str,
    pub receipt_heading: &'static str,
    pub receipt_label: &'static str,
    pub receipt_hint: &'static str,
    pub receipt_button: &'static str,
    pub receipt_found: &'static str,
    pub receipt_other: &'static str,
    pub receipt_unknown: &'static str,
    pub receipt_malformed: &'static str,
    pub files: &'static str,
    pub files_intro: &'static str,
    pub file_names: [(&'static str, &'static str); 5],
    pub privacy: &'static str,
    pub contact: &'static str,
    /// Under the areas: `{n}` is `min_group`, `{none}` the name of the no-area group.
    pub small_areas: &'static str,
    pub withheld_group: &'static str,
}

/// English.
pub const EN: Text = Text {
    lang: "en-GB",
    site: "Have your say on the council budget",
    nav: "Site",
    nav_home: "Consultations",
    nav_receipt: "Check a receipt",
    published_title: "Published consultations",
    published_intro: "What we asked residents, what they said, and what we decided.",
    none_published: "No consultation has been published yet.",
    decided_on: "Decisions last recorded on",
    not_decided: "Decisions not recorded yet",
    skip: "Skip to the content",
    fingerprint: "Rules fingerprint",
    fingerprint_help: "A short code for the rules and the list of proposals this result was counted by. The ballot page showed the same code while people voted, and the file of ballots carries it too.",
    we_asked: "We asked",
    savings_target: "We had to save",
    no_target: "There was no savings target.",
    development_budget: "We could spend on new things",
    no_budget: "There was no fixed limit on new spending.",
    savings: "Savings (cuts)",
    developments: "New spending",
    saves: "Saves",
    costs: "Costs",
    affects: "Affects",
    you_said: "You said",
    ballots_counted: "Votes counted",
    codes_given: "Voter codes given out",
    codes_by_letter: "by letter",
    codes_by_email: "by e-mail",
    codes_at_meetings: "at meetings",
    codes_after_opening: "of them made after voting opened",
    roll_size: "People on the voter roll",
    service_users: "Who counted as a service's users",
    service_users_verified: "Only people who gave a service-user code from a service (handed out by its provider) with their vote counted as its users. People who ticked a service without a code are shown, but did not get the protected say.",
    service_users_both: "People who ticked a service, and people who gave a service-user code from it with their vote, counted as its users.",
    service_users_row: "{declared} said they use it, {verified} gave a service-user code, {counted} counted as users",
    fewer_than: "fewer than {n}",
    by_channel: "How people voted",
    by_area: "Where people live",
    channel_names: [
        ("online", "Online"),
        ("meeting", "At a meeting, on a phone"),
        ("paper", "At a meeting, on paper"),
        ("unspecified", "Not shown (too few to show apart)"),
        ("withheld", "Not broken down (too few alike to show)"),
    ],
    no_area: "No area given, or too few to show",
    ranked: "The result, ranked",
    col_rank: "Rank",
    col_proposal: "Proposal",
    col_score: "Score with protection",
    col_plain: "Simple majority score",
    col_result: "Result",
    col_plain_result: "Simple majority",
    agreed: "Agreed",
    not_agreed: "Not agreed",
    protected: "Protected",
    what_protection_changed: "What protection changed",
    protection_changed_nothing: "Protection did not change any outcome: the simple majority count agreed the same proposals.",
    every_proposal: "Why each proposal was or was not agreed",
    we_did: "We did",
    decision_names: [("adopt", "Adopted"), ("reject", "Rejected"), ("defer", "Decision put off"), ("amend", "Adopted with another amount")],
    departs: "This decision differs from the result of the vote.",
    no_decisions: "The council has not recorded its decisions yet.",
    decided_savings: "Savings decided",
    decided_spending: "New spending decided",
    updates: "What has happened since",
    no_updates: "No updates yet.",
    status_names: [("planned", "Planned"), ("started", "Started"), ("done", "Done"), ("stopped", "Stopped")],
    progress: "done",
    saved_in: "saved in",
    receipt_heading: "Check your receipt",
    receipt_label: "Your receipt",
    receipt_hint: "It starts with R-, for example R-K7QF-M2XD-9PRT-ABCD.",
    receipt_button: "Check",
    receipt_found: "A vote with this receipt arrived and is in this count. If you voted more than once, your latest vote is the one counted.",
    receipt_other: "This receipt is for another consultation.",
    receipt_unknown: "We could not find this receipt. Check you typed it exactly.",
    receipt_malformed: "That is not a receipt: it looks like R-XXXX-XXXX-XXXX-XXXX.",
    files: "Check the count yourself",
    files_intro: "Anyone can recount the result with the pbvote program from the file of ballots. No ballot in it can be picked out by a rare area or a rare combination of services. The SHA-256 beside each file lets you check you have the published one.",
    file_names: [
        ("ballots", "Ballots (pbvote exchange format, JSON)"),
        ("pabulib", "Ballots' WANT lists (pabulib .pb)"),
        ("results", "Ranked result (CSV)"),
        ("breakdowns", "Breakdowns (CSV)"),
        ("decisions", "Decisions (CSV)"),
    ],
    privacy: "Privacy notice",
    contact: "Contact",
    small_areas: "An area named by fewer than {n} votes is not shown: its votes are counted under “{none}”.",
    withheld_group: "Not broken down (too few alike to show)",
};

fn lookup(pairs: &[(&'static str, &'static str)], key: &str) -> String {
    pairs.iter().find(|(k, _)| *k == key).map(|(_, v)| (*v).to_owned()).unwrap_or_else(|| key.to_owned())
}

/// The page frame: the council's name and logo, the page, the privacy notice and contact.
fn frame(t: &Text, council: &Council, title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang=(t.lang) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " – " (council.name) }
                link rel="stylesheet" href="/assets/style.css";
                link rel="stylesheet" href="/assets/public.css";
            }
            body {
                a class="skip-link" href="#main" { (t.skip) }
                header class="site-header" {
                    div class="wrap site-header__inner" {
                        a class="site-name" href="/" {
                            @if council.logo.is_some() { img class="council-logo" src="/council/logo" alt=""; }
                            span class="site-name__council" { (council.name) }
                            span class="site-name__site" { (t.site) }
                        }
                        nav aria-label=(t.nav) class="no-print" {
                            ul class="site-nav" {
                                li { a href="/" { (t.nav_home) } }
                                li { a href="/published/" { (t.published_title) } }
                                li { a href="/receipt.html" { (t.nav_receipt) } }
                            }
                        }
                    }
                }
                main id="main" class="wrap public-record" tabindex="-1" { (body) }
                footer class="site-footer" {
                    div class="wrap" {
                        ul class="site-footer__council" {
                            @if let Some(url) = &council.privacy_url { li { a href=(url) { (t.privacy) } } }
                            @if let Some(contact) = &council.contact { li { (t.contact) ": " (contact) } }
                        }
                    }
                }
            }
        }
    }
}

/// `/published/`: every published consultation with the date of its last decision.
pub fn list(t: &Text, council: &Council, items: &[(Consultation, Option<chrono::DateTime<chrono::Utc>>)]) -> String {
    let body = html! {
        h1 { (t.published_title) }
        p class="lead" { (t.published_intro) }
        @if items.is_empty() { p { (t.none_published) } }
        ul class="published-list" {
            @for (c, decided) in items {
                li {
                    a href={ "/published/" (c.id) } { (c.title) }
                    " — "
                    @match decided {
                        Some(at) => { (t.decided_on) " " (at.format("%-d %B %Y")) }
                        None => { (t.not_decided) }
                    }
                }
            }
        }
    };
    frame(t, council, t.published_title, body).into_string()
}

/// Everything the record page shows.
pub struct Record<'a> {
    pub consultation: &'a Consultation,
    pub result: &'a Value,
    pub breakdowns: &'a Value,
    pub decisions: &'a [Decision],
    pub updates: &'a [Update],
    pub files: Vec<(&'static str, String, String)>,
    /// The voter codes given out, against which the votes can be read (numbers only).
    pub codes: &'a crate::model::CodeSummary,
    /// A receipt the reader asked about and what it says, if any.
    pub receipt: Option<(String, ReceiptAnswer)>,
}

/// What a receipt check says on the page.
pub enum ReceiptAnswer {
    Here,
    Elsewhere,
    Unknown,
    Malformed,
}

fn money(c: &Consultation, v: &Value) -> String {
    v.as_u64().map(|m| Currency::format(&c.currency, m)).unwrap_or_default()
}

fn score(v: &Value) -> String {
    let n = v.as_f64().unwrap_or(0.0);
    let rounded = (n * 10.0).round() / 10.0;
    let text = if rounded.fract() == 0.0 { format!("{rounded:.0}") } else { format!("{rounded:.1}") };
    text.replace('-', "\u{2212}")
}

/// The proposals of one kind in rank order.
fn ranked<'a>(proposals: &[&'a Value], kind: &str) -> Vec<&'a Value> {
    let mut rows: Vec<&Value> = proposals.iter().copied().filter(|p| p["kind"] == kind).collect();
    rows.sort_by_key(|p| p["rank"].as_u64().unwrap_or(0));
    rows
}

/// `/published/{id}`.
pub fn record(t: &Text, council: &Council, r: &Record<'_>) -> String {
    let c = r.consultation;
    let proposals: Vec<&Value> = r.result["proposals"].as_array().map(|a| a.iter().collect()).unwrap_or_default();
    let title_of = |id: &str| c.proposals.iter().find(|p| p.id == id).map(|p| p.title.clone()).unwrap_or_else(|| id.to_owned());
    let min_group = r.breakdowns["min_group"].as_u64().unwrap_or(1);
    let changed: Vec<&&Value> = proposals.iter().filter(|p| p["adopted"] != p["plain_adopted"]).collect();
    let latest = |id: &str| r.decisions.iter().rev().find(|d| d.proposal == id);
    let fingerprint = r.result["fingerprint"].as_str().unwrap_or("");
    let body = html! {
        h1 { (c.title) }
        @if !c.description.is_empty() { p class="lead" { (c.description) } }
        p class="fingerprint" { (t.fingerprint) ": " code { (crate::results::short_fingerprint(fingerprint)) } br; span class="small" { (t.fingerprint_help) } }

        section aria-labelledby="we-asked" {
            h2 id="we-asked" { (t.we_asked) }
            ul class="facts" {
                li { @match c.budget.savings_target { Some(v) => { (t.savings_target) ": " strong { (Currency::format(&c.currency, v)) } }, None => { (t.no_target) } } }
                li { @match c.budget.development_budget { Some(v) => { (t.development_budget) ": " strong { (Currency::format(&c.currency, v)) } }, None => { (t.no_budget) } } }
            }
            @for (kind, heading) in [("saving", t.savings), ("development", t.developments)] {
                h3 { (heading) }
                ul class="proposal-list" {
                    @for p in c.proposals.iter().filter(|p| p.kind.as_str() == kind) {
                        li {
                            strong { (p.title) }
                            " — " (if kind == "saving" { t.saves } else { t.costs }) " " (Currency::format(&c.currency, p.amount))
                            @if let Some(s) = p.service.as_ref().and_then(|s| c.services.iter().find(|x| &x.id == s)) { " · " (t.affects) ": " (s.name) }
                            @if !p.summary.is_empty() { p { (p.summary) } }
                            @if !p.details.is_empty() { p class="small" { (p.details) } }
                        }
                    }
                }
            }
        }

        section aria-labelledby="you-said" {
            h2 id="you-said" { (t.you_said) }
            p class="big" { (t.ballots_counted) ": " strong { (r.result["summary"]["ballots"]) } }
            p {
                (t.codes_given) ": " strong { (r.codes.letters + r.codes.email + r.codes.slips) } " (" (r.codes.letters) " " (t.codes_by_letter) ", "
                @if r.codes.email > 0 { (r.codes.email) " " (t.codes_by_email) ", " }
                (r.codes.slips) " " (t.codes_at_meetings) "); " (r.codes.after_opening) " " (t.codes_after_opening) "."
                @if r.codes.roll > 0 { " " (t.roll_size) ": " strong { (r.codes.roll) } "." }
            }
            @if let Some(users) = r.result["service_users"].as_object().filter(|u| u.get("counted_as").and_then(Value::as_str).is_some_and(|s| s != "declared")) {
                h3 { (t.service_users) }
                p { (if users.get("counted_as").and_then(Value::as_str) == Some("verified") { t.service_users_verified } else { t.service_users_both }) }
                ul id="service-users" { @for s in users.get("services").and_then(Value::as_array).into_iter().flatten() {
                    @let shown = |v: &Value| v.as_u64().map_or_else(|| t.fewer_than.replace("{n}", &min_group.to_string()), |n| n.to_string());
                    li { strong { (s["name"].as_str().or(s["id"].as_str()).unwrap_or("")) } ": "
                        (t.service_users_row.replace("{declared}", &shown(&s["declared"])).replace("{verified}", &shown(&s["verified"])).replace("{counted}", &shown(&s["counted"]))) }
                } }
            }
            div class="two-columns" {
                div {
                    h3 { (t.by_channel) }
                    ul { @for g in r.breakdowns["by_channel"].as_array().into_iter().flatten() {
                        li { (lookup(&t.channel_names, g["label"].as_str().unwrap_or("unspecified"))) ": " (g["ballots"]) }
                    } }
                }
                div {
                    h3 { (t.by_area) }
                    ul { @for g in r.breakdowns["by_area"].as_array().into_iter().flatten() {
                        li {
                            @if g["withheld"] == Value::Bool(true) { (t.withheld_group) } @else if g["label"].is_null() { (t.no_area) } @else { (g["label"].as_str().unwrap_or("")) }
                            ": " (g["ballots"])
                        }
                    } }
                    p class="small" { (t.small_areas.replace("{n}", &min_group.to_string()).replace("{none}", t.no_area)) }
                }
            }
            h3 { (t.ranked) }
            @for (kind, heading) in [("saving", t.savings), ("development", t.developments)] {
                // At a phone's width the table scrolls sideways in its own box (reachable by
                // keyboard) rather than breaking every word.
                div class="table-wrap" role="region" tabindex="0" aria-labelledby={ "ranked-" (kind) } {
                    table class="ranked" {
                        caption id={ "ranked-" (kind) } { (heading) }
                        thead { tr { th scope="col" { (t.col_rank) } th scope="col" { (t.col_proposal) } th scope="col" { (t.col_score) } th scope="col" { (t.col_plain) } th scope="col" { (t.col_result) } th scope="col" { (t.col_plain_result) } } }
                        tbody {
                            @for p in ranked(&proposals, kind) {
                                tr {
                                    td { (p["rank"]) }
                                    th scope="row" { (title_of(p["id"].as_str().unwrap_or(""))) @if p["protected"] == Value::Bool(true) { " " span class="tag tag--protected" { (t.protected) } } }
                                    td { (score(&p["score"])) }
                                    td { (score(&p["plain_score"])) }
                                    td { @if p["adopted"] == Value::Bool(true) { (t.agreed) } @else { (t.not_agreed) } }
                                    td { @if p["plain_adopted"] == Value::Bool(true) { (t.agreed) } @else { (t.not_agreed) } }
                                }
                            }
                        }
                    }
                }
            }
            h3 { (t.what_protection_changed) }
            @if changed.is_empty() { p { (t.protection_changed_nothing) } }
            ul { @for p in &changed { li { strong { (title_of(p["id"].as_str().unwrap_or(""))) } ": " (p["explanation"].as_str().unwrap_or("")) } } }
            h3 { (t.every_proposal) }
            ul class="explanations" { @for p in &proposals {
                li { strong { (title_of(p["id"].as_str().unwrap_or(""))) } " (" (money(c, &p["amount"])) "): " (p["explanation"].as_str().unwrap_or("")) }
            } }
        }

        section aria-labelledby="we-did" {
            h2 id="we-did" { (t.we_did) }
            @if r.decisions.is_empty() { p { (t.no_decisions) } }
            @else {
                ul class="decisions" {
                    @for p in &c.proposals {
                        @if let Some(d) = latest(&p.id) {
                            li class=(if d.departs { "decision decision--departs" } else { "decision" }) {
                                strong { (p.title) } ": " (lookup(&t.decision_names, d.decision.as_str()))
                                @if d.decision == DecisionKind::Amend { @if let Some(a) = d.amount { " (" (Currency::format(&c.currency, a)) ")" } }
                                " — " (d.decided_at.format("%-d %B %Y"))
                                @if d.departs { p class="departs" { strong { (t.departs) } } }
                                @if !d.reason.is_empty() { p { (d.reason) } }
                            }
                        }
                    }
                }
                @let budget = crate::review::decided_budget(c, r.decisions);
                p { (t.decided_savings) ": " (money(c, &budget["savings_decided"])) @if !budget["savings_target"].is_null() { " / " (money(c, &budget["savings_target"])) } }
                p { (t.decided_spending) ": " (money(c, &budget["spending_decided"])) @if !budget["development_budget"].is_null() { " / " (money(c, &budget["development_budget"])) } }
            }
            h3 { (t.updates) }
            @if r.updates.is_empty() { p { (t.no_updates) } }
            ul class="updates" { @for u in r.updates.iter().rev() {
                li {
                    (u.posted_at.format("%-d %B %Y")) " — " strong { (title_of(&u.proposal)) } ": " (lookup(&t.status_names, u.status.as_str()))
                    @if let Some(p) = u.progress { " (" (p) "% " (t.progress) ")" }
                    @if let (Some(year), Some(amount)) = (u.saved_year, u.saved_amount) { " · " (Currency::format(&c.currency, amount)) " " (t.saved_in) " " (year) }
                    @if !u.note.is_empty() { p { (u.note) } }
                }
            } }
        }

        section aria-labelledby="receipt" class="no-print" {
            h2 id="receipt" { (t.receipt_heading) }
            @if let Some((value, answer)) = &r.receipt {
                div class=(match answer { ReceiptAnswer::Here => "notice notice--success", _ => "notice notice--warning" }) role="status" {
                    p { code { (value) } ": " (match answer {
                        ReceiptAnswer::Here => t.receipt_found,
                        ReceiptAnswer::Elsewhere => t.receipt_other,
                        ReceiptAnswer::Unknown => t.receipt_unknown,
                        ReceiptAnswer::Malformed => t.receipt_malformed,
                    }) }
                }
            }
            form method="get" action={ "/published/" (c.id) "#receipt" } {
                div class="field" {
                    label for="receipt-input" { (t.receipt_label) }
                    p id="receipt-hint" class="hint" { (t.receipt_hint) }
                    input id="receipt-input" name="receipt" aria-describedby="receipt-hint" autocomplete="off" spellcheck="false" class="input--code";
                }
                button type="submit" { (t.receipt_button) }
            }
        }

        section aria-labelledby="files" {
            h2 id="files" { (t.files) }
            p { (t.files_intro) }
            ul class="files" { @for (key, url, sha) in &r.files {
                li { a href=(url) { (lookup(&t.file_names, key)) } br; span class="small" { "SHA-256: " code class="sha" { (sha) } } }
            } }
        }
    };
    frame(t, council, &c.title, body).into_string()
}

/// pbvote's own 404 page (`frontend/404.html`) with the council's name in its header and its
/// privacy notice and contact in a footer, so that they show without JavaScript too (the
/// page's script draws the same frame again).
pub fn not_found(t: &Text, council: &Council, page: &str) -> String {
    let brand = html! { span class="site-name__council" { (council.name) } " " span class="site-name__site" { (t.site) } };
    let footer = html! {
        footer class="site-footer" {
            div class="wrap" {
                ul class="site-footer__council" {
                    @if let Some(url) = &council.privacy_url { li { a href=(url) { (t.privacy) } } }
                    @if let Some(contact) = &council.contact { li { (t.contact) ": " (contact) } }
                }
            }
        }
    };
    page.replacen(&format!(">{}</a>", t.site), &format!(">{}</a>", brand.into_string()), 1).replacen(
        "</main>",
        &format!("</main>\n{}", footer.into_string()),
        1,
    )
}
