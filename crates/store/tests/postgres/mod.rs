//! A throwaway PostgreSQL cluster (Debian's `postgresql`) for the suites that check both
//! backends: owned by the `postgres` user, on a free loopback port, removed when dropped.

use std::path::PathBuf;
use std::process::Command;

/// A throwaway PostgreSQL cluster owned by the `postgres` user, on a free loopback port.
pub struct Postgres {
    dir: PathBuf,
    bin: PathBuf,
    pub url: String,
}

impl Postgres {
    pub fn start() -> Self {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .expect(
                "PostgreSQL is not installed (apt-get install -y postgresql; make test does it)",
            )
            .filter_map(|entry| entry.ok().map(|e| e.path().join("bin")))
            .find(|bin| bin.join("initdb").exists())
            .expect("no initdb under /usr/lib/postgresql");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let dir = std::env::temp_dir().join(format!("flotilla-pg-{port}"));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create the cluster directory");
        let as_postgres = |script: String| {
            let status = Command::new("su")
                .args(["postgres", "-s", "/bin/sh", "-c", &script])
                .status()
                .expect("run su");
            assert!(status.success(), "`{script}` failed");
        };
        Command::new("chown")
            .arg("postgres:postgres")
            .arg(&dir)
            .status()
            .expect("chown");
        let data = dir.join("data");
        as_postgres(format!(
            "{}/initdb -D {} -A trust -U flotilla >/dev/null",
            bin.display(),
            data.display()
        ));
        as_postgres(format!(
            "{}/pg_ctl -D {} -l {}/log -w -o \"-k {} -c listen_addresses=127.0.0.1 -p {port}\" start >/dev/null",
            bin.display(),
            data.display(),
            dir.display(),
            dir.display()
        ));
        Self {
            url: format!("postgres://flotilla@127.0.0.1:{port}/postgres"),
            dir,
            bin,
        }
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let _ = Command::new("su")
            .args([
                "postgres",
                "-s",
                "/bin/sh",
                "-c",
                &format!(
                    "{}/pg_ctl -D {}/data -m immediate stop >/dev/null",
                    self.bin.display(),
                    self.dir.display()
                ),
            ])
            .status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
