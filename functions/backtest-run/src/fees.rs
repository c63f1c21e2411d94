//! Kalshi's trading fee (docs/kalshi-api.md §6): per order, entry and exit, never at
//! settlement; `rate × multiplier × C × P × (1 − P)` rounded up to the cent, with the rate and
//! multiplier taken from each series (or its event's override).

use rust_decimal::Decimal;
use serde::Serialize;

/// Whether an order takes liquidity (crosses the spread) or rests and is taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Liquidity {
    Taker,
    Maker,
}

/// One series' (or event's) fee terms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FeeSchedule {
    pub fee_type: String,
    pub multiplier: Decimal,
}

impl Default for FeeSchedule {
    fn default() -> Self {
        Self {
            fee_type: "quadratic".to_owned(),
            multiplier: Decimal::ONE,
        }
    }
}

impl FeeSchedule {
    /// A zero-fee schedule (`"fees": "zero"` in the event), for comparing with tools without fees.
    pub fn zero() -> Self {
        Self {
            fee_type: "zero".to_owned(),
            multiplier: Decimal::ZERO,
        }
    }

    /// The series' terms, overridden field by field by its event's.
    pub fn resolve(
        series_type: Option<String>,
        series_multiplier: Option<Decimal>,
        event_type: Option<String>,
        event_multiplier: Option<Decimal>,
    ) -> Self {
        let default = Self::default();
        Self {
            fee_type: event_type.or(series_type).unwrap_or(default.fee_type),
            multiplier: event_multiplier
                .or(series_multiplier)
                .unwrap_or(default.multiplier),
        }
    }

    /// The fee for one order of `contracts` at `price` dollars, rounded up to the cent.
    ///
    /// `flat` is not established by the reference; it is charged like `quadratic` (the taker
    /// formula), which over-charges rather than flatters.
    pub fn fee(&self, price: Decimal, contracts: Decimal, liquidity: Liquidity) -> Decimal {
        let rate = match (liquidity, self.fee_type.as_str()) {
            (_, "zero") => return Decimal::ZERO,
            (Liquidity::Taker, _) => Decimal::new(7, 2),
            (Liquidity::Maker, "quadratic_with_maker_fees" | "quadratic_with_combo_maker_fees") => {
                Decimal::new(175, 4)
            }
            (Liquidity::Maker, _) => return Decimal::ZERO,
        };
        let raw = rate * self.multiplier * contracts * price * (Decimal::ONE - price);
        round_up_to_cent(raw)
    }
}

fn round_up_to_cent(amount: Decimal) -> Decimal {
    let cents = (amount * Decimal::ONE_HUNDRED).ceil();
    (cents / Decimal::ONE_HUNDRED).round_dp(2)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().expect("decimal")
    }

    fn schedule(fee_type: &str, multiplier: &str) -> FeeSchedule {
        FeeSchedule {
            fee_type: fee_type.to_owned(),
            multiplier: d(multiplier),
        }
    }

    #[test]
    fn worked_numbers_from_the_reference() {
        let quadratic = schedule("quadratic", "1");
        let makers = schedule("quadratic_with_maker_fees", "1");
        // 100 at $0.50 taker = 0.07 × 100 × 0.25 = $1.75.
        assert_eq!(
            quadratic.fee(d("0.50"), d("100"), Liquidity::Taker),
            d("1.75")
        );
        // As maker: $0.4375 → $0.44, only where the series charges makers.
        assert_eq!(makers.fee(d("0.50"), d("100"), Liquidity::Maker), d("0.44"));
        assert_eq!(quadratic.fee(d("0.50"), d("100"), Liquidity::Maker), d("0"));
        // One contract at $0.50 taker = $0.0175 → $0.02.
        assert_eq!(
            quadratic.fee(d("0.50"), d("1"), Liquidity::Taker),
            d("0.02")
        );
    }

    #[test]
    fn fees_at_several_prices_and_sizes_round_up_to_the_cent() {
        let quadratic = schedule("quadratic", "1");
        let cases = [
            // 0.07 × 10 × 0.10 × 0.90 = 0.063 → 0.07
            ("0.10", "10", "0.07"),
            // 0.07 × 1 × 0.99 × 0.01 = 0.000693 → 0.01
            ("0.99", "1", "0.01"),
            // 0.07 × 1000 × 0.30 × 0.70 = 14.70 exactly
            ("0.30", "1000", "14.70"),
            // 0.07 × 2.5 × 0.40 × 0.60 = 0.042 → 0.05 (fractional contracts)
            ("0.40", "2.5", "0.05"),
        ];
        for (price, contracts, fee) in cases {
            assert_eq!(
                quadratic.fee(d(price), d(contracts), Liquidity::Taker),
                d(fee),
                "{contracts} at {price}"
            );
        }
    }

    #[test]
    fn the_multiplier_scales_and_event_overrides_win() {
        let half = FeeSchedule::resolve(Some("quadratic".into()), Some(d("0.5")), None, None);
        // 0.07 × 0.5 × 100 × 0.25 = 0.875 → 0.88
        assert_eq!(half.fee(d("0.50"), d("100"), Liquidity::Taker), d("0.88"));
        let overridden = FeeSchedule::resolve(
            Some("quadratic".into()),
            Some(d("1")),
            Some("quadratic_with_maker_fees".into()),
            Some(d("2")),
        );
        assert_eq!(overridden.fee_type, "quadratic_with_maker_fees");
        assert_eq!(
            overridden.fee(d("0.50"), d("100"), Liquidity::Taker),
            d("3.50")
        );
        assert_eq!(
            FeeSchedule::zero().fee(d("0.5"), d("100"), Liquidity::Taker),
            d("0")
        );
    }
}
