//! Types that exist only to describe query parameters exactly in the OpenAPI document (the
//! handlers parse with [`crate::query::Params`], which names the parameter at fault). Each enum
//! lists exactly the words its handler's `Params::choice` accepts; the patterns below are the
//! ones `query::identifier` and `query::text_value` enforce.

use utoipa::ToSchema;

/// `query::identifier`: letters, digits, `-`, `_`, `.`; 1 to 100 characters.
pub const IDENTIFIER_PATTERN: &str = "^[A-Za-z0-9._-]{1,100}$";
/// `query::text_value`: no control characters (C0, DEL, C1); at most 200 characters.
pub const TEXT_PATTERN: &str = "^[^\\u0000-\\u001f\\u007f-\\u009f]*$";
/// `query::encode_cursor`: lowercase hex; empty means the first page.
pub const CURSOR_PATTERN: &str = "^[0-9a-f]*$";

/// A game's ESPN state.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum GameStateParam {
    Pre,
    In,
    Post,
}

/// A collection run's status.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum RunStatusParam {
    Running,
    Ok,
    Failed,
    Skipped,
}

/// Where a trade or position happened (ADR-107).
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum ExecutionEnvironmentParam {
    Live,
    Paper,
    Backtest,
}

/// A position's status.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum PositionStatusParam {
    Open,
    Closed,
    Settled,
}

/// What the linker concluded about a game-series market (`game_links.status`).
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum LinkStatusParam {
    Matched,
    Verified,
    Ambiguous,
    Unmatched,
    Cancelled,
    NotAGame,
}

/// A candlestick period (`kalshi_candles.period`).
#[derive(ToSchema)]
pub enum CandlePeriodParam {
    #[schema(rename = "1m")]
    OneMinute,
    #[schema(rename = "1h")]
    OneHour,
    #[schema(rename = "1d")]
    OneDay,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The document declares the patterns the parsers enforce: every textual path identifier
    /// carries IDENTIFIER_PATTERN and every cursor CURSOR_PATTERN.
    #[test]
    fn the_document_declares_the_patterns_the_parsers_enforce() {
        let doc = serde_json::to_value(crate::app::openapi()).expect("json");
        let mut checked = 0;
        for (path, item) in doc["paths"].as_object().expect("paths") {
            for p in item["get"]["parameters"].as_array().into_iter().flatten() {
                let name = p["name"].as_str().expect("name");
                let schema = &p["schema"];
                if p["in"] == "path" && schema["format"].is_null() {
                    assert_eq!(schema["pattern"], IDENTIFIER_PATTERN, "{path} {name}");
                    checked += 1;
                }
                if name == "cursor" {
                    assert_eq!(schema["pattern"], CURSOR_PATTERN, "{path}");
                    checked += 1;
                }
            }
        }
        assert!(checked >= 15, "only {checked} parameters checked");
        // And the parsers agree at the edges the patterns draw.
        assert!(crate::query::identifier("x", &"a".repeat(100)).is_ok());
        assert!(crate::query::identifier("x", &"a".repeat(101)).is_err());
        assert!(crate::query::identifier("x", "KX.A_B-1").is_ok());
        assert!(crate::query::text_value("q", "a\u{85}b").is_err());
        assert!(TEXT_PATTERN.contains("\\u007f-\\u009f"));
    }
}
