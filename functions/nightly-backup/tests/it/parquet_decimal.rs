//! NUMERIC in the per-day Parquet files: Parquet DECIMAL with every digit, read back with the
//! parquet/arrow crates; a value no DECIMAL holds exactly fails the backup naming its column.

use arrow_array::cast::AsArray;
use arrow_array::types::Decimal128Type;
use arrow_array::Array;
use arrow_array::RecordBatch;
use arrow_schema::DataType;
use nightly_backup::backup;
use nightly_backup::storage::Storage;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use precog::testing::test_db;

use crate::helpers::*;

/// Every batch of the Parquet file at `key` under `folder`.
pub fn read_parquet(folder: &Folder, key: &str) -> Vec<RecordBatch> {
    let bytes = std::fs::read(folder.path.join(key)).expect("the Parquet file exists");
    ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(bytes))
        .expect("a Parquet file")
        .build()
        .expect("a reader")
        .map(|b| b.expect("a batch"))
        .collect()
}

/// The column's values as decimal text (`None` for null), across batches.
pub fn decimals(batches: &[RecordBatch], column: &str) -> (DataType, Vec<Option<String>>) {
    let mut values = Vec::new();
    let mut data_type = DataType::Null;
    for batch in batches {
        let array = batch.column_by_name(column).expect("the column");
        data_type = array.data_type().clone();
        let array = array.as_primitive::<Decimal128Type>();
        for i in 0..array.len() {
            values.push(array.is_valid(i).then(|| array.value_as_string(i)));
        }
    }
    (data_type, values)
}

async fn back_up_to(folder: &Folder, source: &precog::testing::TestDb) -> anyhow::Result<String> {
    let storage = Storage::open(&folder.location()).await;
    let report = backup::run(
        &source.pool,
        &storage,
        &settings(folder.location()),
        far_deadline(),
        false,
        &|_| {},
    )
    .await?;
    Ok(report.backup)
}

#[tokio::test]
async fn numeric_columns_are_parquet_decimals_with_every_digit() {
    let source = test_db().await;
    sqlx::query(
        "insert into market_snapshots (ticker, observed_at, source, status, yes_bid, yes_ask,
                                       yes_bid_size, volume, raw)
         values ('KX-A', '2026-09-13 17:00:00+00', 'rest', 'active', 0.5600, 0.5700, 12.50,
                 12345678901234567890.123456, '{}'),
                ('KX-A', '2026-09-13 17:00:10+00', 'rest', 'active', 0.0001, null, 0, -3, '{}')",
    )
    .execute(&source.pool)
    .await
    .expect("seeding snapshots");
    // ESPN's probabilities carry what its JSON carried: here 20 decimals, more than the minimum.
    sqlx::query(
        "insert into game_states (espn_event_id, observed_at, period, clock_seconds,
                                  home_win_probability, raw)
         values ('401', '2026-09-13 17:00:05+00', 1, 843.2, 0.61234567890123456789, '{}')",
    )
    .execute(&source.pool)
    .await
    .expect("seeding a state");
    let folder = Folder::new();
    let id = back_up_to(&folder, &source).await.expect("backup");

    let snapshots = read_parquet(
        &folder,
        &format!("backups/{id}/parquet/market_snapshots/2026-09-13.parquet"),
    );
    let (data_type, bids) = decimals(&snapshots, "yes_bid");
    assert_eq!(data_type, DataType::Decimal128(38, 18));
    assert_eq!(
        bids,
        [
            Some("0.560000000000000000".to_owned()),
            Some("0.000100000000000000".to_owned())
        ]
    );
    let (_, asks) = decimals(&snapshots, "yes_ask");
    assert_eq!(asks, [Some("0.570000000000000000".to_owned()), None]);
    let (_, volume) = decimals(&snapshots, "volume");
    assert_eq!(
        volume,
        [
            Some("12345678901234567890.123456000000000000".to_owned()),
            Some("-3.000000000000000000".to_owned())
        ]
    );

    let states = read_parquet(
        &folder,
        &format!("backups/{id}/parquet/game_states/2026-09-13.parquet"),
    );
    let (data_type, probability) = decimals(&states, "home_win_probability");
    assert_eq!(data_type, DataType::Decimal128(38, 20));
    assert_eq!(probability, [Some("0.61234567890123456789".to_owned())]);
    let (data_type, clock) = decimals(&states, "clock_seconds");
    assert_eq!(data_type, DataType::Decimal128(38, 18));
    assert_eq!(clock, [Some("843.200000000000000000".to_owned())]);
}

#[tokio::test]
async fn a_value_no_decimal_holds_exactly_fails_the_backup_naming_its_column() {
    let source = test_db().await;
    // 31 integer digits and at least 18 decimals: more than Decimal128's 38 digits.
    sqlx::query(
        "insert into market_snapshots (ticker, observed_at, source, status, open_interest, raw)
         values ('KX-A', '2026-09-13 17:00:00+00', 'rest', 'active',
                 1234567890123456789012345678901.0123456789, '{}')",
    )
    .execute(&source.pool)
    .await
    .expect("seeding");
    let folder = Folder::new();
    let error = back_up_to(&folder, &source)
        .await
        .expect_err("refused, not rounded");
    assert!(
        format!("{error:#}").contains("column open_interest"),
        "{error:#}"
    );
}
