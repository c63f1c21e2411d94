//! NUMERIC columns as Parquet DECIMAL: numbers a reader can compute with, and still exact.
//!
//! Our NUMERIC columns are unconstrained (Kalshi's prices have 4 decimals, its counts 2, ESPN's
//! probabilities whatever its JSON carried), so the type of each column is read from the data
//! about to be written: precision 38 (the widest Decimal128), and scale [`MIN_SCALE`] (18), or
//! the largest scale present when a day has finer values, so files of different days share one
//! type. A value the type cannot hold exactly — more decimals
//! than the scale, more integer digits than 38 − scale, `NaN` or an infinity — is an error naming
//! the column, never a rounded number.

use anyhow::bail;
use sqlx::PgConnection;

use crate::catalog::ident;
use crate::manifest::Column;

/// Arrow's Decimal128 holds 38 decimal digits.
pub const PRECISION: u8 = 38;

/// The smallest scale written. Readers that combine files (a DuckDB glob, a pandas folder) take
/// one file's type for all, and DuckDB then rounds values of finer scale silently; so every file
/// of a column should have the same type. 18 decimals hold Kalshi's prices (4) and counts (2),
/// ESPN's probabilities as sent (4), and any double in [0.01, 1000) written out in full (a
/// summary's `0.6129000000000001`), leaving 20 integer digits for volumes.
pub const MIN_SCALE: i8 = 18;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecimalShape {
    pub precision: u8,
    pub scale: i8,
}

/// Whether a column is NUMERIC (constrained or not), by its `format_type()`.
pub fn is_numeric(column: &Column) -> bool {
    column.type_name == "numeric" || column.type_name.starts_with("numeric(")
}

/// The DECIMAL type of every NUMERIC column of the rows `source` yields (a FROM item: a table
/// and WHERE clause, or a parenthesised subquery with an alias), column by column, `None` for
/// other columns. One aggregate query over those rows; run it in the same snapshot as the read
/// that follows, so the data cannot change in between.
pub async fn shapes(
    conn: &mut PgConnection,
    columns: &[Column],
    source: &str,
) -> anyhow::Result<Vec<Option<DecimalShape>>> {
    let numeric: Vec<&Column> = columns.iter().filter(|c| is_numeric(c)).collect();
    if numeric.is_empty() {
        return Ok(vec![None; columns.len()]);
    }
    // Built at run time: the columns come from the catalog (or the export's own list).
    let select = numeric
        .iter()
        .map(|c| {
            let c = ident(&c.name);
            format!("max(scale({c})), max(abs({c}))::text")
        })
        .collect::<Vec<_>>()
        .join(", ");
    let row = sqlx::query(&format!("select {select} from {source}"))
        .fetch_one(&mut *conn)
        .await?;
    let mut found = std::collections::HashMap::new();
    for (i, column) in numeric.iter().enumerate() {
        use sqlx::Row;
        let scale: Option<i32> = row.try_get(2 * i)?;
        let largest: Option<String> = row.try_get(2 * i + 1)?;
        found.insert(
            column.name.as_str(),
            shape_for(&column.name, scale, largest.as_deref())?,
        );
    }
    Ok(columns
        .iter()
        .map(|c| found.get(c.name.as_str()).copied())
        .collect())
}

/// The type for a column whose largest scale and largest absolute value are these.
pub fn shape_for(
    column: &str,
    scale: Option<i32>,
    largest: Option<&str>,
) -> anyhow::Result<DecimalShape> {
    let scale = scale.unwrap_or(0).max(i32::from(MIN_SCALE));
    let integer_digits = match largest {
        None => 1,
        Some(v) if !v.bytes().next().is_some_and(|b| b.is_ascii_digit()) => {
            bail!("column {column}: {v} cannot be stored as a Parquet DECIMAL")
        }
        Some(v) => v.split('.').next().map_or(1, str::len),
    };
    let digits = integer_digits as i64 + i64::from(scale);
    if digits > i64::from(PRECISION) {
        bail!(
            "column {column}: values need {integer_digits} integer digits and {scale} decimals, \
             more than a Parquet DECIMAL's {PRECISION} digits; refusing to round"
        );
    }
    Ok(DecimalShape {
        precision: PRECISION,
        // Fits: digits ≤ 38 was checked just above.
        scale: scale as i8,
    })
}

/// PostgreSQL's text form of a NUMERIC (`-12.3400`) as an unscaled integer of `shape`, or why it
/// cannot be one exactly.
pub fn units(text: &str, shape: DecimalShape) -> Result<i128, String> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (integer, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if integer.is_empty() || !all_digits(integer) || !all_digits(fraction) {
        return Err(format!("{text} is not a finite decimal number"));
    }
    let scale = usize::try_from(shape.scale).unwrap_or(0);
    // Zeros past the scale are dropped exactly; any other digit there would be rounded away.
    let (kept, dropped) = fraction.split_at(fraction.len().min(scale));
    if dropped.bytes().any(|b| b != b'0') {
        return Err(format!(
            "{text} has more than {scale} decimals; refusing to round"
        ));
    }
    let integer = integer.trim_start_matches('0');
    if integer.len() + scale > usize::from(shape.precision) {
        return Err(format!(
            "{text} does not fit DECIMAL({}, {scale})",
            shape.precision
        ));
    }
    let mut value: i128 = 0;
    let padding = scale - kept.len();
    for b in integer
        .bytes()
        .chain(kept.bytes())
        .chain(std::iter::repeat_n(b'0', padding))
    {
        // At most 38 digits (checked above), which an i128 holds.
        value = value * 10 + i128::from(b - b'0');
    }
    Ok(if negative { -value } else { value })
}

#[cfg(test)]
mod tests {
    use super::*;

    const S6: DecimalShape = DecimalShape {
        precision: 38,
        scale: 6,
    };

    #[test]
    fn postgres_numeric_text_becomes_exact_units() {
        assert_eq!(units("0.5600", S6), Ok(560_000));
        assert_eq!(units("-12.34", S6), Ok(-12_340_000));
        assert_eq!(units("7", S6), Ok(7_000_000));
        assert_eq!(units("0.1234560000", S6), Ok(123_456));
        assert_eq!(
            units("12345678901234567890123456789012.123456", S6),
            Ok(12_345_678_901_234_567_890_123_456_789_012_123_456)
        );
    }

    #[test]
    fn values_the_type_cannot_hold_are_refused_not_rounded() {
        assert!(units("0.1234567", S6)
            .expect_err("must be refused")
            .contains("refusing to round"));
        assert!(units("123456789012345678901234567890123", S6)
            .expect_err("must be refused")
            .contains("does not fit"));
        assert!(units("NaN", S6).is_err());
        assert!(units("Infinity", S6).is_err());
        assert!(units("", S6).is_err());
    }

    #[test]
    fn the_shape_follows_the_largest_scale_and_refuses_what_38_digits_cannot_hold() {
        let shape = shape_for("yes_bid", Some(4), Some("0.9900")).expect("fits");
        assert_eq!((shape.precision, shape.scale), (38, MIN_SCALE));
        let shape = shape_for("p", Some(20), Some("0.12345678901234567890")).expect("fits");
        assert_eq!(shape.scale, 20);
        assert_eq!(shape_for("p", None, None).expect("empty").scale, MIN_SCALE);
        let shape = shape_for("volume", Some(2), Some("12345678901234567890.5")).expect("20 + 18");
        assert_eq!(shape.scale, 18);
        let err = shape_for("volume", Some(2), Some("123456789012345678901.5"))
            .expect_err("21 + 18 digits");
        assert!(err.to_string().contains("column volume"), "{err}");
        let err = shape_for("x", Some(0), Some("NaN")).expect_err("NaN");
        assert!(err.to_string().contains("column x"), "{err}");
    }
}
