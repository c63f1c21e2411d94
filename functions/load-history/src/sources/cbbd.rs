//! CollegeBasketballData `lines_{season}.csv`: one row per game AND provider, so a game's rows
//! are merged (`super::assemble`). `spread` is already the home team's line in the betting
//! convention (negative = home favoured) and is kept; `spread`/`over_under`/moneylines are the
//! provider's latest (closing) numbers, `spread_open`/`over_under_open` its opening ones. A
//! null provider is stored as `unknown`.

use precog::domain::eastern_date;
use precog::domain::sports_history::{
    spread_contradiction, GameSource, HistoricalGame, OddsLine, OddsMarket, OddsPhase, OddsSide,
    SpreadConvention, UNKNOWN_PROVIDER,
};
use rust_decimal::Decimal;

use super::{Context, Parsed};
use crate::fields::{
    date, int, opt_bool, opt_decimal, opt_instant, opt_text, scores, text, RowResult,
};
use crate::input::Record;

pub const REQUIRED: &[&str] = &[
    "game_id",
    "season",
    "start_date",
    "home_team",
    "away_team",
    "home_score",
    "away_score",
    "provider",
    "spread",
    "over_under",
    "home_moneyline",
    "away_moneyline",
    "spread_open",
    "over_under_open",
];

pub fn parse(rec: &Record<'_>, cx: &Context<'_>) -> RowResult<Parsed> {
    let start = opt_instant(rec, "start_date")?;
    let game_date = match start {
        Some(t) => eastern_date(t),
        None => date(rec, "start_date")?,
    };
    let (home_score, away_score) = scores(rec, "home_score", "away_score")?;
    let provider_codes = GameSource::Cbbd.alias_provider();
    let home_code = text(rec, "home_team")?;
    let away_code = text(rec, "away_team")?;
    let season_type = opt_text(rec, "season_type").map(str::to_owned);
    let game = HistoricalGame {
        league: cx.league.to_owned(),
        source: GameSource::Cbbd,
        source_game_id: text(rec, "game_id")?.to_owned(),
        season: int(rec, "season")?,
        playoff: season_type.as_deref() == Some("postseason"),
        season_type,
        week: None,
        game_date,
        game_number: 1,
        scheduled_start: start,
        neutral: opt_bool(rec, "neutral_site")?,
        home: cx.aliases.team(provider_codes, home_code, game_date),
        away: cx.aliases.team(provider_codes, away_code, game_date),
        home_score,
        away_score,
        espn_event_id: None,
        raw: rec.raw(),
    };
    Ok(Parsed {
        odds: lines(rec)?,
        game,
        elo: Vec::new(),
        perspective: None,
    })
}

fn lines(rec: &Record<'_>) -> RowResult<Vec<OddsLine>> {
    let provider = opt_text(rec, "provider")
        .unwrap_or(UNKNOWN_PROVIDER)
        .to_owned();
    let raw = rec.raw();
    let line = |market, side, phase, line, price| OddsLine {
        provider: provider.clone(),
        market,
        side,
        phase,
        line,
        price,
        flag: None,
        raw: Some(raw.clone()),
    };
    let home_ml = opt_decimal(rec, "home_moneyline")?;
    let away_ml = opt_decimal(rec, "away_moneyline")?;
    let mut out = Vec::new();
    if home_ml.is_some() || away_ml.is_some() {
        out.push(line(
            OddsMarket::Moneyline,
            OddsSide::Home,
            OddsPhase::Close,
            None,
            home_ml,
        ));
        out.push(line(
            OddsMarket::Moneyline,
            OddsSide::Away,
            OddsPhase::Close,
            None,
            away_ml,
        ));
    }
    let spreads = [
        ("spread", OddsPhase::Close),
        ("spread_open", OddsPhase::Open),
    ];
    for (column, phase) in spreads {
        if let Some(spread) = opt_decimal(rec, column)? {
            let home = SpreadConvention::HomeLine.home_line(spread);
            // Only the closing spread sits with the (closing) moneylines it can contradict.
            let flag = (phase == OddsPhase::Close)
                .then(|| spread_contradiction(home, home_ml, away_ml))
                .flatten();
            let mut h = line(OddsMarket::Spread, OddsSide::Home, phase, Some(home), None);
            let mut a = line(
                OddsMarket::Spread,
                OddsSide::Away,
                phase,
                Some(SpreadConvention::HomeLine.home_line(Decimal::ZERO - home)),
                None,
            );
            h.flag.clone_from(&flag);
            a.flag = flag;
            out.push(h);
            out.push(a);
        }
    }
    for (column, phase) in [
        ("over_under", OddsPhase::Close),
        ("over_under_open", OddsPhase::Open),
    ] {
        if let Some(total) = opt_decimal(rec, column)? {
            out.push(line(
                OddsMarket::Total,
                OddsSide::Over,
                phase,
                Some(total),
                None,
            ));
            out.push(line(
                OddsMarket::Total,
                OddsSide::Under,
                phase,
                Some(total),
                None,
            ));
        }
    }
    Ok(out)
}
