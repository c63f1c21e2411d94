//! Kalshi game tickers, read without guessing (issue 10 §2). An event ticker is
//! `SERIES-YYMMMDD[HHMM]{AWAY}{HOME}[G1|G2]`: the date is the US-Eastern game date, `HHMM` the ET
//! start, `Gn` a doubleheader's game. The team block is split only later, against the aliases
//! valid in the league on that date ([`splits`]); this module never decides where one code ends.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Utc, Weekday};

/// Team codes are 2 to 5 characters (`NY`, `CONN`, `VGK`).
pub const MIN_CODE: usize = 2;
pub const MAX_CODE: usize = 5;

/// The parts of a game event ticker.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct GameTicker {
    pub series: String,
    /// US-Eastern calendar date of the game.
    pub date: NaiveDate,
    /// The ET start, when the ticker carries `HHMM`, as a UTC instant.
    pub start: Option<DateTime<Utc>>,
    /// The two codes run together, away first by Kalshi's convention: `MINCHI`.
    pub teams: String,
    /// `Some(n)` for a doubleheader's `Gn`.
    pub game_number: Option<u8>,
}

/// Why an event ticker is not a game's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotAGame {
    #[error("`{0}` has no `-` between series and game")]
    NoDash(String),
    #[error("`{0}` does not start with a YYMMMDD date")]
    NoDate(String),
    #[error("`{0}` has a start time that is not HHMM")]
    BadTime(String),
    #[error("`{0}` has a team block of {1} characters (two codes of 2–5 make 4–10)")]
    TeamBlock(String, usize),
}

const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];

/// Parses an event ticker. The series is everything before the first `-`.
pub fn parse_event(event_ticker: &str) -> Result<GameTicker, NotAGame> {
    let not = |f: fn(String) -> NotAGame| f(event_ticker.to_owned());
    let (series, rest) = event_ticker
        .split_once('-')
        .ok_or_else(|| not(NotAGame::NoDash))?;
    if rest.contains('-') || !rest.is_ascii() || rest.len() < 7 {
        return Err(not(NotAGame::NoDate));
    }
    let (yy, rest) = rest.split_at(2);
    let (mmm, rest) = rest.split_at(3);
    let (dd, mut rest) = rest.split_at(2);
    let year = yy.parse::<i32>().map_err(|_| not(NotAGame::NoDate))?;
    let month = MONTHS
        .iter()
        .position(|m| *m == mmm)
        .ok_or_else(|| not(NotAGame::NoDate))?;
    let day = dd.parse::<u32>().map_err(|_| not(NotAGame::NoDate))?;
    let date = NaiveDate::from_ymd_opt(2000 + year, month as u32 + 1, day)
        .ok_or_else(|| not(NotAGame::NoDate))?;

    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let start = match digits {
        0 => None,
        4 => {
            let (hhmm, after) = rest.split_at(4);
            rest = after;
            let time =
                NaiveTime::parse_from_str(hhmm, "%H%M").map_err(|_| not(NotAGame::BadTime))?;
            Some(eastern_to_utc(date.and_time(time)))
        }
        _ => return Err(not(NotAGame::BadTime)),
    };

    // A trailing `G<digit>` is a doubleheader's game number; codes are letters.
    let bytes = rest.as_bytes();
    let game_number = match bytes {
        [.., b'G', n @ b'1'..=b'9'] => Some(n - b'0'),
        _ => None,
    };
    let teams = match game_number {
        Some(_) => &rest[..rest.len() - 2],
        None => rest,
    };
    if teams.len() < 2 * MIN_CODE
        || teams.len() > 2 * MAX_CODE
        || !teams.bytes().all(|b| b.is_ascii_uppercase())
    {
        return Err(NotAGame::TeamBlock(event_ticker.to_owned(), teams.len()));
    }
    Ok(GameTicker {
        series: series.to_owned(),
        date,
        start,
        teams: teams.to_owned(),
        game_number,
    })
}

/// Every way to cut `block` into two codes of 2–5 characters, first code first.
pub fn splits(block: &str) -> Vec<(&str, &str)> {
    (MIN_CODE..=MAX_CODE)
        .filter(|&i| i < block.len() && (MIN_CODE..=MAX_CODE).contains(&(block.len() - i)))
        .filter(|&i| block.is_char_boundary(i))
        .map(|i| block.split_at(i))
        .collect()
}

/// What follows the event ticker in a market ticker: `KXNFLGAME-25SEP08MINCHI-MIN` → `MIN`,
/// `KXNFLSPREAD-26SEP17DETBUF-DET8` → `DET8`. `None` when the market is not under the event.
pub fn market_suffix<'a>(market_ticker: &'a str, event_ticker: &str) -> Option<&'a str> {
    market_ticker
        .strip_prefix(event_ticker)
        .and_then(|rest| rest.strip_prefix('-'))
        .filter(|s| !s.is_empty())
}

/// The team code a moneyline or spread market's suffix names: its leading letters (`DET8` →
/// `DET`). The digits are never read as the line; the line is the market's `floor_strike`.
pub fn suffix_code(suffix: &str) -> Option<&str> {
    let letters = suffix.bytes().take_while(u8::is_ascii_uppercase).count();
    (letters >= MIN_CODE).then(|| &suffix[..letters])
}

/// The UTC instant of a US-Eastern wall-clock time. The US rule since 2007 (the same one
/// `domain::eastern_date` uses): EDT, UTC−4, from the second Sunday of March 02:00 to the first
/// Sunday of November 02:00; EST, UTC−5, otherwise. The repeated hour in November reads as EDT.
pub fn eastern_to_utc(local: NaiveDateTime) -> DateTime<Utc> {
    let year = local.year();
    let second_sunday_march = NaiveDate::from_weekday_of_month_opt(year, 3, Weekday::Sun, 2);
    let first_sunday_november = NaiveDate::from_weekday_of_month_opt(year, 11, Weekday::Sun, 1);
    let two = NaiveTime::from_hms_opt(2, 0, 0).unwrap_or_default();
    let daylight = match (second_sunday_march, first_sunday_november) {
        (Some(start), Some(end)) => local >= start.and_time(two) && local < end.and_time(two),
        _ => false,
    };
    let offset = if daylight { 4 } else { 5 };
    (local + Duration::hours(offset)).and_utc()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::eastern_date;

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("date")
    }

    #[test]
    fn the_issue_s_tickers_parse() {
        let t = parse_event("KXNFLGAME-25SEP08MINCHI").expect("game");
        assert_eq!(t.series, "KXNFLGAME");
        assert_eq!(t.date, date("2025-09-08"));
        assert_eq!(
            (t.teams.as_str(), t.start, t.game_number),
            ("MINCHI", None, None)
        );

        let t = parse_event("KXMLBGAME-26SEP041410DETCLEG1").expect("doubleheader");
        assert_eq!(t.date, date("2026-09-04"));
        assert_eq!(t.teams, "DETCLE");
        assert_eq!(t.game_number, Some(1));
        // 14:10 EDT is 18:10Z.
        assert_eq!(
            t.start.map(|s| s.to_rfc3339()),
            Some("2026-09-04T18:10:00+00:00".into())
        );

        let t = parse_event("KXMLBGAME-26JUL292210SEALAD").expect("late start");
        // 22:10 EDT on 29 July is 02:10Z on the 30th, and still the 29th in ET.
        let start = t.start.expect("start");
        assert_eq!(start.to_rfc3339(), "2026-07-30T02:10:00+00:00");
        assert_eq!(eastern_date(start), t.date);
        assert_eq!(
            parse_event("KXWNBAGAME-26JUN01CONNNY").expect("wnba").teams,
            "CONNNY"
        );
    }

    #[test]
    fn non_game_tickers_say_why() {
        assert!(matches!(parse_event("KXNFLMVP"), Err(NotAGame::NoDash(_))));
        assert!(matches!(
            parse_event("KXNFLWINS-DAL"),
            Err(NotAGame::NoDate(_))
        ));
        assert!(matches!(
            parse_event("KXNFLGAME-25XYZ08MINCHI"),
            Err(NotAGame::NoDate(_))
        ));
        assert!(matches!(
            parse_event("KXNFLGAME-25SEP0812MINCHI"),
            Err(NotAGame::BadTime(_))
        ));
        assert!(matches!(
            parse_event("KXNFLGAME-25SEP08MIN"),
            Err(NotAGame::TeamBlock(_, 3))
        ));
        assert!(matches!(
            parse_event("KXNFLGAME-25SEP08ABCDEFGHIJK"),
            Err(NotAGame::TeamBlock(_, 11))
        ));
        assert!(matches!(
            parse_event("KXNFLGAME-25FEB30MINCHI"),
            Err(NotAGame::NoDate(_))
        ));
    }

    #[test]
    fn team_blocks_split_into_codes_of_two_to_five() {
        assert_eq!(
            splits("CONNNY"),
            vec![("CO", "NNNY"), ("CON", "NNY"), ("CONN", "NY")]
        );
        assert_eq!(splits("VGKLA"), vec![("VG", "KLA"), ("VGK", "LA")]);
        assert_eq!(splits("NYLA"), vec![("NY", "LA")]);
        assert_eq!(splits("ABCDEFGHIJ"), vec![("ABCDE", "FGHIJ")]);
    }

    #[test]
    fn market_suffixes_name_the_yes_team_without_reading_digits_as_a_line() {
        let event = "KXNFLSPREAD-26SEP17DETBUF";
        let suffix = market_suffix("KXNFLSPREAD-26SEP17DETBUF-DET8", event).expect("suffix");
        assert_eq!(suffix, "DET8");
        assert_eq!(suffix_code(suffix), Some("DET"));
        assert_eq!(suffix_code("37"), None);
        assert_eq!(
            market_suffix("KXNFLGAME-25SEP08MINCHI-MIN", "KXNFLGAME-25SEP08MINCHI"),
            Some("MIN")
        );
        assert_eq!(market_suffix("OTHER-1", "KXNFLGAME-25SEP08MINCHI"), None);
    }

    #[test]
    fn eastern_wall_clock_converts_both_sides_of_daylight_time() {
        let at = |d: &str, t: &str| {
            eastern_to_utc(date(d).and_time(NaiveTime::parse_from_str(t, "%H%M").expect("time")))
                .to_rfc3339()
        };
        assert_eq!(at("2025-09-08", "2015"), "2025-09-09T00:15:00+00:00");
        assert_eq!(at("2026-01-10", "2000"), "2026-01-11T01:00:00+00:00");
        assert_eq!(at("2026-03-08", "0300"), "2026-03-08T07:00:00+00:00");
        assert_eq!(at("2026-03-08", "0100"), "2026-03-08T06:00:00+00:00");
    }
}
