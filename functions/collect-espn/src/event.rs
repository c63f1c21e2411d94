use std::time::Duration;

use chrono::NaiveDate;
use precog::espn::{is_league, LEAGUES};
use precog::runner::{BadEvent, Event};
use serde::Deserialize;

/// `{}` follows all seven leagues for today's US-Eastern slate. Examples:
/// `{"leagues":["football/nfl"],"live_interval_seconds":10,"max_seconds":285}`,
/// `{"leagues":["basketball/nba"],"date":"20261120"}` (one ET day, e.g. to catch up).
#[derive(Debug, Clone, Default, Deserialize)]
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
    /// Also read each live game's summary for its win-probability series when the scoreboard
    /// carries none (one extra request per such game per pass).
    #[serde(default)]
    pub summary_win_probability: bool,
    /// Re-link every game-series market to its ESPN game, not only what changed (after an
    /// alias fix; docs/linking.md).
    #[serde(default)]
    pub relink: bool,
}

pub const DEFAULT_LIVE_INTERVAL_SECONDS: u64 = 10;

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
        if let Some(seconds) = self.max_seconds {
            if !(1..=86_400).contains(&seconds) {
                return Err(BadEvent::new("max_seconds", "must be between 1 and 86400"));
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
}
