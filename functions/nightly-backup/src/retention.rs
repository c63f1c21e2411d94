//! Retention: keep the newest complete backup of each of the last N days, weeks (ISO) and months;
//! delete the rest, and incomplete backups older than the newest complete one (abandoned).
//! Nothing is deleted while no complete backup exists.

use std::collections::{BTreeSet, HashSet};

use chrono::Datelike;

use crate::manifest;
use crate::storage::Storage;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    pub daily: usize,
    pub weekly: usize,
    pub monthly: usize,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            daily: 7,
            weekly: 4,
            monthly: 12,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub id: String,
    pub complete: bool,
}

/// Every backup under `backups/`: its id and whether its manifest exists.
pub async fn list_backups(storage: &Storage) -> anyhow::Result<Vec<Listed>> {
    let keys = storage.list("backups/").await?;
    let mut ids = BTreeSet::new();
    let mut complete = HashSet::new();
    for key in &keys {
        let mut parts = key.splitn(3, '/');
        let (Some("backups"), Some(id)) = (parts.next(), parts.next()) else {
            continue;
        };
        if manifest::parse_id(id).is_none() {
            continue;
        }
        ids.insert(id.to_owned());
        if parts.next() == Some("manifest.json") {
            complete.insert(id.to_owned());
        }
    }
    Ok(ids
        .into_iter()
        .map(|id| Listed {
            complete: complete.contains(&id),
            id,
        })
        .collect())
}

/// The ids to delete under `policy`.
pub fn to_delete(listing: &[Listed], policy: &Policy) -> Vec<String> {
    let mut complete: Vec<&Listed> = listing.iter().filter(|b| b.complete).collect();
    complete.sort_by(|a, b| b.id.cmp(&a.id));
    let Some(newest) = complete.first() else {
        return Vec::new();
    };
    let mut keep: HashSet<&str> = HashSet::from([newest.id.as_str()]);
    let dated: Vec<(&str, chrono::NaiveDate)> = complete
        .iter()
        .filter_map(|b| manifest::parse_id(&b.id).map(|t| (b.id.as_str(), t.date_naive())))
        .collect();
    keep_newest_per(&dated, policy.daily, |d| (d.year(), d.ordinal()), &mut keep);
    keep_newest_per(
        &dated,
        policy.weekly,
        |d| (d.iso_week().year(), d.iso_week().week()),
        &mut keep,
    );
    keep_newest_per(&dated, policy.monthly, |d| (d.year(), d.month()), &mut keep);
    let mut doomed: Vec<String> = listing
        .iter()
        .filter(|b| {
            if b.complete {
                !keep.contains(b.id.as_str())
            } else {
                b.id < newest.id
            }
        })
        .map(|b| b.id.clone())
        .collect();
    doomed.sort();
    doomed
}

/// `dated` is newest first: the first backup seen in each period is that period's newest.
fn keep_newest_per<'a>(
    dated: &[(&'a str, chrono::NaiveDate)],
    periods: usize,
    period: impl Fn(chrono::NaiveDate) -> (i32, u32),
    keep: &mut HashSet<&'a str>,
) {
    let mut seen = HashSet::new();
    for (id, day) in dated {
        if seen.len() >= periods && !seen.contains(&period(*day)) {
            break;
        }
        if seen.insert(period(*day)) {
            keep.insert(id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone, Utc};

    fn daily_backups(days: i64) -> Vec<Listed> {
        let start = Utc
            .with_ymd_and_hms(2026, 1, 1, 3, 0, 0)
            .single()
            .expect("valid");
        (0..days)
            .map(|d| Listed {
                id: manifest::new_id(start + Duration::days(d)),
                complete: true,
            })
            .collect()
    }

    #[test]
    fn a_year_of_nightly_backups_keeps_seven_days_four_weeks_and_twelve_months() {
        let listing = daily_backups(365);
        let doomed = to_delete(&listing, &Policy::default());
        let kept: Vec<String> = listing
            .iter()
            .map(|b| b.id.clone())
            .filter(|id| !doomed.contains(id))
            .collect();
        // 7 days (Dec 25-31), the newest of 4 ISO weeks (Dec 31, 27, 20, 13) and of 12 months.
        let mut expected: Vec<String> = (25..=31).map(|d| format!("202612{d}T030000Z")).collect();
        expected.extend(["20261220T030000Z".to_owned(), "20261213T030000Z".to_owned()]);
        for (month, last) in [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30]
            .iter()
            .enumerate()
        {
            expected.push(format!("2026{:02}{last}T030000Z", month + 1));
        }
        expected.sort();
        assert_eq!(kept, expected);
    }

    #[test]
    fn nothing_is_deleted_until_a_complete_backup_exists() {
        let listing = vec![
            Listed {
                id: "20260101T030000Z".into(),
                complete: false,
            },
            Listed {
                id: "20260102T030000Z".into(),
                complete: false,
            },
        ];
        assert!(to_delete(&listing, &Policy::default()).is_empty());
    }

    #[test]
    fn abandoned_incomplete_backups_go_but_one_in_progress_stays() {
        let listing = vec![
            Listed {
                id: "20260101T030000Z".into(),
                complete: false,
            },
            Listed {
                id: "20260102T030000Z".into(),
                complete: true,
            },
            Listed {
                id: "20260103T030000Z".into(),
                complete: false,
            },
        ];
        assert_eq!(
            to_delete(&listing, &Policy::default()),
            vec!["20260101T030000Z".to_owned()]
        );
    }

    #[test]
    fn several_backups_in_one_day_keep_only_the_newest_of_that_day() {
        let listing: Vec<Listed> = ["20260105T010000Z", "20260105T020000Z", "20260105T030000Z"]
            .iter()
            .map(|id| Listed {
                id: (*id).into(),
                complete: true,
            })
            .collect();
        assert_eq!(
            to_delete(&listing, &Policy::default()),
            vec!["20260105T010000Z".to_owned(), "20260105T020000Z".to_owned()]
        );
    }
}
