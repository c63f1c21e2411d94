//! Backtests that see the game (issue 11), on the real PostgreSQL harness: `espn_edge` worked by
//! hand, no look-ahead through states or links, orientation at a neutral site, and backfilled
//! rows kept out unless asked for.

use chrono::{DateTime, Duration, Utc};
use precog::testing::test_db;
use serde_json::{json, Value};
use sqlx::PgPool;
use uuid::Uuid;

use crate::fixtures::{at, d, ledger_run, market, parse, series, Market};

const GAME: &str = "401000001";
const SERIES: &str = "KXNFLGAME";

async fn run(pool: &PgPool, event: Value) -> backtest_run::Details {
    let run_id = ledger_run(pool).await;
    backtest_run::backtest(pool, &parse(event), run_id, None, || false)
        .await
        .expect("backtest")
}

/// An ESPN game between team ids 1 (`home_code`) and 2 (`away_code`).
async fn game(pool: &PgPool, home_code: &str, away_code: &str, neutral: bool) {
    sqlx::query(
        "insert into games (espn_event_id, league, scheduled_start, home_team_id,
                            home_team_abbreviation, away_team_id, away_team_abbreviation,
                            neutral_site, status_state, first_seen_at)
         values ($1, 'football/nfl', $2, '1', $3, '2', $4, $5, 'in', $6)",
    )
    .bind(GAME)
    .bind(at(0))
    .bind(home_code)
    .bind(away_code)
    .bind(neutral)
    .bind(at(-600))
    .execute(pool)
    .await
    .expect("game");
}

/// A settled moneyline market and its link to the game.
async fn linked(
    pool: &PgPool,
    ticker: &str,
    yes_side: &str,
    result: &str,
    status: &str,
    knowable_at: DateTime<Utc>,
) {
    market(
        pool,
        Market {
            ticker,
            series: SERIES,
            result: Some(result),
            settlement_ts: Some(at(240)),
            determined_at: Some(at(240)),
        },
    )
    .await;
    sqlx::query(
        "insert into game_links (ticker, event_ticker, series_ticker, league, kind, espn_event_id,
                                 yes_side, line, status, reason, evidence, knowable_at,
                                 matcher_version)
         values ($1, $2, $3, 'football/nfl', 'moneyline', $4, $5, null, $6, 'test', '{}', $7, 1)",
    )
    .bind(ticker)
    .bind(format!("{SERIES}-EV"))
    .bind(SERIES)
    .bind(GAME)
    .bind(yes_side)
    .bind(status)
    .bind(knowable_at)
    .execute(pool)
    .await
    .expect("link");
}

/// A snapshot of YES bid/ask (100 shown each side) from `source`.
async fn quote(pool: &PgPool, ticker: &str, at: DateTime<Utc>, bid: &str, ask: &str, source: &str) {
    sqlx::query(
        "insert into market_snapshots (ticker, observed_at, source, status, yes_bid, yes_ask,
                                       no_bid, no_ask, yes_bid_size, yes_ask_size, raw)
         values ($1, $2, $3, 'active', $4, $5, 1 - $5, 1 - $4, 100, 100, '{}')",
    )
    .bind(ticker)
    .bind(at)
    .bind(source)
    .bind(d(bid))
    .bind(d(ask))
    .execute(pool)
    .await
    .expect("snapshot");
}

/// A live game state: first quarter, `clock` seconds left, ESPN's home win probability.
async fn state(pool: &PgPool, at: DateTime<Utc>, home: &str, clock: i32, source: &str) {
    sqlx::query(
        "insert into game_states (espn_event_id, observed_at, status_state, period, clock_seconds,
                                  display_clock, home_score, away_score, possession_team_id,
                                  home_win_probability, away_win_probability,
                                  win_probability_source, source, raw)
         values ($1, $2, 'in', 1, $3, format('%s:%s', $3 / 60, lpad(($3 % 60)::text, 2, '0')),
                 7, 0, '1', $4, 1 - $4, 'scoreboard', $5, '{}')",
    )
    .bind(GAME)
    .bind(at)
    .bind(clock)
    .bind(d(home))
    .bind(source)
    .execute(pool)
    .await
    .expect("state");
}

fn edge_event(tickers: &[&str], params: Value) -> Value {
    json!({
        "strategy": "espn_edge",
        "tickers": tickers,
        "params": params,
        "start": at(-60),
        "end": at(300),
        "starting_cash": "100",
    })
}

async fn executions(pool: &PgPool, id: Uuid) -> Vec<Value> {
    sqlx::query_scalar(
        "select jsonb_build_object('ticker', ticker, 'side', side, 'contracts', contracts::text,
                'entry_time', entry_time, 'entry_price', entry_price::text,
                'entry_fee', entry_fee::text, 'exit_kind', exit_kind,
                'exit_price', exit_price::text, 'pnl', pnl::text, 'reason', entry_reason)
           from backtest_executions where backtest_id = $1 order by seq",
    )
    .bind(id)
    .fetch_all(pool)
    .await
    .expect("executions")
}

fn time(v: &Value) -> DateTime<Utc> {
    v.as_str()
        .and_then(|s| s.parse().ok())
        .expect("a timestamp")
}

const HOME: &str = "KXNFLGAME-26NOV01BBBAAA-AAA";

#[tokio::test]
async fn espn_edge_buys_once_at_the_first_state_after_the_jump_and_matches_the_hand_pnl() {
    let db = test_db().await;
    let pool = &db.pool;
    series(pool, SERIES, "quadratic", "1").await;
    game(pool, "AAA", "BBB", false).await;
    linked(pool, HOME, "home", "yes", "verified", at(-120)).await;
    // The home market's ask stays at 0.60 while ESPN's home probability goes 0.60 → 0.80 → 0.85.
    quote(pool, HOME, at(0), "0.58", "0.60", "rest").await;
    state(pool, at(5), "0.60", 800, "live").await;
    state(pool, at(10), "0.80", 600, "live").await;
    quote(pool, HOME, at(15), "0.58", "0.60", "rest").await;
    state(pool, at(20), "0.85", 300, "live").await;
    quote(pool, HOME, at(60), "0.70", "0.72", "rest").await;

    let details = run(pool, edge_event(&[HOME], json!({"min_edge": "0.10"}))).await;
    assert_eq!(details.coverage.game_states, 3);
    assert_eq!(details.coverage.linked_markets, 1);
    let best = &details.results[0];
    // 1 YES at 0.60 + fee ⌈0.07 × 0.60 × 0.40 = 0.0168⌉ = 0.02; pays $1 at settlement:
    // 1 − 0.60 − 0.02 = 0.38.
    assert_eq!(best.trades, 1, "bought exactly once");
    assert_eq!(best.net_pnl, d("0.38"));
    assert_eq!(best.fees_paid, d("0.02"));
    let rows = executions(pool, best.id).await;
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!(
        (row["ticker"].as_str(), row["side"].as_str()),
        (Some(HOME), Some("yes"))
    );
    assert_eq!(
        time(&row["entry_time"]),
        at(10),
        "the first state after the jump"
    );
    assert_eq!(row["entry_price"], "0.60");
    assert_eq!(row["entry_fee"], "0.02");
    assert_eq!(row["exit_kind"], "settled");
    assert_eq!(row["pnl"], "0.38");
    let reason = &row["reason"];
    assert_eq!(reason["win_probability"], "0.80");
    assert_eq!(reason["ask"], "0.60");
    assert_eq!(reason["fee"], "0.02");
    assert_eq!(reason["edge"], "0.18");
    assert_eq!(reason["clock"], "10:00");
    assert_eq!(reason["trigger"], "game");
    assert_eq!(time(&reason["quote_at"]), at(0));
}

#[tokio::test]
async fn a_state_a_second_after_a_quote_and_a_link_knowable_later_are_not_seen_early() {
    let db = test_db().await;
    let pool = &db.pool;
    series(pool, SERIES, "quadratic", "1").await;
    game(pool, "AAA", "BBB", false).await;
    // HOME's link is known from the start; the state that makes the edge comes 1 s after a
    // quote: the entry is stamped with the state, never with the quote before it.
    linked(pool, HOME, "home", "yes", "matched", at(-120)).await;
    state(pool, at(-5), "0.50", 900, "live").await;
    quote(pool, HOME, at(0), "0.58", "0.60", "rest").await;
    state(pool, at(0) + Duration::seconds(1), "0.80", 890, "live").await;
    let details = run(pool, edge_event(&[HOME], json!({"min_edge": "0.10"}))).await;
    let rows = executions(pool, details.results[0].id).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(time(&rows[0]["entry_time"]), at(0) + Duration::seconds(1));

    // LATE's link could only be known at +30m: the +1s state does not reach it; its first view of
    // the game is its next quote after that, at +40m.
    const LATE: &str = "KXNFLGAME-26NOV01CCCDDD-DDD";
    linked(pool, LATE, "home", "yes", "matched", at(30)).await;
    quote(pool, LATE, at(0), "0.58", "0.60", "rest").await;
    quote(pool, LATE, at(40), "0.58", "0.60", "rest").await;
    // An ambiguous link naming the game is no link at all.
    const VAGUE: &str = "KXNFLGAME-26NOV01EEEFFF-FFF";
    linked(pool, VAGUE, "home", "yes", "ambiguous", at(-120)).await;
    quote(pool, VAGUE, at(0), "0.58", "0.60", "rest").await;
    quote(pool, VAGUE, at(40), "0.58", "0.60", "rest").await;
    let details = run(
        pool,
        edge_event(&[LATE, VAGUE], json!({"min_edge": "0.10"})),
    )
    .await;
    assert_eq!(
        details.coverage.linked_markets, 1,
        "the ambiguous link is not used"
    );
    let rows = executions(pool, details.results[0].id).await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["ticker"], LATE);
    assert_eq!(time(&rows[0]["entry_time"]), at(40));
    assert_eq!(rows[0]["reason"]["trigger"], "quote");
}

#[tokio::test]
async fn at_a_neutral_site_the_market_of_the_team_espn_favours_is_bought() {
    let db = test_db().await;
    let pool = &db.pool;
    series(pool, SERIES, "quadratic", "1").await;
    // The ticker lists AAA first (Kalshi's away slot), but ESPN has AAA as the home team at this
    // neutral site, and favours it at 0.80.
    game(pool, "AAA", "BBB", true).await;
    const FIRST: &str = "KXNFLGAME-26NOV01AAABBB-AAA";
    const SECOND: &str = "KXNFLGAME-26NOV01AAABBB-BBB";
    linked(pool, FIRST, "home", "yes", "matched", at(-120)).await;
    linked(pool, SECOND, "away", "no", "matched", at(-120)).await;
    quote(pool, FIRST, at(0), "0.58", "0.60", "rest").await;
    quote(pool, SECOND, at(0), "0.38", "0.40", "rest").await;
    state(pool, at(5), "0.80", 600, "live").await;
    // FIRST YES: 0.80 − 0.60 − 0.02 = 0.18. SECOND NO (1 − 0.38 = 0.62): 0.80 − 0.62 − 0.02 =
    // 0.16: the same bet, worse. Read by ticker order (first code = away), SECOND YES would look
    // like 0.80 − 0.40 − 0.02 = 0.38.
    let details = run(
        pool,
        edge_event(&[FIRST, SECOND], json!({"min_edge": "0.10"})),
    )
    .await;
    let rows = executions(pool, details.results[0].id).await;
    assert_eq!(rows.len(), 1, "one position per game and kind: {rows:?}");
    assert_eq!(
        (rows[0]["ticker"].as_str(), rows[0]["side"].as_str()),
        (Some(FIRST), Some("yes"))
    );
    assert_eq!(rows[0]["reason"]["edge"], "0.18");
    assert_eq!(details.results[0].net_pnl, d("0.38"));
}

#[tokio::test]
async fn backfilled_quotes_and_states_are_replayed_only_when_asked_and_the_result_says_so() {
    let db = test_db().await;
    let pool = &db.pool;
    series(pool, SERIES, "quadratic", "1").await;
    game(pool, "AAA", "BBB", false).await;
    linked(pool, HOME, "home", "yes", "matched", at(-120)).await;
    // The only quotes are materialised from candles; the state is live.
    quote(pool, HOME, at(0), "0.58", "0.60", "backfill").await;
    quote(pool, HOME, at(1), "0.58", "0.60", "backfill").await;
    state(pool, at(5), "0.80", 600, "live").await;
    let stored = |id: Uuid| async move {
        sqlx::query_as::<_, (String, String, i64, i64, i64)>(
            "select quotes, game_states, snapshots_replayed, backfill_snapshots,
                    backfill_game_states
               from backtest_results where id = $1",
        )
        .bind(id)
        .fetch_one(pool)
        .await
        .expect("result")
    };

    let default = run(pool, edge_event(&[HOME], json!({"min_edge": "0.10"}))).await;
    assert_eq!(default.coverage.snapshots, 0);
    assert_eq!(default.results[0].trades, 0);
    assert_eq!(
        stored(default.results[0].id).await,
        ("live".into(), "live".into(), 0, 0, 0)
    );

    let mut event = edge_event(&[HOME], json!({"min_edge": "0.10"}));
    event["quotes"] = json!("both");
    let both = run(pool, event).await;
    assert_eq!(both.results[0].trades, 1);
    assert_eq!(
        stored(both.results[0].id).await,
        ("both".into(), "live".into(), 2, 2, 0),
        "the result records that it ran on backfilled quotes"
    );

    // Now live quotes, and the only state that shows an edge reconstructed after the game.
    const OTHER: &str = "KXNFLGAME-26NOV01CCCDDD-DDD";
    linked(pool, OTHER, "home", "yes", "matched", at(-120)).await;
    quote(pool, OTHER, at(0), "0.58", "0.60", "rest").await;
    sqlx::query("update game_states set source = 'backfill' where espn_event_id = $1")
        .bind(GAME)
        .execute(pool)
        .await
        .expect("backfill");
    let live_only = run(pool, edge_event(&[OTHER], json!({"min_edge": "0.10"}))).await;
    assert_eq!(live_only.coverage.game_states, 0);
    assert_eq!(live_only.results[0].trades, 0);
    let mut event = edge_event(&[OTHER], json!({"min_edge": "0.10"}));
    event["game_states"] = json!("both");
    let with_backfill = run(pool, event).await;
    assert_eq!(with_backfill.results[0].trades, 1);
    assert_eq!(
        stored(with_backfill.results[0].id).await,
        ("live".into(), "both".into(), 1, 0, 1)
    );
}

#[tokio::test]
async fn the_state_a_game_was_in_when_the_window_opened_is_seen_from_the_first_quote() {
    let db = test_db().await;
    let pool = &db.pool;
    series(pool, SERIES, "quadratic", "1").await;
    game(pool, "AAA", "BBB", false).await;
    linked(pool, HOME, "home", "yes", "matched", at(-120)).await;
    // Observed before the window (which starts at −60m); a later backfilled state is not used.
    state(pool, at(-90), "0.80", 600, "live").await;
    state(pool, at(-80), "0.40", 500, "backfill").await;
    quote(pool, HOME, at(0), "0.58", "0.60", "rest").await;
    let details = run(pool, edge_event(&[HOME], json!({"min_edge": "0.10"}))).await;
    assert_eq!(
        details.coverage.game_states, 0,
        "no state inside the window"
    );
    let rows = executions(pool, details.results[0].id).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(time(&rows[0]["entry_time"]), at(0));
    assert_eq!(rows[0]["reason"]["trigger"], "quote");
    assert_eq!(time(&rows[0]["reason"]["state_observed_at"]), at(-90));
}

#[tokio::test]
async fn espn_edge_parameters_sweep_like_any_strategy() {
    let db = test_db().await;
    let pool = &db.pool;
    series(pool, SERIES, "quadratic", "1").await;
    game(pool, "AAA", "BBB", false).await;
    linked(pool, HOME, "home", "yes", "verified", at(-120)).await;
    quote(pool, HOME, at(0), "0.58", "0.60", "rest").await;
    state(pool, at(10), "0.80", 600, "live").await;
    state(pool, at(20), "0.85", 300, "live").await;
    // Edges: 0.18 at +10m, 0.23 at +20m. min_edge 0.20 waits for the second state; 0.25 never
    // trades; a first-period-only rule still trades (both states are in period 1).
    let details = run(
        pool,
        edge_event(
            &[HOME],
            json!({"min_edge": ["0.10", "0.20", "0.25"], "max_period": 1}),
        ),
    )
    .await;
    assert_eq!(details.combinations, 3);
    let mut by_edge: Vec<(String, usize)> = details
        .results
        .iter()
        .map(|r| {
            (
                r.params["min_edge"].as_str().unwrap_or("").to_owned(),
                r.trades,
            )
        })
        .collect();
    by_edge.sort();
    assert_eq!(
        by_edge,
        vec![("0.10".into(), 1), ("0.20".into(), 1), ("0.25".into(), 0)]
    );
    let twenty = details
        .results
        .iter()
        .find(|r| r.params["min_edge"] == "0.20")
        .expect("combination");
    let rows = executions(pool, twenty.id).await;
    assert_eq!(time(&rows[0]["entry_time"]), at(20));
    assert_eq!(rows[0]["reason"]["edge"], "0.23");
}
