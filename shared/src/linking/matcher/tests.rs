//! The matching rules on hand-built inputs (the end-to-end cases live in collect-kalshi's
//! `tests/it/linking.rs`).

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde_json::json;

use super::*;
use crate::domain::eastern_date;

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .expect("time")
        .with_timezone(&Utc)
}

fn game(id: &str, league: &str, start: &str, home: &str, away: &str) -> GameFacts {
    let start = at(start);
    GameFacts {
        espn_event_id: id.into(),
        league: league.into(),
        scheduled_start: Some(start),
        et_date: Some(eastern_date(start)),
        home_team_id: home.into(),
        away_team_id: away.into(),
        home_abbreviation: None,
        away_abbreviation: None,
        neutral_site: Some(false),
        status_name: Some("STATUS_SCHEDULED".into()),
        completed: Some(false),
        home_score: None,
        away_score: None,
        first_seen_at: at("2026-01-01T00:00:00Z"),
        final_seen_at: None,
    }
}

fn market(ticker: &str) -> MarketFacts {
    MarketFacts {
        ticker: ticker.into(),
        status: "active".into(),
        result: None,
        floor_strike: None,
        custom_strike: None,
        first_seen_at: at("2026-02-01T00:00:00Z"),
        determined_at: None,
    }
}

fn event(event_ticker: &str, league: &str, kind: MarketKind, suffixes: &[&str]) -> EventInput {
    EventInput {
        event_ticker: event_ticker.into(),
        series_ticker: event_ticker.split('-').next().unwrap_or_default().into(),
        league: league.into(),
        kind,
        markets: suffixes
            .iter()
            .map(|s| market(&format!("{event_ticker}-{s}")))
            .collect(),
        milestone: None,
    }
}

/// ESPN abbreviations as aliases, plus explicit rows.
fn book(league: &str, abbreviations: &[(&str, &str)], rows: &[(&str, &str)]) -> AliasBook {
    let mut book = AliasBook::default();
    for (abbreviation, id) in abbreviations {
        book.add_abbreviation(league, abbreviation, id);
    }
    for (code, id) in rows {
        book.add_row(
            league,
            code,
            AliasRow {
                espn_team_id: (*id).into(),
                valid_from: None,
                valid_until: None,
                source: "seed".into(),
                created_at: at("2026-01-01T00:00:00Z"),
            },
        );
    }
    book
}

fn index(games: Vec<GameFacts>) -> GameIndex {
    let mut index = GameIndex::default();
    for g in games {
        index.insert(g);
    }
    index
}

const NCAAF: &str = "football/college-football";
const MLB: &str = "baseball/mlb";

#[test]
fn yes_side_comes_from_espn_home_away_not_the_ticker_position() {
    // ALA at MIZZ; ESPN has Missouri (142, `MIZ`) at home: YES on ALA is `away`.
    let aliases = book(NCAAF, &[("ALA", "333"), ("MIZ", "142")], &[("MIZZ", "142")]);
    let games = index(vec![game(
        "401",
        NCAAF,
        "2025-10-11T16:00:00Z",
        "142",
        "333",
    )]);
    let input = event(
        "KXNCAAFGAME-25OCT11ALAMIZZ",
        NCAAF,
        MarketKind::Moneyline,
        &["ALA", "MIZZ"],
    );
    let links = link_event(&input, &aliases, &games);
    let sides: Vec<_> = links
        .rows
        .iter()
        .map(|r| (r.ticker.as_str(), r.yes_side, r.status))
        .collect();
    assert_eq!(
        sides,
        vec![
            (
                "KXNCAAFGAME-25OCT11ALAMIZZ-ALA",
                Some(YesSide::Away),
                LinkStatus::Matched
            ),
            (
                "KXNCAAFGAME-25OCT11ALAMIZZ-MIZZ",
                Some(YesSide::Home),
                LinkStatus::Matched
            ),
        ]
    );
    assert!(
        links.rows.iter().all(|r| r.checks.iter().all(|c| c.ok)),
        "{:?}",
        links.rows[0].checks
    );
    // ALA was resolved through ESPN's abbreviation and is learned; MIZZ has a row.
    assert_eq!(
        links
            .learned
            .iter()
            .map(|l| l.code.as_str())
            .collect::<Vec<_>>(),
        vec!["ALA"]
    );

    // At a neutral site with ESPN listing Alabama home, the side follows ESPN and only warns.
    let mut neutral = game("402", NCAAF, "2025-10-11T16:00:00Z", "333", "142");
    neutral.neutral_site = Some(true);
    let links = link_event(&input, &aliases, &index(vec![neutral]));
    assert_eq!(links.rows[0].yes_side, Some(YesSide::Home));
    let away_first = links.rows[0]
        .checks
        .iter()
        .find(|c| c.check == "away_first")
        .expect("check");
    assert_eq!((away_first.ok, away_first.severity), (false, "warning"));
    assert!(!links.rows[0].flagged, "a neutral site only warns");
}

#[test]
fn doubleheaders_go_by_game_number_and_without_one_are_ambiguous() {
    let aliases = book(MLB, &[("DET", "6"), ("CLE", "5")], &[]);
    let games = index(vec![
        game("g2", MLB, "2026-09-04T23:10:00Z", "5", "6"),
        game("g1", MLB, "2026-09-04T17:10:00Z", "5", "6"),
    ]);
    let linked = |ticker: &str| {
        let rows = link_event(
            &event(ticker, MLB, MarketKind::Moneyline, &["DET"]),
            &aliases,
            &games,
        )
        .rows;
        (rows[0].status, rows[0].espn_event_id.clone())
    };
    assert_eq!(
        linked("KXMLBGAME-26SEP04DETCLEG1"),
        (LinkStatus::Matched, Some("g1".into()))
    );
    assert_eq!(
        linked("KXMLBGAME-26SEP04DETCLEG2"),
        (LinkStatus::Matched, Some("g2".into()))
    );
    assert_eq!(
        linked("KXMLBGAME-26SEP04DETCLE"),
        (LinkStatus::Ambiguous, None)
    );
    // With a start time, only the game within 90 minutes fits.
    assert_eq!(
        linked("KXMLBGAME-26SEP041910DETCLE"),
        (LinkStatus::Matched, Some("g2".into()))
    );
    assert_eq!(
        linked("KXMLBGAME-26SEP040900DETCLE").0,
        LinkStatus::Unmatched
    );
}

#[test]
fn a_block_with_two_valid_splits_is_ambiguous_and_one_with_none_unmatched() {
    let league = "hockey/nhl";
    let aliases = book(
        league,
        &[("ABC", "1"), ("DE", "2"), ("AB", "3"), ("CDE", "4")],
        &[],
    );
    let rows = link_event(
        &event(
            "KXNHLGAME-26JAN10ABCDE",
            league,
            MarketKind::Moneyline,
            &["ABC"],
        ),
        &aliases,
        &GameIndex::default(),
    )
    .rows;
    assert_eq!(rows[0].status, LinkStatus::Ambiguous);
    assert_eq!(rows[0].evidence["splits"].as_array().map(Vec::len), Some(2));
    let rows = link_event(
        &event(
            "KXNHLGAME-26JAN10XYZQ",
            league,
            MarketKind::Moneyline,
            &["XY"],
        ),
        &aliases,
        &GameIndex::default(),
    )
    .rows;
    assert_eq!(rows[0].status, LinkStatus::Unmatched);
    let rows = link_event(
        &event("KXNHLGAME-NOTAGAME", league, MarketKind::Moneyline, &["X"]),
        &aliases,
        &GameIndex::default(),
    )
    .rows;
    assert_eq!(rows[0].status, LinkStatus::NotAGame);
}

#[test]
fn alias_validity_dates_are_respected() {
    let mut aliases = AliasBook::default();
    for (code, from, until) in [
        ("ARI", None, NaiveDate::from_ymd_opt(2026, 1, 1)),
        ("AZ", NaiveDate::from_ymd_opt(2026, 1, 1), None),
    ] {
        aliases.add_row(
            MLB,
            code,
            AliasRow {
                espn_team_id: "29".into(),
                valid_from: from,
                valid_until: until,
                source: "seed".into(),
                created_at: at("2026-01-01T00:00:00Z"),
            },
        );
    }
    let d2025 = NaiveDate::from_ymd_opt(2025, 6, 1).expect("date");
    let d2026 = NaiveDate::from_ymd_opt(2026, 6, 1).expect("date");
    assert_eq!(aliases.resolve(MLB, "ARI", d2025).len(), 1);
    assert!(aliases.resolve(MLB, "ARI", d2026).is_empty());
    assert_eq!(aliases.resolve(MLB, "AZ", d2026).len(), 1);
    assert!(aliases.resolve(MLB, "AZ", d2025).is_empty());
}

#[test]
fn settlement_verifies_or_flags_and_never_flips_the_side() {
    let league = "football/nfl";
    let aliases = book(league, &[("MIN", "16"), ("CHI", "3")], &[]);
    let mut g = game("nfl1", league, "2025-09-09T00:15:00Z", "3", "16");
    g.completed = Some(true);
    g.status_name = Some("STATUS_FINAL".into());
    g.home_score = Some(27);
    g.away_score = Some(24);
    g.final_seen_at = Some(at("2025-09-09T03:30:00Z"));
    let games = index(vec![g]);
    let mut input = event(
        "KXNFLGAME-25SEP08MINCHI",
        league,
        MarketKind::Moneyline,
        &["CHI", "MIN"],
    );
    input.markets[0].result = Some("yes".into());
    input.markets[1].result = Some("no".into());
    let rows = link_event(&input, &aliases, &games).rows;
    assert!(
        rows.iter().all(|r| r.status == LinkStatus::Verified),
        "{rows:?}"
    );
    assert_eq!(rows[0].yes_side, Some(YesSide::Home));

    // Kalshi says MIN won; ESPN says CHI: flagged, still `matched`, side unchanged.
    input.markets[0].result = Some("no".into());
    input.markets[1].result = Some("yes".into());
    let rows = link_event(&input, &aliases, &games).rows;
    assert!(
        rows.iter()
            .all(|r| r.status == LinkStatus::Matched && r.flagged),
        "{rows:?}"
    );
    assert_eq!(rows[0].yes_side, Some(YesSide::Home));
    assert_eq!(rows[1].yes_side, Some(YesSide::Away));
}

#[test]
fn spreads_and_totals_take_their_line_from_floor_strike() {
    let league = "football/nfl";
    let aliases = book(league, &[("DET", "8"), ("BUF", "2")], &[]);
    let games = index(vec![game("s1", league, "2026-09-18T00:15:00Z", "2", "8")]);
    let mut spread = event(
        "KXNFLSPREAD-26SEP17DETBUF",
        league,
        MarketKind::Spread,
        &["DET8"],
    );
    spread.markets[0].floor_strike = Some(Decimal::new(85, 1));
    let row = &link_event(&spread, &aliases, &games).rows[0];
    assert_eq!(
        (row.yes_side, row.line, row.yes_team_code.as_deref()),
        (Some(YesSide::Away), Some(Decimal::new(85, 1)), Some("DET"))
    );
    let mut total = event(
        "KXNFLTOTAL-26SEP17DETBUF",
        league,
        MarketKind::Total,
        &["37"],
    );
    total.markets[0].floor_strike = Some(Decimal::new(375, 1));
    total.markets[0].custom_strike = Some(json!({"football_team": "x"}));
    let row = &link_event(&total, &aliases, &games).rows[0];
    assert_eq!(
        (row.yes_side, row.line),
        (Some(YesSide::Over), Some(Decimal::new(375, 1)))
    );
    assert_eq!(row.evidence["custom_strike"], json!({"football_team": "x"}));
}

#[test]
fn a_known_custom_strike_target_naming_the_other_team_flags_the_link() {
    let league = "football/nfl";
    let mut aliases = book(league, &[("MIN", "16"), ("CHI", "3")], &[]);
    aliases.add_target(league, "uuid-chi", "3");
    let games = index(vec![game(
        "nfl1",
        league,
        "2025-09-09T00:15:00Z",
        "3",
        "16",
    )]);
    let mut input = event(
        "KXNFLGAME-25SEP08MINCHI",
        league,
        MarketKind::Moneyline,
        &["CHI", "MIN"],
    );
    input.markets[0].custom_strike = Some(json!({"football_team": "uuid-chi"}));
    input.markets[1].custom_strike = Some(json!({"football_team": "uuid-chi"}));
    let links = link_event(&input, &aliases, &games);
    assert!(!links.rows[0].flagged, "{:?}", links.rows[0].checks);
    assert!(
        links.rows[1].flagged,
        "MIN's market names the Bears' target"
    );
    assert!(
        links.learned.iter().all(|l| l.provider == "kalshi"),
        "no target learned from a clash"
    );
}
