//! Where sign-in sends an admin back to: the page they asked for while signed out, carried as
//! `/signin?next=<path>`. The server writes it and the sign-in page follows it; both accept it only
//! through `safe_next`, so `next` can never send anyone to another site (an open redirect).

/// Longer values are not a page anyone asked for.
const NEXT_MAX_LEN: usize = 2048;

/// `raw` when it is a path on this site: it starts with exactly one `/`, and holds no backslash,
/// whitespace or control character (browsers read `/\evil.example` and `/\t/evil.example` as
/// `//evil.example`, another host). Anything else — `//evil.example`, `https://evil.example`,
/// `javascript:…` — is `None`, and the caller uses its default landing page.
pub fn safe_next(raw: &str) -> Option<&str> {
    let mut chars = raw.chars();
    let same_origin_path = chars.next() == Some('/')
        && !matches!(chars.next(), Some('/'))
        && raw.len() <= NEXT_MAX_LEN
        && !raw
            .chars()
            .any(|c| c == '\\' || c.is_whitespace() || c.is_control());
    same_origin_path.then_some(raw)
}

/// The sign-in page that returns to `next` afterwards (plain `/signin` when `next` is not safe).
pub fn signin_path(next: &str) -> String {
    match safe_next(next) {
        Some(next) => format!("/signin?next={}", encode_query_value(next)),
        None => "/signin".to_owned(),
    }
}

/// Percent-encodes everything but unreserved characters and `/`, so the value survives as one
/// query parameter (its own `?`, `&`, `=`, `#` and `%` included).
fn encode_query_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_of_this_site_are_accepted() {
        for path in [
            "/",
            "/acme/billing/development/roles",
            "/acme/billing/development/identities?q=ada&page=2",
            "/acme/billing/production/hierarchy#node",
        ] {
            assert_eq!(safe_next(path), Some(path));
        }
    }

    #[test]
    fn other_sites_and_tricks_are_refused() {
        for evil in [
            "//evil.example",
            "//evil.example/acme/billing/development",
            "https://evil.example",
            "http:/evil.example",
            "javascript:alert(1)",
            "/\\evil.example",
            "\\\\evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            " /acme",
            "acme/billing",
            "",
        ] {
            assert_eq!(safe_next(evil), None, "{evil:?}");
        }
        assert_eq!(safe_next(&format!("/{}", "a".repeat(NEXT_MAX_LEN))), None);
    }

    #[test]
    fn the_sign_in_path_carries_the_page_as_one_parameter() {
        assert_eq!(
            signin_path("/acme/billing/development/identities?q=a%20b&page=2"),
            "/signin?next=/acme/billing/development/identities%3Fq%3Da%2520b%26page%3D2"
        );
        assert_eq!(signin_path("//evil.example"), "/signin");
        assert_eq!(signin_path("/caf%C3%A9"), "/signin?next=/caf%25C3%25A9");
    }
}
