//! The vocabulary of a game link (issue 10 §1): what a market is about, which side its YES is,
//! and how sure the linker is. Stored as text with CHECK constraints in `game_links`; these
//! enums are the only spellings the code writes.

use std::fmt;
use std::str::FromStr;

/// A text value that is not one of an enum's spellings.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{value}` is not a {what}")]
pub struct UnknownValue {
    pub what: &'static str,
    pub value: String,
}

macro_rules! text_enum {
    ($(#[$doc:meta])* $name:ident, $what:literal, { $($(#[$vdoc:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vdoc])* $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = UnknownValue;
            fn from_str(value: &str) -> Result<Self, Self::Err> {
                match value {
                    $($text => Ok($name::$variant),)+
                    _ => Err(UnknownValue { what: $what, value: value.to_owned() }),
                }
            }
        }
    };
}

text_enum!(
    /// How far a market's link is established.
    LinkStatus, "link status", {
        /// Tied to one ESPN game, orientation from ESPN.
        Matched => "matched",
        /// Matched, and after settlement the market's result agrees with ESPN's final.
        Verified => "verified",
        /// More than one team split or candidate game fits; the candidates are the evidence.
        Ambiguous => "ambiguous",
        /// No game fits (yet): unknown codes, no game of that pair, a postponed game.
        Unmatched => "unmatched",
        /// Kalshi voided the market.
        Cancelled => "cancelled",
        /// In a game series, but the event ticker is not a game's.
        NotAGame => "not_a_game",
    }
);

text_enum!(
    /// What a game series' markets are about.
    MarketKind, "market kind", {
        /// YES = a team wins.
        Moneyline => "moneyline",
        /// YES = a team wins by more than the line.
        Spread => "spread",
        /// YES = the combined score is over the line.
        Total => "total",
        Other => "other",
    }
);

text_enum!(
    /// Which side a market's YES is on.
    YesSide, "YES side", {
        Home => "home",
        Away => "away",
        Over => "over",
        Under => "under",
    }
);

impl LinkStatus {
    /// Whether the link names a game.
    pub fn is_linked(self) -> bool {
        matches!(self, LinkStatus::Matched | LinkStatus::Verified)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling_round_trips_and_unknown_ones_are_named() {
        for status in LinkStatus::ALL {
            assert_eq!(status.as_str().parse::<LinkStatus>(), Ok(*status));
        }
        for kind in MarketKind::ALL {
            assert_eq!(kind.as_str().parse::<MarketKind>(), Ok(*kind));
        }
        for side in YesSide::ALL {
            assert_eq!(side.as_str().parse::<YesSide>(), Ok(*side));
        }
        let err = "Home".parse::<YesSide>().expect_err("case matters");
        assert_eq!(err.to_string(), "`Home` is not a YES side");
        assert_eq!(
            serde_json::to_string(&LinkStatus::NotAGame).expect("json"),
            "\"not_a_game\""
        );
    }
}
