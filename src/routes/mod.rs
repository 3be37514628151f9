//! The HTTP layer: thin handlers that read a request, call the service, and answer.
//! Only this module (and `startup`) imports `actix_web`.
//!
//! Every API handler is listed once, in [`api_routes!`], which both registers it with
//! actix and lists it in the OpenAPI document, so the two cannot drift apart; who may call
//! it is declared once, in [`access::RULES`].
mod access;
mod accounts;
mod audit;
mod auth;
mod ballot_paper;
mod ballots;
mod client_address;
mod consultations;
mod council;
mod headers;
mod health;
mod json;
mod links;
mod meetings;
mod methods;
mod observability;
mod openapi;
mod problem;
mod public;
mod registrations;
mod results;
mod review;
mod rolls;
mod voter_codes;

pub use headers::{head_as_get, no_store_when_signed_in};
pub use observability::{RequestSpan, observe};

pub(crate) use client_address::client_address;
pub use problem::Problem;

use access::AccessRules;
use actix_web::web;
use openapi::BearerAuth;

macro_rules! api_routes {
    ($($module:ident :: $handler:ident),+ $(,)?) => {
        /// Register every API handler.
        fn register_api(cfg: &mut web::ServiceConfig) {
            $( cfg.service($module::$handler); )+
        }

        /// The OpenAPI document, generated from the same list.
        #[derive(utoipa::OpenApi)]
        #[openapi(
            info(title = "pbvote", description = "Participatory budgeting with ranked WANT / DON'T WANT ballots and protection for the users of a service. See docs/api.md."),
            paths($( $module::$handler ),+),
            components(schemas(problem::Problem)),
            modifiers(&BearerAuth, &AccessRules),
            tags(
                (name = "consultations", description = "Consultations and their phases"),
                (name = "ballot paper", description = "A draft's services and proposals"),
                (name = "voter codes", description = "Codes for residents' letters"),
                (name = "ballots", description = "Residents' ballots and receipts"),
                (name = "results", description = "The count, for commissioners and the public"),
                (name = "meetings", description = "Live meetings: phones and paper in a hall, the projector"),
                (name = "links", description = "Short links and QR codes on letters and slips"),
                (name = "accounts", description = "Signing in, and staff accounts (admins)"),
                (name = "audit", description = "The audit record of staff actions (admins)"),
                (name = "operations", description = "Health checks"),
            )
        )]
        pub struct ApiDoc;
    };
}

// actix tries routes in this order (and tries them again to name the route in logs and
// metrics), and a route with a `{param}` costs a regex match each time: casting a ballot,
// the busiest route by far, goes first.
api_routes!(
    ballots::cast,
    health::health,
    health::ready,
    auth::sign_in,
    auth::sign_out,
    auth::me,
    consultations::list_public,
    consultations::list_all,
    consultations::create,
    consultations::get_one,
    consultations::update,
    consultations::open,
    consultations::close,
    consultations::publish,
    ballot_paper::add_service,
    ballot_paper::replace_service,
    ballot_paper::delete_service,
    ballot_paper::add_proposal,
    ballot_paper::replace_proposal,
    ballot_paper::delete_proposal,
    voter_codes::issue,
    voter_codes::stats,
    voter_codes::batches,
    voter_codes::code_approval,
    voter_codes::approve,
    registrations::set,
    registrations::register,
    rolls::import,
    rolls::find,
    rolls::revoke,
    ballots::check_receipt,
    results::get_results,
    results::export,
    meetings::create,
    meetings::list,
    meetings::assigned,
    meetings::get_one,
    meetings::update,
    meetings::open,
    meetings::close,
    meetings::reveal,
    meetings::reset,
    meetings::focus,
    meetings::slips,
    meetings::exchange,
    meetings::add_officer,
    meetings::officers,
    meetings::remove_officer,
    meetings::join,
    meetings::cast,
    meetings::enter_paper,
    meetings::correct_paper,
    meetings::settle_paper,
    meetings::paper_entries,
    meetings::record,
    meetings::live,
    meetings::stream,
    meetings::result,
    meetings::find_meeting,
    links::find_code,
    links::qr,
    council::council,
    review::breakdowns,
    review::population,
    review::decide,
    review::decisions,
    review::post_update,
    review::updates,
    review::file,
    accounts::list,
    accounts::invite,
    accounts::change,
    accounts::reset,
    accounts::clear_totp,
    accounts::look,
    accounts::accept,
    accounts::totp_setup,
    accounts::totp_confirm,
    audit::list,
    audit::verify,
    audit::export,
);

/// Everything the app serves: the API, its description, and the static pages.
pub fn configure(cfg: &mut web::ServiceConfig, frontend_dir: std::path::PathBuf) {
    cfg.app_data(web::PathConfig::default().error_handler(problem::path_error))
        .app_data(web::QueryConfig::default().error_handler(problem::query_error));
    register_api(cfg);
    cfg.service(openapi::document)
        .service(openapi::reference_page)
        .service(openapi::reference_script)
        .service(openapi::reference_style)
        .service(observability::metrics)
        .service(council::logo)
        .service(public::list)
        .service(public::record);
    cfg.service(web::scope("/api").default_service(web::to(problem::no_such_route)));
    // The same paths with any other method: 405 with `Allow` (a resource whose method guard
    // fails is passed over, so these only see what the real routes above did not take).
    cfg.service(web::resource(methods::paths_outside_api()).to(problem::no_such_route));
    links::short_link_page(cfg, &frontend_dir);
    let not_found_page = frontend_dir.join("404.html");
    cfg.service(actix_files::Files::new("/", frontend_dir).index_file("index.html").prefer_utf8(true).default_handler(web::to(
        move |req: actix_web::HttpRequest| {
            let page = not_found_page.clone();
            async move { problem::not_found_page(&req, &page).await }
        },
    )));
}
