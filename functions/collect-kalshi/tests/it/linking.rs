//! Games meet markets, end to end (issue 10, tests 1–9 and 11): Kalshi markets through
//! collect-kalshi from the fake Kalshi, ESPN games through collect-espn from the fake ESPN, both on
//! loopback, into one real PostgreSQL; each collector runs the linker at the end of its pass.

use collect_espn::CollectEspn;
use precog::espn::DEFAULT_USER_AGENT;
use precog::runner::{invoke, Report, Summary, Trigger};
use precog::testing::{test_db, TestDb};
use serde_json::{json, Value};
use sqlx::Row;

use precog::testing::fake_espn::{self, FakeEspn, Side};
use precog::testing::fake_kalshi::{market_json, settings, FakeKalshi};

const NFL: &str = "football/nfl";
const NCAAF: &str = "football/college-football";
const MLB: &str = "baseball/mlb";
const NHL: &str = "hockey/nhl";
const WNBA: &str = "basketball/wnba";

/// Both fakes, both functions, one database.
struct World {
    db: TestDb,
    kalshi: FakeKalshi,
    espn: FakeEspn,
    collect_kalshi: collect_kalshi::CollectKalshi,
    collect_espn: CollectEspn,
}

impl World {
    async fn start() -> Self {
        let db = test_db().await;
        let kalshi = FakeKalshi::start().await;
        let espn = FakeEspn::start().await;
        let kalshi_client = settings(&kalshi.base_url).client().expect("kalshi client");
        let espn_client = fake_espn::settings(&espn.base_url, DEFAULT_USER_AGENT)
            .client()
            .expect("espn client");
        Self {
            collect_kalshi: collect_kalshi::CollectKalshi::new(db.pool.clone(), kalshi_client),
            collect_espn: CollectEspn::new(db.pool.clone(), espn_client),
            db,
            kalshi,
            espn,
        }
    }

    async fn kalshi_pass(&self, event: Value) -> Summary {
        completed(
            invoke(
                &self.collect_kalshi,
                &self.db.pool,
                event,
                Trigger::Manual,
                None,
            )
            .await,
        )
    }

    /// One ESPN pass over `league` (no game is live, so it is one pass).
    async fn espn_pass(&self, league: &str) -> Summary {
        let event = json!({"leagues": [league], "date": "20261122", "max_seconds": 5});
        completed(
            invoke(
                &self.collect_espn,
                &self.db.pool,
                event,
                Trigger::Manual,
                None,
            )
            .await,
        )
    }

    /// Kalshi first, then ESPN: the usual order within five minutes.
    async fn both(&self, league: &str) {
        self.kalshi_pass(json!({})).await;
        self.espn_pass(league).await;
    }

    async fn link(&self, ticker: &str) -> Link {
        let row = sqlx::query(
            "select status, espn_event_id, yes_side, line::text, flagged, reason, checks, evidence,
                    event_date::text, knowable_at <= now() as knowable
               from game_links where ticker = $1",
        )
        .bind(ticker)
        .fetch_one(&self.db.pool)
        .await
        .unwrap_or_else(|e| panic!("no link row for {ticker}: {e}"));
        Link {
            status: row.get("status"),
            game: row.get("espn_event_id"),
            yes_side: row.get("yes_side"),
            line: row.get("line"),
            flagged: row.get("flagged"),
            reason: row.get("reason"),
            checks: row.get("checks"),
            evidence: row.get("evidence"),
            event_date: row.get("event_date"),
        }
    }

    /// `(ticker, xmin, updated_at)` of every link: what a rewrite would change.
    async fn versions(&self) -> Vec<(String, String, String)> {
        sqlx::query_as(
            "select ticker, xmin::text, updated_at::text from game_links order by ticker",
        )
        .fetch_all(&self.db.pool)
        .await
        .expect("versions")
    }
}

fn completed(report: Report) -> Summary {
    match report {
        Report::Completed(summary) => {
            assert_eq!(
                summary.status,
                precog::db::runs::RunStatus::Ok,
                "{summary:?}"
            );
            summary
        }
        other => panic!("expected a completed run, got {other:?}"),
    }
}

#[derive(Debug)]
struct Link {
    status: String,
    game: Option<String>,
    yes_side: Option<String>,
    line: Option<String>,
    flagged: bool,
    reason: String,
    checks: Value,
    evidence: Value,
    event_date: Option<String>,
}

impl Link {
    fn check(&self, name: &str) -> Option<&Value> {
        self.checks
            .as_array()
            .and_then(|c| c.iter().find(|c| c["check"] == name))
    }
}

/// Moneyline markets of an event, one per team code.
fn moneylines(event: &str, codes: &[&str]) -> Vec<Value> {
    codes
        .iter()
        .map(|code| market_json(&format!("{event}-{code}"), event, "0.5000", "0.5100"))
        .collect()
}

fn team<'a>(id: &'a str, abbreviation: &'a str, score: &'a str) -> Side<'a> {
    fake_espn::side(id, abbreviation, score)
}

/// An ESPN scoreboard event (reference §8) starting at `start` (UTC, minute precision).
fn game(id: &str, start: &str, status: Value, home: Side, away: Side, neutral: bool) -> Value {
    let mut event = fake_espn::event(id, status, home, away, None);
    event["date"] = json!(start);
    event["competitions"][0]["date"] = json!(start);
    event["competitions"][0]["startDate"] = json!(start);
    event["competitions"][0]["neutralSite"] = json!(neutral);
    event
}

#[tokio::test]
async fn a_monday_night_ticker_matches_by_its_eastern_date_the_game_at_00_15z_next_day() {
    // Test 1: KXNFLGAME-25SEP08MINCHI kicked off at 2025-09-09T00:15Z.
    let w = World::start().await;
    let event = "KXNFLGAME-25SEP08MINCHI";
    let mut markets = moneylines(event, &["MIN", "CHI"]);
    // Kalshi's structured targets name each market's YES team (reference §8).
    markets[0]["custom_strike"] = json!({"football_team": "uuid-min"});
    markets[1]["custom_strike"] = json!({"football_team": "uuid-chi"});
    w.kalshi.add_markets(markets);
    w.kalshi.add_milestone(json!({
        "id": "ms-1", "category": "Sports", "type": "football_game",
        "start_date": "2025-09-09T00:15:00Z", "end_date": null, "title": "Vikings at Bears",
        "related_event_tickers": [event], "primary_event_tickers": [event],
        "details": {"home_team_id": "uuid-chi", "away_team_id": "uuid-min", "league": "NFL"},
        "source_id": null, "source_ids": null, "last_updated_ts": "2025-09-01T00:00:00Z"
    }));
    w.espn.set_events(
        NFL,
        vec![game(
            "401772510",
            "2025-09-09T00:15Z",
            fake_espn::scheduled(),
            team("3", "CHI", "0"),
            team("16", "MIN", "0"),
            false,
        )],
    );

    let kalshi = w.kalshi_pass(json!({})).await;
    assert_eq!(
        w.link(&format!("{event}-MIN")).await.status,
        "unmatched",
        "no games yet"
    );
    assert_eq!(
        kalshi.details["linking"]["statuses"]["unmatched"], 2,
        "{kalshi:?}"
    );
    let espn = w.espn_pass(NFL).await;
    assert_eq!(espn.details["linking"]["links_updated"], 2, "{espn:?}");

    let min = w.link(&format!("{event}-MIN")).await;
    let chi = w.link(&format!("{event}-CHI")).await;
    assert_eq!(min.status, "matched", "{min:?}");
    assert_eq!(min.game.as_deref(), Some("401772510"));
    assert_eq!(min.event_date.as_deref(), Some("2025-09-08"));
    assert_eq!(
        (min.yes_side.as_deref(), chi.yes_side.as_deref()),
        (Some("away"), Some("home"))
    );
    assert_eq!(
        min.evidence["milestone"]["id"], "ms-1",
        "{:?}",
        min.evidence
    );
    assert_eq!(
        min.check("milestone_start").map(|c| c["ok"].clone()),
        Some(json!(true))
    );
    assert_eq!(
        min.check("moneylines_cover_both").map(|c| c["ok"].clone()),
        Some(json!(true))
    );
    // The game was seen after the market: the link was knowable only from then.
    let (knowable, market_seen, game_seen): (String, String, String) = sqlx::query_as(
        "select l.knowable_at::text, m.first_seen_at::text, g.first_seen_at::text
           from game_links l join markets m using (ticker) join games g using (espn_event_id)
          where l.ticker = $1",
    )
    .bind(format!("{event}-MIN"))
    .fetch_one(&w.db.pool)
    .await
    .expect("knowable_at");
    assert!(market_seen < game_seen, "{market_seen} {game_seen}");
    assert_eq!(knowable, game_seen);

    // The matched pair taught the linker Kalshi's target ids; a relink then checks the
    // milestone's home/away and each custom_strike against ESPN.
    let targets: i64 = sqlx::query_scalar(
        "select count(*) from team_aliases where provider = 'kalshi_target' and source = 'learned'
            and ((code = 'uuid-chi' and espn_team_id = '3') or (code = 'uuid-min' and espn_team_id = '16'))",
    )
    .fetch_one(&w.db.pool)
    .await
    .expect("targets");
    assert_eq!(targets, 2);
    w.kalshi_pass(json!({"relink": true})).await;
    let min = w.link(&format!("{event}-MIN")).await;
    assert_eq!(
        min.check("milestone_home_away").map(|c| c["ok"].clone()),
        Some(json!(true)),
        "{:?}",
        min.checks
    );
    assert_eq!(
        min.check("custom_strike_team").map(|c| c["ok"].clone()),
        Some(json!(true))
    );
    assert_eq!(min.status, "matched");
}

#[tokio::test]
async fn jac_is_jacksonville_where_espn_says_jax() {
    // Test 2: KXNFLGAME-26SEP13CLEJAC-JAC; ESPN's home team is JAX (id 30).
    let w = World::start().await;
    let event = "KXNFLGAME-26SEP13CLEJAC";
    w.kalshi.add_markets(moneylines(event, &["CLE", "JAC"]));
    w.espn.set_events(
        NFL,
        vec![game(
            "401800013",
            "2026-09-13T17:00Z",
            fake_espn::scheduled(),
            team("30", "JAX", "0"),
            team("5", "CLE", "0"),
            false,
        )],
    );
    w.both(NFL).await;

    let jac = w.link(&format!("{event}-JAC")).await;
    assert_eq!(
        (jac.status.as_str(), jac.game.as_deref()),
        ("matched", Some("401800013")),
        "{jac:?}"
    );
    assert_eq!(jac.yes_side.as_deref(), Some("home"));
    assert_eq!(
        w.link(&format!("{event}-CLE")).await.yes_side.as_deref(),
        Some("away")
    );
}

#[tokio::test]
async fn yes_on_alabama_at_missouri_is_away_from_espn_not_from_the_ticker() {
    // Test 3: KXNCAAFBGAME-25OCT11ALAMIZZ-ALA; ESPN's home team is MIZ. The series is not
    // seeded: it is discovered from GET /series?category=Sports (token NCAAFB).
    let w = World::start().await;
    let event = "KXNCAAFBGAME-25OCT11ALAMIZZ";
    w.kalshi.add_markets(moneylines(event, &["ALA", "MIZZ"]));
    w.espn.set_events(
        NCAAF,
        vec![game(
            "401752700",
            "2025-10-11T16:00Z",
            fake_espn::scheduled(),
            team("142", "MIZ", "0"),
            team("333", "ALA", "0"),
            false,
        )],
    );
    w.espn_pass(NCAAF).await;
    w.kalshi_pass(json!({})).await;

    let discovered: String = sqlx::query_scalar(
        "select source || ' ' || league || ' ' || kind from game_series where series_ticker = 'KXNCAAFBGAME'",
    )
    .fetch_one(&w.db.pool)
    .await
    .expect("discovered series");
    assert_eq!(discovered, "discovered football/college-football moneyline");
    let ala = w.link(&format!("{event}-ALA")).await;
    assert_eq!(
        (ala.status.as_str(), ala.game.as_deref()),
        ("matched", Some("401752700")),
        "{ala:?}"
    );
    assert_eq!(
        ala.yes_side.as_deref(),
        Some("away"),
        "YES on ALA is the away team"
    );
    assert_eq!(
        w.link(&format!("{event}-MIZZ")).await.yes_side.as_deref(),
        Some("home")
    );
    // ALA is ESPN's own abbreviation, unique in the league: learned as an alias.
    let learned: i64 = sqlx::query_scalar(
        "select count(*) from team_aliases where source = 'learned' and code = 'ALA' and espn_team_id = '333'",
    )
    .fetch_one(&w.db.pool)
    .await
    .expect("learned");
    assert_eq!(learned, 1);
}

#[tokio::test]
async fn doubleheader_games_go_by_g1_and_g2_and_without_a_suffix_are_ambiguous() {
    // Test 4: DET at CLE twice on 2026-09-04.
    let w = World::start().await;
    for event in [
        "KXMLBGAME-26SEP04DETCLEG1",
        "KXMLBGAME-26SEP04DETCLEG2",
        "KXMLBGAME-26SEP04DETCLE",
    ] {
        w.kalshi.add_markets(moneylines(event, &["DET", "CLE"]));
    }
    w.espn.set_events(
        MLB,
        vec![
            game(
                "401900002",
                "2026-09-04T23:10Z",
                fake_espn::scheduled(),
                team("5", "CLE", "0"),
                team("6", "DET", "0"),
                false,
            ),
            game(
                "401900001",
                "2026-09-04T17:10Z",
                fake_espn::scheduled(),
                team("5", "CLE", "0"),
                team("6", "DET", "0"),
                false,
            ),
        ],
    );
    w.both(MLB).await;

    let g1 = w.link("KXMLBGAME-26SEP04DETCLEG1-DET").await;
    let g2 = w.link("KXMLBGAME-26SEP04DETCLEG2-CLE").await;
    assert_eq!(
        (g1.status.as_str(), g1.game.as_deref()),
        ("matched", Some("401900001")),
        "{g1:?}"
    );
    assert_eq!(
        (g2.status.as_str(), g2.game.as_deref()),
        ("matched", Some("401900002")),
        "{g2:?}"
    );
    assert_eq!(g2.yes_side.as_deref(), Some("home"));
    let plain = w.link("KXMLBGAME-26SEP04DETCLE-DET").await;
    assert_eq!(plain.status, "ambiguous", "{plain:?}");
    assert_eq!(plain.game, None);
    assert_eq!(
        plain.evidence["candidates"].as_array().map(Vec::len),
        Some(2),
        "{:?}",
        plain.evidence
    );
}

#[tokio::test]
async fn a_postponed_game_stays_unmatched_until_its_makeup_game_appears() {
    // Test 5: NYY at BOS on 20 July is postponed; the makeup is the next afternoon.
    let w = World::start().await;
    let event = "KXMLBGAME-26JUL20NYYBOS";
    w.kalshi.add_markets(moneylines(event, &["NYY", "BOS"]));
    let postponed = game(
        "401910001",
        "2026-07-20T23:10Z",
        fake_espn::postponed(),
        team("2", "BOS", "0"),
        team("10", "NYY", "0"),
        false,
    );
    w.espn.set_events(MLB, vec![postponed.clone()]);
    w.both(MLB).await;

    let before = w.link(&format!("{event}-NYY")).await;
    assert_eq!(
        (before.status.as_str(), before.game.as_deref()),
        ("unmatched", None),
        "{before:?}"
    );
    assert!(before.reason.contains("postponed"), "{}", before.reason);

    let makeup = game(
        "401910077",
        "2026-07-21T17:05Z",
        fake_espn::scheduled(),
        team("2", "BOS", "0"),
        team("10", "NYY", "0"),
        false,
    );
    w.espn.set_events(MLB, vec![postponed, makeup]);
    w.espn_pass(MLB).await;

    let after = w.link(&format!("{event}-NYY")).await;
    assert_eq!(
        (after.status.as_str(), after.game.as_deref()),
        ("matched", Some("401910077")),
        "{after:?}"
    );
    assert_eq!(after.yes_side.as_deref(), Some("away"));
    assert_eq!(
        after.check("makeup_game").map(|c| c["severity"].clone()),
        Some(json!("warning"))
    );
}

#[tokio::test]
async fn team_blocks_split_by_known_codes_of_different_widths() {
    // Test 6: CONNNY is CONN + NY (4+2), VGKLA is VGK + LA (3+2).
    let w = World::start().await;
    w.kalshi
        .add_markets(moneylines("KXWNBAGAME-26JUN01CONNNY", &["CONN", "NY"]));
    w.kalshi
        .add_markets(moneylines("KXNHLGAME-26JAN10VGKLA", &["VGK", "LA"]));
    w.espn.set_events(
        WNBA,
        vec![game(
            "401920001",
            "2026-06-01T23:00Z",
            fake_espn::scheduled(),
            team("9", "NY", "0"),
            team("18", "CONN", "0"),
            false,
        )],
    );
    w.espn.set_events(
        NHL,
        vec![game(
            "401930001",
            "2026-01-11T03:30Z",
            fake_espn::scheduled(),
            team("8", "LA", "0"),
            team("37", "VGK", "0"),
            false,
        )],
    );
    w.kalshi_pass(json!({})).await;
    w.espn_pass(WNBA).await;
    w.espn_pass(NHL).await;

    let conn = w.link("KXWNBAGAME-26JUN01CONNNY-CONN").await;
    assert_eq!(
        (
            conn.status.as_str(),
            conn.game.as_deref(),
            conn.yes_side.as_deref()
        ),
        ("matched", Some("401920001"), Some("away")),
        "{conn:?}"
    );
    assert_eq!(
        w.link("KXWNBAGAME-26JUN01CONNNY-NY")
            .await
            .yes_side
            .as_deref(),
        Some("home")
    );
    // 03:30Z on 11 January is 22:30 EST on the 10th: the ticker's date.
    let vgk = w.link("KXNHLGAME-26JAN10VGKLA-VGK").await;
    assert_eq!(
        (
            vgk.status.as_str(),
            vgk.game.as_deref(),
            vgk.yes_side.as_deref()
        ),
        ("matched", Some("401930001"), Some("away")),
        "{vgk:?}"
    );
    assert_eq!(
        w.link("KXNHLGAME-26JAN10VGKLA-LA")
            .await
            .yes_side
            .as_deref(),
        Some("home")
    );
}

#[tokio::test]
async fn la_is_the_rams_in_the_nfl_and_the_kings_in_the_nhl() {
    // Test 7: KXNFLGAME-25DEC07LAARI (Rams at Cardinals; ESPN says LAR) and an NHL LA game.
    let w = World::start().await;
    w.kalshi
        .add_markets(moneylines("KXNFLGAME-25DEC07LAARI", &["LA", "ARI"]));
    w.kalshi
        .add_markets(moneylines("KXNHLGAME-25DEC07LAANA", &["LA", "ANA"]));
    w.espn.set_events(
        NFL,
        vec![
            game(
                "401780001",
                "2025-12-07T21:25Z",
                fake_espn::scheduled(),
                team("22", "ARI", "0"),
                team("14", "LAR", "0"),
                false,
            ),
            // The Chargers play the same day: LA must not be read as them.
            game(
                "401780002",
                "2025-12-07T18:00Z",
                fake_espn::scheduled(),
                team("24", "LAC", "0"),
                team("22", "ARI", "0"),
                false,
            ),
        ],
    );
    w.espn.set_events(
        NHL,
        vec![game(
            "401940001",
            "2025-12-08T03:00Z",
            fake_espn::scheduled(),
            team("25", "ANA", "0"),
            team("8", "LA", "0"),
            false,
        )],
    );
    w.kalshi_pass(json!({})).await;
    w.espn_pass(NFL).await;
    w.espn_pass(NHL).await;

    let rams = w.link("KXNFLGAME-25DEC07LAARI-LA").await;
    assert_eq!(
        (
            rams.status.as_str(),
            rams.game.as_deref(),
            rams.yes_side.as_deref()
        ),
        ("matched", Some("401780001"), Some("away")),
        "{rams:?}"
    );
    let kings = w.link("KXNHLGAME-25DEC07LAANA-LA").await;
    assert_eq!(
        (
            kings.status.as_str(),
            kings.game.as_deref(),
            kings.yes_side.as_deref()
        ),
        ("matched", Some("401940001"), Some("away")),
        "{kings:?}"
    );
}

#[tokio::test]
async fn at_a_neutral_site_espn_decides_the_side_and_the_order_only_warns() {
    // Test 8: a London game; the ticker lists MIN first, ESPN lists MIN as home.
    let w = World::start().await;
    let event = "KXNFLGAME-26OCT11MINCLE";
    w.kalshi.add_markets(moneylines(event, &["MIN", "CLE"]));
    w.espn.set_events(
        NFL,
        vec![game(
            "401800101",
            "2026-10-11T13:30Z",
            fake_espn::scheduled(),
            team("16", "MIN", "0"),
            team("5", "CLE", "0"),
            true,
        )],
    );
    w.both(NFL).await;

    let min = w.link(&format!("{event}-MIN")).await;
    assert_eq!(
        (min.status.as_str(), min.yes_side.as_deref()),
        ("matched", Some("home")),
        "{min:?}"
    );
    let order = min.check("away_first").expect("away_first check");
    assert_eq!(
        (order["ok"].clone(), order["severity"].clone()),
        (json!(false), json!("warning"))
    );
    assert!(!min.flagged, "a neutral site is not an error");
    assert_eq!(
        w.link(&format!("{event}-CLE")).await.yes_side.as_deref(),
        Some("away")
    );
}

#[tokio::test]
async fn the_same_two_teams_on_consecutive_days_each_get_their_own_game() {
    // Test 9: SEA at LAD on 21 and 22 July; both start at 02:10Z the next UTC day.
    let w = World::start().await;
    w.kalshi
        .add_markets(moneylines("KXMLBGAME-26JUL21SEALAD", &["SEA", "LAD"]));
    w.kalshi
        .add_markets(moneylines("KXMLBGAME-26JUL22SEALAD", &["SEA", "LAD"]));
    w.espn.set_events(
        MLB,
        vec![
            game(
                "401950021",
                "2026-07-22T02:10Z",
                fake_espn::scheduled(),
                team("19", "LAD", "0"),
                team("12", "SEA", "0"),
                false,
            ),
            game(
                "401950022",
                "2026-07-23T02:10Z",
                fake_espn::scheduled(),
                team("19", "LAD", "0"),
                team("12", "SEA", "0"),
                false,
            ),
        ],
    );
    w.both(MLB).await;

    assert_eq!(
        w.link("KXMLBGAME-26JUL21SEALAD-SEA").await.game.as_deref(),
        Some("401950021")
    );
    assert_eq!(
        w.link("KXMLBGAME-26JUL22SEALAD-SEA").await.game.as_deref(),
        Some("401950022")
    );
    let evidence = w.link("KXMLBGAME-26JUL22SEALAD-LAD").await.evidence;
    assert_eq!(
        evidence["candidates"].as_array().map(Vec::len),
        Some(1),
        "no ±1 day widening when the day has a game: {evidence}"
    );
}

#[tokio::test]
async fn settlement_that_agrees_verifies_and_one_that_disagrees_is_flagged_not_verified() {
    // Test 11: GB won 13–10 at CLE, but Kalshi settles CLE YES; MIN/CHI settles as ESPN says.
    let w = World::start().await;
    let wrong = "KXNFLGAME-25SEP21GBCLE";
    let right = "KXNFLGAME-25SEP08MINCHI";
    w.kalshi.add_markets(moneylines(wrong, &["GB", "CLE"]));
    w.kalshi.add_markets(moneylines(right, &["MIN", "CHI"]));
    // A spread and a void market on the same game.
    let mut spread = market_json(
        "KXNFLSPREAD-25SEP08MINCHI-CHI2",
        "KXNFLSPREAD-25SEP08MINCHI",
        "0.4000",
        "0.4100",
    );
    spread["floor_strike"] = json!(2.5);
    w.kalshi.add_markets(vec![spread]);
    w.espn.set_events(
        NFL,
        vec![
            game(
                "401772600",
                "2025-09-21T17:00Z",
                fake_espn::final_(false),
                team("5", "CLE", "10"),
                team("9", "GB", "13"),
                false,
            ),
            game(
                "401772510",
                "2025-09-09T00:15Z",
                fake_espn::final_(false),
                team("3", "CHI", "27"),
                team("16", "MIN", "24"),
                false,
            ),
        ],
    );
    w.both(NFL).await;
    assert_eq!(w.link(&format!("{wrong}-CLE")).await.status, "matched");

    for (ticker, result) in [
        (format!("{wrong}-CLE"), "yes"),
        (format!("{wrong}-GB"), "no"),
        (format!("{right}-CHI"), "yes"),
        (format!("{right}-MIN"), "no"),
        ("KXNFLSPREAD-25SEP08MINCHI-CHI2".to_owned(), "yes"),
    ] {
        w.kalshi.set_field(&ticker, "status", json!("finalized"));
        w.kalshi.set_field(&ticker, "result", json!(result));
    }
    let summary = w.kalshi_pass(json!({})).await;
    assert_eq!(summary.details["linking"]["flagged"], 2, "{summary:?}");

    let cle = w.link(&format!("{wrong}-CLE")).await;
    assert_eq!(
        cle.status, "matched",
        "a disagreement is never verified: {cle:?}"
    );
    assert!(cle.flagged);
    let settlement = cle.check("settlement").expect("settlement check");
    assert_eq!(
        (settlement["ok"].clone(), settlement["severity"].clone()),
        (json!(false), json!("error"))
    );
    assert_eq!(
        cle.yes_side.as_deref(),
        Some("home"),
        "the side is not flipped by the check"
    );
    let chi = w.link(&format!("{right}-CHI")).await;
    assert_eq!(
        (chi.status.as_str(), chi.flagged),
        ("verified", false),
        "{chi:?}"
    );
    // CHI by 3 covers 2.5: the spread's YES is right, its line from floor_strike.
    let spread = w.link("KXNFLSPREAD-25SEP08MINCHI-CHI2").await;
    assert_eq!(
        (
            spread.status.as_str(),
            spread.line.as_deref(),
            spread.yes_side.as_deref()
        ),
        ("verified", Some("2.5"), Some("home")),
        "{spread:?}"
    );
}

#[tokio::test]
async fn a_voided_market_is_cancelled_and_other_series_are_left_alone() {
    let w = World::start().await;
    let event = "KXNFLGAME-26SEP13CLEJAC";
    w.kalshi.add_markets(moneylines(event, &["CLE", "JAC"]));
    w.kalshi.add_markets(vec![market_json(
        "KXNFLMVP-26-JALLEN",
        "KXNFLMVP-26",
        "0.2000",
        "0.2100",
    )]);
    w.kalshi.add_markets(vec![market_json(
        "KXNFLGAME-FUTURES-X",
        "KXNFLGAME-FUTURES",
        "0.2000",
        "0.2100",
    )]);
    w.both(NFL).await;
    w.kalshi
        .set_field(&format!("{event}-CLE"), "status", json!("finalized"));
    w.kalshi
        .set_field(&format!("{event}-CLE"), "result", json!("void"));
    w.kalshi_pass(json!({})).await;

    assert_eq!(w.link(&format!("{event}-CLE")).await.status, "cancelled");
    assert_eq!(w.link("KXNFLGAME-FUTURES-X").await.status, "not_a_game");
    let mvp: i64 =
        sqlx::query_scalar("select count(*) from game_links where series_ticker = 'KXNFLMVP'")
            .fetch_one(&w.db.pool)
            .await
            .expect("count");
    assert_eq!(mvp, 0, "not a game series: no link rows");
}

#[tokio::test]
async fn a_relink_with_nothing_changed_rewrites_no_row() {
    let w = World::start().await;
    w.kalshi
        .add_markets(moneylines("KXNFLGAME-25SEP08MINCHI", &["MIN", "CHI"]));
    w.kalshi
        .add_markets(moneylines("KXMLBGAME-26SEP04DETCLE", &["DET", "CLE"]));
    w.kalshi
        .add_markets(moneylines("KXNHLGAME-26JAN10XYZQ", &["XY", "ZQ"]));
    w.espn.set_events(
        NFL,
        vec![game(
            "401772510",
            "2025-09-09T00:15Z",
            fake_espn::final_(false),
            team("3", "CHI", "27"),
            team("16", "MIN", "24"),
            false,
        )],
    );
    w.espn.set_events(
        MLB,
        vec![
            game(
                "401900001",
                "2026-09-04T17:10Z",
                fake_espn::scheduled(),
                team("5", "CLE", "0"),
                team("6", "DET", "0"),
                false,
            ),
            game(
                "401900002",
                "2026-09-04T23:10Z",
                fake_espn::scheduled(),
                team("5", "CLE", "0"),
                team("6", "DET", "0"),
                false,
            ),
        ],
    );
    w.kalshi_pass(json!({})).await;
    w.espn_pass(NFL).await;
    w.espn_pass(MLB).await;
    // One more incremental pass so every learned alias is in place.
    w.kalshi_pass(json!({})).await;
    let before = w.versions().await;
    assert_eq!(before.len(), 6);

    let relink = w.kalshi_pass(json!({"relink": true})).await;
    let linking = &relink.details["linking"];
    assert_eq!(
        (linking["events"].clone(), linking["markets"].clone()),
        (json!(3), json!(6)),
        "{linking}"
    );
    assert_eq!(
        (
            linking["links_inserted"].clone(),
            linking["links_updated"].clone()
        ),
        (json!(0), json!(0)),
        "{linking}"
    );
    let espn_relink = w.espn_pass(NFL).await;
    assert_eq!(espn_relink.details["linking"]["links_updated"], 0);
    assert_eq!(
        w.versions().await,
        before,
        "no row version or updated_at moved"
    );
}
