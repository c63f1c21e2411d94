//! The game-context file beside the training frames: pre-game Elo and the closing line per ESPN
//! event (load-history's tables, through the `historical_game_context` view).

use arrow_array::cast::AsArray;
use nightly_backup::backup;
use nightly_backup::storage::Storage;
use precog::testing::test_db;

use crate::helpers::*;
use crate::parquet_decimal::{decimals, read_parquet};

#[tokio::test]
async fn each_known_espn_event_gets_its_pre_game_elo_and_closing_line() {
    let db = test_db().await;
    sqlx::raw_sql(
        r#"
        insert into historical_games (league, source, source_game_id, season, game_date,
                                      home_team_code, away_team_code, home_team_id, away_team_id,
                                      home_score, away_score, espn_event_id, raw, raw_md5)
        values ('football/nfl', 'nflverse', '2025_01_DEN_LV', 2025, '2025-09-07', 'LV', 'DEN',
                '13', '7', 17, 30, '401772800', '{}', 'x'),
               ('football/nfl', 'nflverse', '2025_02_X_Y', 2025, '2025-09-14', 'KC', 'BUF',
                '12', '2', null, null, null, '{}', 'y');
        insert into historical_odds (historical_game_id, provider, market, side, phase, line, price, source)
        select id, 'nflverse', m, s, 'close', l, p, 'nflverse'
          from historical_games,
               (values ('spread', 'home', 8.5, -108), ('spread', 'away', -8.5, -112),
                       ('moneyline', 'home', null, 310), ('moneyline', 'away', null, -400),
                       ('total', 'over', 43.5, -115)) as v(m, s, l, p)
         where source_game_id = '2025_01_DEN_LV';
        insert into historical_elo (league, source, season, game_date, team_key, team_code,
                                    opponent_key, is_home, elo_pre)
        values ('football/nfl', 'computed', 2025, '2025-09-07', '13', 'LV', '7', true, 1450.125),
               ('football/nfl', 'computed', 2025, '2025-09-07', '7', 'DEN', '13', false, 1520.5);
        "#,
    )
    .execute(&db.pool)
    .await
    .expect("seeding history");
    let folder = Folder::new();
    let storage = Storage::open(&folder.location()).await;
    let id = backup::run(
        &db.pool,
        &storage,
        &settings(folder.location()),
        far_deadline(),
        false,
        &|_| {},
    )
    .await
    .expect("backup")
    .backup;

    let batches = read_parquet(
        &folder,
        &format!("backups/{id}/parquet/training/game_context.parquet"),
    );
    let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
    assert_eq!(rows, 1, "only the game with an ESPN event id");
    let event = batches[0]
        .column_by_name("espn_event_id")
        .expect("column")
        .as_string::<i32>();
    assert_eq!(event.value(0), "401772800");
    assert_eq!(exact(&batches, "home_spread"), vec!["8.5"]);
    assert_eq!(exact(&batches, "home_moneyline"), vec!["310"]);
    assert_eq!(exact(&batches, "home_elo_pre"), vec!["1450.125"]);
    assert_eq!(exact(&batches, "away_elo_pre"), vec!["1520.5"]);
}

/// A DECIMAL column's values without the trailing zeros of its scale (the view's NUMERIC columns
/// are unconstrained, so the file's scale is the widest value's).
fn exact(batches: &[arrow_array::RecordBatch], column: &str) -> Vec<String> {
    decimals(batches, column)
        .1
        .into_iter()
        .map(|v| {
            let v = v.expect("a value");
            if v.contains('.') {
                v.trim_end_matches('0').trim_end_matches('.').to_owned()
            } else {
                v
            }
        })
        .collect()
}
