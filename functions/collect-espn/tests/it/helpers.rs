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
    let espn = FakeEspn::start().await;
    let client = settings(&espn.base_url, user_agent)
        .client()
        .expect("client");
    let app = FunctionApp::start(|pool| CollectEspn::new(pool, client)).await;
    TestApp { app, espn }
}
