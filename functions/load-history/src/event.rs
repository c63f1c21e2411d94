use precog::domain::sports_history::elo::EloParams;
use precog::runner::{BadEvent, Event};
use serde::Deserialize;

/// Either a file to load or an Elo computation. Examples:
/// `{"source":"nflverse_games","url":"https://github.com/nflverse/nfldata/raw/master/data/games.csv"}`,
/// `{"source":"espn_schedule","path":"nba_schedule_2024.parquet","league":"basketball/nba"}`,
/// `{"compute_elo":{"league":"football/nfl","seasons":[2024,2025]}}`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HistoryEvent {
    /// Which kind of file.
    pub source: Option<SourceKind>,
    /// A local file.
    pub path: Option<String>,
    /// An https URL (http only for loopback, which the tests use).
    pub url: Option<String>,
    /// ESPN `sport/league` slug, where the file does not say.
    pub league: Option<String>,
    /// Compute Elo from `historical_games` instead of loading a file.
    pub compute_elo: Option<ComputeElo>,
    /// The invocation's budget when not under Lambda.
    pub max_seconds: Option<u64>,
}

/// The files load-history reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// nflverse `games.csv`.
    NflverseGames,
    /// CollegeBasketballData `lines_{season}.csv`.
    CbbdLines,
    /// sportsdataverse `*_schedule_{season}.parquet`.
    EspnSchedule,
    /// FiveThirtyEight `*_elo.csv` (one row per game, or per team with `is_home`).
    FivethirtyeightElo,
}

impl SourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NflverseGames => "nflverse_games",
            Self::CbbdLines => "cbbd_lines",
            Self::EspnSchedule => "espn_schedule",
            Self::FivethirtyeightElo => "fivethirtyeight_elo",
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComputeElo {
    pub league: String,
    pub seasons: Vec<i32>,
    /// Overrides the league's documented defaults ([`EloParams::for_league`]).
    pub params: Option<EloParams>,
}

/// Where the bytes come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    Path(String),
    Url(String),
}

/// What an event asks for, once validated.
#[derive(Debug, Clone)]
pub enum Job {
    Load {
        kind: SourceKind,
        location: Location,
        league: String,
    },
    ComputeElo {
        league: String,
        seasons: Vec<i32>,
        params: EloParams,
    },
}

impl HistoryEvent {
    /// The job, with the league inferred where the file says it. Only call after `validate`.
    pub fn job(&self) -> Result<Job, BadEvent> {
        if let Some(compute) = &self.compute_elo {
            let mut seasons = compute.seasons.clone();
            seasons.sort_unstable();
            seasons.dedup();
            return Ok(Job::ComputeElo {
                league: compute.league.clone(),
                seasons,
                params: compute
                    .params
                    .unwrap_or_else(|| EloParams::for_league(&compute.league)),
            });
        }
        let kind = self
            .source
            .ok_or_else(|| BadEvent::new("source", "give `source` or `compute_elo`"))?;
        let location = match (&self.path, &self.url) {
            (Some(path), None) => Location::Path(path.clone()),
            (None, Some(url)) => Location::Url(url.clone()),
            _ => return Err(BadEvent::new("path", "give exactly one of `path` or `url`")),
        };
        let league = self.league_for(kind, &location)?;
        Ok(Job::Load {
            kind,
            location,
            league,
        })
    }

    fn league_for(&self, kind: SourceKind, location: &Location) -> Result<String, BadEvent> {
        let implied = match kind {
            SourceKind::NflverseGames => Some("football/nfl"),
            SourceKind::CbbdLines => Some("basketball/mens-college-basketball"),
            SourceKind::EspnSchedule => None,
            // FiveThirtyEight names its files by league: nfl_elo.csv, nba_elo_latest.csv, …
            SourceKind::FivethirtyeightElo => {
                let name = match location {
                    Location::Path(p) | Location::Url(p) => p.rsplit('/').next().unwrap_or(p),
                };
                [
                    ("nfl_", "football/nfl"),
                    ("nba_", "basketball/nba"),
                    ("nhl_", "hockey/nhl"),
                    ("mlb_", "baseball/mlb"),
                    ("wnba_", "basketball/wnba"),
                ]
                .iter()
                .find(|(prefix, _)| name.starts_with(prefix))
                .map(|(_, league)| *league)
            }
        };
        match (&self.league, implied) {
            (Some(given), Some(implied)) if given != implied => Err(BadEvent::new(
                "league",
                format!("a {} file is {implied}, not {given}", kind.as_str()),
            )),
            (Some(given), _) => Ok(given.clone()),
            (None, Some(implied)) => Ok(implied.to_owned()),
            (None, None) => Err(BadEvent::new(
                "league",
                format!(
                    "a {} file does not say its league; give it, e.g. basketball/nba",
                    kind.as_str()
                ),
            )),
        }
    }
}

fn check_league(field: &str, league: &str) -> Result<(), BadEvent> {
    if precog::espn::is_league(league) {
        Ok(())
    } else {
        Err(BadEvent::new(
            field,
            format!("`{league}` is not a league collect-espn follows (e.g. football/nfl)"),
        ))
    }
}

fn check_url(url: &str) -> Result<(), BadEvent> {
    let parsed =
        reqwest::Url::parse(url).map_err(|e| BadEvent::new("url", format!("not a URL: {e}")))?;
    let loopback = matches!(parsed.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
    match parsed.scheme() {
        "https" => Ok(()),
        "http" if loopback => Ok(()),
        other => Err(BadEvent::new(
            "url",
            format!("must be https (got {other}://)"),
        )),
    }
}

impl Event for HistoryEvent {
    fn validate(&self) -> Result<(), BadEvent> {
        if let Some(compute) = &self.compute_elo {
            if let Some(field) = [
                ("source", self.source.is_some()),
                ("path", self.path.is_some()),
                ("url", self.url.is_some()),
                ("league", self.league.is_some()),
            ]
            .iter()
            .find(|(_, given)| *given)
            .map(|(f, _)| *f)
            {
                return Err(BadEvent::new(
                    field,
                    "`compute_elo` runs alone; give its league inside it",
                ));
            }
            check_league("compute_elo.league", &compute.league)?;
            if compute.seasons.is_empty() || compute.seasons.len() > 200 {
                return Err(BadEvent::new(
                    "compute_elo.seasons",
                    "give 1 to 200 seasons",
                ));
            }
            if let Some(bad) = compute.seasons.iter().find(|s| !(1869..=2100).contains(*s)) {
                return Err(BadEvent::new(
                    "compute_elo.seasons",
                    format!("{bad} is not a season"),
                ));
            }
            if let Some(params) = &compute.params {
                params.check().map_err(|(name, why)| {
                    BadEvent::new(format!("compute_elo.params.{name}"), why)
                })?;
            }
        } else {
            let job = self.job()?;
            if let Job::Load {
                location, league, ..
            } = &job
            {
                check_league("league", league)?;
                match location {
                    Location::Path(path) if path.trim().is_empty() => {
                        return Err(BadEvent::new("path", "empty"));
                    }
                    Location::Url(url) => check_url(url)?,
                    Location::Path(_) => {}
                }
            }
        }
        precog::runner::check_max_seconds(self.max_seconds)?;
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
            (json!({}), "source"),
            (json!({"source": "nflverse"}), "source"),
            (json!({"source": "nflverse_games"}), "path"),
            (
                json!({"source": "nflverse_games", "path": "a", "url": "https://x/y"}),
                "path",
            ),
            (
                json!({"source": "nflverse_games", "url": "ftp://x/games.csv"}),
                "url",
            ),
            (
                json!({"source": "nflverse_games", "url": "http://example.com/g.csv"}),
                "url",
            ),
            (
                json!({"source": "nflverse_games", "path": "g.csv", "league": "basketball/nba"}),
                "league",
            ),
            (
                json!({"source": "espn_schedule", "path": "s.parquet"}),
                "league",
            ),
            (
                json!({"source": "espn_schedule", "path": "s.parquet", "league": "curling"}),
                "league",
            ),
            (
                json!({"source": "fivethirtyeight_elo", "path": "elo.csv"}),
                "league",
            ),
            (
                json!({"compute_elo": {"league": "football/nfl", "seasons": []}}),
                "compute_elo.seasons",
            ),
            (
                json!({"compute_elo": {"league": "chess", "seasons": [2024]}}),
                "compute_elo.league",
            ),
            (
                json!({"compute_elo": {"league": "football/nfl", "seasons": [2024]}, "league": "x"}),
                "league",
            ),
            (
                json!({"compute_elo": {"league": "football/nfl", "seasons": [2024],
                     "params": {"k": 20, "home_advantage": 65, "mean": 1505, "regression": 3,
                                "initial": 1505, "mov": "nfl"}}}),
                "compute_elo.params.regression",
            ),
            (
                json!({"source": "cbbd_lines", "path": "l.csv", "max_seconds": 0}),
                "max_seconds",
            ),
            (json!({"sorce": "cbbd_lines"}), "sorce"),
        ];
        for (payload, field) in cases {
            let err =
                parse_event::<HistoryEvent>(payload.clone(), Trigger::Manual).expect_err("refused");
            assert_eq!(err.field, field, "{payload}: {err}");
        }
    }

    #[test]
    fn leagues_are_inferred_where_the_file_says() {
        let (event, _) = parse_event::<HistoryEvent>(
            json!({"source": "fivethirtyeight_elo", "url": "https://example.com/data/nba_elo.csv"}),
            Trigger::Manual,
        )
        .expect("valid");
        match event.job().expect("job") {
            Job::Load { league, .. } => assert_eq!(league, "basketball/nba"),
            other => panic!("{other:?}"),
        }
        let (event, _) = parse_event::<HistoryEvent>(
            json!({"compute_elo": {"league": "basketball/nba", "seasons": [2025, 2024, 2025]}}),
            Trigger::Manual,
        )
        .expect("valid");
        match event.job().expect("job") {
            Job::ComputeElo {
                seasons, params, ..
            } => {
                assert_eq!(seasons, vec![2024, 2025]);
                assert_eq!(params, EloParams::NBA);
            }
            other => panic!("{other:?}"),
        }
    }
}
