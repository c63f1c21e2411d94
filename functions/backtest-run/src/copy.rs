//! PostgreSQL's binary COPY format, decoded once, straight into the replay's types.
//!
//! The replay window is the one large read of a backtest. Through sqlx's row API each row costs a
//! message, a row object and a decode per column (2.9–3.5 s per 1M snapshots); `COPY (select …)
//! TO STDOUT (FORMAT binary)` streams the same rows as length-prefixed fields that are read here
//! without any intermediate value. Format: PostgreSQL docs, "COPY", "Binary Format"; NUMERIC's
//! wire form: `numeric_send` in src/backend/utils/adt/numeric.c.

use bytes::{Buf, BytesMut};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

const SIGNATURE: &[u8] = b"PGCOPY\n\xff\r\n\0";
/// Microseconds from the Unix epoch to PostgreSQL's (2000-01-01 UTC).
const PG_EPOCH_MICROS: i64 = 946_684_800_000_000;

/// A COPY stream that did not decode: a bug or a column of an unexpected type, never bad data
/// from upstream (PostgreSQL wrote it).
#[derive(Debug, thiserror::Error)]
#[error("binary COPY: {0}")]
pub struct CopyError(pub String);

fn bad(message: impl Into<String>) -> CopyError {
    CopyError(message.into())
}

/// Accumulates the stream's bytes and hands out whole rows.
#[derive(Default)]
pub struct Decoder {
    buf: BytesMut,
    header_done: bool,
    finished: bool,
}

impl Decoder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether the trailer has been seen.
    pub fn finished(&self) -> bool {
        self.finished
    }

    /// Appends a chunk of the stream and calls `row` for every row it completes.
    pub fn feed<E: From<CopyError>>(
        &mut self,
        chunk: &[u8],
        mut row: impl FnMut(&mut Fields<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        self.buf.extend_from_slice(chunk);
        if !self.header_done {
            // Signature, flags (int32), header extension length (int32) and the extension.
            if self.buf.len() < SIGNATURE.len() + 8 {
                return Ok(());
            }
            if &self.buf[..SIGNATURE.len()] != SIGNATURE {
                return Err(bad("the stream does not start with the binary COPY signature").into());
            }
            let ext = be_i32(&self.buf[SIGNATURE.len() + 4..]);
            let ext = usize::try_from(ext).map_err(|_| bad("negative header extension"))?;
            let header = SIGNATURE.len() + 8 + ext;
            if self.buf.len() < header {
                return Ok(());
            }
            self.buf.advance(header);
            self.header_done = true;
        }
        let mut at = 0;
        while let Some(len) = row_len(&self.buf[at..])? {
            let bytes = &self.buf[at..at + len];
            at += len;
            let count = be_i16(bytes);
            if count == -1 {
                self.finished = true;
                break;
            }
            let mut fields = Fields {
                bytes: &bytes[2..],
                left: count,
            };
            row(&mut fields)?;
        }
        self.buf.advance(at);
        Ok(())
    }
}

/// The length of the first whole row (or trailer) in `bytes`, or `None` if it is not all there.
fn row_len(bytes: &[u8]) -> Result<Option<usize>, CopyError> {
    if bytes.len() < 2 {
        return Ok(None);
    }
    let count = be_i16(bytes);
    if count == -1 {
        return Ok(Some(2));
    }
    let mut at = 2;
    for _ in 0..count {
        if bytes.len() < at + 4 {
            return Ok(None);
        }
        let len = be_i32(&bytes[at..]);
        at += 4;
        if len > 0 {
            at += usize::try_from(len).map_err(|_| bad("field length"))?;
        } else if len < -1 {
            return Err(bad(format!("field length {len}")));
        }
    }
    Ok((bytes.len() >= at).then_some(at))
}

fn be_i16(b: &[u8]) -> i16 {
    i16::from_be_bytes([b[0], b[1]])
}

fn be_i32(b: &[u8]) -> i32 {
    i32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

fn be_i64(b: &[u8]) -> i64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[..8]);
    i64::from_be_bytes(a)
}

/// One row's fields, read left to right in the order the query selects them.
pub struct Fields<'a> {
    bytes: &'a [u8],
    left: i16,
}

impl<'a> Fields<'a> {
    /// The next field's bytes, `None` for SQL null. `row_len` checked every length already.
    fn raw(&mut self) -> Result<Option<&'a [u8]>, CopyError> {
        if self.left <= 0 {
            return Err(bad("read past the row's last field"));
        }
        self.left -= 1;
        let len = be_i32(self.bytes);
        let rest = &self.bytes[4..];
        if len < 0 {
            self.bytes = rest;
            return Ok(None);
        }
        let (field, rest) = rest.split_at(len as usize);
        self.bytes = rest;
        Ok(Some(field))
    }

    fn sized(&mut self, n: usize, what: &str) -> Result<Option<&'a [u8]>, CopyError> {
        match self.raw()? {
            Some(b) if b.len() != n => Err(bad(format!("{what} of {} bytes", b.len()))),
            other => Ok(other),
        }
    }

    pub fn bool(&mut self) -> Result<Option<bool>, CopyError> {
        Ok(self.sized(1, "bool")?.map(|b| b[0] != 0))
    }

    pub fn i32(&mut self) -> Result<Option<i32>, CopyError> {
        Ok(self.sized(4, "int4")?.map(be_i32))
    }

    pub fn i64(&mut self) -> Result<Option<i64>, CopyError> {
        Ok(self.sized(8, "int8")?.map(be_i64))
    }

    pub fn text(&mut self) -> Result<Option<&'a str>, CopyError> {
        self.raw()?
            .map(|b| std::str::from_utf8(b).map_err(|_| bad("text that is not UTF-8")))
            .transpose()
    }

    pub fn timestamptz(&mut self) -> Result<Option<DateTime<Utc>>, CopyError> {
        self.sized(8, "timestamptz")?
            .map(|b| {
                be_i64(b)
                    .checked_add(PG_EPOCH_MICROS)
                    .and_then(DateTime::from_timestamp_micros)
                    .ok_or_else(|| bad("an infinite or out-of-range timestamptz"))
            })
            .transpose()
    }

    pub fn numeric(&mut self) -> Result<Option<Decimal>, CopyError> {
        self.raw()?.map(numeric).transpose()
    }

    /// A non-null field, named in the error.
    pub fn required<T>(value: Option<T>, column: &str) -> Result<T, CopyError> {
        value.ok_or_else(|| bad(format!("{column} is null")))
    }
}

/// NUMERIC's wire form: ndigits, weight, sign, dscale (int16 each), then `ndigits` base-10000
/// digits, most significant first; the value is Σ digit × 10000^(weight − i).
pub fn numeric(b: &[u8]) -> Result<Decimal, CopyError> {
    if b.len() < 8 {
        return Err(bad("numeric header"));
    }
    let ndigits = usize::try_from(be_i16(b)).map_err(|_| bad("numeric digit count"))?;
    let weight = i32::from(be_i16(&b[2..]));
    let sign = u16::from_be_bytes([b[4], b[5]]);
    let dscale = u32::try_from(be_i16(&b[6..])).map_err(|_| bad("numeric scale"))?;
    if b.len() != 8 + 2 * ndigits {
        return Err(bad("numeric digits"));
    }
    let negative = match sign {
        0x0000 => false,
        0x4000 => true,
        _ => return Err(bad("NaN or infinite numeric")),
    };
    let mut mantissa: i128 = 0;
    for i in 0..ndigits {
        let digit = i128::from(be_i16(&b[8 + 2 * i..]));
        mantissa = mantissa
            .checked_mul(10_000)
            .and_then(|m| m.checked_add(digit))
            .ok_or_else(|| bad("numeric too large"))?;
    }
    // The last digit group is worth 10000^(weight − ndigits + 1).
    let exponent = weight - i32::try_from(ndigits).unwrap_or(i32::MAX) + 1;
    let mut scale: u32 = 0;
    if exponent >= 0 {
        for _ in 0..exponent {
            mantissa = mantissa
                .checked_mul(10_000)
                .ok_or_else(|| bad("numeric too large"))?;
        }
    } else {
        scale = u32::try_from(-exponent)
            .unwrap_or(u32::MAX)
            .saturating_mul(4);
    }
    // Digit groups are padded with zeros past the display scale: drop them, exactly.
    while scale > dscale && mantissa % 10 == 0 {
        mantissa /= 10;
        scale -= 1;
    }
    while scale < dscale {
        mantissa = mantissa
            .checked_mul(10)
            .ok_or_else(|| bad("numeric too large"))?;
        scale += 1;
    }
    if negative {
        mantissa = -mantissa;
    }
    Decimal::try_from_i128_with_scale(mantissa, scale).map_err(|e| bad(format!("numeric: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `numeric_send` of a value given as (weight, sign, dscale, digits).
    fn wire(weight: i16, sign: u16, dscale: i16, digits: &[i16]) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(&(digits.len() as i16).to_be_bytes());
        out.extend_from_slice(&weight.to_be_bytes());
        out.extend_from_slice(&sign.to_be_bytes());
        out.extend_from_slice(&dscale.to_be_bytes());
        for d in digits {
            out.extend_from_slice(&d.to_be_bytes());
        }
        out
    }

    fn d(s: &str) -> Decimal {
        s.parse().expect("decimal")
    }

    #[test]
    fn numerics_decode_exactly_with_their_scale() {
        let cases = [
            (wire(-1, 0, 2, &[4500]), "0.45"),
            (wire(-1, 0, 4, &[4512]), "0.4512"),
            (wire(-1, 0, 5, &[4512, 3000]), "0.45123"),
            (wire(0, 0, 0, &[1]), "1"),
            (wire(0, 0, 2, &[1]), "1.00"),
            (wire(1, 0, 0, &[12, 3456]), "123456"),
            (wire(1, 0, 0, &[1]), "10000"),
            (wire(0, 0x4000, 1, &[3, 5000]), "-3.5"),
            (wire(0, 0, 0, &[]), "0"),
            (wire(-2, 0, 6, &[1200]), "0.000012"),
        ];
        for (bytes, want) in cases {
            let got = numeric(&bytes).expect("decodes");
            assert_eq!(got, d(want), "{want}");
            assert_eq!(got.to_string(), want, "scale of {want}");
        }
        assert!(numeric(&wire(0, 0xC000, 0, &[])).is_err(), "NaN is refused");
        assert!(numeric(&[0, 1]).is_err(), "short header");
    }

    fn copy_stream(rows: &[Vec<Option<Vec<u8>>>]) -> Vec<u8> {
        let mut out = SIGNATURE.to_vec();
        out.extend_from_slice(&0i32.to_be_bytes());
        out.extend_from_slice(&0i32.to_be_bytes());
        for row in rows {
            out.extend_from_slice(&(row.len() as i16).to_be_bytes());
            for field in row {
                match field {
                    None => out.extend_from_slice(&(-1i32).to_be_bytes()),
                    Some(b) => {
                        out.extend_from_slice(&(b.len() as i32).to_be_bytes());
                        out.extend_from_slice(b);
                    }
                }
            }
        }
        out.extend_from_slice(&(-1i16).to_be_bytes());
        out
    }

    #[test]
    fn rows_split_anywhere_across_chunks_decode_the_same() {
        let at = DateTime::from_timestamp(1_790_000_000, 0).expect("time");
        let micros = at.timestamp_micros() - PG_EPOCH_MICROS;
        let rows: Vec<Vec<Option<Vec<u8>>>> = (0..5i64)
            .map(|i| {
                vec![
                    Some(format!("T{i}").into_bytes()),
                    Some((micros + i).to_be_bytes().to_vec()),
                    Some(i.to_be_bytes().to_vec()),
                    Some(vec![u8::from(i % 2 == 0)]),
                    if i == 3 {
                        None
                    } else {
                        Some(wire(-1, 0, 2, &[4500]))
                    },
                ]
            })
            .collect();
        let stream = copy_stream(&rows);
        for split in [1, 3, 7, 16, stream.len()] {
            let mut decoder = Decoder::new();
            let mut seen = Vec::new();
            for chunk in stream.chunks(split) {
                decoder
                    .feed::<CopyError>(chunk, |f| {
                        let ticker = f.text()?.map(str::to_owned);
                        let t = f.timestamptz()?;
                        let id = f.i64()?;
                        let flag = f.bool()?;
                        let price = f.numeric()?;
                        seen.push((ticker, t, id, flag, price));
                        Ok(())
                    })
                    .expect("decodes");
            }
            assert!(decoder.finished(), "split {split}");
            assert_eq!(seen.len(), 5, "split {split}");
            assert_eq!(seen[3].0.as_deref(), Some("T3"));
            assert_eq!(seen[3].1, Some(at + chrono::Duration::microseconds(3)));
            assert_eq!(seen[3].2, Some(3));
            assert_eq!(seen[3].3, Some(false));
            assert_eq!(seen[3].4, None);
            assert_eq!(seen[4].4, Some(d("0.45")));
        }
    }

    #[test]
    fn a_stream_without_the_signature_is_refused() {
        let err = Decoder::new()
            .feed::<CopyError>(b"not a copy stream at all", |_| Ok(()))
            .expect_err("refused");
        assert!(err.0.contains("signature"), "{err}");
    }
}
