//! Query parsing and paging, as Kalshi's list endpoints do it.

use serde_json::Value;

pub(super) fn params(query: &Option<String>) -> Vec<(String, String)> {
    url::form_urlencoded::parse(query.as_deref().unwrap_or_default().as_bytes())
        .into_owned()
        .collect()
}

pub(super) fn param(params: &[(String, String)], key: &str) -> Option<String> {
    params
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.clone())
}

pub(super) fn is_open(market: &Value) -> bool {
    matches!(market["status"].as_str(), Some("active" | "inactive"))
}

/// Pages `items`: the cursor is the next offset, empty on the last page.
pub(super) fn page(
    items: Vec<Value>,
    params: &[(String, String)],
    page_size: usize,
    repeat: bool,
) -> (Vec<Value>, String) {
    let limit = param(params, "limit")
        .and_then(|l| l.parse::<usize>().ok())
        .unwrap_or(100)
        .min(page_size);
    let offset = param(params, "cursor")
        .and_then(|c| c.trim_start_matches("off-").parse::<usize>().ok())
        .unwrap_or(0);
    let end = (offset + limit).min(items.len());
    let slice = items
        .get(offset..end)
        .map(<[Value]>::to_vec)
        .unwrap_or_default();
    let cursor = if repeat {
        "off-0".to_owned()
    } else if end < items.len() {
        format!("off-{end}")
    } else {
        String::new()
    };
    (slice, cursor)
}
