use crate::helpers::spawn_app;

#[tokio::test]
async fn college_lines_keep_their_sign_and_name_a_missing_provider() {
    let app = spawn_app().await;
    let summary = app.load("cbbd_lines", "cbbd_lines_2025.csv", None).await;
    let d = &summary.details;
    assert_eq!(d["league"], "basketball/mens-college-basketball");
    assert_eq!(d["rows_read"], 5);
    assert_eq!(d["rows_rejected"], 1, "{d}");
    assert_eq!(
        d["games_written"], 3,
        "two providers of one game are one game: {d}"
    );
    assert_eq!(d["spreads_flagged"], 1, "{d}");

    let line = |game: &str, provider: &str, side: &str, phase: &str| {
        format!(
            "select o.line::text from historical_odds o join historical_games h on h.id = o.historical_game_id
              where h.source_game_id = '{game}' and o.provider = '{provider}' and o.market = 'spread'
                and o.side = '{side}' and o.phase = '{phase}'"
        )
    };
    // CBBD's spread is already the home line (negative = home favoured): kept as is.
    assert_eq!(
        app.text(&line("1001", "ESPN BET", "home", "close"))
            .await
            .as_deref(),
        Some("-7.5")
    );
    assert_eq!(
        app.text(&line("1001", "ESPN BET", "away", "close"))
            .await
            .as_deref(),
        Some("7.5")
    );
    assert_eq!(
        app.text(&line("1001", "ESPN BET", "home", "open"))
            .await
            .as_deref(),
        Some("-6.5")
    );
    // A null provider is stored, under the placeholder.
    assert_eq!(
        app.text(&line("1001", "unknown", "home", "close"))
            .await
            .as_deref(),
        Some("-7")
    );
    // Each provider's own row is kept with its lines.
    assert_eq!(
        app.text(
            "select raw->>'provider' from historical_odds where provider = 'ESPN BET' limit 1"
        )
        .await
        .as_deref(),
        Some("ESPN BET")
    );
    // Auburn -4.5 on the spread but the moneyline underdog: flagged.
    assert_eq!(
        app.count("select count(*) from historical_odds o join historical_games h on h.id = o.historical_game_id
                    where h.source_game_id = '1003' and o.flagged")
            .await,
        2
    );
    // The future game has lines and no scores; its date is US-Eastern (23:30Z is 18:30 ET).
    assert_eq!(
        app.text("select game_date::text from historical_games where source_game_id = '1002' and home_score is null")
            .await
            .as_deref(),
        Some("2025-03-08")
    );
    // A 00:00Z tip-off belongs to the previous Eastern day.
    assert_eq!(
        app.text("select game_date::text from historical_games where source_game_id = '1001'")
            .await
            .as_deref(),
        Some("2024-11-04")
    );
    let reason = app
        .text("select reason from rejected_records where source = 'cbbd.lines'")
        .await
        .expect("rejected");
    assert!(reason.contains("`spread`"), "{reason}");

    let again = app.load("cbbd_lines", "cbbd_lines_2025.csv", None).await;
    assert_eq!(again.rows_written, 0, "{}", again.details);
}
