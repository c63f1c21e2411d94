//! The training export: per league and day, game states with their home and away markets'
//! quotes as of each, as Parquet with exact DECIMAL columns.

use arrow_array::cast::AsArray;
use arrow_array::types::TimestampMicrosecondType;
use arrow_array::Array;
use arrow_array::RecordBatch;
use arrow_schema::DataType;
use nightly_backup::backup;
use nightly_backup::restore;
use nightly_backup::storage::Storage;
use precog::testing::{test_db, TestDb};

use crate::helpers::*;
use crate::parquet_decimal::{decimals, read_parquet};

/// Two NFL games on one day and an NBA game; a home and an away moneyline for the first game
/// (the away link knowable only from 18:00:30), quotes at :20, :30 and :40.
async fn seed_games(db: &TestDb) {
    sqlx::raw_sql(
        r#"
        insert into games (espn_event_id, league, home_team_abbreviation, away_team_abbreviation)
        values ('G1', 'football/nfl', 'HOU', 'DAL'), ('G2', 'football/nfl', 'NYG', 'PHI'),
               ('G3', 'basketball/nba', 'BOS', 'NYK');
        insert into game_states (espn_event_id, observed_at, status_state, period, clock_seconds,
                                 home_score, away_score, home_win_probability, raw)
        values ('G1', '2026-11-20T18:00:10Z', 'in', 1, 900, 0, 0, 0.55123456789012345678, '{}'),
               ('G1', '2026-11-20T18:00:27Z', 'in', 1, 883.5, 0, 0, 0.56, '{}'),
               ('G1', '2026-11-20T18:00:40Z', 'in', 1, 870, 7, 0, 0.62, '{}'),
               ('G2', '2026-11-20T21:00:00Z', 'in', 1, 900, 0, 0, 0.5, '{}'),
               ('G3', '2026-11-21T01:00:00Z', 'in', 1, 720, 0, 0, 0.6, '{}');
        insert into game_links (ticker, event_ticker, series_ticker, league, kind, espn_event_id,
                                yes_side, status, reason, evidence, knowable_at, matcher_version)
        values ('KXH', 'E', 'KXNFLGAME', 'football/nfl', 'moneyline', 'G1', 'home', 'matched', 'r',
                '{}', '2026-11-19T00:00:00Z', 1),
               ('KXA', 'E', 'KXNFLGAME', 'football/nfl', 'moneyline', 'G1', 'away', 'matched', 'r',
                '{}', '2026-11-20T18:00:30Z', 1);
        insert into market_snapshots (ticker, observed_at, source, status, yes_bid, yes_ask, raw)
        values ('KXH', '2026-11-20T18:00:20Z', 'rest', 'active', 0.5500, 0.5700, '{}'),
               ('KXH', '2026-11-20T18:00:30Z', 'rest', 'active', 0.6000, 0.6200, '{}'),
               ('KXA', '2026-11-20T18:00:20Z', 'rest', 'active', 0.4200, 0.4400, '{}'),
               ('KXA', '2026-11-20T18:00:40Z', 'rest', 'active', 0.4000, 0.4200, '{}');
        "#,
    )
    .execute(&db.pool)
    .await
    .expect("seeding games");
}

fn texts(batches: &[RecordBatch], column: &str) -> Vec<Option<String>> {
    batches
        .iter()
        .flat_map(|b| {
            let a = b.column_by_name(column).expect("column").as_string::<i32>();
            (0..a.len())
                .map(|i| a.is_valid(i).then(|| a.value(i).to_owned()))
                .collect::<Vec<_>>()
        })
        .collect()
}

fn some(values: &[&str]) -> Vec<Option<String>> {
    values
        .iter()
        .map(|v| (!v.is_empty()).then(|| (*v).to_owned()))
        .collect()
}

async fn back_up(db: &TestDb, folder: &Folder, include_backfilled: bool) -> String {
    let storage = Storage::open(&folder.location()).await;
    let mut settings = settings(folder.location());
    settings.training_include_backfilled = include_backfilled;
    backup::run(
        &db.pool,
        &storage,
        &settings,
        far_deadline(),
        false,
        &|_| {},
    )
    .await
    .expect("backup")
    .backup
}

#[tokio::test]
async fn each_league_day_gets_a_frame_of_states_with_their_quotes_as_of_each() {
    let db = test_db().await;
    seed_games(&db).await;
    let folder = Folder::new();
    let id = back_up(&db, &folder, false).await;

    let nfl = read_parquet(
        &folder,
        &format!("backups/{id}/parquet/training/football-nfl/2026-11-20.parquet"),
    );
    assert_eq!(
        texts(&nfl, "espn_event_id"),
        some(&["G1", "G1", "G1", "G2"])
    );
    let times: Vec<i64> = nfl
        .iter()
        .flat_map(|b| {
            let a = b
                .column_by_name("observed_at")
                .expect("observed_at")
                .as_primitive::<TimestampMicrosecondType>();
            a.values().to_vec()
        })
        .collect();
    assert!(
        times.windows(2).take(2).all(|w| w[0] < w[1]),
        "oldest first"
    );
    // :10 no quote yet (never the :20 one); :27 the :20 quote; :40 the :30 one.
    assert_eq!(
        decimals(&nfl, "home_yes_bid").1,
        some(&["", "0.550000000000000000", "0.600000000000000000", ""])
    );
    assert_eq!(
        decimals(&nfl, "home_quote_age_seconds").1,
        some(&["", "7.000000000000000000", "10.000000000000000000", ""])
    );
    // The away link is knowable from :30; at :40 its quote of exactly :40 counts.
    assert_eq!(texts(&nfl, "away_ticker"), some(&["", "", "KXA", ""]));
    assert_eq!(
        decimals(&nfl, "away_yes_ask").1,
        some(&["", "", "0.420000000000000000", ""])
    );
    assert_eq!(
        decimals(&nfl, "away_quote_age_seconds").1,
        some(&["", "", "0.000000000000000000", ""])
    );
    let (data_type, probability) = decimals(&nfl, "home_win_probability");
    assert_eq!(data_type, DataType::Decimal128(38, 20));
    assert_eq!(probability[0].as_deref(), Some("0.55123456789012345678"));
    assert_eq!(
        decimals(&nfl, "clock_seconds").1[1].as_deref(),
        Some("883.500000000000000000")
    );

    let nba = read_parquet(
        &folder,
        &format!("backups/{id}/parquet/training/basketball-nba/2026-11-21.parquet"),
    );
    assert_eq!(texts(&nba, "espn_event_id"), some(&["G3"]));

    let manifest = restore::load_manifest(&Storage::open(&folder.location()).await, None)
        .await
        .expect("manifest");
    let frames: Vec<(&str, u64)> = manifest
        .training
        .iter()
        .map(|e| (e.key.as_str(), e.rows))
        .collect();
    assert_eq!(frames.len(), 2, "{frames:?}");
    assert_eq!(frames[1].1, 4, "{frames:?}");
}

#[tokio::test]
async fn backfilled_states_are_left_out_unless_asked_for() {
    let db = test_db().await;
    seed_games(&db).await;
    // The marker later migrations give states loaded after the fact from ESPN summaries.
    sqlx::raw_sql(
        "alter table game_states add column if not exists source text not null default 'live';
         update game_states set source = 'backfill' where espn_event_id = 'G2'",
    )
    .execute(&db.pool)
    .await
    .expect("marking a backfilled game");

    let folder = Folder::new();
    let id = back_up(&db, &folder, false).await;
    let nfl = read_parquet(
        &folder,
        &format!("backups/{id}/parquet/training/football-nfl/2026-11-20.parquet"),
    );
    assert_eq!(texts(&nfl, "espn_event_id"), some(&["G1", "G1", "G1"]));

    let folder = Folder::new();
    let id = back_up(&db, &folder, true).await;
    let nfl = read_parquet(
        &folder,
        &format!("backups/{id}/parquet/training/football-nfl/2026-11-20.parquet"),
    );
    assert_eq!(
        texts(&nfl, "espn_event_id"),
        some(&["G1", "G1", "G1", "G2"])
    );
}
