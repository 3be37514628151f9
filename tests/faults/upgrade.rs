//! Upgrade while voting: expand, then contract.
//!
//! A new version whose release adds a migration is rolled out while the old one serves:
//!
//! 1. the old version (the real `pbvote` binary, instance A) serves residents;
//! 2. the new version (instance B) starts on the same database and applies its migration
//!    — the *expand* step: a column and a table that the old version does not know — while
//!    A goes on serving; both are ready and both take ballots, one on each schema version;
//! 3. an old-version instance started now (an autoscaler, a crash and restart during the
//!    roll-out) starts and serves on the expanded schema;
//! 4. A is stopped (SIGTERM) and the version after runs its *contract* migration (dropping
//!    what the expand added) while B serves;
//! 5. no resident got an error at any point, and every ballot is stored exactly once.
//!
//! The new version is the library's `Application` built with an extended list of
//! migrations, in the test's own process: pbvote's code is unchanged between the two
//! versions, so a second binary would differ only in that list, and building one would add
//! a minute of linking to every test run. The old version is the real binary, a process of
//! its own, as in a deployment. The throwaway migrations live here, never in `migration/`.
use std::time::Duration;

use migration::{MigrationName, MigrationTrait, MigratorTrait, SchemaManager, async_trait, sea_orm::ConnectionTrait};
use pbvote::{
    config::{Secret, Settings},
    startup::Application,
    storage::Db,
};
use sea_orm::{DbBackend, DbErr, Statement};

use super::*;

const EXPAND: &str = "m29991231_000001_upgrade_test_expand";
const CONTRACT: &str = "m29991231_000002_upgrade_test_contract";

/// The next version's migration: it only adds (a nullable column, a new table), so the old
/// version's statements, which name their columns, go on working.
struct Expand;

impl MigrationName for Expand {
    fn name(&self) -> &str {
        EXPAND
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Expand {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("ALTER TABLE ballots ADD COLUMN upgrade_note TEXT NULL").await?;
        db.execute_unprepared("CREATE TABLE upgrade_probe (id INTEGER PRIMARY KEY, note TEXT NOT NULL)").await?;
        Ok(())
    }
}

/// The version after: once no old instance runs, remove what is no longer needed.
struct Contract;

impl MigrationName for Contract {
    fn name(&self) -> &str {
        CONTRACT
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Contract {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("ALTER TABLE ballots DROP COLUMN upgrade_note").await?;
        db.execute_unprepared("DROP TABLE upgrade_probe").await?;
        Ok(())
    }
}

/// The new version's migrations: the old version's, then the expand step.
struct NextVersion;

impl MigratorTrait for NextVersion {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        let mut all = migration::Migrator::migrations();
        all.push(Box::new(Expand));
        all
    }
}

/// The version after that: the contract step too.
struct VersionAfter;

impl MigratorTrait for VersionAfter {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        let mut all = NextVersion::migrations();
        all.push(Box::new(Contract));
        all
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL (several instances share one database): set TEST_DATABASE_URL and pass --include-ignored"]
async fn a_new_version_migrates_while_the_old_one_serves() {
    let db = TestDb::required_postgres().await;
    within(Duration::from_secs(90), "the upgrade test", upgrade(&db)).await;
}

async fn upgrade(db: &TestDb) {
    // 1. The old version serves.
    let mut old = Server::start(&db.url).await;
    let api_old = Api::new(&old);
    let setup = set_up_consultation(&db.url, &api_old, 5000).await;
    let id = setup.consultation.clone();
    let codes = CodeSource::new(setup.codes.clone());
    let on_old = Residents::start(&[&api_old], &id, &codes, 4);
    wait_for_acks(&on_old.loads(), 100, Duration::from_secs(30), "on the old version").await;

    // 2. The new version starts and expands the schema while the old one serves.
    let settings = Settings::for_database(&db.url, Secret::new(SECRET).unwrap()).unwrap();
    let new_db = Db::connect(&settings.database).await.expect("the new version connects");
    new_db.migrate_with::<NextVersion>().await.expect("the new version's migration");
    let app = Application::build_with_db(settings, new_db).expect("the new version starts");
    let api_new = Api::at(&format!("http://127.0.0.1:{}", app.port()));
    tokio::spawn(app.run_until_stopped());
    assert!(column_exists(db, "upgrade_note").await, "the expand step ran");
    assert_eq!(api_old.ready().await, 200, "the old version is not ready on the expanded schema. Its log:\n{}", old.log());
    assert_eq!(api_new.ready().await, 200, "the new version is not ready");
    let on_new = Residents::start(&[&api_new], &id, &codes, 4);
    wait_for_acks(&[on_old.loads(), on_new.loads()].concat(), 300, Duration::from_secs(30), "on both versions").await;

    // 3. An old-version instance started now starts, and serves.
    let late = Server::start(&db.url).await;
    let api_late = Api::new(&late);
    assert_eq!(api_late.ready().await, 200, "an old version started on the expanded schema. Its log:\n{}", late.log());
    let (_, tries) = until_acknowledged(&api_late, &id, &codes, Duration::from_secs(5)).await;
    assert_eq!(tries.len(), 1, "an old version started on the expanded schema refused a ballot: {:?}", tries);
    drop(late);

    // 4. The old version goes (its residents have moved on), and the contract step runs
    //    while the new version serves.
    let mut submissions = on_old.finish().await;
    old.sigterm();
    let status = old.wait_exit(Duration::from_secs(35)).await.expect("the old version stops");
    assert!(status.success(), "the old version stopped with {status}");
    let later = Db::connect(&Settings::for_database(&db.url, Secret::new(SECRET).unwrap()).unwrap().database).await.unwrap();
    later.migrate_with::<VersionAfter>().await.expect("the contract step");
    later.close().await;
    assert!(!column_exists(db, "upgrade_note").await, "the contract step ran");
    let before = on_new.loads().iter().map(|l| l.acknowledged.load(std::sync::atomic::Ordering::SeqCst)).sum::<usize>();
    wait_for_acks(&on_new.loads(), before + 100, Duration::from_secs(30), "on the new version after the contract step").await;
    submissions.extend(on_new.finish().await);
    submissions.extend(tries);

    // 5. No resident error; every ballot stored exactly once.
    let errors: Vec<_> = submissions.iter().filter(|s| s.acknowledged_receipt().is_none()).map(|s| &s.outcome).collect();
    assert!(errors.is_empty(), "{} residents got an error during the upgrade, e.g. {:?}", errors.len(), &errors[..errors.len().min(3)]);
    let mut ledger = Ledger::default();
    ledger.add(&submissions);
    let stored = verify_against_ledger(&api_new, db, &setup, &ledger, "after the upgrade").await;
    assert_eq!(stored, ledger.acknowledged.len(), "ballots stored vs acknowledged");
    assert!(old.panics().is_empty(), "the old version panicked: {:?}", old.panics());
    eprintln!("upgrade: {stored} ballots, all acknowledged and stored once, on both schema versions");
}

async fn column_exists(db: &TestDb, column: &str) -> bool {
    let conn = sea_orm::Database::connect(&db.url).await.unwrap();
    let row = conn
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT COUNT(*) FROM information_schema.columns WHERE table_name = 'ballots' AND column_name = $1",
            [column.into()],
        ))
        .await
        .unwrap()
        .unwrap();
    let n: i64 = row.try_get_by_index(0).unwrap();
    conn.close().await.ok();
    n == 1
}
