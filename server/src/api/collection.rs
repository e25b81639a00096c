//! The collection envelope (decisions.md › Envelopes): `{items, pagination}`, with 1-based
//! `page` (at most `MAX_PAGE`), `take` 1–100 (default 20) and an optional `q` on every list.

use super::extract::ApiError;
use app::error::{AppError, FieldError};
use app::model::Page;
use app::services::Services;
use axum::extract::{FromRequestParts, Query};
use http::request::Parts;
use serde::{Deserialize, Serialize};

pub const DEFAULT_TAKE: i64 = 20;
pub const MAX_TAKE: i64 = 100;
/// The last page a list answers (decisions.md › List bounds): a billion items at the largest
/// `take`, far beyond any list, while `(page - 1) * take` stays far inside `i64`.
pub use app::model::MAX_PAGE;

/// `?page=&take=&q=` of a list; anything else in the query is refused.
#[derive(Debug, Clone, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// The page, from 1 to 10000000.
    #[serde(default = "first_page")]
    #[param(minimum = 1, maximum = 10_000_000, default = 1, example = 1)]
    pub page: i64,
    /// Items per page, 1 to 100.
    #[serde(default = "default_take")]
    #[param(minimum = 1, maximum = 100, default = 20, example = 20)]
    pub take: i64,
    /// Keeps the items whose text contains this, in any case (empty: all).
    #[serde(default)]
    #[param(example = "lee")]
    pub q: String,
}

pub fn first_page() -> i64 {
    1
}

pub fn default_take() -> i64 {
    DEFAULT_TAKE
}

impl ListQuery {
    /// Whether `text` matches `q` (case-insensitive substring; an empty `q` matches all).
    pub fn matches(&self, text: &str) -> bool {
        let q = self.q.trim();
        q.is_empty() || text.to_lowercase().contains(&q.to_lowercase())
    }
}

/// The list query, checked: a bad value is a 400 naming the parameter.
pub struct List(pub ListQuery);

impl FromRequestParts<Services> for List {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, s: &Services) -> Result<Self, Self::Rejection> {
        let Query(query) = Query::<ListQuery>::from_request_parts(parts, s)
            .await
            .map_err(|e| AppError::BadRequest {
                detail: e.body_text(),
            })?;
        check_bounds(query.page, query.take)?;
        Ok(List(query))
    }
}

/// The paging rule of every list: `page` 1 to `MAX_PAGE`, `take` 1 to `MAX_TAKE`.
pub fn check_bounds(page: i64, take: i64) -> Result<(), AppError> {
    let mut errors = Vec::new();
    if !(1..=MAX_PAGE).contains(&page) {
        errors.push(FieldError::new(
            "page",
            "out_of_range",
            format!("page must be 1 to {MAX_PAGE}."),
        ));
    }
    if !(1..=MAX_TAKE).contains(&take) {
        errors.push(FieldError::new(
            "take",
            "out_of_range",
            format!("take must be 1 to {MAX_TAKE}."),
        ));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::validation(errors))
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Pagination {
    pub page: i64,
    pub take: i64,
    pub item_count: i64,
    pub page_count: i64,
    pub has_previous_page: bool,
    pub has_next_page: bool,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Collection<T> {
    pub items: Vec<T>,
    pub pagination: Pagination,
}

impl<T> Collection<T> {
    /// A page the database cut.
    pub fn of_page(page: Page<T>) -> Self {
        let page_count = page.pages();
        Collection {
            pagination: Pagination {
                page: page.page,
                take: page.per_page,
                item_count: page.total,
                page_count,
                has_previous_page: page.page > 1,
                has_next_page: page.page < page_count,
            },
            items: page.items,
        }
    }

    /// A page of a list read whole (catalogs and trees are small), after the `q` filter.
    pub fn of_list(all: Vec<T>, query: &ListQuery, text: impl Fn(&T) -> String) -> Self {
        let matching: Vec<T> = all
            .into_iter()
            .filter(|t| query.matches(&text(t)))
            .collect();
        let total = matching.len() as i64;
        let skip = ((query.page - 1) * query.take).max(0) as usize;
        let items = matching
            .into_iter()
            .skip(skip)
            .take(query.take as usize)
            .collect();
        Collection::of_page(Page {
            items,
            total,
            page: query.page,
            per_page: query.take,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use utoipa::IntoParams;
    use utoipa::openapi::path::ParameterIn;

    #[test]
    fn the_documented_page_bound_is_the_enforced_one() {
        let params = ListQuery::into_params(|| Some(ParameterIn::Query));
        let page = params.iter().find(|p| p.name == "page");
        let documented = serde_json::to_value(page).unwrap_or_default();
        assert_eq!(documented["schema"]["minimum"], 1, "{documented}");
        assert_eq!(documented["schema"]["maximum"], MAX_PAGE, "{documented}");
        // The largest product the bound allows fits, with room to spare.
        assert!((MAX_PAGE - 1).checked_mul(MAX_TAKE).is_some());
    }
}
