//! Identifiers that are strings on the wire and in the database, typed so one cannot be passed
//! where another is meant and a blank one cannot be made.

use std::fmt;

/// A blank string offered as an identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("missing or empty")]
pub struct BlankId;

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        ///
        /// Stored as plain `text` and serialised as the bare string; never blank when made here.
        #[derive(
            Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, sqlx::Type,
        )]
        #[serde(transparent)]
        #[sqlx(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn new(value: impl Into<String>) -> Result<Self, BlankId> {
                let value = value.into();
                if value.trim().is_empty() {
                    Err(BlankId)
                } else {
                    Ok(Self(value))
                }
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = BlankId;

            fn try_from(value: String) -> Result<Self, BlankId> {
                Self::new(value)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                Self::new(String::deserialize(d)?).map_err(serde::de::Error::custom)
            }
        }
    };
}

string_id!(
    /// A Kalshi market ticker, e.g. `KXNFLGAME-26SEP13DALNYG-DAL`.
    Ticker
);

string_id!(
    /// ESPN's event id, e.g. `401547417`: one game.
    EspnEventId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_ids_cannot_be_made() {
        assert_eq!(Ticker::new("  "), Err(BlankId));
        assert_eq!(EspnEventId::new(""), Err(BlankId));
        assert_eq!(Ticker::new("T-1").expect("id").as_str(), "T-1");
    }

    #[test]
    fn json_is_the_bare_string() {
        let id = EspnEventId::new("401547417").expect("id");
        assert_eq!(serde_json::to_string(&id).expect("json"), "\"401547417\"");
        assert!(serde_json::from_str::<Ticker>("\"\"").is_err());
    }
}

/// Whether `value` is spelled like a Kalshi ticker (series, event or market): upper-case letters,
/// digits, `-`, `.` and `_`, at most 200 characters (e.g. `HIGHNY-22DEC23-B53.5`). Functions check
/// the tickers an event names with it before anything is fetched or written.
pub fn is_kalshi_ticker(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= 200
        && value
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || matches!(c, '-' | '.' | '_'))
}

#[cfg(test)]
mod ticker_spelling_tests {
    use super::is_kalshi_ticker;

    #[test]
    fn kalshi_tickers_are_upper_case_with_dashes_dots_and_underscores() {
        assert!(is_kalshi_ticker("HIGHNY-22DEC23-B53.5"));
        assert!(is_kalshi_ticker("KXMLBGAME-26SEP041410DETCLEG1"));
        assert!(!is_kalshi_ticker(""));
        assert!(!is_kalshi_ticker("kxnfl game"));
        assert!(!is_kalshi_ticker(&"A".repeat(201)));
    }
}
