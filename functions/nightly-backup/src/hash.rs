//! Row counting and an order-independent content hash over COPY text, computed as the bytes stream
//! past. In COPY text format every row ends with exactly one `\n` (newlines inside values are
//! escaped), so rows are lines. Each line is hashed with FNV-1a 64 (fixed and documented, so a
//! binary built next year computes the same value) and the line hashes are added with wrapping
//! arithmetic: the sum does not depend on row order, so a restored table can be compared with
//! its backup however PostgreSQL returns its rows.

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

#[derive(Debug, Clone)]
pub struct RowHasher {
    line: u64,
    sum: u64,
    rows: u64,
    bytes: u64,
}

impl Default for RowHasher {
    fn default() -> Self {
        Self {
            line: FNV_OFFSET,
            sum: 0,
            rows: 0,
            bytes: 0,
        }
    }
}

impl RowHasher {
    pub fn update(&mut self, data: &[u8]) {
        self.bytes += data.len() as u64;
        let mut line = self.line;
        for &byte in data {
            if byte == b'\n' {
                self.sum = self.sum.wrapping_add(line);
                self.rows += 1;
                line = FNV_OFFSET;
            } else {
                line ^= u64::from(byte);
                line = line.wrapping_mul(FNV_PRIME);
            }
        }
        self.line = line;
    }

    pub fn rows(&self) -> u64 {
        self.rows
    }

    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// The hash as 16 hex digits.
    pub fn hex(&self) -> String {
        format!("{:016x}", self.sum)
    }
}

/// Combines per-object hashes into a table's: the same wrapping sum.
pub fn combine<'a>(hashes: impl IntoIterator<Item = &'a str>) -> String {
    let sum = hashes
        .into_iter()
        .filter_map(|h| u64::from_str_radix(h, 16).ok())
        .fold(0u64, u64::wrapping_add);
    format!("{sum:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hash(chunks: &[&[u8]]) -> RowHasher {
        let mut h = RowHasher::default();
        for c in chunks {
            h.update(c);
        }
        h
    }

    #[test]
    fn row_order_and_chunk_boundaries_do_not_change_the_hash() {
        let a = hash(&[b"1\tx\n2\ty\n"]);
        let b = hash(&[b"2\t", b"y\n1", b"\tx\n"]);
        assert_eq!(a.hex(), b.hex());
        assert_eq!(a.rows(), 2);
    }

    #[test]
    fn a_changed_byte_changes_the_hash() {
        assert_ne!(hash(&[b"1\tx\n"]).hex(), hash(&[b"1\ty\n"]).hex());
    }

    #[test]
    fn object_hashes_combine_like_one_stream() {
        let whole = hash(&[b"a\nb\nc\n"]);
        let parts = [hash(&[b"a\n"]).hex(), hash(&[b"b\nc\n"]).hex()];
        assert_eq!(combine(parts.iter().map(String::as_str)), whole.hex());
    }
}
