//! Reading typed values out of a row's text, each refusal naming its column. Blank and R's `NA`
//! are both "no value" (nflverse is written by R).

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;

use crate::input::Record;

/// Why a row did not parse.
pub type RowResult<T> = Result<T, String>;

pub fn opt_text<'a>(rec: &'a Record<'_>, name: &str) -> Option<&'a str> {
    match rec.get(name) {
        "" | "NA" | "NaN" | "null" | "None" => None,
        v => Some(v),
    }
}

pub fn text<'a>(rec: &'a Record<'_>, name: &str) -> RowResult<&'a str> {
    opt_text(rec, name).ok_or_else(|| format!("column `{name}` is blank"))
}

pub fn opt_int(rec: &Record<'_>, name: &str) -> RowResult<Option<i32>> {
    match opt_text(rec, name) {
        None => Ok(None),
        Some(v) => parse_int(v)
            .map(Some)
            .ok_or_else(|| format!("column `{name}`: `{v}` is not a whole number")),
    }
}

/// Accepts `7` and R's `7.0`; refuses `7.5`.
fn parse_int(v: &str) -> Option<i32> {
    if let Ok(n) = v.parse::<i32>() {
        return Some(n);
    }
    let d: Decimal = v.parse().ok()?;
    if d.fract().is_zero() {
        d.trunc().normalize().to_string().parse().ok()
    } else {
        None
    }
}

pub fn int(rec: &Record<'_>, name: &str) -> RowResult<i32> {
    opt_int(rec, name)?.ok_or_else(|| format!("column `{name}` is blank"))
}

pub fn opt_decimal(rec: &Record<'_>, name: &str) -> RowResult<Option<Decimal>> {
    match opt_text(rec, name) {
        None => Ok(None),
        Some(v) => v
            .parse::<Decimal>()
            .or_else(|_| Decimal::from_scientific(v))
            .map(|d| Some(d.normalize()))
            .map_err(|_| format!("column `{name}`: `{v}` is not a number")),
    }
}

pub fn decimal(rec: &Record<'_>, name: &str) -> RowResult<Decimal> {
    opt_decimal(rec, name)?.ok_or_else(|| format!("column `{name}` is blank"))
}

/// `2024-09-08`, or `9/8/2024` (spreadsheet re-saves).
pub fn date(rec: &Record<'_>, name: &str) -> RowResult<NaiveDate> {
    let v = text(rec, name)?;
    let day = v.get(..10).unwrap_or(v);
    NaiveDate::parse_from_str(day, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(v, "%m/%d/%Y"))
        .map_err(|_| format!("column `{name}`: `{v}` is not a date"))
}

/// An instant: RFC 3339, or ESPN's minute form `2024-10-22T23:30Z`.
pub fn opt_instant(rec: &Record<'_>, name: &str) -> RowResult<Option<DateTime<Utc>>> {
    let Some(v) = opt_text(rec, name) else {
        return Ok(None);
    };
    if let Ok(t) = DateTime::parse_from_rfc3339(v) {
        return Ok(Some(t.with_timezone(&Utc)));
    }
    for format in [
        "%Y-%m-%dT%H:%MZ",
        "%Y-%m-%d %H:%M:%S%#z",
        "%Y-%m-%dT%H:%M:%S%.fZ",
    ] {
        if let Ok(t) = DateTime::parse_from_str(v, format) {
            return Ok(Some(t.with_timezone(&Utc)));
        }
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(v, format) {
            return Ok(Some(t.and_utc()));
        }
    }
    // Parquet timestamps print as `2024-10-22 23:30:00 +00:00`.
    if let Ok(t) = DateTime::parse_from_str(v, "%Y-%m-%d %H:%M:%S %:z") {
        return Ok(Some(t.with_timezone(&Utc)));
    }
    Err(format!("column `{name}`: `{v}` is not a time"))
}

pub fn opt_bool(rec: &Record<'_>, name: &str) -> RowResult<Option<bool>> {
    match opt_text(rec, name) {
        None => Ok(None),
        Some("1" | "1.0" | "true" | "TRUE" | "True" | "t" | "T") => Ok(Some(true)),
        Some("0" | "0.0" | "false" | "FALSE" | "False" | "f" | "F") => Ok(Some(false)),
        Some(v) => Err(format!("column `{name}`: `{v}` is not true/false")),
    }
}

/// Both scores, or neither (a game not yet played); one without the other is refused.
pub fn scores(rec: &Record<'_>, home: &str, away: &str) -> RowResult<(Option<i32>, Option<i32>)> {
    match (opt_int(rec, home)?, opt_int(rec, away)?) {
        (Some(h), Some(a)) if h < 0 || a < 0 => Err(format!("negative score {h}-{a}")),
        (h @ Some(_), a @ Some(_)) => Ok((h, a)),
        (None, None) => Ok((None, None)),
        _ => Err(format!("only one of `{home}` and `{away}` is given")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::Header;

    #[test]
    fn values_parse_or_name_their_column() {
        let header = Header::new(
            ["n", "r", "d", "x", "s", "na"]
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
        );
        let rec = Record {
            header: &header,
            values: ["7.0", "8.5", "9/8/2024", "abc", "-110", "NA"]
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
            line: 2,
        };
        assert_eq!(int(&rec, "n"), Ok(7));
        assert!(int(&rec, "r").expect_err("7.5").contains("`r`"));
        assert_eq!(date(&rec, "d").expect("date").to_string(), "2024-09-08");
        assert!(decimal(&rec, "x").expect_err("abc").contains("`x`"));
        assert_eq!(decimal(&rec, "s").expect("price").to_string(), "-110");
        assert_eq!(opt_decimal(&rec, "na"), Ok(None));
    }
}
