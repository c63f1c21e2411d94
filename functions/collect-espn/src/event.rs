use std::collections::BTreeMap;
use std::time::Duration;

use chrono::NaiveDate;
use precog::espn::{default_summary_seconds, is_league, LEAGUES};
use precog::runner::{BadEvent, Event};
use serde::Deserialize;

/// `{}` follows all seven leagues for today's US-Eastern slate. Examples:
/// `{"leagues":["football/nfl"],"live_interval_seconds":10,"max_seconds":285}`,
/// `{"leagues":["basketball/nba"],"date":"20261120"}` (one ET day, e.g. to catch up).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CollectEvent {
    /// ESPN `sport/league` slugs; default every league in [`LEAGUES`].
    pub leagues: Option<Vec<String>>,
    /// While any requested game is live, repeat the pass this often (default 10).
    pub live_interval_seconds: Option<u64>,
    /// The invocation's budget when not under Lambda (Lambda's own deadline caps it).
    pub max_seconds: Option<u64>,
    /// The US-Eastern day to read (`YYYYMMDD`); default today's, recomputed every pass.
    pub date: Option<String>,
    /// Read live games' summaries for their win probability where the scoreboard carries none
    /// (default true; `false` turns every summary off).
    #[serde(default = "yes")]
    pub summary_win_probability: bool,
    /// Per league, read a live game's summary at most this often, in seconds (0: never),
    /// overriding [`precog::espn::SUMMARY_SECONDS`]; a league named here that has no default
    /// (football) is read too.
    #[serde(default)]
    pub summary_seconds: BTreeMap<String, u64>,
    /// Re-link every game-series market to its ESPN game, not only what changed (after an
    /// alias fix; docs/linking.md).
    #[serde(default)]
    pub relink: bool,
}

pub const DEFAULT_LIVE_INTERVAL_SECONDS: u64 = 10;

fn yes() -> bool {
    true
}

impl CollectEvent {
    pub fn leagues(&self) -> Vec<String> {
        let mut leagues: Vec<String> = match &self.leagues {
            Some(leagues) => leagues.clone(),
            None => LEAGUES.iter().map(|(slug, _)| (*slug).to_owned()).collect(),
        };
        let mut seen = std::collections::HashSet::new();
        leagues.retain(|l| seen.insert(l.clone()));
        leagues
    }

    pub fn live_interval(&self) -> Duration {
        Duration::from_secs(
            self.live_interval_seconds
                .unwrap_or(DEFAULT_LIVE_INTERVAL_SECONDS),
        )
    }

    /// How often to read a live game's summary in `league`; `None`: never.
    pub fn summary_cadence(&self, league: &str) -> Option<Duration> {
        if !self.summary_win_probability {
            return None;
        }
        let seconds = match self.summary_seconds.get(league) {
            Some(seconds) => *seconds,
            None => default_summary_seconds(league)?,
        };
        (seconds > 0).then(|| Duration::from_secs(seconds))
    }

    /// The explicit day, if the event names one (validated).
    pub fn date(&self) -> Option<NaiveDate> {
        self.date.as_deref().and_then(parse_day)
    }
}

fn parse_day(text: &str) -> Option<NaiveDate> {
    if text.len() != 8 {
        return None;
    }
    NaiveDate::parse_from_str(text, "%Y%m%d").ok()
}

impl Event for CollectEvent {
    fn validate(&self) -> Result<(), BadEvent> {
        if let Some(leagues) = &self.leagues {
            if leagues.is_empty() {
                return Err(BadEvent::new(
                    "leagues",
                    "must name at least one league (omit it for all)",
                ));
            }
            if let Some(bad) = leagues.iter().find(|l| !is_league(l)) {
                let known: Vec<&str> = LEAGUES.iter().map(|(s, _)| *s).collect();
                return Err(BadEvent::new(
                    "leagues",
                    format!("`{bad}` is not one of {}", known.join(", ")),
                ));
            }
        }
        if let Some(seconds) = self.live_interval_seconds {
            if !(1..=300).contains(&seconds) {
                return Err(BadEvent::new(
                    "live_interval_seconds",
                    "must be between 1 and 300",
                ));
            }
        }
        precog::runner::check_max_seconds(self.max_seconds)?;
        for (league, seconds) in &self.summary_seconds {
            if !is_league(league) {
                return Err(BadEvent::new(
                    "summary_seconds",
                    format!("`{league}` is not a league collect-espn follows"),
                ));
            }
            if *seconds > 3600 {
                return Err(BadEvent::new(
                    "summary_seconds",
                    format!("`{league}`: at most 3600 seconds (0 turns it off)"),
                ));
            }
        }
        if let Some(date) = &self.date {
            if parse_day(date).is_none() {
                return Err(BadEvent::new(
                    "date",
                    format!("`{date}` is not a YYYYMMDD day"),
                ));
            }
        }
        Ok(())
    }

    fn max_seconds(&self) -> Option<u64> {
        self.max_seconds
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use precog::runner::{parse_event, Trigger};
    use serde_json::json;

    #[test]
    fn bad_events_name_their_field() {
        let cases = [
            (json!({"leagues": ["nfl"]}), "leagues"),
            (json!({"leagues": []}), "leagues"),
            (json!({"live_interval_seconds": 0}), "live_interval_seconds"),
            (json!({"max_seconds": "soon"}), "max_seconds"),
            (json!({"date": "2026-11-21"}), "date"),
            (json!({"leauges": ["football/nfl"]}), "leauges"),
            (json!({"summary_seconds": {"nba": 30}}), "summary_seconds"),
            (
                json!({"summary_seconds": {"basketball/nba": 7200}}),
                "summary_seconds",
            ),
        ];
        for (payload, field) in cases {
            let err =
                parse_event::<CollectEvent>(payload.clone(), Trigger::Manual).expect_err("refused");
            assert_eq!(err.field, field, "{payload}");
        }
    }

    #[test]
    fn the_default_event_covers_all_seven_leagues_every_ten_seconds() {
        let (event, _) = parse_event::<CollectEvent>(json!({}), Trigger::Schedule).expect("valid");
        assert_eq!(event.leagues().len(), 7);
        assert_eq!(event.live_interval(), Duration::from_secs(10));
        let (event, _) = parse_event::<CollectEvent>(
            json!({"leagues": ["football/nfl", "football/nfl"], "date": "20261122"}),
            Trigger::Manual,
        )
        .expect("valid");
        assert_eq!(event.leagues(), vec!["football/nfl".to_owned()]);
        assert_eq!(event.date(), NaiveDate::from_ymd_opt(2026, 11, 22));
    }

    #[test]
    fn summaries_are_read_by_default_where_the_scoreboard_has_no_probability() {
        let minute = Some(Duration::from_secs(60));
        let (event, _) = parse_event::<CollectEvent>(json!({}), Trigger::Schedule).expect("valid");
        assert_eq!(event.summary_cadence("basketball/nba"), minute);
        assert_eq!(
            event.summary_cadence("hockey/nhl"),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            event.summary_cadence("football/nfl"),
            None,
            "on the scoreboard"
        );
        let (event, _) = parse_event::<CollectEvent>(
            json!({"summary_seconds": {"basketball/nba": 0, "football/nfl": 60}}),
            Trigger::Manual,
        )
        .expect("valid");
        assert_eq!(event.summary_cadence("basketball/nba"), None);
        assert_eq!(event.summary_cadence("football/nfl"), minute);
        let (event, _) =
            parse_event::<CollectEvent>(json!({"summary_win_probability": false}), Trigger::Manual)
                .expect("valid");
        assert_eq!(event.summary_cadence("basketball/nba"), None);
    }
}
