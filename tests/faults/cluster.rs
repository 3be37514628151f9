//! A throwaway PostgreSQL cluster of the test's own (initdb + pg_ctl in a temporary
//! directory, on a free port), so a test can stop and start the server without disturbing
//! anyone else's. As root, PostgreSQL's programs run as the `postgres` user (initdb refuses
//! root).
use std::{
    os::unix::fs::MetadataExt,
    path::{Path, PathBuf},
    process::Command,
};

pub struct Cluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    pub port: u16,
    /// The user to run PostgreSQL's programs as (`postgres` when we are root).
    run_as: Option<&'static str>,
}

/// Where initdb and pg_ctl are: `PBVOTE_PG_BINDIR`, else `pg_config --bindir`, else the
/// newest /usr/lib/postgresql/N/bin (Debian).
fn bin_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("PBVOTE_PG_BINDIR") {
        return Some(PathBuf::from(dir));
    }
    let has_initdb = |d: &Path| d.join("initdb").is_file() && d.join("pg_ctl").is_file();
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output() {
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if has_initdb(&dir) {
            return Some(dir);
        }
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok())
        .filter_map(|e| Some((e.file_name().to_str()?.parse().ok()?, e.path().join("bin"))))
        .filter(|(_, d): &(u32, PathBuf)| has_initdb(d))
        .collect();
    versions.sort();
    versions.pop().map(|(_, d)| d)
}

impl Cluster {
    /// initdb and start a cluster (trust authentication, superuser `postgres`, listening on
    /// 127.0.0.1 only).
    pub fn start() -> Cluster {
        let bin = bin_dir()
            .expect("this test needs PostgreSQL's server programs (initdb, pg_ctl): apt-get install postgresql, or set PBVOTE_PG_BINDIR");
        let dir = tempfile::Builder::new().prefix("pbvote-pg-").tempdir().expect("a directory for the cluster");
        let root = std::fs::metadata("/proc/self").map(|m| m.uid() == 0).unwrap_or(false);
        let run_as = root.then_some("postgres");
        if let Some(user) = run_as {
            let status = Command::new("chown").args(["-R", user]).arg(dir.path()).status().expect("chown");
            assert!(status.success(), "chown {user} {}", dir.path().display());
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port");
        let cluster = Cluster { dir, bin, port, run_as };
        let data = cluster.data();
        cluster.run("initdb", &["-D", &data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"]);
        cluster.start_again();
        cluster
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    /// `postgres://postgres@127.0.0.1:PORT/postgres`
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    fn command(&self, program: &str, args: &[&str]) -> Command {
        let path = self.bin.join(program);
        let mut cmd = match self.run_as {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.args(["-u", user, "--"]).arg(path);
                c
            }
            None => Command::new(path),
        };
        cmd.args(args).current_dir(self.dir.path());
        cmd
    }

    fn run(&self, program: &str, args: &[&str]) {
        let out = self.command(program, args).output().unwrap_or_else(|e| panic!("run {program}: {e}"));
        assert!(
            out.status.success(),
            "{program} {args:?} failed: {}{}\nserver log:\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
            std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
        );
    }

    /// Start the server and wait until it accepts connections.
    pub fn start_again(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c shared_buffers=16MB -c max_connections=60",
            self.port,
            self.dir.path().display()
        );
        let log = self.dir.path().join("server.log").display().to_string();
        self.run("pg_ctl", &["-D", &self.data(), "-l", &log, "-o", &options, "-w", "-t", "30", "start"]);
    }

    /// Stop the server the way `pg_ctlcluster stop` does (fast: sessions are ended,
    /// transactions in flight roll back, everything committed is on disk).
    pub fn stop(&self) {
        self.run("pg_ctl", &["-D", &self.data(), "-m", "fast", "-w", "-t", "30", "stop"]);
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        // Pass or fail, leave no server behind.
        let _ = self.command("pg_ctl", &["-D", &self.data(), "-m", "immediate", "-w", "stop"]).output();
    }
}
