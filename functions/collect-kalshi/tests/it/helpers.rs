use std::ops::Deref;

use collect_kalshi::CollectKalshi;
use precog::testing::fake_kalshi::{settings, FakeKalshi};
use precog::testing::FunctionApp;

/// collect-kalshi over its own database, reading from a fake Kalshi.
pub struct TestApp {
    pub app: FunctionApp<CollectKalshi>,
    pub kalshi: FakeKalshi,
}

impl Deref for TestApp {
    type Target = FunctionApp<CollectKalshi>;
    fn deref(&self) -> &Self::Target {
        &self.app
    }
}

pub async fn spawn_app() -> TestApp {
    let kalshi = FakeKalshi::start().await;
    let client = settings(&kalshi.base_url).client().expect("client");
    let app = FunctionApp::start(|pool| CollectKalshi::new(pool, client)).await;
    TestApp { app, kalshi }
}
