use crate::helpers::spawn;

#[tokio::test]
async fn bad_list_parameters_are_400s_naming_the_parameter() {
    let app = spawn().await;
    app.bad("/api/v1/markets?limit=0", "limit").await;
    app.bad("/api/v1/markets?limit=501", "limit").await;
    app.bad("/api/v1/markets?limit=ten", "limit").await;
    app.bad("/api/v1/markets?cursor=zz", "cursor").await;
    app.bad("/api/v1/markets?colour=red", "colour").await;
    app.bad("/api/v1/markets?limit=1&limit=2", "limit").await;
    app.bad("/api/v1/markets?q=a%00b", "q").await;
    app.bad("/api/v1/markets?series=KX%20NFL", "series").await;
    app.bad("/api/v1/runs?status=broken", "status").await;
    app.bad("/api/v1/runs?since=2026-11-20", "since").await;
    app.bad(
        "/api/v1/trades?execution_environment=demo",
        "execution_environment",
    )
    .await;
    app.bad("/api/v1/games?date=2026-02-30", "date").await;
    app.bad("/api/v1/games?state=live", "state").await;
}

#[tokio::test]
async fn a_cursor_from_one_endpoint_is_refused_by_another() {
    let app = spawn().await;
    let (_, body) = app.get("/api/v1/markets?limit=1").await;
    let cursor = body["next_cursor"].as_str().expect("cursor");
    app.bad(&format!("/api/v1/events?cursor={cursor}"), "cursor")
        .await;
}

#[tokio::test]
async fn unknown_paths_are_json_404s() {
    let app = spawn().await;
    let (status, body) = app.get("/api/v2/markets").await;
    assert_eq!(status, 404);
    assert_eq!(body["error"], "not_found");
}

#[tokio::test]
async fn a_query_failure_is_a_500_without_detail() {
    // Sabotage the schema: the only way to reach the 500 path, which must not leak SQL.
    let app = spawn().await;
    sqlx::query("alter table series rename column fee_type to fee_kind")
        .execute(&app.db.pool)
        .await
        .expect("sabotage");
    let (status, body) = app.get("/api/v1/series").await;
    assert_eq!(status, 500);
    assert_eq!(body["message"], "internal error");
}
