//! FiveThirtyEight's Elo, as published in its `nfl-elo-game` code and methodology pages, with
//! the parameters as data so each league's (and each experiment's) are written down next to
//! the ratings they produced (`historical_elo.params`).
//!
//! For each game, in date order:
//! 1. At a team's first game of a new season its rating moves back toward the mean:
//!    `elo = elo * (1 - regression) + mean * regression`. A team never seen starts at `initial`.
//! 2. `diff = home_elo - away_elo + home_advantage` (no advantage at a neutral site) and the home
//!    team's chance is `1 / (1 + 10^(-diff / 400))`.
//! 3. Once played, `shift = k * mov_multiplier * (result - chance)`, added to the home rating and
//!    taken from the away one (`result` 1, 0.5 or 0 for the home team).
//!
//! Ratings are computed in `f64` (logarithms and powers) and stored as NUMERIC rounded to six
//! places; they are ratings, not money.

use serde::{Deserialize, Serialize};

/// How the margin of victory scales the update.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MovMultiplier {
    /// No scaling: every win moves the same.
    None,
    /// 538 NFL: `ln(max(margin, 1) + 1) * 2.2 / (winner_diff * 0.001 + 2.2)`; a tie uses
    /// `2.2 / 1.0` for the second factor. `winner_diff` is the winner's rating edge including
    /// home advantage, which damps favourites' blowouts (autocorrelation).
    Nfl,
    /// 538 NBA: `(margin + 3)^0.8 / (7.5 + 0.006 * winner_diff)`.
    Nba,
}

/// The documented parameters of one Elo run.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EloParams {
    /// How fast ratings move.
    pub k: f64,
    /// Rating points the home team gets (none at a neutral site).
    pub home_advantage: f64,
    /// Where ratings regress to between seasons.
    pub mean: f64,
    /// The share of the way back to `mean` at a new season (538 NFL: 1/3).
    pub regression: f64,
    /// A team never rated before starts here.
    pub initial: f64,
    pub mov: MovMultiplier,
}

impl EloParams {
    /// FiveThirtyEight's NFL model: K 20, home field 65, a third of the way back to 1505. These
    /// reproduce the published `nfl_elo.csv` (the tests measure how closely). 538's last
    /// seasons used a smaller home field (about 48) with rest and travel terms; pass that as
    /// `params` to compute with it.
    pub const NFL: Self = Self {
        k: 20.0,
        home_advantage: 65.0,
        mean: 1505.0,
        regression: 1.0 / 3.0,
        initial: 1505.0,
        mov: MovMultiplier::Nfl,
    };

    /// FiveThirtyEight's NBA model: K 20, home court 100, a quarter of the way back to 1505.
    pub const NBA: Self = Self {
        k: 20.0,
        home_advantage: 100.0,
        mean: 1505.0,
        regression: 0.25,
        initial: 1505.0,
        mov: MovMultiplier::Nba,
    };

    /// Baseball: many games, small moves (538's pure-Elo column: K 4, home field 24, no margin).
    pub const MLB: Self = Self {
        k: 4.0,
        home_advantage: 24.0,
        mean: 1505.0,
        regression: 1.0 / 3.0,
        initial: 1505.0,
        mov: MovMultiplier::None,
    };

    /// Hockey: K 6, home ice 50, the NFL margin form (our reading; not checked against 538).
    pub const NHL: Self = Self {
        k: 6.0,
        home_advantage: 50.0,
        mean: 1505.0,
        regression: 1.0 / 3.0,
        initial: 1505.0,
        mov: MovMultiplier::Nfl,
    };

    /// The defaults for an ESPN league slug: college football like the NFL, the basketball
    /// leagues like the NBA.
    pub fn for_league(league: &str) -> Self {
        match league {
            "football/nfl" | "football/college-football" => Self::NFL,
            "basketball/nba" | "basketball/wnba" | "basketball/mens-college-basketball" => {
                Self::NBA
            }
            "baseball/mlb" => Self::MLB,
            "hockey/nhl" => Self::NHL,
            _ => Self::NFL,
        }
    }

    /// Refuses parameters that cannot produce ratings; names the parameter.
    pub fn check(&self) -> Result<(), (&'static str, &'static str)> {
        let finite = [
            ("k", self.k),
            ("home_advantage", self.home_advantage),
            ("mean", self.mean),
            ("regression", self.regression),
            ("initial", self.initial),
        ];
        if let Some((name, _)) = finite.iter().find(|(_, v)| !v.is_finite()) {
            return Err((name, "must be a finite number"));
        }
        if !(0.0..=200.0).contains(&self.k) {
            return Err(("k", "must be between 0 and 200"));
        }
        if !(0.0..=1.0).contains(&self.regression) {
            return Err(("regression", "must be between 0 and 1"));
        }
        if !(0.0..=5000.0).contains(&self.mean) || !(0.0..=5000.0).contains(&self.initial) {
            return Err(("mean", "ratings must be between 0 and 5000"));
        }
        if self.home_advantage.abs() > 1000.0 {
            return Err(("home_advantage", "must be between -1000 and 1000"));
        }
        Ok(())
    }
}

/// One game to rate.
#[derive(Debug, Clone, Copy)]
pub struct EloGame<'a> {
    pub season: i32,
    pub home: &'a str,
    pub away: &'a str,
    pub neutral: bool,
    /// Both `None` for a game not yet played (rated before, not after).
    pub score: Option<(i32, i32)>,
}

/// What one game did to its two teams.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EloOutcome {
    pub home_pre: f64,
    pub away_pre: f64,
    pub home_probability: f64,
    /// `None` for a game not yet played.
    pub home_post: Option<f64>,
    pub away_post: Option<f64>,
}

#[derive(Debug, Clone, Copy)]
struct Rating {
    elo: f64,
    season: Option<i32>,
}

/// Ratings carried from game to game.
#[derive(Debug, Clone)]
pub struct EloEngine {
    params: EloParams,
    ratings: std::collections::HashMap<String, Rating>,
}

impl EloEngine {
    pub fn new(params: EloParams) -> Self {
        Self {
            params,
            ratings: Default::default(),
        }
    }

    pub fn params(&self) -> &EloParams {
        &self.params
    }

    /// A team's rating after `season` (e.g. the last published one before the seasons computed);
    /// its first game of a later season regresses it as usual.
    pub fn seed(&mut self, team: &str, elo: f64, season: i32) {
        self.ratings.insert(
            team.to_owned(),
            Rating {
                elo,
                season: Some(season),
            },
        );
    }

    /// The team's current rating, if it has one.
    pub fn rating(&self, team: &str) -> Option<f64> {
        self.ratings.get(team).map(|r| r.elo)
    }

    /// The team's rating going into a game of `season`, regressed on the season's first game.
    fn pre(&mut self, team: &str, season: i32) -> f64 {
        let p = self.params;
        let rating = self.ratings.entry(team.to_owned()).or_insert(Rating {
            elo: p.initial,
            season: None,
        });
        if rating.season.is_some_and(|s| s != season) {
            rating.elo = rating.elo * (1.0 - p.regression) + p.mean * p.regression;
        }
        rating.season = Some(season);
        rating.elo
    }

    /// Rates one game, updating both teams when it has been played.
    pub fn play(&mut self, game: EloGame<'_>) -> EloOutcome {
        let home_pre = self.pre(game.home, game.season);
        let away_pre = self.pre(game.away, game.season);
        let p = self.params;
        let diff = home_pre - away_pre + if game.neutral { 0.0 } else { p.home_advantage };
        let home_probability = win_probability(diff);
        let Some((home_score, away_score)) = game.score else {
            return EloOutcome {
                home_pre,
                away_pre,
                home_probability,
                home_post: None,
                away_post: None,
            };
        };
        let result = match home_score.cmp(&away_score) {
            std::cmp::Ordering::Greater => 1.0,
            std::cmp::Ordering::Equal => 0.5,
            std::cmp::Ordering::Less => 0.0,
        };
        let margin = f64::from((home_score - away_score).abs());
        let winner_diff = if result == 1.0 { diff } else { -diff };
        let mult = match p.mov {
            MovMultiplier::None => 1.0,
            MovMultiplier::Nfl => {
                let damping = if result == 0.5 {
                    2.2
                } else {
                    2.2 / (winner_diff * 0.001 + 2.2)
                };
                (margin.max(1.0) + 1.0).ln() * damping
            }
            MovMultiplier::Nba => {
                if result == 0.5 {
                    1.0
                } else {
                    (margin + 3.0).powf(0.8) / (7.5 + 0.006 * winner_diff)
                }
            }
        };
        let shift = p.k * mult * (result - home_probability);
        let home_post = home_pre + shift;
        let away_post = away_pre - shift;
        self.ratings.insert(
            game.home.to_owned(),
            Rating {
                elo: home_post,
                season: Some(game.season),
            },
        );
        self.ratings.insert(
            game.away.to_owned(),
            Rating {
                elo: away_post,
                season: Some(game.season),
            },
        );
        EloOutcome {
            home_pre,
            away_pre,
            home_probability,
            home_post: Some(home_post),
            away_post: Some(away_post),
        }
    }
}

/// The chance of the side with rating edge `diff` (home advantage included).
pub fn win_probability(diff: f64) -> f64 {
    1.0 / (10f64.powf(-diff / 400.0) + 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 0.001
    }

    /// Three games worked by hand with the NFL parameters (K 20, home field 65, NFL margin
    /// multiplier), every team starting at 1505:
    ///
    /// 1. A 24–10 B at A. diff = 65; P(A) = 1/(1+10^(-65/400)) = 0.592466; mult = ln(15) ·
    ///    2.2/(0.065+2.2) = 2.708050 · 0.971302 = 2.630336; shift = 20 · 2.630336 · 0.407534 =
    ///    21.439 → A 1526.439, B 1483.561.
    /// 2. C 17–20 A at C. diff = 1505 − 1526.439 + 65 = 43.561; P(C) = 0.562363; A won, so
    ///    winner_diff = −43.561 and mult = ln(4) · 2.2/(2.2 − 0.043561) = 1.386294 · 1.020201 =
    ///    1.414298; shift = 20 · 1.414298 · (0 − 0.562363) = −15.907 → C 1489.093, A 1542.346.
    /// 3. B 13–13 C at a neutral site, a tie. diff = 1483.561 − 1489.093 = −5.532;
    ///    P(B) = 0.492039; mult = ln(2) · 2.2 = 1.524924; shift = 20 · 1.524924 · 0.007961 =
    ///    0.243 → B 1483.804, C 1488.850.
    #[test]
    fn three_games_match_the_hand_computation() {
        let mut engine = EloEngine::new(EloParams::NFL);
        let g1 = engine.play(EloGame {
            season: 2024,
            home: "A",
            away: "B",
            neutral: false,
            score: Some((24, 10)),
        });
        assert!(close(g1.home_probability, 0.592466), "{g1:?}");
        assert!(close(g1.home_post.expect("played"), 1526.439), "{g1:?}");
        assert!(close(g1.away_post.expect("played"), 1483.561), "{g1:?}");

        let g2 = engine.play(EloGame {
            season: 2024,
            home: "C",
            away: "A",
            neutral: false,
            score: Some((17, 20)),
        });
        assert!(close(g2.home_pre, 1505.0) && close(g2.away_pre, 1526.439));
        assert!(close(g2.home_probability, 0.562363), "{g2:?}");
        assert!(close(g2.home_post.expect("played"), 1489.093), "{g2:?}");
        assert!(close(g2.away_post.expect("played"), 1542.346), "{g2:?}");

        let g3 = engine.play(EloGame {
            season: 2024,
            home: "B",
            away: "C",
            neutral: true,
            score: Some((13, 13)),
        });
        assert!(close(g3.home_probability, 0.492039), "{g3:?}");
        assert!(close(g3.home_post.expect("played"), 1483.804), "{g3:?}");
        assert!(close(g3.away_post.expect("played"), 1488.850), "{g3:?}");
    }

    #[test]
    fn a_new_season_regresses_a_third_toward_the_mean_and_unplayed_games_change_nothing() {
        let mut engine = EloEngine::new(EloParams::NFL);
        engine.seed("NE", 1778.592731, 2016);
        engine.seed("KC", 1616.0, 2016);
        // 538's NE went into 2017 at 1687.395154 = 1778.592731 · 2/3 + 1505 / 3.
        let g = engine.play(EloGame {
            season: 2017,
            home: "NE",
            away: "KC",
            neutral: false,
            score: None,
        });
        assert!(close(g.home_pre, 1687.395154), "{g:?}");
        assert_eq!(g.home_post, None);
        assert!(close(engine.rating("NE").expect("rated"), 1687.395154));
    }

    #[test]
    fn params_round_trip_and_bad_ones_are_named() {
        let json = serde_json::to_value(EloParams::NBA).expect("json");
        assert_eq!(json["mov"], "nba");
        let back: EloParams = serde_json::from_value(json).expect("back");
        assert_eq!(back, EloParams::NBA);
        let bad = EloParams {
            regression: 2.0,
            ..EloParams::NFL
        };
        assert_eq!(bad.check().expect_err("refused").0, "regression");
    }
}
