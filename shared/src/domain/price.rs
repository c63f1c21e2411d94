//! A binary contract's price: a dollar amount between 0 and 1 inclusive, exact.

use std::fmt;

use rust_decimal::Decimal;

/// A price in [0, 1] dollars. The range is checked when one is made from a number; values read
/// back from the database were checked on the way in. Stored as plain `numeric` and serialised as
/// the decimal itself, so neither the columns nor the API's JSON know about the wrapper.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, sqlx::Type,
)]
#[serde(transparent)]
#[sqlx(transparent)]
pub struct Price(Decimal);

/// A number outside [0, 1] offered as a price.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("price {0} is outside 0..=1")]
pub struct PriceOutOfRange(pub Decimal);

impl Price {
    pub const ZERO: Price = Price(Decimal::ZERO);
    pub const ONE: Price = Price(Decimal::ONE);

    pub fn new(value: Decimal) -> Result<Self, PriceOutOfRange> {
        if (Decimal::ZERO..=Decimal::ONE).contains(&value) {
            Ok(Self(value))
        } else {
            Err(PriceOutOfRange(value))
        }
    }

    /// The price as a plain decimal, for arithmetic and for binding.
    pub fn get(self) -> Decimal {
        self.0
    }
}

impl TryFrom<Decimal> for Price {
    type Error = PriceOutOfRange;

    fn try_from(value: Decimal) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<Price> for Decimal {
    fn from(price: Price) -> Self {
        price.0
    }
}

impl<'de> serde::Deserialize<'de> for Price {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Self::new(<Decimal as serde::Deserialize>::deserialize(deserializer)?)
            .map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for Price {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_zero_to_one_is_a_price() {
        assert!(Price::new(Decimal::new(5, 1)).is_ok());
        assert_eq!(Price::new(Decimal::ONE), Ok(Price::ONE));
        assert!(Price::new(Decimal::new(10001, 4)).is_err());
        assert!(Price::new(Decimal::new(-1, 4)).is_err());
    }

    #[test]
    fn json_is_the_bare_decimal_and_is_checked_on_the_way_in() {
        let price = Price::new(Decimal::new(150, 4)).expect("in range");
        assert_eq!(serde_json::to_string(&price).expect("json"), "\"0.0150\"");
        let back: Price = serde_json::from_str("\"0.0150\"").expect("parses");
        assert_eq!(back, price);
        assert!(serde_json::from_str::<Price>("\"1.5\"").is_err());
    }
}
