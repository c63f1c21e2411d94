use bytes::Bytes;
use nightly_backup::backup::apply_retention;
use nightly_backup::manifest;
use nightly_backup::retention::Policy;
use nightly_backup::storage::Storage;

use crate::helpers::*;

async fn fake_backup(storage: &Storage, id: &str, complete: bool) {
    storage
        .put(&manifest::started_key(id), Bytes::from_static(b"{}"))
        .await
        .expect("put");
    storage
        .put(
            &format!("backups/{id}/tables/markets.copy.zst"),
            Bytes::from_static(b"x"),
        )
        .await
        .expect("put");
    if complete {
        storage
            .put(&manifest::manifest_key(id), Bytes::from_static(b"{}"))
            .await
            .expect("put");
    }
}

async fn remaining_ids(storage: &Storage) -> Vec<String> {
    let mut ids: Vec<String> = storage
        .list("backups/")
        .await
        .expect("list")
        .into_iter()
        .filter_map(|k| k.split('/').nth(1).map(str::to_owned))
        .collect();
    ids.dedup();
    ids
}

async fn retention_keeps_and_deletes_the_right_keys(storage: Storage) {
    // Ten nightly backups, an abandoned incomplete one among them and one still in progress.
    for day in 1..=10 {
        fake_backup(&storage, &format!("202611{day:02}T030000Z"), day != 4).await;
    }
    fake_backup(&storage, "20261111T030000Z", false).await;
    let policy = Policy {
        daily: 3,
        weekly: 2,
        monthly: 1,
    };
    let deleted = apply_retention(&storage, &policy).await.expect("retention");
    // Kept: the 3 newest days (8, 9, 10), the newest of the previous ISO week (Sunday the 8th is
    // in the week of the 2nd..8th, so nothing extra) and the in-progress backup of the 11th.
    assert_eq!(
        remaining_ids(&storage).await,
        vec![
            "20261108T030000Z",
            "20261109T030000Z",
            "20261110T030000Z",
            "20261111T030000Z"
        ]
    );
    assert_eq!(deleted.len(), 7);
    assert!(
        deleted.contains(&"20261104T030000Z".to_owned()),
        "abandoned"
    );
    // Nothing but whole backups went: the survivors still have every object.
    for id in ["20261108T030000Z", "20261110T030000Z"] {
        let keys = storage.list(&manifest::backup_dir(id)).await.expect("list");
        assert_eq!(keys.len(), 3, "{id}: {keys:?}");
    }
}

#[tokio::test]
async fn retention_keeps_and_deletes_the_right_keys_in_a_folder() {
    let folder = Folder::new();
    retention_keeps_and_deletes_the_right_keys(Storage::open(&folder.location()).await).await;
}

#[tokio::test]
async fn retention_keeps_and_deletes_the_right_keys_in_s3() {
    let (_, storage, _) = s3_store().await;
    retention_keeps_and_deletes_the_right_keys(storage).await;
}
