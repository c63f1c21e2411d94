use std::ops::Deref;

use collect_espn::CollectEspn;
use precog::espn::DEFAULT_USER_AGENT;
use precog::testing::fake_espn::{settings, FakeEspn};
use precog::testing::FunctionApp;

/// collect-espn over its own database, reading from a fake ESPN.
pub struct TestApp {
    pub app: FunctionApp<CollectEspn>,
    pub espn: FakeEspn,
}

impl Deref for TestApp {
    type Target = FunctionApp<CollectEspn>;
    fn deref(&self) -> &Self::Target {
        &self.app
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with_user_agent(DEFAULT_USER_AGENT).await
}

pub async fn spawn_app_with_user_agent(user_agent: &str) -> TestApp {
    spawn_app_with(user_agent, None).await
}

/// With ESPN's request budget (`ESPN_REQUESTS_PER_SECOND`) at `requests_per_second`.
pub async fn spawn_app_with_rate(requests_per_second: f64) -> TestApp {
    spawn_app_with(DEFAULT_USER_AGENT, Some(requests_per_second)).await
}

async fn spawn_app_with(user_agent: &str, requests_per_second: Option<f64>) -> TestApp {
    let espn = FakeEspn::start().await;
    let mut settings = settings(&espn.base_url, user_agent);
    if let Some(rate) = requests_per_second {
        settings.requests_per_second = rate;
    }
    let client = settings.client().expect("client");
    let app = FunctionApp::start(|pool| CollectEspn::new(pool, client)).await;
    TestApp { app, espn }
}
