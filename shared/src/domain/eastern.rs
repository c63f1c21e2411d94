//! US-Eastern calendar days, the one place they are computed. ESPN files games under the
//! US-Eastern day (a 02:30Z tip-off belongs to the previous ET date), so `dates=` and "a game
//! from an earlier day" are both reckoned in America/New_York. The US rule since 2007 is short
//! enough to keep here rather than pull in a time-zone database: EDT (UTC−4) from the second
//! Sunday of March at 02:00 local until the first Sunday of November at 02:00 local, EST (UTC−5)
//! otherwise.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc, Weekday};

/// The US-Eastern calendar date at instant `at`.
pub fn eastern_date(at: DateTime<Utc>) -> NaiveDate {
    let offset_hours = if is_daylight_time(at) { 4 } else { 5 };
    (at - Duration::hours(offset_hours)).date_naive()
}

/// The instant a US-Eastern calendar day begins (its local midnight), in UTC.
pub fn eastern_day_start(date: NaiveDate) -> DateTime<Utc> {
    // Midnight is never inside a switch (they happen at 02:00 local), so midnight EDT (04:00Z)
    // is the start exactly when that instant is in daylight time; otherwise it is midnight EST.
    let midnight_utc = |hour| date.and_hms_opt(hour, 0, 0).map(|t| t.and_utc());
    match midnight_utc(4) {
        Some(edt) if is_daylight_time(edt) => edt,
        _ => midnight_utc(5).unwrap_or_default(),
    }
}

fn is_daylight_time(at: DateTime<Utc>) -> bool {
    let year = at.year();
    // 02:00 EST = 07:00 UTC; 02:00 EDT = 06:00 UTC.
    let starts = nth_sunday(year, 3, 2).and_hms_opt(7, 0, 0);
    let ends = nth_sunday(year, 11, 1).and_hms_opt(6, 0, 0);
    match (starts, ends) {
        (Some(starts), Some(ends)) => {
            let naive = at.naive_utc();
            naive >= starts && naive < ends
        }
        _ => false,
    }
}

fn nth_sunday(year: i32, month: u32, n: u8) -> NaiveDate {
    NaiveDate::from_weekday_of_month_opt(year, month, Weekday::Sun, n).unwrap_or(NaiveDate::MIN)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .expect("time")
            .with_timezone(&Utc)
    }

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("date")
    }

    #[test]
    fn a_late_kickoff_in_utc_belongs_to_the_previous_eastern_day() {
        // Monday Night Football: 00:15Z Tuesday is 20:15 EDT Monday.
        assert_eq!(eastern_date(at("2025-09-23T00:15:00Z")), date("2025-09-22"));
        // In winter the offset is five hours: 04:59Z is still the previous day.
        assert_eq!(eastern_date(at("2026-01-11T04:59:00Z")), date("2026-01-10"));
        assert_eq!(eastern_date(at("2026-01-11T05:00:00Z")), date("2026-01-11"));
    }

    #[test]
    fn daylight_time_switches_on_the_us_dates() {
        // 2026: DST from Sunday 8 March 07:00Z until Sunday 1 November 06:00Z.
        assert!(!is_daylight_time(at("2026-03-08T06:59:00Z")));
        assert!(is_daylight_time(at("2026-03-08T07:00:00Z")));
        assert!(is_daylight_time(at("2026-11-01T05:59:00Z")));
        assert!(!is_daylight_time(at("2026-11-01T06:00:00Z")));
        // 03:30Z on 1 Nov 2026 is 23:30 EDT on 31 Oct.
        assert_eq!(eastern_date(at("2026-11-01T03:30:00Z")), date("2026-10-31"));
    }

    #[test]
    fn a_day_starts_at_local_midnight_whatever_the_season() {
        assert_eq!(
            eastern_day_start(date("2026-07-04")),
            at("2026-07-04T04:00:00Z")
        );
        assert_eq!(
            eastern_day_start(date("2026-01-10")),
            at("2026-01-10T05:00:00Z")
        );
        // Both switch days start at midnight under the offset in force before the switch.
        assert_eq!(
            eastern_day_start(date("2026-03-08")),
            at("2026-03-08T05:00:00Z")
        );
        assert_eq!(
            eastern_day_start(date("2026-11-01")),
            at("2026-11-01T04:00:00Z")
        );
        // And it agrees with `eastern_date` on every day of a year, either side of the start.
        let mut day = date("2026-01-01");
        while day < date("2027-01-01") {
            let start = eastern_day_start(day);
            assert_eq!(eastern_date(start), day, "{day}");
            assert_eq!(
                eastern_date(start - Duration::seconds(1)),
                day.pred_opt().expect("day")
            );
            day = day.succ_opt().expect("day");
        }
    }
}
