//! `espn_edge`: does the market lag ESPN's win probability? ESPN's probability is ESPN's model,
//! not the truth; this strategy only tests whether Kalshi's price follows it late enough, and by
//! enough, to pay the taker fee.
//!
//! Entry, on moneyline markets of a live game (ESPN state `in`): for YES the edge is ESPN's
//! probability that YES wins minus the YES ask minus the taker fee per contract; for NO, one
//! minus that probability minus the NO ask minus its fee. The better side is bought when its
//! edge is at least `min_edge`. YES on one team's market and NO on the other's are the same bet,
//! so a game is entered once per market kind, through whichever of its markets offers the better
//! edge at that instant (a game change shows the strategy all of the game's markets at once).
//! `min_period`/`max_period` and `min_clock_seconds`/`max_clock_seconds` limit when entries may
//! happen. A game and kind once entered is not entered again, even after an exit.
//!
//! Exit, each rule off unless given: `take_profit` (sell when the bid is that much above the
//! entry price) and `exit_edge` (sell when what holding is worth by ESPN's probability, less
//! what selling now would fetch after its fee, is `exit_edge` or less: the edge has closed).
//! With neither, the position is held to settlement.

use rust_decimal::Decimal;
use rustc_hash::FxHashSet;
use serde_json::{json, Value};

use precog::domain::MarketKind;
use precog::runner::BadEvent;

use crate::game::{GameState, GameView, Phase};
use crate::params::Params;
use crate::strategy::{Action, Order, OrderType, PositionView, Side, Strategy, View};

pub const NAME: &str = "espn_edge";

/// The latest clock any sport shows, in seconds, for range checks.
const MAX_CLOCK: i64 = 100_000;

pub fn build(params: &mut Params) -> Result<Box<dyn Strategy>, BadEvent> {
    let min_edge = params.decimal_in("min_edge", Some(Decimal::new(5, 2)), Decimal::ZERO, Decimal::ONE)?;
    let contracts = Decimal::from(params.positive_integer("contracts", Some(1))?);
    let exit_edge = params.optional_decimal_in("exit_edge", -Decimal::ONE, Decimal::ONE)?;
    let take_profit = params.optional_decimal_in("take_profit", Decimal::ZERO, Decimal::ONE)?;
    let min_period = params.optional_positive_integer("min_period")?;
    let max_period = params.optional_positive_integer("max_period")?;
    let clock = Decimal::from(MAX_CLOCK);
    let min_clock = params.optional_decimal_in("min_clock_seconds", Decimal::ZERO, clock)?;
    let max_clock = params.optional_decimal_in("max_clock_seconds", Decimal::ZERO, clock)?;
    if let (Some(low), Some(high)) = (min_period, max_period) {
        if high < low {
            return Err(BadEvent::new(
                "params.max_period",
                format!("{high} is below min_period {low}"),
            ));
        }
    }
    if let (Some(low), Some(high)) = (min_clock, max_clock) {
        if high < low {
            return Err(BadEvent::new(
                "params.max_clock_seconds",
                format!("{high} is below min_clock_seconds {low}"),
            ));
        }
    }
    Ok(Box::new(EspnEdge {
        min_edge,
        contracts,
        exit_edge,
        take_profit,
        periods: (
            min_period.map(|p| i64::try_from(p).unwrap_or(i64::MAX)),
            max_period.map(|p| i64::try_from(p).unwrap_or(i64::MAX)),
        ),
        clock: (min_clock, max_clock),
        entered: FxHashSet::default(),
    }))
}

struct EspnEdge {
    min_edge: Decimal,
    contracts: Decimal,
    exit_edge: Option<Decimal>,
    take_profit: Option<Decimal>,
    periods: (Option<i64>, Option<i64>),
    clock: (Option<Decimal>, Option<Decimal>),
    /// (game, kind) already entered.
    entered: FxHashSet<(u32, MarketKind)>,
}

/// One side's case for entry.
struct Candidate {
    side: Side,
    probability: Decimal,
    ask: Decimal,
    fee: Decimal,
    edge: Decimal,
}

fn in_range<T: PartialOrd>(value: Option<T>, (low, high): (Option<T>, Option<T>)) -> bool {
    if low.is_none() && high.is_none() {
        return true;
    }
    value.is_some_and(|v| low.is_none_or(|l| v >= l) && high.is_none_or(|h| v <= h))
}

/// ESPN's probability that `side` of this market wins.
fn side_probability(game: &GameView<'_>, side: Side) -> Option<Decimal> {
    let yes = game.yes_win_probability()?;
    Some(match side {
        Side::Yes => yes,
        Side::No => Decimal::ONE - yes,
    })
}

fn state_json(state: &GameState) -> Value {
    json!({
        "state_observed_at": state.observed_at,
        "period": state.period,
        "clock": state.display_clock,
        "clock_seconds": state.clock_seconds,
        "home_score": state.home_score,
        "away_score": state.away_score,
        "home_win_probability": state.home_win_probability,
    })
}

impl EspnEdge {
    /// The better side of this market to enter now, if its edge reaches `min_edge`.
    fn candidate(&self, view: &View<'_>) -> Option<Candidate> {
        let game = view.game?;
        if game.kind != MarketKind::Moneyline
            || view.position.is_some()
            || !view.snapshot.tradable
            || game.state.phase != Phase::In
            || self.entered.contains(&(game.game, game.kind))
            || !in_range(game.state.period.map(i64::from), self.periods)
            || !in_range(game.state.clock_seconds, self.clock)
        {
            return None;
        }
        let mut best: Option<Candidate> = None;
        for side in [Side::Yes, Side::No] {
            let (Some(probability), Some(ask)) =
                (side_probability(&game, side), view.snapshot.quote.ask(side))
            else {
                continue;
            };
            let fee = view.taker_fee(ask, self.contracts);
            let edge = probability - ask - fee / self.contracts;
            if edge >= self.min_edge && best.as_ref().is_none_or(|b| edge > b.edge) {
                best = Some(Candidate {
                    side,
                    probability,
                    ask,
                    fee,
                    edge,
                });
            }
        }
        best
    }

    fn enter(&mut self, view: &View<'_>, c: Candidate) -> Option<Order> {
        let game = view.game?;
        self.entered.insert((game.game, game.kind));
        let mut reason = state_json(game.state);
        if let Value::Object(map) = &mut reason {
            for (k, v) in [
                ("signal", json!("espn_edge")),
                ("trigger", json!(view.trigger)),
                ("side", json!(c.side)),
                ("win_probability", json!(c.probability)),
                ("ask", json!(c.ask)),
                ("fee", json!(c.fee)),
                ("edge", json!(c.edge.round_dp(6))),
                ("min_edge", json!(self.min_edge)),
                ("quote_at", json!(view.quote_at)),
            ] {
                map.insert(k.to_owned(), v);
            }
        }
        Some(Order {
            side: c.side,
            action: Action::Buy,
            contracts: self.contracts,
            order_type: OrderType::Market,
            reason,
        })
    }

    fn exit(&self, view: &View<'_>, position: &PositionView) -> Option<Order> {
        if !view.snapshot.tradable {
            return None;
        }
        let bid = view.snapshot.quote.bid(position.side)?;
        let signal = if self
            .take_profit
            .is_some_and(|tp| bid >= position.entry_price + tp)
        {
            json!({"signal": "take_profit", "bid": bid, "entry_price": position.entry_price})
        } else {
            let threshold = self.exit_edge?;
            let game = view.game?;
            let probability = side_probability(&game, position.side)?;
            let fee = view.taker_fee(bid, position.contracts);
            let left = probability - (bid - fee / position.contracts);
            if left > threshold {
                return None;
            }
            let mut reason = state_json(game.state);
            if let Value::Object(map) = &mut reason {
                for (k, v) in [
                    ("signal", json!("exit_edge")),
                    ("win_probability", json!(probability)),
                    ("bid", json!(bid)),
                    ("fee", json!(fee)),
                    ("edge_left", json!(left.round_dp(6))),
                    ("exit_edge", json!(threshold)),
                ] {
                    map.insert(k.to_owned(), v);
                }
            }
            reason
        };
        Some(Order {
            side: position.side,
            action: Action::Sell,
            contracts: position.contracts,
            order_type: OrderType::Market,
            reason: signal,
        })
    }
}

impl Strategy for EspnEdge {
    fn on_snapshot(&mut self, view: &View<'_>) -> Option<Order> {
        if let Some(position) = view.position {
            return self.exit(view, position);
        }
        let candidate = self.candidate(view)?;
        self.enter(view, candidate)
    }

    fn on_game(&mut self, views: &[View<'_>]) -> Vec<(usize, Order)> {
        let mut orders = Vec::new();
        for (i, view) in views.iter().enumerate() {
            if let Some(order) = view.position.and_then(|p| self.exit(view, p)) {
                orders.push((i, order));
            }
        }
        // The better of equivalent bets: the best edge over all of the game's markets; on a tie
        // the first market (by ticker) wins.
        let mut best: Option<(usize, Candidate)> = None;
        for (i, view) in views.iter().enumerate() {
            if let Some(c) = self.candidate(view) {
                if best.as_ref().is_none_or(|(_, b)| c.edge > b.edge) {
                    best = Some((i, c));
                }
            }
        }
        if let Some((i, c)) = best {
            if let Some(order) = views.get(i).and_then(|view| self.enter(view, c)) {
                orders.push((i, order));
            }
        }
        orders
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};
    use precog::domain::YesSide;

    use super::*;
    use crate::fees::{FeeModel, FeeSchedule};
    use crate::params::Params;
    use crate::strategy::{Quote, Snapshot, Trigger};

    fn d(s: &str) -> Decimal {
        s.parse().expect("decimal")
    }

    fn t() -> DateTime<Utc> {
        DateTime::from_timestamp(1_790_000_000, 0).expect("time")
    }

    fn state(home: &str, period: i32, clock: &str) -> GameState {
        GameState {
            observed_at: t(),
            phase: Phase::In,
            period: Some(period),
            clock_seconds: Some(d(clock)),
            display_clock: None,
            home_score: Some(7),
            away_score: Some(0),
            possession: None,
            down: None,
            distance: None,
            home_win_probability: Some(d(home)),
            away_win_probability: None,
            backfilled: false,
        }
    }

    fn snapshot(market: u32, bid: &str, ask: &str) -> Snapshot {
        Snapshot {
            id: i64::from(market),
            market,
            at: t(),
            tradable: true,
            quote: Quote {
                yes_bid: Some(d(bid)),
                yes_ask: Some(d(ask)),
                no_bid: Some(Decimal::ONE - d(ask)),
                no_ask: Some(Decimal::ONE - d(bid)),
                ..Quote::default()
            },
        }
    }

    fn view<'a>(
        snapshot: &'a Snapshot,
        side: YesSide,
        state: &'a GameState,
        fees: &'a FeeSchedule,
    ) -> View<'a> {
        View {
            ticker: "T",
            snapshot,
            quote_at: snapshot.at,
            trigger: Trigger::Game,
            position: None,
            result: None,
            game: Some(GameView {
                game: 0,
                espn_event_id: "1",
                kind: MarketKind::Moneyline,
                yes_side: Some(side),
                line: None,
                state,
            }),
            fees,
            fee_model: FeeModel::Series,
        }
    }

    fn strategy(params: Value) -> Box<dyn Strategy> {
        crate::strategies::build(
            NAME,
            Params::new(params.as_object().cloned().expect("object")),
        )
        .expect("valid")
    }

    #[test]
    fn the_better_of_two_equivalent_bets_is_the_only_one_taken() {
        let fees = FeeSchedule::default();
        let s = state("0.80", 2, "600");
        // Home YES at 0.60: 0.80 − 0.60 − 0.02 = 0.18. Away NO at 1 − 0.45 = 0.55:
        // 0.80 − 0.55 − ⌈0.07 × 0.55 × 0.45⌉ = 0.23. The away market's NO is better.
        let home = snapshot(0, "0.58", "0.60");
        let away = snapshot(1, "0.45", "0.47");
        let views = [
            view(&home, YesSide::Home, &s, &fees),
            view(&away, YesSide::Away, &s, &fees),
        ];
        let mut edge = strategy(json!({"min_edge": "0.10"}));
        let orders = edge.on_game(&views);
        assert_eq!(orders.len(), 1, "{orders:?}");
        let (i, order) = &orders[0];
        assert_eq!(*i, 1);
        assert_eq!(order.side, Side::No);
        assert_eq!(order.reason["edge"], json!("0.23"));
        assert_eq!(order.reason["fee"], json!("0.02"));
        assert_eq!(order.reason["win_probability"], json!("0.80"));
        assert!(
            edge.on_game(&views).is_empty(),
            "the game is entered once per kind"
        );
    }

    #[test]
    fn entries_respect_the_edge_the_period_and_the_clock() {
        let fees = FeeSchedule::default();
        let home = snapshot(0, "0.58", "0.60");
        let cases = [
            (json!({"min_edge": "0.19"}), state("0.80", 2, "600"), false),
            (json!({"min_edge": "0.18"}), state("0.80", 2, "600"), true),
            (json!({"min_edge": "0.10", "max_period": 1}), state("0.80", 2, "600"), false),
            (json!({"min_edge": "0.10", "min_period": 2, "max_period": 3}), state("0.80", 2, "600"), true),
            (json!({"min_edge": "0.10", "min_clock_seconds": 700}), state("0.80", 2, "600"), false),
            (json!({"min_edge": "0.10", "max_clock_seconds": 600}), state("0.80", 2, "600"), true),
        ];
        for (params, s, enters) in cases {
            let mut edge = strategy(params.clone());
            let v = view(&home, YesSide::Home, &s, &fees);
            assert_eq!(edge.on_snapshot(&v).is_some(), enters, "{params}");
        }
        let mut pre = state("0.80", 1, "900");
        pre.phase = Phase::Pre;
        let mut edge = strategy(json!({"min_edge": "0.05"}));
        assert!(
            edge.on_snapshot(&view(&home, YesSide::Home, &pre, &fees)).is_none(),
            "only live games"
        );
    }

    #[test]
    fn exits_fire_only_when_asked() {
        let fees = FeeSchedule::default();
        let s = state("0.70", 3, "300");
        let quote = snapshot(0, "0.69", "0.71");
        let position = PositionView {
            side: Side::Yes,
            contracts: d("1"),
            entry_price: d("0.60"),
            opened_at: t(),
        };
        let mut v = view(&quote, YesSide::Home, &s, &fees);
        v.position = Some(&position);
        assert!(strategy(json!({})).on_snapshot(&v).is_none(), "hold");
        let tp = strategy(json!({"take_profit": "0.09"})).on_snapshot(&v);
        assert_eq!(tp.map(|o| o.reason["signal"].clone()), Some(json!("take_profit")));
        // 0.70 − (0.69 − 0.02) = 0.03 left.
        assert!(strategy(json!({"exit_edge": "0.02"})).on_snapshot(&v).is_none());
        let closed = strategy(json!({"exit_edge": "0.03"})).on_snapshot(&v);
        assert_eq!(
            closed.map(|o| (o.action, o.reason["edge_left"].clone())),
            Some((Action::Sell, json!("0.03")))
        );
    }

    #[test]
    fn bad_parameters_are_refused_by_name() {
        let build = |params: Value| {
            crate::strategies::build(
                NAME,
                Params::new(params.as_object().cloned().expect("object")),
            )
            .err()
            .map(|e| e.field)
        };
        assert_eq!(build(json!({"min_edge": 2})), Some("params.min_edge".into()));
        assert_eq!(
            build(json!({"min_period": 3, "max_period": 2})),
            Some("params.max_period".into())
        );
        assert_eq!(build(json!({"take_profit": -1})), Some("params.take_profit".into()));
        assert_eq!(build(json!({"edge": 1})), Some("params.edge".into()));
    }
}
