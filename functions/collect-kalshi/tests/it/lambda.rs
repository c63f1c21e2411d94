//! Lambda mode, for real: the built binary against a loopback stand-in for the Lambda Runtime
//! API (the same HTTP protocol AWS and `cargo lambda watch` speak).

use std::collections::VecDeque;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;
use precog::testing::test_db;
use serde_json::{json, Value};
use tokio::sync::mpsc;

use precog::testing::fake_kalshi::{market_json, FakeKalshi};

#[derive(Clone)]
struct RuntimeApi {
    events: Arc<Mutex<VecDeque<Value>>>,
    results: mpsc::UnboundedSender<(String, Value)>,
}

async fn next(State(api): State<RuntimeApi>) -> impl IntoResponse {
    loop {
        let event = api.events.lock().expect("events").pop_front();
        if let Some(event) = event {
            let deadline = SystemTime::now().duration_since(UNIX_EPOCH).expect("clock")
                + Duration::from_secs(60);
            let mut headers = HeaderMap::new();
            let id = uuid::Uuid::new_v4().to_string();
            headers.insert("lambda-runtime-aws-request-id", id.parse().expect("header"));
            headers.insert(
                "lambda-runtime-deadline-ms",
                deadline.as_millis().to_string().parse().expect("header"),
            );
            headers.insert(
                "lambda-runtime-invoked-function-arn",
                "arn:aws:lambda:us-east-1:123456789012:function:collect-kalshi"
                    .parse()
                    .expect("header"),
            );
            return (StatusCode::OK, headers, event.to_string());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn outcome(
    State(api): State<RuntimeApi>,
    Path((_id, kind)): Path<(String, String)>,
    body: String,
) -> StatusCode {
    let body = serde_json::from_str(&body).unwrap_or(Value::String(body));
    let _ = api.results.send((kind, body));
    StatusCode::ACCEPTED
}

#[tokio::test]
async fn under_lambda_a_scheduled_envelope_runs_and_a_bad_event_is_a_non_retryable_error() {
    let db = test_db().await;
    let kalshi = FakeKalshi::start().await;
    kalshi.add_markets(vec![market_json("KXA-26-X", "KXA-26", "0.5000", "0.5100")]);
    let (results, mut received) = mpsc::unbounded_channel();
    let api = RuntimeApi {
        events: Arc::new(Mutex::new(VecDeque::from([
            json!({
                "version": "0", "id": "1", "detail-type": "Scheduled Event", "source": "aws.events",
                "account": "123456789012", "time": "2026-11-21T20:00:00Z", "region": "us-east-1",
                "resources": [], "detail": {}
            }),
            json!({"interval_seconds": "often"}),
        ]))),
        results,
    };
    let app = Router::new()
        .route("/2018-06-01/runtime/invocation/next", get(next))
        .route("/2018-06-01/runtime/invocation/{id}/{kind}", post(outcome))
        .with_state(api);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, app).await });

    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_collect-kalshi"))
        .env("AWS_LAMBDA_RUNTIME_API", address.to_string())
        .env("AWS_LAMBDA_FUNCTION_NAME", "collect-kalshi")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "test")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", "test")
        .env("DATABASE_URL", db.url_string())
        .env("PRECOG_ENV", "production")
        .env("KALSHI_API_BASE", &kalshi.base_url)
        .env_remove("PRECOG_EVENT")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("starting collect-kalshi");

    let (kind, body) = tokio::time::timeout(Duration::from_secs(30), received.recv())
        .await
        .expect("first invocation answered")
        .expect("a result");
    assert_eq!(kind, "response", "{body}");
    assert_eq!(body["status"], "ok", "{body}");
    assert_eq!(body["trigger"], "schedule", "{body}");

    let (kind, body) = tokio::time::timeout(Duration::from_secs(30), received.recv())
        .await
        .expect("second invocation answered")
        .expect("a result");
    assert_eq!(kind, "error", "{body}");
    assert_eq!(body["errorType"], "BadEvent", "{body}");
    assert!(
        body["errorMessage"]
            .as_str()
            .unwrap_or_default()
            .contains("interval_seconds"),
        "{body}"
    );

    child.kill().await.ok();
    let runs: i64 = sqlx::query_scalar("select count(*) from collection_runs")
        .fetch_one(&db.pool)
        .await
        .expect("count");
    assert_eq!(runs, 1, "the bad event wrote nothing");
}
