//! Kalshi's fixed-point strings: `*_dollars` prices (`"0.5600"`, ticks down to $0.0001, up to six
//! decimals) and `*_fp` contract counts (`"12.50"`). Parsed exactly into `Decimal`; a float never
//! touches them.

use std::str::FromStr;

use rust_decimal::Decimal;

use super::Price;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecimalError {
    #[error("`{0}` is not a decimal number")]
    NotADecimal(String),
    #[error("price `{0}` is outside $0..$1")]
    PriceOutOfRange(String),
    #[error("count `{0}` is negative")]
    NegativeCount(String),
}

fn parse_plain(raw: &str) -> Result<Decimal, DecimalError> {
    let trimmed = raw.trim();
    // Decimal::from_str accepts `1_000` and exponents in some forms; Kalshi sends neither, and
    // anything that unusual is worth rejecting rather than guessing.
    let well_formed = !trimmed.is_empty()
        && trimmed
            .chars()
            .enumerate()
            .all(|(i, c)| c.is_ascii_digit() || c == '.' || (i == 0 && c == '-'));
    if !well_formed {
        return Err(DecimalError::NotADecimal(raw.to_owned()));
    }
    Decimal::from_str(trimmed).map_err(|_| DecimalError::NotADecimal(raw.to_owned()))
}

/// A dollar price of a binary contract: between 0 and 1 inclusive.
pub fn parse_dollars(raw: &str) -> Result<Price, DecimalError> {
    Price::new(parse_plain(raw)?).map_err(|_| DecimalError::PriceOutOfRange(raw.to_owned()))
}

/// A contract count or volume: non-negative, fractional allowed.
pub fn parse_count(raw: &str) -> Result<Decimal, DecimalError> {
    let value = parse_plain(raw)?;
    if value.is_sign_negative() && !value.is_zero() {
        return Err(DecimalError::NegativeCount(raw.to_owned()));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn sub_penny_prices_keep_every_digit() {
        assert_eq!(
            parse_dollars("0.0150").expect("valid").to_string(),
            "0.0150"
        );
        assert_eq!(
            parse_dollars("0.000100").expect("valid").to_string(),
            "0.000100"
        );
    }

    #[test]
    fn fractional_counts_parse() {
        assert_eq!(parse_count("12.50").expect("valid").to_string(), "12.50");
    }

    #[test]
    fn malformed_values_are_refused() {
        for bad in ["", "abc", "0.5x", "1e-2", "NaN", "1_0", "--1"] {
            assert!(parse_count(bad).is_err(), "{bad} should be refused");
        }
        assert!(matches!(
            parse_dollars("1.0001"),
            Err(DecimalError::PriceOutOfRange(_))
        ));
        assert!(matches!(
            parse_count("-1.00"),
            Err(DecimalError::NegativeCount(_))
        ));
    }

    proptest! {
        #[test]
        fn any_four_decimal_price_round_trips(ten_thousandths in 0u32..=10_000) {
            let text = format!("{}.{:04}", ten_thousandths / 10_000, ten_thousandths % 10_000);
            let parsed = parse_dollars(&text).expect("in range");
            prop_assert_eq!(parsed.to_string(), text);
        }
    }
}
