//! The public REST API, `/api/v1`: authenticated by `X-API-Key`, the key fixing account,
//! application and environment (decisions.md › Surfaces). Handlers are thin: extract, check the
//! key's scope, call one service, shape the answer. Every failure is an `AppError`, rendered as the
//! JSON envelope by `render_errors` (one place), with the request's method and path.

mod assignments;
mod bulk;
mod catalog;
mod collection;
mod evaluate;
mod extract;
mod identities;
mod nodes;
mod versioning;

use app::error::AppError;
use app::services::Services;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

pub use extract::{ApiError, Key};

/// Request bodies above this are refused with 413 before they are parsed.
pub const BODY_LIMIT_BYTES: usize = 1024 * 1024;

pub fn router(services: Services) -> Router {
    Router::new()
        .route(
            "/identities",
            post(identities::create).get(identities::list),
        )
        .route("/identities/bulk-create", post(identities::bulk_create))
        .route(
            "/identities/{id}",
            get(identities::show)
                .patch(identities::update)
                .delete(identities::remove),
        )
        .route(
            "/identities/{id}/assignments",
            get(assignments::identity_assignments),
        )
        .route(
            "/identities/{id}/permissions",
            get(assignments::identity_permissions),
        )
        .route(
            "/roles",
            get(catalog::list_roles).post(catalog::create_role),
        )
        .route(
            "/roles/{id}",
            get(catalog::show_role)
                .patch(catalog::update_role)
                .delete(catalog::delete_role),
        )
        .route(
            "/roles/{id}/permissions",
            get(catalog::role_permissions).put(catalog::set_role_permissions),
        )
        .route(
            "/permissions",
            get(catalog::list_permissions).post(catalog::create_permissions),
        )
        .route(
            "/permissions/{id}",
            get(catalog::show_permission)
                .patch(catalog::update_permission)
                .delete(catalog::delete_permission),
        )
        .route("/nodes", get(nodes::list).post(nodes::create))
        .route(
            "/nodes/{id}",
            get(nodes::show).patch(nodes::update).delete(nodes::remove),
        )
        .route("/nodes/{id}/move", post(nodes::move_node))
        .route("/nodes/{id}/ancestors", get(nodes::ancestors))
        .route("/assignments", post(assignments::create))
        .route(
            "/assignments/{id}",
            axum::routing::patch(assignments::change).delete(assignments::remove),
        )
        .route("/assignments/bulk-create", post(assignments::bulk_create))
        .route("/assignments/bulk-remove", post(assignments::bulk_remove))
        .route(
            "/assignments/bulk-change-role",
            post(assignments::bulk_change_role),
        )
        .route("/permissions/evaluate", post(evaluate::one))
        .route("/permissions/evaluate/bulk", post(evaluate::bulk))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(BODY_LIMIT_BYTES))
        .layer(middleware::from_fn(render_errors))
        .with_state(services)
}

async fn not_found() -> ApiError {
    ApiError(AppError::NotFound {
        resource: app::error::Resource::Endpoint,
    })
}

/// Turns an `ApiError` left in a response into the envelope, with this request's method and path.
async fn render_errors(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    // Inside `nest("/api/v1")` the URI is stripped of the prefix; the caller sent the original.
    let path = request
        .extensions()
        .get::<axum::extract::OriginalUri>()
        .map_or_else(|| request.uri().path(), |original| original.path())
        .to_owned();
    let response = next.run(request).await;
    match response.extensions().get::<AppError>() {
        Some(error) => crate::envelope::error_response(error, &method, &path),
        None => response,
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        // The body is written by `render_errors`, which knows the request.
        let mut response = http::StatusCode::from_u16(self.0.status())
            .unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR)
            .into_response();
        response.extensions_mut().insert(self.0);
        response
    }
}
