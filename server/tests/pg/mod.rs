//! A real PostgreSQL server for the tests: Debian's `postgresql` package (installed by `.ci/run`),
//! initialised in a temporary directory, listening on a free loopback port, stopped and removed
//! when the handle drops. PostgreSQL refuses to run as root, so under root it runs as the
//! package's `postgres` user. Without PostgreSQL a test skips with a notice, except under
//! `CI=true`, where that is a failure.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

pub struct PgServer {
    base: PathBuf,
    bin: PathBuf,
    port: u16,
    child: Option<Child>,
    as_postgres: bool,
}

fn bin_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("SAPA_PG_BIN") {
        return Some(PathBuf::from(dir));
    }
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .flatten()
        .map(|e| e.path().join("bin"))
        .filter(|b| b.join("postgres").is_file() && b.join("initdb").is_file())
        .collect();
    dirs.sort_by_key(|d| {
        d.parent().and_then(|v| v.file_name()).and_then(|v| v.to_str()).and_then(|v| v.parse::<u32>().ok())
    });
    dirs.pop()
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

static NEXT: AtomicUsize = AtomicUsize::new(0);

impl PgServer {
    /// A running server, or `None` (with a notice) when PostgreSQL is not installed.
    pub fn start() -> Option<PgServer> {
        let Some(bin) = bin_dir() else {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!(
                    "CI=true and PostgreSQL is not installed (/usr/lib/postgresql/*/bin): .ci/run installs it"
                );
            }
            eprintln!("NOTICE: PostgreSQL not found under /usr/lib/postgresql; skipping");
            return None;
        };
        let n = NEXT.fetch_add(1, Ordering::SeqCst);
        let base = std::env::temp_dir().join(format!("sapa-pg-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        std::fs::create_dir_all(&base).unwrap();
        let as_postgres = is_root();
        if as_postgres {
            assert!(Command::new("chown").args(["postgres:postgres"]).arg(&base).status().unwrap().success());
        }
        let mut server = PgServer { base, bin, port: free_port(), child: None, as_postgres };
        let out = server
            .command("initdb")
            .args(["-U", "sapa", "-A", "trust", "-E", "UTF8", "--no-sync", "-D"])
            .arg(server.data())
            .output()
            .expect("run initdb");
        assert!(out.status.success(), "initdb failed: {}", String::from_utf8_lossy(&out.stderr));
        server.launch();
        Some(server)
    }

    fn data(&self) -> PathBuf {
        self.base.join("data")
    }

    /// `bin/NAME`, as the `postgres` user when we are root.
    fn command(&self, name: &str) -> Command {
        let program = self.bin.join(name);
        if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(program);
            c
        } else {
            Command::new(program)
        }
    }

    fn launch(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.base.join("postgres.log"))
            .unwrap();
        let child = self
            .command("postgres")
            .arg("-D")
            .arg(self.data())
            .args(["-p", &self.port.to_string(), "-k"])
            .arg(&self.base)
            .args(["-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "synchronous_commit=off"])
            .args(["-c", "full_page_writes=off", "-c", "max_connections=200"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start postgres");
        self.child = Some(child);
        let until = Instant::now() + Duration::from_secs(60);
        loop {
            if postgres::Client::connect(&self.url_of("postgres"), postgres::NoTls).is_ok() {
                return;
            }
            if let Some(Ok(Some(status))) = self.child.as_mut().map(|c| c.try_wait()) {
                panic!("postgres exited ({status}): {}", self.log());
            }
            assert!(Instant::now() < until, "postgres did not accept connections: {}", self.log());
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.base.join("postgres.log")).unwrap_or_default()
    }

    fn url_of(&self, db: &str) -> String {
        format!("postgres://sapa@127.0.0.1:{}/{db}", self.port)
    }

    /// A new, empty database on this server.
    pub fn database(&self, name: &str) -> String {
        let mut c = postgres::Client::connect(&self.url_of("postgres"), postgres::NoTls).unwrap();
        c.batch_execute(&format!("CREATE DATABASE \"{name}\"")).unwrap();
        self.url_of(name)
    }

    /// A plain client on `url`, for looking at what the product wrote.
    pub fn client(url: &str) -> postgres::Client {
        postgres::Client::connect(url, postgres::NoTls).unwrap()
    }

    /// Stops the server (fast shutdown: clients are disconnected) and waits for it.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = self.command("pg_ctl").args(["stop", "-m", "fast", "-w", "-D"]).arg(self.data()).output();
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port and data.
    pub fn restart(&mut self) {
        self.stop();
        self.launch();
    }

    pub fn data_dir(&self) -> &Path {
        &self.base
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.base);
    }
}
