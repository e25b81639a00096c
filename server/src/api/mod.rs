//! The public REST API, `/api/v1`: authenticated by `X-API-Key`, the key fixing account,
//! application and environment (decisions.md › Surfaces). Handlers are thin: extract the caller
//! and the input, call one service operation (it authorises the caller), shape the answer. Every
//! failure is an `AppError`, rendered as the JSON envelope by `render_errors` (one place), with
//! the request's method and path.

mod assignments;
mod audit;
mod bulk;
mod catalog;
mod collection;
mod constraints;
mod doc;
mod evaluate;
mod extract;
mod identities;
mod invites;
mod nodes;
mod versioning;

use app::error::AppError;
use app::services::Services;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use utoipa::OpenApi as _;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use doc::document_json;
pub use extract::{ApiError, Body, Key};

/// Where the API is mounted; the document's paths carry it, as clients call them.
pub const PREFIX: &str = "/api/v1";

/// Request bodies above this are refused with 413 before they are parsed.
pub const BODY_LIMIT_BYTES: usize = 1024 * 1024;

/// Every operation of the API, each registered by its documentation: `routes!` reads the method
/// and path from the handler's `#[utoipa::path]`, so a route cannot exist undocumented.
///
/// To add an endpoint:
/// 1. annotate the handler with `#[utoipa::path(<method>, path = "/things/{id}", tag = "…",
///    summary = "…", description = "…", params(…), request_body = …, responses(…, KeyErrors),
///    security(("api_key" = ["<scope it requires>"])))]` — every status it answers: the shared
///    error answers of `doc.rs` (`BodyTooLarge`, `ListErrors`, `VersionErrors`, `RoleNotFound`…)
///    where its reasons are exactly theirs, else `body = ErrorEnvelope` with a realistic `example`
///    of its own (one entry per status: a later one would silently replace an earlier one); the
///    scope exactly as the service operation's `caller.require(SystemPermission::…)` names it;
/// 2. derive `utoipa::ToSchema` (with an `example`) on the types it takes and returns — in
///    `app::model` behind `cfg_attr(feature = "ssr", …)`;
/// 3. add one `.routes(routes!(…))` below per path (the handlers of one path together; never
///    handlers of two paths in one `routes!`, which would mount each on both paths);
/// 4. add the (method, path) to the list in `server/tests/it/openapi.rs`, and a new service
///    operation to the table in `server/tests/it/caller.rs`.
///
/// The handler itself only extracts (`Key(caller)`, the body), calls one service operation —
/// which authorises the caller — and shapes the answer.
fn operations() -> OpenApiRouter<Services> {
    OpenApiRouter::new()
        .routes(routes!(identities::create, identities::list))
        .routes(routes!(identities::bulk_create))
        .routes(routes!(
            identities::show,
            identities::update,
            identities::remove
        ))
        .routes(routes!(identities::send_password_reset))
        .routes(routes!(identities::send_verification))
        .routes(routes!(invites::create, invites::list))
        .routes(routes!(invites::bulk_create))
        .routes(routes!(invites::summary))
        .routes(routes!(invites::resend))
        .routes(routes!(invites::revoke))
        .routes(routes!(assignments::identity_assignments))
        .routes(routes!(assignments::identity_permissions))
        .routes(routes!(catalog::list_roles, catalog::create_role))
        .routes(routes!(
            catalog::show_role,
            catalog::update_role,
            catalog::delete_role
        ))
        .routes(routes!(
            catalog::role_permissions,
            catalog::set_role_permissions
        ))
        .routes(routes!(
            catalog::list_permissions,
            catalog::create_permissions
        ))
        .routes(routes!(
            catalog::show_permission,
            catalog::update_permission,
            catalog::delete_permission
        ))
        .routes(routes!(nodes::list, nodes::create))
        .routes(routes!(nodes::show, nodes::update, nodes::remove))
        .routes(routes!(nodes::move_node))
        .routes(routes!(nodes::ancestors))
        .routes(routes!(assignments::create))
        .routes(routes!(assignments::change, assignments::remove))
        .routes(routes!(assignments::bulk_create))
        .routes(routes!(assignments::bulk_remove))
        .routes(routes!(assignments::bulk_change_role))
        .routes(routes!(evaluate::one))
        .routes(routes!(evaluate::bulk))
        .routes(routes!(audit::list))
        .routes(routes!(audit::environment))
        .routes(routes!(doc::openapi_json))
}

/// The OpenAPI 3.1 document of `operations`, paths prefixed with `PREFIX`, and of the public
/// invite acceptance endpoints (at the root, as clients call them).
pub fn document() -> utoipa::openapi::OpenApi {
    let (_, operations) = operations().split_for_parts();
    let (_, identity_auth) = crate::identity_auth::operations().split_for_parts();
    let (_, acceptance) = crate::invite_acceptance::operations().split_for_parts();
    doc::Frame::openapi()
        .nest(PREFIX, operations)
        .nest(crate::identity_auth::PREFIX, identity_auth)
        .merge_from(acceptance)
}

pub fn router(services: Services) -> Router {
    let (routes, _) = operations().split_for_parts();
    // Unknown paths under `/api/` are answered by `url_space`, for the whole API space.
    routes
        .layer(DefaultBodyLimit::max(BODY_LIMIT_BYTES))
        .layer(middleware::from_fn(render_errors))
        .with_state(services)
}

/// Turns an `ApiError` left in a response into the envelope, with this request's method and path.
pub(crate) async fn render_errors(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    // Inside `nest("/api/v1")` the URI is stripped of the prefix; the caller sent the original.
    let path = request
        .extensions()
        .get::<axum::extract::OriginalUri>()
        .map_or_else(|| request.uri().path(), |original| original.path())
        .to_owned();
    let response = next.run(request).await;
    match response.extensions().get::<AppError>() {
        Some(error) => {
            let mut rendered = crate::envelope::error_response(error, &method, &path);
            // A handler may end something along with its error (the identity API clears a dead
            // refresh cookie): its cookies survive the rendering.
            for cookie in response.headers().get_all(http::header::SET_COOKIE) {
                rendered
                    .headers_mut()
                    .append(http::header::SET_COOKIE, cookie.clone());
            }
            rendered
        }
        // An extractor's own rejection (a path segment that is not UTF-8 once decoded) is plain
        // text; the caller gets the envelope like any other malformed request.
        None if response.status() == http::StatusCode::BAD_REQUEST
            && response
                .headers()
                .get(http::header::CONTENT_TYPE)
                .is_some_and(|v| v.as_bytes().starts_with(b"text/plain")) =>
        {
            let text = axum::body::to_bytes(response.into_body(), 4096)
                .await
                .unwrap_or_default();
            let error = AppError::BadRequest {
                detail: String::from_utf8_lossy(&text).trim().to_owned(),
            };
            crate::envelope::error_response(&error, &method, &path)
        }
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
