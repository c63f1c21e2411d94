//! Upstream records that could not be parsed, kept verbatim with the reason. Seeing the same
//! record again (a rerun, the next pass) updates its counters instead of adding a row.

use sqlx::PgConnection;
use uuid::Uuid;

/// One record to keep aside.
#[derive(Debug, Clone)]
pub struct NewRejected {
    /// Which parser refused it, e.g. `kalshi.market`.
    pub source: &'static str,
    /// The record's natural key when it could be read (a ticker, an ESPN event id).
    pub natural_key: Option<String>,
    pub reason: String,
    pub raw: serde_json::Value,
}

/// Stores a batch of rejected records; returns how many were new or updated.
pub async fn upsert(
    conn: &mut PgConnection,
    run_id: Uuid,
    records: &[NewRejected],
) -> Result<u64, sqlx::Error> {
    if records.is_empty() {
        return Ok(0);
    }
    let sources: Vec<&str> = records.iter().map(|r| r.source).collect();
    let keys: Vec<Option<&str>> = records.iter().map(|r| r.natural_key.as_deref()).collect();
    let reasons: Vec<&str> = records.iter().map(|r| r.reason.as_str()).collect();
    let raws: Vec<String> = records.iter().map(|r| r.raw.to_string()).collect();
    // language=PostgreSQL
    let result = sqlx::query!(
        "insert into rejected_records
                (source, natural_key, reason, raw, raw_md5, first_run_id, last_run_id)
         select distinct on (source, raw_md5) source, natural_key, reason, raw, raw_md5, $5::uuid, $5::uuid
           from (select source, natural_key, reason, raw::jsonb as raw, md5(raw::jsonb::text) as raw_md5
                   from unnest($1::text[], $2::text[], $3::text[], $4::text[])
                        as r(source, natural_key, reason, raw)) as batch
         on conflict (source, raw_md5) do update
            set last_seen_at = now(),
                last_run_id  = excluded.last_run_id,
                reason       = excluded.reason,
                times_seen   = rejected_records.times_seen + 1",
        &sources as _,
        &keys as _,
        &reasons as _,
        &raws as _,
        run_id,
    )
    .execute(conn)
    .await?;
    Ok(result.rows_affected())
}
