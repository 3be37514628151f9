//! The disk under the SQLite file fills up mid-vote (a 16 MiB tmpfs, filled with a file of
//! zeros while eight residents vote), then space is freed again.
//!
//! - While it is full, ballots are refused with a `503` problem that says the disk is full,
//!   with `Retry-After`; none of them is stored; what was stored before stays readable
//!   (receipts check out).
//! - Once space is freed, ballots are taken again by the same process (no restart).
//! - Every acknowledged ballot is stored exactly once and the file passes
//!   `PRAGMA integrity_check`.
//!
//! Mounting needs root: the test is ignored unless run with `--include-ignored` (as .ci/run
//! does, as root).
use std::{
    io::Write,
    path::{Path, PathBuf},
    process::Command,
    time::{Duration, Instant},
};

use super::*;

/// A tmpfs mounted for the test, unmounted when dropped.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(at: &Path, size: &str) -> Tmpfs {
        std::fs::create_dir_all(at).unwrap();
        let out = Command::new("mount").args(["-t", "tmpfs", "-o", &format!("size={size}"), "pbvote-disk-full"]).arg(at).output();
        match out {
            Ok(o) if o.status.success() => Tmpfs(at.to_owned()),
            Ok(o) => panic!("this test mounts a small tmpfs and needs root for it: mount failed: {}", String::from_utf8_lossy(&o.stderr)),
            Err(e) => panic!("this test mounts a small tmpfs and needs root for it: cannot run mount: {e}"),
        }
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        // Lazy: the server may still hold the files open for a moment.
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// Write zeros to `file` until the file system says it is full.
fn fill(file: &Path) -> u64 {
    let mut f = std::fs::File::create(file).expect("create the filler");
    let chunk = vec![0u8; 64 * 1024];
    let mut written = 0u64;
    loop {
        match f.write(&chunk) {
            Ok(0) => break,
            Ok(n) => written += n as u64,
            Err(e) if e.raw_os_error() == Some(28) => break, // ENOSPC
            Err(e) => panic!("filling the disk: {e}"),
        }
    }
    let _ = f.sync_all();
    written
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs root (it mounts a small tmpfs for the SQLite file): pass --include-ignored"]
async fn a_full_disk_refuses_ballots_clearly_and_voting_resumes_when_space_is_freed() {
    let _alone = one_at_a_time().await;
    let dir = tempfile::tempdir().unwrap();
    let mount = Tmpfs::mount(&dir.path().join("disk"), "16m");
    let url = format!("sqlite://{}?mode=rwc", mount.0.join("pbvote.db").display());
    let db = TestDb::existing(&url, Backend::Sqlite);
    within(Duration::from_secs(90), "the disk-full test", disk_full(&db, &mount.0)).await;
}

async fn disk_full(db: &TestDb, disk: &Path) {
    let server = Server::start(&db.url).await;
    let api = Api::new(&server);
    let setup = set_up_consultation(&db.url, &api, 8000).await;
    let id = setup.consultation.clone();
    let codes = CodeSource::new(setup.codes.clone());
    let residents = Residents::start(&[&api], &id, &codes, 8);
    wait_for_acks(&residents.loads(), 150, Duration::from_secs(30), "before the disk fills").await;

    let filler = disk.join("filler");
    let filled = tokio::task::block_in_place(|| fill(&filler));
    let full_at = Instant::now();
    // Ballots go on until SQLite needs a page it does not have (the WAL may still have room).
    let first_refusal = loop {
        let refused = residents
            .snapshot()
            .into_iter()
            .find(|s| s.started_at >= full_at && matches!(&s.outcome, Outcome::Answer(a) if a.status == 503));
        if let Some(s) = refused {
            break s;
        }
        assert!(full_at.elapsed() < Duration::from_secs(30), "no ballot refused within 30 s of the disk filling up");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let Outcome::Answer(refusal) = &first_refusal.outcome else { unreachable!() };
    let detail = refusal.body["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("disk is full"), "the refusal does not say the disk is full: {}", refusal.text);
    eprintln!("disk full after {filled} bytes of filler; first refusal {:?} later: {detail}", full_at.elapsed());
    // The residents stop (refusals come fast: they would use up every code), the disk stays
    // full for a second more, and what was stored is still readable.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut submissions = residents.finish().await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let acked_before: Vec<String> = submissions.iter().filter_map(|s| s.acknowledged_receipt().map(str::to_owned)).take(20).collect();
    for r in &acked_before {
        assert_eq!(api.receipt(r).await.status, 200, "receipt {r} while the disk is full");
    }

    std::fs::remove_file(&filler).unwrap();
    let (again, tries) = until_acknowledged(&api, &id, &codes, Duration::from_secs(15)).await;
    eprintln!("space freed: a ballot taken again {again:?} later");
    submissions.extend(tries);
    // And the residents vote on.
    let residents = Residents::start(&[&api], &id, &codes, 8);
    let acked = submissions.iter().filter(|s| s.acknowledged_receipt().is_some()).count();
    wait_for_acks(&residents.loads(), 100, Duration::from_secs(30), "after space was freed").await;
    submissions.extend(residents.finish().await);
    assert!(submissions.iter().filter(|s| s.acknowledged_receipt().is_some()).count() >= acked + 100);

    let (ledger, refused) = ledger_of(&submissions, Refusal::NotStored, "disk full");
    for a in &refused {
        assert!(a.body["detail"].as_str().unwrap_or_default().contains("disk is full"), "a 503 for another reason: {}", a.text);
    }
    let stored = verify_against_ledger(&api, db, &setup, &ledger, "after the disk was full").await;
    eprintln!("disk full: {} acknowledged, {} refused, {stored} stored", ledger.acknowledged.len(), refused.len());
    assert!(server.panics().is_empty(), "the server panicked: {:?}", server.panics());
    let (journal, integrity, dangling) = sqlite_file_report(&db.url).await;
    assert_eq!((journal.as_str(), integrity.as_str(), dangling), ("wal", "ok", 0), "the SQLite file after the disk was full");
}
