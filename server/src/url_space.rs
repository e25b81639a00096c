//! One URL space that cannot collide (decisions.md › One URL space). `/api/…` belongs to the REST
//! API and the server functions, `/v1/…` to the identity API (`/v1/identity/auth`): a path there
//! that no route serves answers the JSON 404 envelope (`request.unknown_endpoint`) for every
//! method, and a known path asked with a method it does not take answers a 405 envelope
//! (`request.method_not_allowed`) with `Allow` — nothing under them ever reaches the dashboard's
//! pages, whose first segment is an account slug, and `api` and `v1` are reserved slugs
//! (`app::model::RESERVED_SLUGS`).

use app::error::{AppError, Resource};
use axum::Router;
use axum::extract::OriginalUri;
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use http::{Method, StatusCode};

/// The first segments JSON APIs own: the REST API at `/api/v1` and server functions at
/// `/api/<name>`; the identity API at `/v1/identity/auth`.
const API_SPACES: [&str; 2] = ["/api", "/v1"];

/// Every path under an API space that a more specific route does not claim (routes with a
/// literal segment win over the wildcard, which does not match the bare `/api/`).
pub fn unknown_api_paths() -> Router {
    API_SPACES.iter().fold(Router::new(), |router, space| {
        router
            .route(space, any(unknown_api_endpoint))
            .route(&format!("{space}/"), any(unknown_api_endpoint))
            .route(&format!("{space}/{{*rest}}"), any(unknown_api_endpoint))
    })
}

fn is_api_path(path: &str) -> bool {
    API_SPACES.iter().any(|space| {
        path.strip_prefix(space)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    })
}

async fn unknown_api_endpoint(method: Method, OriginalUri(uri): OriginalUri) -> Response {
    let error = AppError::NotFound {
        resource: Resource::Endpoint,
    };
    crate::envelope::error_response(&error, &method, uri.path())
}

/// A known path asked with a method it does not take. Axum adds the `Allow` header to whatever
/// this answers; under an API space the body is the envelope, elsewhere a short text.
pub async fn method_not_allowed(method: Method, OriginalUri(uri): OriginalUri) -> Response {
    if is_api_path(uri.path()) {
        let error = AppError::MethodNotAllowed {
            method: method.as_str().to_owned(),
        };
        crate::envelope::error_response(&error, &method, uri.path())
    } else {
        (StatusCode::METHOD_NOT_ALLOWED, "Method not allowed.\n").into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_api_space_is_the_api_segment_only() {
        assert!(is_api_path("/api"));
        assert!(is_api_path("/api/v1/identities"));
        assert!(is_api_path("/api/workspace"));
        assert!(is_api_path("/v1/identity/auth/login"));
        assert!(!is_api_path("/v1-2/billing/development"));
        assert!(!is_api_path("/api-2/billing/development"));
        assert!(!is_api_path("/apis"));
        assert!(!is_api_path("/"));
    }
}
