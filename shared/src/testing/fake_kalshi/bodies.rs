//! Bodies shaped like Kalshi's (docs/kalshi-api.md §3), for tests to hand the fake.

use serde_json::{json, Value};

/// A market shaped like docs/kalshi-api.md §3.
pub fn market_json(ticker: &str, event_ticker: &str, yes_bid: &str, yes_ask: &str) -> Value {
    json!({
        "ticker": ticker,
        "event_ticker": event_ticker,
        "market_type": "binary",
        "title": "Dallas at New York G Winner?",
        "subtitle": "",
        "yes_sub_title": "Dallas",
        "no_sub_title": "Dallas",
        "created_time": "2026-08-20T14:02:11.512043Z",
        "updated_time": "2026-09-10T09:15:00Z",
        "open_time": "2026-08-20T14:00:00Z",
        "close_time": "2026-09-27T17:00:00Z",
        "expected_expiration_time": "2026-09-14T03:00:00Z",
        "expiration_time": "2026-09-27T17:00:00Z",
        "latest_expiration_time": "2026-09-27T17:00:00Z",
        "settlement_timer_seconds": 300,
        "status": "active",
        "yes_bid_dollars": yes_bid,
        "yes_bid_size_fp": "1250.00",
        "yes_ask_dollars": yes_ask,
        "yes_ask_size_fp": "830.00",
        "no_bid_dollars": "0.4300",
        "no_ask_dollars": "0.4400",
        "last_price_dollars": "0.5700",
        "previous_yes_bid_dollars": "0.5400",
        "previous_yes_ask_dollars": "0.5500",
        "previous_price_dollars": "0.5500",
        "volume_fp": "412390.00",
        "volume_24h_fp": "38120.50",
        "open_interest_fp": "201775.00",
        "notional_value_dollars": "1.0000",
        "liquidity_dollars": "0.0000",
        "result": "",
        "can_close_early": true,
        "expiration_value": "",
        "occurrence_datetime": null,
        "early_close_condition": "This market will close and expire early if the event occurs.",
        "strike_type": "structured",
        "custom_strike": { "football_team": "6f1c2d3e-0000-4000-8000-00000000da11" },
        "rules_primary": "If Dallas wins the game, then the market resolves to Yes.",
        "rules_secondary": "",
        "price_level_structure": "linear_cent",
        "price_ranges": [ { "start": "0.0000", "end": "1.0000", "step": "0.0100" } ],
        "exchange_index": 0
    })
}

pub fn event_json(event_ticker: &str, series_ticker: &str) -> Value {
    json!({
        "event_ticker": event_ticker,
        "series_ticker": series_ticker,
        "sub_title": "On Sep 13, 2026",
        "title": "Dallas at New York G",
        "collateral_return_type": "",
        "mutually_exclusive": true,
        "strike_date": null,
        "strike_period": "",
        "available_on_brokers": false,
        "product_metadata": null,
        "settlement_sources": [{"name": "ESPN", "url": "https://www.espn.com"}],
        "last_updated_ts": "2026-09-10T09:15:00Z",
        "exchange_index": 0
    })
}

pub fn series_json(ticker: &str) -> Value {
    json!({
        "ticker": ticker,
        "frequency": "custom",
        "title": "Pro football game",
        "category": "Sports",
        "tags": ["Football"],
        "settlement_sources": [{"name": "ESPN", "url": "https://www.espn.com"}],
        "contract_url": "https://kalshi.com/contract.pdf",
        "contract_terms_url": "https://kalshi.com/terms.pdf",
        "product_metadata": null,
        "fee_type": "quadratic",
        "fee_multiplier": 1,
        "additional_prohibitions": [],
        "volume_fp": "1000.00",
        "last_updated_ts": "2026-09-01T00:00:00Z",
        "exchange_index": 0
    })
}
