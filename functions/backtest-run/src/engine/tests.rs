//! The engine over hand-built events, no database: a scripted strategy places given orders at
//! given snapshots, and the books are checked to the cent against numbers worked by hand.

use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;
use rustc_hash::FxHashMap;
use serde_json::json;

use super::*;
use crate::fees::{FeeModel, FeeSchedule, Liquidity};
use crate::strategy::{Action, Order, OrderType, Quote, Side, Snapshot, Strategy, View};

fn d(s: &str) -> Decimal {
    s.parse().expect("decimal")
}

fn t0() -> DateTime<Utc> {
    "2026-11-01T12:00:00Z".parse().expect("time")
}

fn mins(n: i64) -> DateTime<Utc> {
    t0() + Duration::minutes(n)
}

/// Places the order scripted for a snapshot id, nothing otherwise.
struct Script(FxHashMap<i64, Order>);

impl Strategy for Script {
    fn on_snapshot(&mut self, view: &View<'_>) -> Option<Order> {
        self.0.remove(&view.snapshot.id)
    }
}

fn order(side: Side, action: Action, contracts: &str, order_type: OrderType) -> Order {
    Order {
        side,
        action,
        contracts: d(contracts),
        order_type,
        reason: json!({"signal": "script"}),
    }
}

fn buy(contracts: &str) -> Order {
    order(Side::Yes, Action::Buy, contracts, OrderType::Market)
}

fn sell(contracts: &str) -> Order {
    order(Side::Yes, Action::Sell, contracts, OrderType::Market)
}

fn limit_buy(contracts: &str, limit: &str) -> Order {
    order(
        Side::Yes,
        Action::Buy,
        contracts,
        OrderType::Limit(d(limit)),
    )
}

/// A YES book: bid, ask, and the ask's size when shown.
fn quote(bid: &str, ask: &str, ask_size: Option<&str>) -> Quote {
    Quote {
        yes_bid: Some(d(bid)),
        yes_ask: Some(d(ask)),
        yes_ask_size: ask_size.map(d),
        ..Quote::default()
    }
}

fn snap(id: i64, at: DateTime<Utc>, quote: Quote) -> Item {
    Item::Snapshot(Snapshot {
        id,
        market: 0,
        at,
        tradable: true,
        quote,
    })
}

/// One market; YES wins (pays $1) and settles at `settle_at` when given.
fn market(fee_type: &str, settle_at: Option<DateTime<Utc>>) -> Vec<MarketMeta> {
    vec![MarketMeta {
        ticker: "KXT-1".to_owned(),
        fees: FeeSchedule {
            fee_type: fee_type.to_owned(),
            multiplier: Decimal::ONE,
        },
        result: settle_at.map(|_| "yes".to_owned()),
        determined_at: settle_at,
        yes_payout: settle_at.map(|_| Decimal::ONE),
        notional: Decimal::ONE,
        settle_at,
        game: None,
    }]
}

/// Runs `items` through a fresh engine with `orders` scripted by snapshot id.
fn run(
    cash: &str,
    fees: FeeModel,
    markets: &[MarketMeta],
    orders: Vec<(i64, Order)>,
    items: &[Item],
    end: DateTime<Utc>,
) -> Engine {
    let settings = Settings {
        starting_cash: d(cash),
        respect_top_of_book_size: true,
        fees,
        max_quote_age_seconds: 3900,
        limit_fills: Default::default(),
    };
    let mut engine = Engine::new(Box::new(Script(orders.into_iter().collect())), settings);
    engine.begin(t0());
    for item in items {
        engine.step(item, markets);
    }
    engine.finish(end);
    engine
}

#[test]
fn a_crossing_limit_takes_at_the_ask_pays_the_taker_fee_and_settlement_pays_out() {
    let markets = market("quadratic", Some(mins(120)));
    let items = [
        snap(1, t0(), quote("0.48", "0.50", None)),
        Item::Settle(0, mins(120)),
    ];
    let engine = run(
        "1000",
        FeeModel::Series,
        &markets,
        vec![(1, limit_buy("100", "0.60"))],
        &items,
        mins(180),
    );
    let fill = &engine.fills()[0];
    // At the ask, not the limit: 100 × 0.50, fee 0.07 × 100 × 0.25 = $1.75.
    assert_eq!((fill.price, fill.fee), (d("0.50"), d("1.75")));
    assert_eq!(fill.liquidity, Liquidity::Taker);
    // 1000 − 50 − 1.75 + 100 paid at settlement.
    assert_eq!(engine.equity(), d("1048.25"));
    let execution = &engine.executions()[0];
    assert_eq!(execution.exit_kind, ExitKind::Settled);
    assert_eq!(execution.exit_price, Some(d("1")));
    assert_eq!(
        (execution.gross_pnl, execution.fees, execution.pnl),
        (d("50"), d("1.75"), d("48.25"))
    );
    assert_eq!(execution.won, Some(true));
    // Held from the fill to settlement: 2 of the 3 hours.
    assert_eq!(engine.performance.exposed_secs, 7200);
}

#[test]
fn the_zero_fee_model_charges_nothing_on_the_same_trades() {
    let markets = market("quadratic", Some(mins(120)));
    let items = [
        snap(1, t0(), quote("0.48", "0.50", None)),
        Item::Settle(0, mins(120)),
    ];
    let engine = run(
        "1000",
        FeeModel::Zero,
        &markets,
        vec![(1, buy("100"))],
        &items,
        mins(180),
    );
    assert_eq!(engine.fills()[0].fee, d("0"));
    assert_eq!(engine.executions()[0].pnl, d("50"));
    assert_eq!(engine.equity(), d("1050"));
}

#[test]
fn a_resting_limit_fills_as_maker_up_to_the_shown_size_and_the_rest_is_dropped_on_close() {
    let markets = market("quadratic_with_maker_fees", None);
    let closed = Item::Snapshot(Snapshot {
        id: 4,
        market: 0,
        at: mins(3),
        tradable: false,
        quote: quote("0.36", "0.40", Some("500")),
    });
    let items = [
        // The ask is above the limit: the order rests.
        snap(1, t0(), quote("0.38", "0.45", Some("50"))),
        // Still above: it keeps resting.
        snap(2, mins(1), quote("0.38", "0.41", Some("50"))),
        // The ask trades down to the limit with 30 shown: 30 fill at 0.40, 70 keep resting.
        snap(3, mins(2), quote("0.36", "0.40", Some("30"))),
        // The market closes with 70 still resting.
        closed,
    ];
    let engine = run(
        "1000",
        FeeModel::Series,
        &markets,
        vec![(1, limit_buy("100", "0.40"))],
        &items,
        mins(10),
    );
    assert_eq!(engine.fills().len(), 1);
    let fill = &engine.fills()[0];
    assert_eq!(fill.liquidity, Liquidity::Maker);
    assert_eq!((fill.price, fill.contracts), (d("0.40"), d("30")));
    // Maker rate: 0.0175 × 30 × 0.40 × 0.60 = 0.126 → $0.13.
    assert_eq!(fill.fee, d("0.13"));
    assert_eq!(engine.refusals.limit_unfilled, 1);
    // Still open at the end, marked at the last bid: 1000 − 12.13 + 30 × 0.36.
    assert_eq!(engine.equity(), d("998.67"));
    let execution = &engine.executions()[0];
    assert_eq!(execution.exit_kind, ExitKind::Open);
    assert_eq!(execution.exit_price, Some(d("0.36")));
}

#[test]
fn a_losing_round_trip_books_its_pnl_and_the_drawdown_from_the_peak() {
    let markets = market("quadratic", None);
    let items = [
        snap(1, t0(), quote("0.48", "0.50", None)),
        snap(2, mins(60), quote("0.30", "0.32", None)),
    ];
    let end: DateTime<Utc> = "2026-11-03T00:00:00Z".parse().expect("time");
    let engine = run(
        "100",
        FeeModel::Series,
        &markets,
        vec![(1, buy("10")), (2, sell("10"))],
        &items,
        end,
    );
    // Bought 10 at 0.50 (fee 0.175 → 0.18), sold 10 at the 0.30 bid (fee 0.147 → 0.15).
    let execution = &engine.executions()[0];
    assert_eq!(execution.exit_kind, ExitKind::Sold);
    assert_eq!(
        (execution.entry_price, execution.exit_price),
        (d("0.50"), Some(d("0.30")))
    );
    assert_eq!(
        (execution.gross_pnl, execution.fees, execution.pnl),
        (d("-2.00"), d("0.33"), d("-2.33"))
    );
    assert_eq!(engine.equity(), d("97.67"));
    // The peak is the starting $100 at noon on Nov 1; equity never gets back to it, so the
    // drawdown lasts to the window's end, 36 hours later.
    assert_eq!(engine.performance.max_drawdown, d("2.33"));
    assert_eq!(engine.performance.max_drawdown_pct, d("0.0233"));
    assert_eq!(engine.performance.max_drawdown_duration_secs, 36 * 3600);
    assert_eq!(engine.performance.exposed_secs, 3600);
    // One end-of-day equity per UTC day of the window (Nov 1, 2 and 3).
    let days: Vec<Decimal> = engine.performance.daily.iter().map(|(_, e)| *e).collect();
    assert_eq!(days, vec![d("97.67"); 3]);
    // The curve: the start, each fill, the end.
    let curve: Vec<Decimal> = engine.performance.curve.iter().map(|(_, e)| *e).collect();
    assert_eq!(curve, vec![d("100"), d("99.62"), d("97.67"), d("97.67")]);
}

#[test]
fn orders_the_book_cannot_fill_are_counted_by_reason() {
    let markets = market("quadratic", None);
    let no_ask = Quote {
        yes_bid: Some(d("0.48")),
        ..Quote::default()
    };
    let closed = Item::Snapshot(Snapshot {
        id: 7,
        market: 0,
        at: mins(7),
        tradable: false,
        quote: quote("0.48", "0.50", None),
    });
    let items = [
        snap(1, t0(), quote("0.48", "0.50", None)),
        snap(2, mins(1), quote("0.48", "0.50", None)),
        snap(3, mins(2), no_ask),
        snap(4, mins(3), quote("0.48", "0.50", Some("0"))),
        snap(5, mins(4), quote("0.48", "0.50", None)),
        snap(6, mins(5), quote("0.48", "0.50", None)),
        closed,
    ];
    let orders = vec![
        // $50 + fee is more than the $10 there is.
        (1, buy("100")),
        // Nothing held to sell.
        (2, sell("1")),
        (3, buy("1")),
        // Nothing shown at the ask.
        (4, buy("1")),
        // Fills: 10 at 0.50 + 0.18.
        (5, buy("10")),
        // NO while holding YES.
        (6, order(Side::No, Action::Buy, "1", OrderType::Market)),
        (7, buy("1")),
    ];
    let engine = run("10", FeeModel::Series, &markets, orders, &items, mins(10));
    let r = &engine.refusals;
    assert_eq!(
        (
            r.insufficient_cash,
            r.no_position,
            r.no_quote,
            r.no_size,
            r.opposite_position,
            r.market_not_open
        ),
        (1, 1, 1, 1, 1, 1)
    );
    assert_eq!(engine.fills().len(), 1);
    assert_eq!(engine.executions()[0].contracts, d("10"));
}

#[test]
fn matching_takes_crossing_orders_and_rests_the_rest() {
    let book = quote("0.48", "0.50", None);
    let arrive = |o: Order| matching::arrive(&o, &book);
    assert_eq!(arrive(buy("1")), Arrival::Take(d("0.50")));
    assert_eq!(arrive(sell("1")), Arrival::Take(d("0.48")));
    assert_eq!(arrive(limit_buy("1", "0.50")), Arrival::Take(d("0.50")));
    assert_eq!(arrive(limit_buy("1", "0.49")), Arrival::Rest);
    let limit_sell = order(Side::Yes, Action::Sell, "1", OrderType::Limit(d("0.49")));
    assert_eq!(arrive(limit_sell.clone()), Arrival::Rest);
    // The NO ask is 1 − the YES bid.
    let no = order(Side::No, Action::Buy, "1", OrderType::Market);
    assert_eq!(arrive(no), Arrival::Take(d("0.52")));
    assert_eq!(
        matching::arrive(&buy("1"), &Quote::default()),
        Arrival::NoQuote
    );
    // A resting sell fills at its limit once the bid reaches it.
    assert_eq!(
        matching::resting_fill(&limit_sell, &quote("0.49", "0.51", None)),
        Some(d("0.49"))
    );
    assert_eq!(matching::resting_fill(&limit_sell, &book), None);
}

// ---- Game changes -------------------------------------------------------------------------

/// Records every call (trigger, instant, quote time, home probability seen) and buys one YES on
/// the first game change it is shown with a tradable quote.
struct Watcher {
    calls: std::sync::Arc<std::sync::Mutex<Vec<Call>>>,
    bought: bool,
}

type Call = (
    crate::strategy::Trigger,
    DateTime<Utc>,
    DateTime<Utc>,
    Option<Decimal>,
);

impl Watcher {
    fn record(&self, view: &View<'_>) {
        if let Ok(mut calls) = self.calls.lock() {
            calls.push((
                view.trigger,
                view.snapshot.at,
                view.quote_at,
                view.game.and_then(|g| g.state.home_win_probability),
            ));
        }
    }
}

impl Strategy for Watcher {
    fn on_snapshot(&mut self, view: &View<'_>) -> Option<Order> {
        self.record(view);
        None
    }

    fn on_game(&mut self, views: &[View<'_>]) -> Vec<(usize, Order)> {
        views.iter().for_each(|v| self.record(v));
        if self.bought {
            return Vec::new();
        }
        self.bought = true;
        vec![(0, buy("1"))]
    }
}

fn linked_market(knowable_at: DateTime<Utc>) -> Vec<MarketMeta> {
    let mut markets = market("quadratic", None);
    markets[0].game = Some(crate::game::GameLink {
        game: 0,
        espn_event_id: "401".to_owned(),
        kind: precog::domain::MarketKind::Moneyline,
        yes_side: Some(precog::domain::YesSide::Home),
        line: None,
        knowable_at,
    });
    markets
}

fn game_state(at: DateTime<Utc>, home: &str) -> crate::game::GameState {
    crate::game::GameState {
        observed_at: at,
        phase: crate::game::Phase::In,
        period: Some(1),
        clock_seconds: None,
        display_clock: None,
        home_score: None,
        away_score: None,
        possession: None,
        down: None,
        distance: None,
        home_win_probability: Some(d(home)),
        away_win_probability: None,
        backfilled: false,
    }
}

/// A game change at `at`, showing the market's last snapshot `quote` (if any).
fn game_item(at: DateTime<Utc>, home: &str, quote: Option<Snapshot>) -> Item {
    Item::Game(std::sync::Arc::new(crate::game::GameEvent {
        game: 0,
        state: game_state(at, home),
        quotes: quote.into_iter().collect(),
    }))
}

fn snapshot(id: i64, at: DateTime<Utc>, bid: &str, ask: &str) -> Snapshot {
    Snapshot {
        id,
        market: 0,
        at,
        tradable: true,
        quote: quote(bid, ask, None),
    }
}

fn watch(
    markets: &[MarketMeta],
    items: &[Item],
    max_quote_age_seconds: u64,
) -> (Engine, Vec<Call>) {
    let calls = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut engine = Engine::new(
        Box::new(Watcher {
            calls: calls.clone(),
            bought: false,
        }),
        Settings {
            starting_cash: d("100"),
            respect_top_of_book_size: true,
            fees: FeeModel::Series,
            max_quote_age_seconds,
            limit_fills: Default::default(),
        },
    );
    engine.begin(t0());
    for item in items {
        engine.step(item, markets);
    }
    engine.finish(mins(60));
    let seen = calls.lock().map(|c| c.clone()).unwrap_or_default();
    (engine, seen)
}

#[test]
fn a_game_change_trades_against_the_last_quote_stamped_with_the_state_instant() {
    use crate::strategy::Trigger;
    let markets = linked_market(t0() - Duration::hours(1));
    let q = snapshot(7, t0(), "0.58", "0.60");
    let later = t0() + Duration::seconds(1);
    let items = [
        Item::Snapshot(q.clone()),
        game_item(later, "0.80", Some(q)),
        Item::Snapshot(snapshot(8, mins(2), "0.70", "0.72")),
    ];
    let (engine, calls) = watch(&markets, &items, 3900);
    assert_eq!(
        calls,
        vec![
            (Trigger::Quote, t0(), t0(), None),
            (Trigger::Game, later, t0(), Some(d("0.80"))),
            (Trigger::Quote, mins(2), mins(2), Some(d("0.80"))),
        ],
        "a state one second after a quote is not visible at that quote"
    );
    let fill = &engine.fills()[0];
    // 1 at the 0.60 ask, fee ⌈0.07 × 0.6 × 0.4⌉ = 0.02, stamped at the state's instant.
    assert_eq!(
        (fill.price, fill.fee, fill.at),
        (d("0.60"), d("0.02"), later)
    );
    assert_eq!(
        engine.executions()[0].entry_snapshot_id,
        7,
        "the quote it filled against"
    );
}

#[test]
fn a_quote_older_than_the_max_age_is_not_tradable_on_a_game_change() {
    let markets = linked_market(t0() - Duration::hours(1));
    let q = snapshot(1, t0(), "0.58", "0.60");
    let items = [
        Item::Snapshot(q.clone()),
        game_item(t0() + Duration::seconds(61), "0.80", Some(q)),
    ];
    let (engine, calls) = watch(&markets, &items, 60);
    assert_eq!(calls.len(), 2, "still shown, as not tradable");
    assert!(engine.fills().is_empty());
    assert_eq!(engine.refusals.stale_quote, 1);
    let (engine, _) = watch(&markets, &items, 61);
    assert_eq!(engine.fills().len(), 1, "61 s old is within 61 s");
}

#[test]
fn a_link_is_invisible_before_it_is_knowable() {
    let markets = linked_market(mins(10));
    let q = snapshot(1, t0(), "0.58", "0.60");
    let items = [
        Item::Snapshot(q.clone()),
        game_item(mins(5), "0.80", Some(q)),
        Item::Snapshot(snapshot(2, mins(9), "0.58", "0.60")),
        Item::Snapshot(snapshot(3, mins(10), "0.58", "0.60")),
    ];
    let (engine, calls) = watch(&markets, &items, 3900);
    let games: Vec<Option<Decimal>> = calls.iter().map(|c| c.3).collect();
    assert_eq!(
        games,
        vec![None, None, Some(d("0.80"))],
        "no game call before knowable_at; the state shows from then on"
    );
    assert!(engine.fills().is_empty());
}

// ---- Printed trades as fill evidence --------------------------------------------------------

fn print(at: DateTime<Utc>, yes: &str, count: &str, quote: &Item) -> Item {
    let Item::Snapshot(s) = quote else {
        unreachable!("a snapshot item")
    };
    Item::Trade(Box::new(TradePrint {
        market: 0,
        at,
        yes_price: d(yes),
        no_price: Decimal::ONE - d(yes),
        count: d(count),
        quote: Some(s.clone()),
    }))
}

#[test]
fn with_trade_evidence_a_resting_limit_fills_only_on_prints_after_it_rested_up_to_their_count() {
    let markets = market("quadratic", None);
    let posted = snap(1, t0(), quote("0.40", "0.44", Some("100")));
    let items = [
        posted.clone(),
        // Printed at the instant the order was posted: not after it rested.
        print(t0(), "0.39", "100", &posted),
        // Above the limit: no.
        print(mins(5), "0.41", "100", &posted),
        // At the limit: 20 of 50.
        print(mins(10), "0.40", "20", &posted),
        // The touch trades through with 100 shown: ignored under this rule.
        snap(2, mins(12), quote("0.36", "0.39", Some("100"))),
        // Through the limit: 10 more, at the limit.
        print(mins(15), "0.38", "10", &posted),
    ];
    let orders = vec![(1, limit_buy("50", "0.40"))];
    let settings = |limit_fills| Settings {
        starting_cash: d("1000"),
        respect_top_of_book_size: true,
        fees: FeeModel::Series,
        max_quote_age_seconds: 3900,
        limit_fills,
    };
    let go = |limit_fills| {
        let mut engine = Engine::new(
            Box::new(Script(orders.clone().into_iter().collect())),
            settings(limit_fills),
        );
        engine.begin(t0());
        items.iter().for_each(|item| engine.step(item, &markets));
        engine.finish(mins(30));
        engine
    };
    let engine = go(LimitFills::Trades);
    let fills: Vec<(Decimal, Decimal, DateTime<Utc>, Liquidity)> = engine
        .fills()
        .iter()
        .map(|f| (f.price, f.contracts, f.at, f.liquidity))
        .collect();
    assert_eq!(
        fills,
        vec![
            (d("0.40"), d("20"), mins(10), Liquidity::Maker),
            (d("0.40"), d("10"), mins(15), Liquidity::Maker),
        ]
    );
    assert_eq!(
        engine.refusals.limit_unfilled, 1,
        "20 still resting at the end"
    );
    // The touch rule fills all 50 at +12m from the 100 shown.
    let touch = go(LimitFills::Touch);
    assert_eq!(touch.fills().len(), 1);
    assert_eq!(
        (touch.fills()[0].contracts, touch.fills()[0].at),
        (d("50"), mins(12))
    );
}
