use nightly_backup::manifest::{self, Chunk};
use nightly_backup::restore::{self, Options};
use nightly_backup::storage::{Location, Storage};
use nightly_backup::{backup, verify};
use precog::testing::{empty_db, test_db};
use sqlx::Connection;

use crate::helpers::*;

async fn connect(db: &precog::testing::TestDb) -> sqlx::PgConnection {
    sqlx::PgConnection::connect(db.url.expose())
        .await
        .expect("connecting to the target")
}

/// A whole backup of `source` to `location`, with no deadline pressure.
async fn back_up(
    source: &precog::testing::TestDb,
    storage: &Storage,
    location: Location,
) -> anyhow::Result<backup::BackupReport> {
    backup::run(
        &source.pool,
        storage,
        &settings(location),
        far_deadline(),
        false,
        &|_| {},
    )
    .await
}

/// A seeded source database backed up into a fresh folder, and what that backup reported. The
/// folder is deleted when dropped, so a test keeps it bound until it is done.
struct BackedUp {
    source: precog::testing::TestDb,
    folder: Folder,
    storage: Storage,
    report: backup::BackupReport,
}

async fn backed_up_in_folder(big_day: bool) -> BackedUp {
    let source = test_db().await;
    seed(&source.pool, big_day).await;
    let folder = Folder::new();
    let storage = Storage::open(&folder.location()).await;
    let report = back_up(&source, &storage, folder.location())
        .await
        .expect("backup");
    BackedUp {
        source,
        folder,
        storage,
        report,
    }
}

/// Restores `manifest`'s backup into `target`.
async fn restore_into(
    storage: &Storage,
    manifest: &manifest::Manifest,
    target: &precog::testing::TestDb,
    options: Options,
) -> anyhow::Result<restore::RestoreReport> {
    restore::restore(storage, manifest, &mut connect(target).await, options).await
}

/// Every index, constraint and trigger of the public tables (but the restore's own), as
/// definitions.
async fn schema_objects(db: &precog::testing::TestDb) -> Vec<String> {
    sqlx::query_scalar(
        "select * from (
             select tablename || ': ' || indexdef from pg_indexes where schemaname = 'public'
             union all
             select conrelid::regclass::text || ': ' || conname || ' ' || pg_get_constraintdef(oid)
               from pg_constraint where connamespace = 'public'::regnamespace
             union all
             select tgrelid::regclass::text || ': ' || pg_get_triggerdef(oid) || ' ' || tgenabled::text
               from pg_trigger
              where not tgisinternal
                and tgrelid in (select oid from pg_class
                                 where relnamespace = 'public'::regnamespace)) defs (definition)
          where definition not like 'precog_restore_state:%'
          order by 1",
    )
    .fetch_all(&db.pool)
    .await
    .expect("schema objects")
}

#[tokio::test]
async fn tricky_data_round_trips_through_s3_with_every_row_equal() {
    let source = test_db().await;
    seed(&source.pool, true).await;
    let (location, storage, _bucket) = s3_store().await;

    let report = back_up(&source, &storage, location).await.expect("backup");
    assert!(report.complete);

    let manifest = restore::load_manifest(&storage, None)
        .await
        .expect("manifest");
    let snapshots = manifest
        .tables
        .iter()
        .find(|t| t.name == "market_snapshots")
        .expect("snapshots backed up");
    let days: Vec<Chunk> = snapshots.objects.iter().map(|o| o.chunk).collect();
    assert_eq!(days.len(), 4, "one object per day: {days:?}");
    assert!(
        snapshots.objects.iter().any(|o| o.bytes > 5 * 1024 * 1024),
        "the big day needed a multipart upload"
    );
    assert_eq!(snapshots.rows, 50 + 70 + 30 + 2500);
    assert_parquet_days_sorted(&storage, snapshots).await;

    let target = empty_db().await;
    // As the restore mode runs it: the index builds get more sort memory.
    let options = Options {
        index_build_memory: true,
        ..Options::default()
    };
    let restored = restore_into(&storage, &manifest, &target, options)
        .await
        .expect("restore");
    assert_eq!(restored.kind, "fresh");
    assert_same_data(&source, &target).await;
    // Indexes and constraints were dropped for the load and built again afterwards.
    assert_eq!(schema_objects(&target).await, schema_objects(&source).await);

    // Sequences continue after the restored ids.
    let next: i64 = sqlx::query_scalar(
        "insert into trades (ticker, side, action, price, contracts, executed_at)
         values ('KX-A', 'yes', 'buy', 0.5, 1, now()) returning id",
    )
    .fetch_one(&target.pool)
    .await
    .expect("a new trade after restore");
    assert_eq!(next, 3);
}

#[tokio::test]
async fn a_folder_backup_restores_and_verifies() {
    let BackedUp {
        source,
        storage,
        folder: _folder,
        ..
    } = backed_up_in_folder(false).await;

    let report = verify::run(&source.pool, &storage, None)
        .await
        .expect("verify passes");
    assert!(report.tables_checked >= 8, "{report:?}");
    assert_eq!(report.changed_since_backup, Vec::<String>::new());
    let scratch_left: bool =
        sqlx::query_scalar("select exists(select 1 from pg_database where datname = $1)")
            .bind(&report.scratch_database)
            .fetch_one(&source.pool)
            .await
            .expect("query");
    assert!(!scratch_left, "the scratch database is dropped");

    let target = empty_db().await;
    let manifest = restore::load_manifest(&storage, None)
        .await
        .expect("manifest");
    restore_into(&storage, &manifest, &target, Options::default())
        .await
        .expect("restore");
    assert_same_data(&source, &target).await;
}

#[tokio::test]
async fn a_corrupted_object_is_detected_and_nothing_is_restored() {
    let BackedUp {
        source,
        storage,
        folder,
        report,
        ..
    } = backed_up_in_folder(false).await;
    let key = backup::object_key(&report.backup, "markets", Chunk::All);
    let path = folder.path.join(&key);
    let mut bytes = std::fs::read(&path).expect("object on disk");
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x55;
    std::fs::write(&path, bytes).expect("corrupting");

    let target = empty_db().await;
    let manifest = restore::load_manifest(&storage, None)
        .await
        .expect("manifest");
    let error = restore_into(&storage, &manifest, &target, Options::default())
        .await
        .expect_err("a corrupt object must fail the restore");
    let message = format!("{error:#}");
    assert!(
        message.contains("is corrupt") && message.contains(&key),
        "{message}"
    );
    let tables_with_rows: i64 = sqlx::query_scalar(
        "select count(*) from (select 1 from markets union all select 1 from market_snapshots) x",
    )
    .fetch_one(&target.pool)
    .await
    .expect("the schema is there, empty");
    assert_eq!(tables_with_rows, 0, "no half-restored table");

    let verify = verify::run(&source.pool, &storage, None).await;
    assert!(format!("{:#}", verify.expect_err("verify fails")).contains("is corrupt"));
}

/// The last object is valid zstd and valid COPY text (PostgreSQL would take it) but one row short
/// of what the manifest says: it is found while the earlier objects are already loaded in the
/// transaction (and it was read ahead of them), and all of them are rolled back.
#[tokio::test]
async fn a_bad_last_object_rolls_back_the_objects_loaded_before_it() {
    let BackedUp {
        source: _,
        storage,
        folder,
        ..
    } = backed_up_in_folder(false).await;
    let manifest = restore::load_manifest(&storage, None)
        .await
        .expect("manifest");
    let all_rows: u64 = manifest.objects().map(|o| o.rows).sum();
    let last = manifest
        .objects()
        .filter(|o| o.rows >= 2)
        .last()
        .expect("an object with two rows");
    let path = folder.path.join(&last.key);
    let text = zstd::decode_all(&std::fs::read(&path).expect("object on disk")[..])
        .expect("the object decompresses");
    let first_row_end = text.iter().position(|&b| b == b'\n').expect("a row") + 1;
    let shorter = zstd::encode_all(&text[first_row_end..], 3).expect("compressing");
    std::fs::write(&path, shorter).expect("replacing the object");

    let target = empty_db().await;
    let error = restore_into(&storage, &manifest, &target, Options::default())
        .await
        .expect_err("an object that does not match its manifest entry must fail the restore");
    let message = format!("{error:#}");
    assert!(
        message.contains("is corrupt") && message.contains(&last.key),
        "{message}"
    );
    assert!(all_rows > last.rows, "earlier objects had rows to load");
    // Migrations seed some tables (e.g. game_series): the target holds those rows, and nothing
    // of the backup.
    let migrated_only = test_db().await;
    for table in &manifest.tables {
        let count = format!("select count(*) from {}", table.name);
        let rows: i64 = sqlx::query_scalar(&count)
            .fetch_one(&target.pool)
            .await
            .expect("the schema is there");
        let seeded: i64 = sqlx::query_scalar(&count)
            .fetch_one(&migrated_only.pool)
            .await
            .expect("a migrated database");
        assert_eq!(
            rows, seeded,
            "{} keeps nothing of the failed restore",
            table.name
        );
    }
}

#[tokio::test]
async fn a_backup_without_its_manifest_is_refused_with_a_clear_error() {
    let BackedUp {
        source: _,
        storage,
        folder,
        report,
        ..
    } = backed_up_in_folder(false).await;
    std::fs::remove_file(folder.path.join(manifest::manifest_key(&report.backup))).expect("rm");

    let named = restore::load_manifest(&storage, Some(&report.backup))
        .await
        .expect_err("no manifest");
    assert!(
        format!("{named:#}").contains("has no manifest.json"),
        "{named:#}"
    );
    let latest = restore::load_manifest(&storage, None)
        .await
        .expect_err("none complete");
    assert!(
        format!("{latest:#}").contains("no complete backup"),
        "{latest:#}"
    );
}

#[tokio::test]
async fn an_interrupted_backup_resumes_and_rewrites_only_what_was_missing() {
    let BackedUp {
        source,
        storage,
        folder,
        report: first,
        ..
    } = backed_up_in_folder(false).await;
    // As if the process died while uploading one day: no manifest, that day's object half
    // written (a .partial), no sidecar.
    let day = Chunk::Day("2026-09-13".parse().expect("a date"));
    let key = backup::object_key(&first.backup, "market_snapshots", day);
    std::fs::remove_file(folder.path.join(manifest::manifest_key(&first.backup))).expect("rm");
    std::fs::remove_file(folder.path.join(manifest::meta_key(&key))).expect("rm");
    std::fs::rename(
        folder.path.join(&key),
        folder.path.join(format!("{key}.partial")),
    )
    .expect("mv");

    let second = back_up(&source, &storage, folder.location())
        .await
        .expect("resumed backup");
    assert!(second.resumed && second.complete, "{second:?}");
    assert_eq!(second.backup, first.backup);
    assert_eq!(second.objects_written, 1);
    assert_eq!(second.objects_reused, first.objects_written - 1);

    let target = empty_db().await;
    let manifest = restore::load_manifest(&storage, None)
        .await
        .expect("manifest");
    restore_into(&storage, &manifest, &target, Options::default())
        .await
        .expect("restore");
    assert_same_data(&source, &target).await;
}

#[tokio::test]
async fn a_second_restore_brings_the_copy_up_to_date_without_duplicates() {
    let source = test_db().await;
    seed(&source.pool, false).await;
    let folder = Folder::new();
    let storage = Storage::open(&folder.location()).await;
    let target = empty_db().await;
    back_up(&source, &storage, folder.location())
        .await
        .expect("backup");
    let manifest = restore::load_manifest(&storage, None)
        .await
        .expect("manifest");
    restore_into(&storage, &manifest, &target, Options::default())
        .await
        .expect("first restore");

    // The source moves on: a new day, a changed day, a changed market, a day deleted.
    sqlx::query(
        "insert into market_snapshots (ticker, observed_at, source, status, raw) values
                 ('KX-A', '2026-09-16T10:00:00Z', 'rest', 'active', '{}'),
                 ('KX-A', '2026-09-13T23:59:59.999999Z', 'websocket', 'active', '{}')",
    )
    .execute(&source.pool)
    .await
    .expect("new snapshots");
    sqlx::query("update markets set status = 'finalized' where ticker = 'KX-A'")
        .execute(&source.pool)
        .await
        .expect("market update");
    sqlx::query("delete from market_snapshots where observed_at < '2026-09-13'")
        .execute(&source.pool)
        .await
        .expect("delete a day");
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await; // a new backup id
    let second = back_up(&source, &storage, folder.location())
        .await
        .expect("second backup");
    assert!(!second.resumed);

    let manifest = restore::load_manifest(&storage, None)
        .await
        .expect("manifest");
    assert_eq!(manifest.id, second.backup);
    let report = restore_into(&storage, &manifest, &target, Options::default())
        .await
        .expect("incremental restore");
    assert_eq!(report.kind, "incremental");
    assert!(report.objects_unchanged >= 2, "{report:?}");
    assert_eq!(report.chunks_removed, 1, "{report:?}");
    assert_same_data(&source, &target).await;
    // Foreign keys and triggers set aside for the load are back.
    assert_eq!(schema_objects(&target).await, schema_objects(&source).await);
}

#[tokio::test]
async fn a_restore_loads_rows_as_stored_and_puts_the_targets_triggers_back_as_they_were() {
    let BackedUp {
        source,
        storage,
        folder,
        ..
    } = backed_up_in_folder(false).await;
    let manifest = restore::load_manifest(&storage, None)
        .await
        .expect("manifest");
    let target = empty_db().await;
    restore_into(&storage, &manifest, &target, Options::default())
        .await
        .expect("first restore");
    // On the copy: a trigger that would rewrite every market inserted, set to fire always, and
    // the snapshot splitter disabled.
    sqlx::raw_sql(
        "create function shout() returns trigger language plpgsql as $$
             begin new.title := upper(new.title); return new; end $$;
         create trigger shout before insert on markets for each row execute function shout();
         alter table markets enable always trigger shout;
         alter table market_snapshots disable trigger market_snapshots_split_raw;",
    )
    .execute(&target.pool)
    .await
    .expect("triggers on the copy");
    sqlx::query("update markets set status = 'finalized' where ticker = 'KX-A'")
        .execute(&source.pool)
        .await
        .expect("market update");
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await; // a new backup id
    back_up(&source, &storage, folder.location())
        .await
        .expect("second backup");
    let manifest = restore::load_manifest(&storage, None)
        .await
        .expect("manifest");

    let report = restore_into(&storage, &manifest, &target, Options::default())
        .await
        .expect("incremental restore");

    assert!(report.objects_loaded >= 1, "{report:?}");
    // The reloaded markets are the source's rows: the trigger did not run on them.
    assert_same_data(&source, &target).await;
    let triggers: Vec<(String, String)> = sqlx::query_as(
        // The tables' own (TimescaleDB adds one per chunk, in its own schema).
        "select tgname::text, tgenabled::text from pg_trigger
          where tgname in ('shout', 'market_snapshots_split_raw')
            and tgrelid in (select oid from pg_class where relnamespace = 'public'::regnamespace)
          order by 1",
    )
    .fetch_all(&target.pool)
    .await
    .expect("triggers");
    assert_eq!(
        triggers,
        [
            ("market_snapshots_split_raw".to_owned(), "D".to_owned()),
            ("shout".to_owned(), "A".to_owned())
        ]
    );
}

#[tokio::test]
async fn a_database_with_data_not_made_by_a_restore_is_refused_unless_allowed() {
    let BackedUp {
        source: _,
        storage,
        folder: _folder,
        ..
    } = backed_up_in_folder(false).await;
    let manifest = restore::load_manifest(&storage, None)
        .await
        .expect("manifest");

    let target = test_db().await;
    sqlx::query("insert into series (ticker, raw) values ('MINE', '{}')")
        .execute(&target.pool)
        .await
        .expect("someone's data");
    let error = restore_into(&storage, &manifest, &target, Options::default())
        .await
        .expect_err("refused");
    assert!(format!("{error:#}").contains("not empty"), "{error:#}");
    let mine: i64 = sqlx::query_scalar("select count(*) from series where ticker = 'MINE'")
        .fetch_one(&target.pool)
        .await
        .expect("query");
    assert_eq!(mine, 1, "untouched");

    restore_into(
        &storage,
        &manifest,
        &target,
        Options {
            allow_non_empty: true,
            progress: false,
            ..Options::default()
        },
    )
    .await
    .expect("allowed");
    let markets: i64 = sqlx::query_scalar("select count(*) from markets")
        .fetch_one(&target.pool)
        .await
        .expect("query");
    assert_eq!(markets, 3);
}

/// Every day of snapshots has a Parquet file with its rows, sorted by ticker then time, with
/// NUMERIC as exact DECIMAL and timestamps as UTC microseconds.
async fn assert_parquet_days_sorted(storage: &Storage, snapshots: &manifest::TableEntry) {
    use arrow_array::cast::AsArray;
    use arrow_array::types::TimestampMicrosecondType;
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

    for object in &snapshots.objects {
        let entry = object.parquet.as_ref().expect("a Parquet file per day");
        let bytes = storage.get(&entry.key).await.expect("get").expect("exists");
        assert_eq!(bytes.len() as u64, entry.bytes);
        let reader = ParquetRecordBatchReaderBuilder::try_new(bytes)
            .expect("a Parquet file")
            .build()
            .expect("a reader");
        let mut rows = Vec::new();
        for batch in reader {
            let batch = batch.expect("a batch");
            let tickers = batch
                .column_by_name("ticker")
                .expect("ticker")
                .as_string::<i32>();
            let times = batch
                .column_by_name("observed_at")
                .expect("observed_at")
                .as_primitive::<TimestampMicrosecondType>();
            for i in 0..batch.num_rows() {
                rows.push((tickers.value(i).to_owned(), times.value(i)));
            }
            if object.chunk == Chunk::Day("2026-09-12".parse().expect("date")) {
                // NUMERIC is a DECIMAL of the scale the day needs, every digit kept.
                let volume = batch
                    .column_by_name("volume")
                    .expect("volume")
                    .as_primitive::<arrow_array::types::Decimal128Type>();
                assert_eq!(volume.scale(), 18);
                assert!((0..volume.len())
                    .any(|i| volume.value_as_string(i) == "3000000000000.000003000000000000"));
            }
        }
        assert_eq!(rows.len() as u64, object.rows, "{}", entry.key);
        assert_eq!(entry.rows, object.rows);
        let mut sorted = rows.clone();
        sorted.sort();
        assert_eq!(rows, sorted, "{} is sorted by ticker, time", entry.key);
    }
}
