//! Orientation and the checks recorded next to a link (never flipping it): settlement against
//! ESPN's final, Kalshi's own team targets, both moneylines covering both teams.

use super::*;

/// Which side YES is (from ESPN's homeAway of the YES team), and the settlement check.
pub(super) fn orient(
    row: &mut LinkRow,
    event: &EventInput,
    market: &MarketFacts,
    game: &GameFacts,
    codes: &[(String, String); 2],
) {
    let yes_team = match event.kind {
        MarketKind::Moneyline | MarketKind::Spread => {
            let code = ticker::market_suffix(&market.ticker, &event.event_ticker)
                .and_then(ticker::suffix_code);
            match codes.iter().find(|(c, _)| Some(c.as_str()) == code) {
                Some(found) => Some(found.clone()),
                None => {
                    row.status = LinkStatus::Unmatched;
                    row.reason = format!(
                        "the market's suffix names `{}`, neither {} nor {}",
                        code.unwrap_or(""),
                        codes[0].0,
                        codes[1].0
                    );
                    return;
                }
            }
        }
        MarketKind::Total | MarketKind::Other => None,
    };
    row.espn_event_id = Some(game.espn_event_id.clone());
    row.status = LinkStatus::Matched;
    row.reason = format!("ESPN game {} ({})", game.espn_event_id, event.league);
    match (&yes_team, event.kind) {
        (Some((code, team_id)), _) => {
            row.yes_team_code = Some(code.clone());
            row.yes_team_id = Some(team_id.clone());
            row.yes_side = game.side_of(team_id);
        }
        (None, MarketKind::Total) => row.yes_side = Some(YesSide::Over),
        (None, _) => {}
    }
    if let Some(check) = settlement_check(row, market, game) {
        if check.ok {
            row.status = LinkStatus::Verified;
            row.reason = format!("{}; settlement agrees with ESPN's final", row.reason);
            row.verified_at = [market.determined_at, game.final_seen_at]
                .into_iter()
                .flatten()
                .max();
        }
        row.checks.push(check);
    }
}

/// After settlement: did the market resolve the way ESPN's final score says it should?
pub(super) fn settlement_check(
    row: &LinkRow,
    market: &MarketFacts,
    game: &GameFacts,
) -> Option<Check> {
    let resolved_yes = match market.result.as_deref() {
        Some("yes") => true,
        Some("no") => false,
        _ => return None,
    };
    let (home, away) = game.final_score()?;
    let (expected_yes, what) = match (row.kind, row.yes_side) {
        (MarketKind::Moneyline, Some(side)) => {
            let (mine, theirs) = if side == YesSide::Home {
                (home, away)
            } else {
                (away, home)
            };
            (
                mine > theirs,
                format!("ESPN final {home}-{away} (home-away)"),
            )
        }
        (MarketKind::Spread, Some(side @ (YesSide::Home | YesSide::Away))) => {
            let line = row.line?;
            let margin = if side == YesSide::Home {
                home - away
            } else {
                away - home
            };
            (
                Decimal::from(margin) > line,
                format!("margin {margin} against line {line}"),
            )
        }
        (MarketKind::Total, _) => {
            let line = row.line?;
            let total = home + away;
            (
                Decimal::from(total) > line,
                format!("total {total} against line {line}"),
            )
        }
        _ => return None,
    };
    let result = if resolved_yes { "YES" } else { "NO" };
    Some(if expected_yes == resolved_yes {
        Check::passed("settlement", format!("resolved {result}; {what}"))
    } else {
        Check::error(
            "settlement",
            format!(
                "resolved {result} but {what} says {}",
                if expected_yes { "YES" } else { "NO" }
            ),
        )
    })
}

/// The one structured-target UUID a market's `custom_strike` names (`{"football_team": "…"}`).
pub(super) fn strike_target(market: &MarketFacts) -> Option<&str> {
    let object = market.custom_strike.as_ref()?.as_object()?;
    match object.values().collect::<Vec<_>>().as_slice() {
        [one] => one.as_str(),
        _ => None,
    }
}

/// Kalshi's own team ids as evidence: a known `custom_strike` target must be the YES team, and the
/// milestone's home/away targets should be ESPN's home/away. Unknown targets are learned from a
/// matched moneyline event whose two markets name two different targets for its two teams.
pub(super) fn check_targets(
    event: &EventInput,
    game: &GameFacts,
    aliases: &AliasBook,
    rows: &mut [LinkRow],
    learned: &mut Vec<LearnedAlias>,
) {
    let league = event.league.as_str();
    for (row, market) in rows.iter_mut().zip(&event.markets) {
        let (Some(uuid), Some(yes_team)) = (strike_target(market), row.yes_team_id.clone()) else {
            continue;
        };
        if let Some(known) = aliases.target(league, uuid) {
            row.checks.push(if *known == yes_team {
                Check::passed("custom_strike_team", format!("custom_strike names ESPN team {known}, the YES team"))
            } else {
                Check::error(
                    "custom_strike_team",
                    format!("custom_strike names ESPN team {known} but the ticker's YES team is {yes_team}"),
                )
            });
        }
    }
    if let Some(details) = event.milestone.as_ref().map(|m| &m.details) {
        let side = |key: &str| {
            details
                .get(key)
                .and_then(Value::as_str)
                .and_then(|u| aliases.target(league, u))
        };
        if let (Some(home), Some(away)) = (side("home_team_id"), side("away_team_id")) {
            let agrees = *home == game.home_team_id && *away == game.away_team_id;
            let detail = format!(
                "milestone home/away = ESPN teams {home}/{away}; ESPN {}/{}",
                game.home_team_id, game.away_team_id
            );
            let check = if agrees {
                Check::passed("milestone_home_away", detail)
            } else {
                Check::warning("milestone_home_away", detail)
            };
            for row in rows.iter_mut().filter(|r| r.espn_event_id.is_some()) {
                row.checks.push(check.clone());
            }
        }
    }
    // Learn only from a clean moneyline pair: two markets, two teams, two different targets.
    if event.kind != MarketKind::Moneyline {
        return;
    }
    let pairs: Vec<(&str, &String)> = rows
        .iter()
        .zip(&event.markets)
        .filter(|(r, _)| r.status.is_linked())
        .filter_map(|(r, m)| Some((strike_target(m)?, r.yes_team_id.as_ref()?)))
        .collect();
    if let [(u1, t1), (u2, t2)] = pairs.as_slice() {
        if u1 != u2 && t1 != t2 {
            for (uuid, team) in [(u1, t1), (u2, t2)] {
                if aliases.target(league, uuid).is_none() {
                    learned.push(LearnedAlias {
                        provider: "kalshi_target",
                        league: league.to_owned(),
                        code: (*uuid).to_owned(),
                        espn_team_id: (*team).clone(),
                        evidence: json!({"from": "custom_strike", "event_ticker": event.event_ticker, "espn_event_id": game.espn_event_id}),
                    });
                }
            }
        }
    }
}

/// Both moneyline markets of a game must cover both teams, once each.
pub(super) fn check_moneylines(event: &EventInput, game: &GameFacts, rows: &mut [LinkRow]) {
    if event.kind != MarketKind::Moneyline {
        return;
    }
    let sides: Vec<YesSide> = rows.iter().filter_map(|r| r.yes_side).collect();
    let home = sides.iter().filter(|s| **s == YesSide::Home).count();
    let away = sides.iter().filter(|s| **s == YesSide::Away).count();
    let check = match (home, away) {
        (1, 1) => Check::passed(
            "moneylines_cover_both",
            format!(
                "one market each for {} and {}",
                game.home_team_id, game.away_team_id
            ),
        ),
        (h, a) if h > 1 || a > 1 => Check::error(
            "moneylines_cover_both",
            format!("{h} markets say YES = home and {a} say YES = away"),
        ),
        (h, a) => Check::warning(
            "moneylines_cover_both",
            format!("only {} of the two moneyline markets seen so far", h + a),
        ),
    };
    for row in rows.iter_mut().filter(|r| r.espn_event_id.is_some()) {
        row.checks.push(check.clone());
    }
}
