use std::collections::HashMap;

use axum::extract::{FromRequestParts, RawQuery};
use axum::http::request::Parts;
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::ApiError;

/// The query string as name → value, so each handler parses its parameters by name and every
/// refusal names the parameter (axum's `Query` would answer a plain-text 400 for the whole string).
#[derive(Debug, Default)]
pub struct Params {
    values: HashMap<String, String>,
}

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let RawQuery(raw) = RawQuery::from_request_parts(parts, state)
            .await
            .unwrap_or(RawQuery(None));
        let mut values = HashMap::new();
        for (name, value) in url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
            if values.insert(name.to_string(), value.to_string()).is_some() {
                return Err(ApiError::bad(&name, "given more than once"));
            }
        }
        Ok(Self { values })
    }
}

/// Longest text parameter we accept: titles and tickers are far shorter.
const MAX_TEXT: usize = 200;

impl Params {
    /// Refuses any parameter the endpoint does not know, so a typo is a 400, not a silent no-op.
    pub fn only(&self, known: &[&str]) -> Result<(), ApiError> {
        let mut unknown: Vec<&String> = self
            .values
            .keys()
            .filter(|k| !known.contains(&k.as_str()))
            .collect();
        unknown.sort();
        match unknown.first() {
            Some(name) => Err(ApiError::bad(
                name,
                format!(
                    "unknown parameter; this endpoint takes {}",
                    known.join(", ")
                ),
            )),
            None => Ok(()),
        }
    }

    /// A free-text parameter: at most 200 characters, no control characters (PostgreSQL refuses
    /// NUL in text, which would otherwise surface as a 500).
    pub fn text(&self, name: &str) -> Result<Option<String>, ApiError> {
        match self.values.get(name) {
            None => Ok(None),
            Some(v) => text_value(name, v).map(Some),
        }
    }

    /// A ticker-like identifier (see [`identifier`]).
    pub fn identifier(&self, name: &str) -> Result<Option<String>, ApiError> {
        match self.values.get(name) {
            None => Ok(None),
            Some(v) => identifier(name, v).map(Some),
        }
    }

    /// One of a fixed set of words.
    pub fn choice(&self, name: &str, allowed: &[&str]) -> Result<Option<String>, ApiError> {
        match self.values.get(name) {
            None => Ok(None),
            Some(v) if allowed.contains(&v.as_str()) => Ok(Some(v.clone())),
            Some(v) => Err(ApiError::bad(
                name,
                format!("`{}` is not one of {}", clip(v), allowed.join(", ")),
            )),
        }
    }

    /// An RFC 3339 timestamp with an offset (`2026-11-21T18:00:00Z`).
    pub fn time(&self, name: &str) -> Result<Option<DateTime<Utc>>, ApiError> {
        match self.values.get(name) {
            None => Ok(None),
            Some(v) => DateTime::parse_from_rfc3339(v.trim())
                .map(|t| Some(t.with_timezone(&Utc)))
                .map_err(|_| {
                    ApiError::bad(
                        name,
                        format!(
                            "`{}` is not an RFC 3339 time such as 2026-11-21T18:00:00Z",
                            clip(v)
                        ),
                    )
                }),
        }
    }

    /// A whole number within `min..=max`, or `default` when absent.
    pub fn int(&self, name: &str, min: i64, max: i64, default: i64) -> Result<i64, ApiError> {
        match self.values.get(name) {
            None => Ok(default),
            Some(v) => match v.trim().parse::<i64>() {
                Ok(n) if (min..=max).contains(&n) => Ok(n),
                _ => Err(ApiError::bad(
                    name,
                    format!("`{}` is not a whole number from {min} to {max}", clip(v)),
                )),
            },
        }
    }

    /// The page size: 1..=max, default `default`.
    pub fn limit(&self, default: i64, max: i64) -> Result<i64, ApiError> {
        self.int("limit", 1, max, default)
    }

    /// A date `YYYY-MM-DD`.
    pub fn date(&self, name: &str) -> Result<Option<chrono::NaiveDate>, ApiError> {
        match self.values.get(name) {
            None => Ok(None),
            Some(v) => chrono::NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d")
                .map(Some)
                .map_err(|_| {
                    ApiError::bad(name, format!("`{}` is not a date YYYY-MM-DD", clip(v)))
                }),
        }
    }

    /// The `cursor` parameter decoded for the endpoint `kind`; empty (`cursor=`, as a client
    /// that always sends the parameter does for the first page) is the first page.
    pub fn cursor<T: DeserializeOwned>(&self, kind: &str) -> Result<Option<T>, ApiError> {
        match self.values.get("cursor").map(|v| v.trim()) {
            None | Some("") => Ok(None),
            Some(v) => decode_cursor(kind, v).map(Some),
        }
    }
}

pub fn text_value(name: &str, v: &str) -> Result<String, ApiError> {
    if v.chars().count() > MAX_TEXT {
        return Err(ApiError::bad(
            name,
            format!("longer than {MAX_TEXT} characters"),
        ));
    }
    if v.chars().any(char::is_control) {
        return Err(ApiError::bad(name, "contains control characters"));
    }
    Ok(v.to_owned())
}

/// Kalshi tickers and ESPN ids: letters, digits, `-`, `_`, `.`, 1 to 100 characters.
pub fn identifier(name: &str, v: &str) -> Result<String, ApiError> {
    let ok = !v.is_empty()
        && v.len() <= 100
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(v.to_owned())
    } else {
        Err(ApiError::bad(
            name,
            format!(
                "`{}` is not an identifier (letters, digits, -, _, . ; at most 100)",
                clip(v)
            ),
        ))
    }
}

/// A value echoed in an error message, cut short and stripped of control characters.
fn clip(v: &str) -> String {
    v.chars().filter(|c| !c.is_control()).take(60).collect()
}

#[derive(Serialize, serde::Deserialize)]
struct Envelope<T> {
    k: String,
    #[serde(rename = "v")]
    value: T,
}

/// An opaque keyset cursor: the sort key of the last row sent, tagged with the endpoint so one
/// endpoint's cursor is refused by another. Hex of JSON: opaque to clients, trivial to debug.
pub fn encode_cursor<T: Serialize>(kind: &str, value: T) -> String {
    let envelope = Envelope {
        k: kind.to_owned(),
        value,
    };
    hex::encode(serde_json::to_vec(&envelope).unwrap_or_default())
}

fn decode_cursor<T: DeserializeOwned>(kind: &str, raw: &str) -> Result<T, ApiError> {
    let bad = || ApiError::bad("cursor", "not a cursor this endpoint issued");
    let bytes = hex::decode(raw.trim()).map_err(|_| bad())?;
    let envelope: Envelope<T> = serde_json::from_slice(&bytes).map_err(|_| bad())?;
    if envelope.k != kind {
        return Err(bad());
    }
    Ok(envelope.value)
}

/// A page of results and the cursor for the next one (absent on the last page).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; absent when this is the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Builds a page from up to `limit + 1` rows: the extra row only says another page exists.
    pub fn from_rows<K: Serialize>(
        kind: &str,
        mut rows: Vec<T>,
        limit: i64,
        key: impl Fn(&T) -> K,
    ) -> Self {
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        let next_cursor = if rows.len() > limit {
            rows.truncate(limit);
            rows.last().map(|last| encode_cursor(kind, key(last)))
        } else {
            None
        };
        Self {
            items: rows,
            next_cursor,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_round_trips_and_is_refused_by_another_endpoint() {
        let c = encode_cursor("markets", "KX-1");
        assert_eq!(
            decode_cursor::<String>("markets", &c).expect("decodes"),
            "KX-1"
        );
        assert!(decode_cursor::<String>("events", &c).is_err());
        assert!(decode_cursor::<String>("markets", "zz").is_err());
    }

    #[test]
    fn identifiers_refuse_spaces_and_quotes() {
        assert!(identifier("ticker", "KXNFLGAME-25NOV20-BUF").is_ok());
        assert!(identifier("ticker", "a b").is_err());
        assert!(identifier("ticker", "x'--").is_err());
        assert!(identifier("ticker", "").is_err());
    }

    #[test]
    fn text_refuses_nul() {
        assert!(text_value("q", "a\0b").is_err());
    }
}
