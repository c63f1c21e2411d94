//! `GET /series` without holding the whole list twice. The response has no pagination and is
//! large (~19 MB for Kalshi's full catalog), so the body is walked once and each series is handed
//! on in batches as it is read: peak memory is the body plus one batch, not the body plus a copy
//! of every series.

use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

/// Calls `batch` with up to `size` series at a time, in the order of the body; returns how many
/// series there were. A body that is not `{"series": [...]}` (or `null`) is an error.
pub fn for_each_batch(
    body: &[u8],
    size: usize,
    batch: &mut dyn FnMut(Vec<Box<RawValue>>),
) -> Result<usize, serde_json::Error> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let count = Body { size, batch }.deserialize(&mut deserializer)?;
    deserializer.end()?;
    Ok(count)
}

struct Body<'f> {
    size: usize,
    batch: &'f mut dyn FnMut(Vec<Box<RawValue>>),
}

impl<'de> DeserializeSeed<'de> for Body<'_> {
    type Value = usize;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<usize, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Body<'_> {
    type Value = usize;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object with a `series` list")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<usize, A::Error> {
        let mut count = 0;
        let mut list = Some(List {
            size: self.size.max(1),
            batch: self.batch,
        });
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            match (key.as_ref(), list.take()) {
                ("series", Some(seed)) => count = map.next_value_seed(seed)?,
                (_, unused) => {
                    list = unused;
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(count)
    }
}

struct List<'f> {
    size: usize,
    batch: &'f mut dyn FnMut(Vec<Box<RawValue>>),
}

impl<'de> DeserializeSeed<'de> for List<'_> {
    type Value = usize;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<usize, D::Error> {
        // `deserialize_option` so that `"series": null` reads as an empty list.
        deserializer.deserialize_option(self)
    }
}

impl<'de> Visitor<'de> for List<'_> {
    type Value = usize;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of series or null")
    }

    fn visit_none<E>(self) -> Result<usize, E> {
        Ok(0)
    }

    fn visit_unit<E>(self) -> Result<usize, E> {
        Ok(0)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<usize, D::Error> {
        deserializer.deserialize_seq(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<usize, A::Error> {
        let List { size, batch } = self;
        let mut count = 0;
        let mut pending = Vec::with_capacity(size);
        while let Some(series) = seq.next_element::<Box<RawValue>>()? {
            count += 1;
            pending.push(series);
            if pending.len() == size {
                batch(std::mem::replace(&mut pending, Vec::with_capacity(size)));
            }
        }
        if !pending.is_empty() {
            batch(pending);
        }
        Ok(count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batches(body: &str, size: usize) -> Result<(usize, Vec<Vec<String>>), serde_json::Error> {
        let mut seen = Vec::new();
        let count = for_each_batch(body.as_bytes(), size, &mut |batch| {
            seen.push(batch.iter().map(|r| r.get().to_owned()).collect());
        })?;
        Ok((count, seen))
    }

    #[test]
    fn series_arrive_in_batches_verbatim_and_other_keys_are_skipped() {
        let body = r#"{"cursor": "", "series": [{"ticker":"A","tags":null},
            {"ticker":"B","x":{"series":[1]}}, {"ticker":"C"}], "extra": [1, {"a": 2}]}"#;
        let (count, seen) = batches(body, 2).expect("valid");
        assert_eq!(count, 3);
        assert_eq!(
            seen,
            vec![
                vec![
                    r#"{"ticker":"A","tags":null}"#.to_owned(),
                    r#"{"ticker":"B","x":{"series":[1]}}"#.to_owned()
                ],
                vec![r#"{"ticker":"C"}"#.to_owned()],
            ]
        );
    }

    #[test]
    fn null_or_missing_lists_are_empty_and_broken_bodies_are_errors() {
        assert_eq!(batches(r#"{"series": null}"#, 10).expect("null").0, 0);
        assert_eq!(batches(r#"{}"#, 10).expect("missing").0, 0);
        assert!(batches(r#"{"series": [{"ticker": "A"}"#, 10).is_err());
        assert!(batches(r#"[]"#, 10).is_err());
        assert!(batches(r#"{"series": []} trailing"#, 10).is_err());
    }
}
