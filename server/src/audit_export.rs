//! Tenant › Audit log › Export: the filtered events as CSV or JSON Lines, streamed a page at a
//! time (a large log is never held in memory), for the signed-in admin of the account.
//! `GET /{account}/{application}/{environment}/audit-log/export?format=csv|jsonl&<filters>`: under
//! the dashboard page's own path, so it needs no reserved slug; only the account is used.

use app::error::AppError;
use app::model::{AUDIT_PAGE_MAX, AuditFilter, AuditPage, csv_header};
use app::services::admin_auth;
use app::services::{Caller, Services, audit_log};
use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use serde::Deserialize;

pub const ROUTE: &str = "/{account}/{application}/{environment}/audit-log/export";

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Csv,
    Jsonl,
}

#[derive(Debug, Deserialize)]
pub struct ExportQuery {
    format: Format,
    #[serde(flatten)]
    filter: AuditFilter,
}

pub fn routes(services: Services) -> Router {
    Router::new().route(ROUTE, get(export)).with_state(services)
}

async fn export(
    State(s): State<Services>,
    headers: HeaderMap,
    Path((account, _, _)): Path<(String, String, String)>,
    query: Result<Query<ExportQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let path = format!("/{account}/…/audit-log/export");
    match start(&s, &headers, &account, query).await {
        Ok(response) => response,
        Err(error) => crate::envelope::error_response(&error, &Method::GET, &path),
    }
}

async fn start(
    s: &Services,
    headers: &HeaderMap,
    account: &str,
    query: Result<Query<ExportQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, AppError> {
    let token = app::server::session_token_in(headers).ok_or(AppError::Unauthenticated)?;
    let admin = admin_auth::authenticate(s, &token).await?;
    let caller = Caller::admin_in_account(s, &admin, account).await?;
    let Query(query) = query.map_err(|e| AppError::BadRequest {
        detail: e.body_text(),
    })?;
    // The first page is read before answering: a refused caller or a bad filter gets its error
    // status, not a 200 with a broken file.
    let first = audit_log::list(s, &caller, &query.filter, None, AUDIT_PAGE_MAX).await?;
    let (content_type, extension) = match query.format {
        Format::Csv => ("text/csv; charset=utf-8", "csv"),
        Format::Jsonl => ("application/x-ndjson", "jsonl"),
    };
    let date = s.now().date();
    let disposition = format!("attachment; filename=\"audit-events-{account}-{date}.{extension}\"");
    let state = Stream {
        s: s.clone(),
        caller,
        filter: query.filter,
        format: query.format,
        next: Next::First(first),
    };
    // Fused: the compression layer may poll the body once more after its end, which a bare
    // `unfold` answers with a panic (a dropped connection).
    let body = futures::StreamExt::fuse(futures::stream::unfold(state, Stream::step));
    let mut response = (StatusCode::OK, Body::from_stream(body)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

enum Next {
    First(AuditPage),
    After(String),
    Done,
}

struct Stream {
    s: Services,
    caller: Caller,
    filter: AuditFilter,
    format: Format,
    next: Next,
}

impl Stream {
    /// The next chunk: a page of lines (the first with the CSV header), until the last page.
    async fn step(mut self) -> Option<(Result<String, std::io::Error>, Stream)> {
        let (page, header) = match std::mem::replace(&mut self.next, Next::Done) {
            Next::Done => return None,
            Next::First(page) => (page, self.format == Format::Csv),
            Next::After(cursor) => {
                match audit_log::list(
                    &self.s,
                    &self.caller,
                    &self.filter,
                    Some(&cursor),
                    AUDIT_PAGE_MAX,
                )
                .await
                {
                    Ok(page) => (page, false),
                    // Headers are gone: cut the body short, which the client sees as a failed
                    // download rather than a complete file.
                    Err(error) => {
                        tracing::warn!(code = error.code(), %error, "audit export failed");
                        return Some((Err(std::io::Error::other(error.code())), self));
                    }
                }
            }
        };
        let mut chunk = if header { csv_header() } else { String::new() };
        for event in &page.items {
            chunk.push_str(&match self.format {
                Format::Csv => event.csv_line(),
                Format::Jsonl => event.json_line(),
            });
        }
        self.next = match page.next_cursor {
            Some(cursor) => Next::After(cursor),
            None => Next::Done,
        };
        Some((Ok(chunk), self))
    }
}
