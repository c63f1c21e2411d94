use precog::testing::test_db;
use sqlx::Connection;

#[tokio::test]
async fn the_read_role_reads_everything_and_writes_nothing_while_the_writer_writes() {
    let db = test_db().await;
    let mut conn = sqlx::PgConnection::connect(&db.url_string())
        .await
        .expect("connect");
    sqlx::query("set role precog_read")
        .execute(&mut conn)
        .await
        .expect("the migration created precog_read");
    for table in [
        "markets",
        "market_snapshots",
        "games",
        "game_states",
        "collection_runs",
        "live_trades",
    ] {
        sqlx::query(&format!("select count(*) from {table}"))
            .execute(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("precog_read cannot read {table}: {e}"));
    }
    let refused = sqlx::query("insert into series (ticker, raw) values ('X', '{}')")
        .execute(&mut conn)
        .await
        .expect_err("the read role must not write");
    assert!(
        refused.to_string().contains("permission denied"),
        "{refused}"
    );

    sqlx::query("reset role")
        .execute(&mut conn)
        .await
        .expect("reset");
    sqlx::query("set role precog_write")
        .execute(&mut conn)
        .await
        .expect("the migration created precog_write");
    sqlx::query("insert into series (ticker, raw) values ('X', '{}')")
        .execute(&mut conn)
        .await
        .expect("the writer writes");
    sqlx::query("insert into trades (ticker, side, action, price, contracts, executed_at) values ('X', 'yes', 'buy', 0.5, 1, now())")
        .execute(&mut conn)
        .await
        .expect("the writer uses identity sequences");
    let login: bool =
        sqlx::query_scalar("select rolcanlogin from pg_roles where rolname = 'precog_read'")
            .fetch_one(&mut conn)
            .await
            .expect("pg_roles");
    assert!(!login, "roles are created NOLOGIN");
}
