//! `DATABASE_URL` over TLS, against a PostgreSQL of this test's own (`initdb` and `pg_ctl` on a
//! free port in a temporary folder, certificates made for the run, plain connections refused):
//! `sslmode=require`, `verify-ca` and `verify-full` with a CA file, a client certificate; a wrong
//! CA or host name stops start-up with one line naming `DATABASE_URL`. Skipped, saying so, where
//! PostgreSQL's server programs are not installed.

use std::path::{Path, PathBuf};
use std::process::Command;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};

use crate::helpers::relais_command;
use crate::process::RelaisProcess;
use crate::server::run_relais;

/// The role that signs in with its certificate alone (PostgreSQL's `cert` method).
const CERT_USER: &str = "relais_cert";

/// A PostgreSQL server with TLS on, stopped when dropped.
struct TlsPostgres {
    dir: tempfile::TempDir,
    port: u16,
    /// Whom the server runs as: PostgreSQL refuses to run as root.
    owner: Option<Owner>,
}

#[derive(Clone, Copy)]
struct Owner {
    uid: u32,
    gid: u32,
}

impl TlsPostgres {
    /// A fresh server, or `None` when `initdb`/`pg_ctl` are not on the PATH.
    fn start() -> Option<Self> {
        let available = |program: &str| {
            Command::new(program)
                .arg("--version")
                .output()
                .is_ok_and(|output| output.status.success())
        };
        if !available("initdb") || !available("pg_ctl") {
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let owner = running_as_root().then(|| Owner {
            uid: id_of("-u"),
            gid: id_of("-g"),
        });
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let server = TlsPostgres { dir, port, owner };
        server.own(server.dir.path());
        let data = server.data();
        server.run_as_owner(
            "initdb",
            &[
                "-D",
                data.to_str().unwrap(),
                "-U",
                "postgres",
                "-A",
                "trust",
                "--no-sync",
            ],
        );
        server.write_certificates();
        let mut settings = std::fs::read_to_string(data.join("postgresql.conf")).unwrap();
        settings.push_str(&format!(
            "\nlisten_addresses = '127.0.0.1'\nport = {port}\nunix_socket_directories = '{}'\n\
             ssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n\
             ssl_ca_file = 'root.crt'\nfsync = off\n",
            server.dir.path().display()
        ));
        std::fs::write(data.join("postgresql.conf"), settings).unwrap();
        // TLS or nothing: a plain TCP connection meets the last line.
        std::fs::write(
            data.join("pg_hba.conf"),
            format!(
                "local all all trust\nhostssl all {CERT_USER} 127.0.0.1/32 cert\n\
                 hostssl all all 127.0.0.1/32 trust\nhost all all 127.0.0.1/32 reject\n"
            ),
        )
        .unwrap();
        let log = server.dir.path().join("postgres.log");
        server.run_as_owner(
            "pg_ctl",
            &[
                "-D",
                data.to_str().unwrap(),
                "-l",
                log.to_str().unwrap(),
                "-w",
                "start",
            ],
        );
        Some(server)
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn file(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }

    /// A URL to `database` as `user` on `host`, with these query parameters.
    fn url(&self, user: &str, host: &str, database: &str, parameters: &[(&str, String)]) -> String {
        let query: Vec<String> = parameters
            .iter()
            .map(|(key, value)| format!("{key}={value}"))
            .collect();
        format!(
            "postgres://{user}@{host}:{}/{database}?{}",
            self.port,
            query.join("&")
        )
    }

    /// `program` as the server's owner.
    fn owner_command(&self, program: &str) -> Command {
        match self.owner {
            Some(_) => {
                let mut command = Command::new("runuser");
                command.args(["-u", "postgres", "--", program]);
                command
            }
            None => Command::new(program),
        }
    }

    fn run_as_owner(&self, program: &str, args: &[&str]) {
        let output = self.owner_command(program).args(args).output().unwrap();
        assert!(
            output.status.success(),
            "{program}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    fn own(&self, path: &Path) {
        if let Some(owner) = self.owner {
            std::os::unix::fs::chown(path, Some(owner.uid), Some(owner.gid)).unwrap();
        }
    }

    /// A CA, the server's certificate for `localhost` only, a client certificate for
    /// [`CERT_USER`], and another CA that signed none of them.
    fn write_certificates(&self) {
        let (ca, ca_key) = authority("Relais test CA");
        let (other_ca, _) = authority("Another CA");
        let server_key = KeyPair::generate().unwrap();
        let server = CertificateParams::new(vec!["localhost".to_owned()])
            .unwrap()
            .signed_by(&server_key, &ca, &ca_key)
            .unwrap();
        let client_key = KeyPair::generate().unwrap();
        let mut client = CertificateParams::new(Vec::<String>::new()).unwrap();
        client
            .distinguished_name
            .push(DnType::CommonName, CERT_USER);
        let client = client.signed_by(&client_key, &ca, &ca_key).unwrap();

        let data = self.data();
        for (path, contents) in [
            (data.join("server.crt"), server.pem()),
            (data.join("server.key"), server_key.serialize_pem()),
            (data.join("root.crt"), ca.pem()),
        ] {
            write_private(&path, &contents);
            self.own(&path);
        }
        for (name, contents) in [
            ("ca.crt", ca.pem()),
            ("other-ca.crt", other_ca.pem()),
            ("client.crt", client.pem()),
            ("client.key", client_key.serialize_pem()),
        ] {
            write_private(&self.dir.path().join(name), &contents);
        }
    }
}

impl Drop for TlsPostgres {
    fn drop(&mut self) {
        let data = self.data();
        let _stopped = self
            .owner_command("pg_ctl")
            .args([
                "-D",
                data.to_str().unwrap_or_default(),
                "-m",
                "immediate",
                "stop",
            ])
            .output();
    }
}

fn authority(name: &str) -> (rcgen::Certificate, KeyPair) {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    (params.self_signed(&key).unwrap(), key)
}

/// Writes a file only its owner may read (PostgreSQL and libpq refuse keys others can read).
fn write_private(path: &Path, contents: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, contents).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

fn running_as_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").is_ok_and(|process| process.uid() == 0)
}

/// `id -u postgres` or `id -g postgres`.
fn id_of(which: &str) -> u32 {
    let output = Command::new("id")
        .args([which, "postgres"])
        .output()
        .unwrap();
    String::from_utf8_lossy(&output.stdout)
        .trim()
        .parse()
        .expect("the postgres account exists")
}

async fn opens(url: &str) -> Result<(), String> {
    relais::db::Db::connect(url, relais::db::STATEMENT_TIMEOUT_DEFAULT)
        .await
        .map(drop)
        .map_err(|error| error.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn database_connections_are_encrypted_and_verified_as_the_url_says() {
    let Some(postgres) = tokio::task::spawn_blocking(TlsPostgres::start)
        .await
        .unwrap()
    else {
        eprintln!("initdb or pg_ctl not found: the TLS test against PostgreSQL is skipped");
        return;
    };
    let ca = ("sslrootcert", postgres.file("ca.crt"));
    let other_ca = ("sslrootcert", postgres.file("other-ca.crt"));
    let mode = |mode: &str| ("sslmode", mode.to_owned());

    // Plain connections are refused, so whatever opens below went over TLS.
    let plain = postgres.url("postgres", "127.0.0.1", "postgres", &[mode("disable")]);
    assert!(opens(&plain).await.is_err());

    // The server itself, verifying the certificate and its host name.
    let verified = postgres.url(
        "postgres",
        "localhost",
        "postgres",
        &[mode("verify-full"), ca.clone()],
    );
    let server = RelaisProcess::start(
        relais_command(
            &verified,
            "a secret for the TLS test, long enough to key HMAC",
        ),
        reqwest::Client::new(),
    )
    .await;
    let ready = server
        .http
        .get(format!("{}/health/ready", server.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 200);
    let answer = server
        .client()
        .post(
            None,
            "mutation($input: RegisterInput!) { register(input: $input) { accessToken } }",
            serde_json::json!({ "input": { "email": "ines@example.org", "password": "a long enough password",
                                           "displayName": "Inès", "profession": "NURSE" } }),
        )
        .await
        .unwrap();
    assert!(
        answer["data"]["register"]["accessToken"].is_string(),
        "{answer}"
    );
    drop(server);

    // A role that signs in with its certificate alone; without it, it gets nowhere.
    let admin = postgres.url("postgres", "localhost", "postgres", &[mode("require")]);
    tokio::task::spawn_blocking(move || {
        use diesel::connection::SimpleConnection;
        use diesel::{Connection, PgConnection};
        let mut conn = PgConnection::establish(&admin).unwrap();
        // One statement each: CREATE DATABASE runs outside any transaction.
        conn.batch_execute(&format!("CREATE ROLE {CERT_USER} LOGIN"))
            .unwrap();
        conn.batch_execute(&format!("CREATE DATABASE {CERT_USER} OWNER {CERT_USER}"))
            .unwrap();
    })
    .await
    .unwrap();
    let without = postgres.url(
        CERT_USER,
        "localhost",
        CERT_USER,
        &[mode("verify-full"), ca.clone()],
    );
    assert!(opens(&without).await.is_err());

    for (what, url) in [
        (
            "require, no CA",
            postgres.url("postgres", "127.0.0.1", "postgres", &[mode("require")]),
        ),
        (
            "verify-ca by address",
            postgres.url(
                "postgres",
                "127.0.0.1",
                "postgres",
                &[mode("verify-ca"), ca.clone()],
            ),
        ),
        (
            "a client certificate",
            postgres.url(
                CERT_USER,
                "localhost",
                CERT_USER,
                &[
                    mode("verify-full"),
                    ca.clone(),
                    ("sslcert", postgres.file("client.crt")),
                    ("sslkey", postgres.file("client.key")),
                ],
            ),
        ),
    ] {
        opens(&url)
            .await
            .unwrap_or_else(|error| panic!("{what}: {error}"));
    }

    // A certificate the CA did not sign, or a host name it was not made for: no start.
    for (what, url) in [
        (
            "another CA",
            postgres.url(
                "postgres",
                "localhost",
                "postgres",
                &[mode("verify-full"), other_ca.clone()],
            ),
        ),
        (
            "a host name the certificate does not name",
            postgres.url(
                "postgres",
                "127.0.0.1",
                "postgres",
                &[mode("verify-full"), ca.clone()],
            ),
        ),
    ] {
        let (status, _, stderr) = tokio::task::spawn_blocking(move || {
            run_relais(
                &[
                    ("DATABASE_URL", &url),
                    (
                        "RELAIS_SECRET",
                        "a secret for the TLS test, long enough to key HMAC",
                    ),
                ],
                &["serve"],
            )
        })
        .await
        .unwrap();
        assert!(!status.success(), "{what}");
        assert_eq!(stderr.lines().count(), 1, "{what}: {stderr}");
        assert!(
            stderr.starts_with("relais: DATABASE_URL: cannot open")
                && stderr.contains("certificate"),
            "{what}: {stderr}"
        );
    }
}
