//! Kalshi's sports metadata for the game linker (reference/kalshi-api.md §3.4, §3.9, §8): the
//! sports series list, from which game series are discovered, and milestones, which give a
//! game event's start and its home/away structured targets.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

use super::wire::SeriesList;
use super::{CursorGuard, KalshiClient, Result};

/// The most milestones `GET /milestones` returns per page.
const MILESTONES_PAGE_LIMIT: u32 = 500;

/// `GET /milestones`.
#[derive(Debug, Deserialize)]
struct MilestonesPage {
    #[serde(default)]
    milestones: Option<Vec<Box<RawValue>>>,
    #[serde(default)]
    cursor: Option<String>,
}

/// One milestone as far as the linker reads it; the raw record is stored whole.
#[derive(Debug, Clone, Deserialize)]
pub struct MilestoneWire {
    pub id: String,
    pub category: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub start_date: Option<DateTime<Utc>>,
    pub end_date: Option<DateTime<Utc>>,
    pub title: Option<String>,
    #[serde(default)]
    pub primary_event_tickers: Option<Vec<String>>,
    #[serde(default)]
    pub related_event_tickers: Option<Vec<String>>,
    pub details: Option<Value>,
    pub last_updated_ts: Option<DateTime<Utc>>,
}

/// Which milestones to list.
#[derive(Debug, Clone, Copy)]
pub enum MilestonesSince {
    /// Those Kalshi changed after this instant (`min_updated_ts`).
    Updated(DateTime<Utc>),
    /// Those starting after this instant (`minimum_start_date`), for a first run.
    Starting(DateTime<Utc>),
}

impl KalshiClient {
    /// Every series in the Sports category (`GET /series?category=Sports`, unpaged per the spec).
    pub async fn sports_series(&self) -> Result<Vec<Box<RawValue>>> {
        let list: SeriesList = self
            .get("/series", &[("category", "Sports".to_owned())])
            .await?;
        Ok(list.series)
    }

    /// Sports milestones, following cursors to the end.
    pub async fn sports_milestones(&self, since: MilestonesSince) -> Result<Vec<Box<RawValue>>> {
        let mut all = Vec::new();
        let mut cursors = CursorGuard::new("GET /milestones");
        let mut cursor: Option<String> = None;
        loop {
            let mut params = vec![
                ("limit", MILESTONES_PAGE_LIMIT.to_string()),
                ("category", "Sports".to_owned()),
            ];
            match since {
                MilestonesSince::Updated(at) => {
                    params.push(("min_updated_ts", at.timestamp().to_string()))
                }
                MilestonesSince::Starting(at) => {
                    params.push(("minimum_start_date", at.to_rfc3339()))
                }
            }
            if let Some(c) = &cursor {
                params.push(("cursor", c.clone()));
            }
            let page: MilestonesPage = self.get("/milestones", &params).await?;
            all.extend(page.milestones.unwrap_or_default());
            match cursors.next(page.cursor)? {
                Some(next) => cursor = Some(next),
                None => return Ok(all),
            }
        }
    }
}
