//! Which methods each path answers, for `405 Method Not Allowed` and its `Allow` header.
//! Read from the OpenAPI document, which is generated from the same list as the routes, so
//! the two cannot drift apart.
use std::sync::LazyLock;

use utoipa::OpenApi;

use super::ApiDoc;

/// Paths served outside the OpenAPI document, all read-only.
const UNDOCUMENTED_GETS: [&str; 5] = ["/api/v1/openapi.json", "/api/docs", "/api/docs/reference.js", "/api/docs/reference.css", "/metrics"];

/// (path template split into segments, methods), e.g. (["api","v1","consultations","{id}"], ["GET","PATCH"]).
static ROUTES: LazyLock<Vec<(Vec<String>, Vec<&'static str>)>> = LazyLock::new(|| {
    let mut routes: Vec<(Vec<String>, Vec<&'static str>)> = ApiDoc::openapi()
        .paths
        .paths
        .iter()
        .map(|(path, item)| {
            // HEAD wherever GET (`headers::head_as_get`).
            let methods = [
                ("GET", item.get.is_some()),
                ("HEAD", item.get.is_some()),
                ("POST", item.post.is_some()),
                ("PUT", item.put.is_some()),
                ("PATCH", item.patch.is_some()),
                ("DELETE", item.delete.is_some()),
            ];
            (segments(path), methods.into_iter().filter(|(_, present)| *present).map(|(m, _)| m).collect())
        })
        .collect();
    routes.extend(UNDOCUMENTED_GETS.iter().map(|path| (segments(path), vec!["GET", "HEAD"])));
    routes
});

/// The routes' paths outside `/api` (whose scope has its own fallback), for the resource
/// that answers their other methods with 405.
pub fn paths_outside_api() -> Vec<String> {
    ROUTES.iter().filter(|(segments, _)| segments[0] != "api").map(|(segments, _)| format!("/{}", segments.join("/"))).collect()
}

fn segments(path: &str) -> Vec<String> {
    path.trim_matches('/').split('/').map(str::to_owned).collect()
}

/// The methods `path` answers, or `None` if no route has that path.
pub fn allowed(path: &str) -> Option<Vec<&'static str>> {
    let asked: Vec<&str> = path.trim_matches('/').split('/').collect();
    let mut allowed: Vec<&'static str> = Vec::new();
    for (template, methods) in ROUTES.iter() {
        let fits =
            template.len() == asked.len() && template.iter().zip(&asked).all(|(t, a)| (t.starts_with('{') && !a.is_empty()) || t == a);
        if fits {
            for method in methods {
                if !allowed.contains(method) {
                    allowed.push(method);
                }
            }
        }
    }
    (!allowed.is_empty()).then_some(allowed)
}
