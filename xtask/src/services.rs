//! The test services (PostgreSQL, MariaDB/MySQL, Redis, RabbitMQ) and the browser, found by
//! probing.
//!
//! A service counts as there when its port accepts a TCP connection within a second: cheap,
//! needs no client library, and is what the tests need first.

use std::env;
use std::io::ErrorKind;
use std::net::{TcpStream, ToSocketAddrs};
use std::path::PathBuf;
use std::thread;
use std::time::Duration;

use crate::process::find_on_path;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);

/// One backend the test suite can use, and how tests find it.
pub(crate) struct Service {
    /// Short name used in messages: `postgres`.
    pub(crate) name: &'static str,
    /// The variable the tests read the URL from.
    pub(crate) env_var: &'static str,
    default_url: &'static str,
    default_port: u16,
    /// What a user starts: `PostgreSQL`.
    product: &'static str,
}

const SERVICES: [Service; 4] = [
    Service {
        name: "postgres",
        env_var: "FLASK_TEST_POSTGRES_URL",
        default_url: "postgres://postgres@127.0.0.1:5432/test",
        default_port: 5432,
        product: "PostgreSQL",
    },
    Service {
        name: "mysql",
        env_var: "FLASK_TEST_MYSQL_URL",
        default_url: "mysql://root@127.0.0.1:3306/test",
        default_port: 3306,
        product: "MariaDB/MySQL",
    },
    Service {
        name: "redis",
        env_var: "FLASK_TEST_REDIS_URL",
        default_url: "redis://127.0.0.1:6379",
        default_port: 6379,
        product: "Redis",
    },
    Service {
        name: "rabbitmq",
        env_var: "FLASK_TEST_AMQP_URL",
        default_url: "amqp://guest:guest@127.0.0.1:5672//",
        default_port: 5672,
        product: "RabbitMQ",
    },
];

/// What probing one service found.
pub(crate) struct Probe {
    pub(crate) service: &'static Service,
    /// The URL the tests get: the user's `FLASK_TEST_*_URL`, else the default.
    pub(crate) url: String,
    /// Whether `url` came from the environment.
    from_env: bool,
    /// `Ok` when something answered; else why not, e.g. `nothing on 127.0.0.1:5432`.
    pub(crate) answer: Result<(), String>,
}

impl Probe {
    pub(crate) fn is_up(&self) -> bool {
        self.answer.is_ok()
    }

    /// One line for the summary: `postgres at postgres://...` or why it was skipped and how
    /// to get it.
    pub(crate) fn summary_line(&self) -> String {
        let Service {
            name,
            env_var,
            product,
            ..
        } = self.service;
        match &self.answer {
            Ok(()) => format!("{name} at {}", redact(&self.url)),
            Err(why) if self.from_env => format!(
                "{name}: skipped ({why}, from {env_var}) - start {product} there or fix {env_var}"
            ),
            Err(why) => format!("{name}: skipped ({why}) - start {product} or set {env_var}"),
        }
    }
}

/// Probes every service at once (each waits at most a second).
pub(crate) fn probe_all() -> Vec<Probe> {
    thread::scope(|scope| {
        let probes: Vec<_> = SERVICES
            .iter()
            .map(|service| scope.spawn(move || probe(service)))
            .collect();
        probes
            .into_iter()
            .zip(&SERVICES)
            .map(|(handle, service)| {
                handle.join().unwrap_or_else(|_| Probe {
                    service,
                    url: service.default_url.to_owned(),
                    from_env: false,
                    answer: Err("the probe panicked".to_owned()),
                })
            })
            .collect()
    })
}

fn probe(service: &'static Service) -> Probe {
    let from_env = env::var(service.env_var).ok().filter(|url| !url.is_empty());
    let url = from_env
        .clone()
        .unwrap_or_else(|| service.default_url.to_owned());
    let answer =
        host_port(&url, service.default_port).and_then(|(host, port)| answers(&host, port));
    Probe {
        service,
        url,
        from_env: from_env.is_some(),
        answer,
    }
}

/// The PostgreSQL URL a bench runs on, or an error that says how to get one: `needed_for`
/// names the bench ("the soak runs on PostgreSQL"), `skip` how to do without
/// ("--db sqlite skips it").
pub(crate) fn postgres_url(needed_for: &str, skip: &str) -> Result<String, String> {
    let postgres = SERVICES
        .iter()
        .find(|service| service.name == "postgres")
        .ok_or("no PostgreSQL in the service list")?;
    let probe = probe(postgres);
    if probe.is_up() {
        Ok(probe.url)
    } else {
        Err(format!(
            "{needed_for}: {} (../shared/services.sh starts it; {skip})",
            probe.summary_line()
        ))
    }
}

/// A schema of its own in the PostgreSQL database at `url`, dropped and made again with
/// `psql`; the URL that makes it the connection's `search_path`. A bench that shares the
/// database with the tests then finds none of their tables, and leaves none of its own in
/// `public`.
pub(crate) fn fresh_postgres_schema(url: &str, schema: &str) -> Result<String, String> {
    let psql = find_on_path("psql").ok_or(
        "psql is not installed; the bench makes a schema of its own with it \
         (apt-get install -y postgresql-client)",
    )?;
    let sql = format!("DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema};");
    let out = std::process::Command::new(psql)
        .args([
            "--quiet",
            "--no-psqlrc",
            "-v",
            "ON_ERROR_STOP=1",
            url,
            "-c",
            &sql,
        ])
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| format!("cannot run psql: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "psql could not make the schema {schema} at {}: {}",
            redact(url),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let separator = if url.contains('?') { '&' } else { '?' };
    Ok(format!(
        "{url}{separator}options=-c%20search_path%3D{schema}"
    ))
}

/// Host and port of `scheme://[user[:password]@]host[:port][/path][?query]`.
fn host_port(url: &str, default_port: u16) -> Result<(String, u16), String> {
    let not_a_url = || format!("`{}` is not a URL with a host", redact(url));
    let (_, rest) = url.split_once("://").ok_or_else(not_a_url)?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, hp)| hp);
    let (host, port) = if let Some(bracketed) = host_port.strip_prefix('[') {
        // IPv6 literal: `[::1]:5432`
        let (host, after) = bracketed.split_once(']').ok_or_else(not_a_url)?;
        (host, after.strip_prefix(':'))
    } else {
        match host_port.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (host_port, None),
        }
    };
    if host.is_empty() {
        return Err(not_a_url());
    }
    let port = match port {
        None | Some("") => default_port,
        Some(port) => port
            .parse()
            .map_err(|_| format!("bad port `{port}` in `{}`", redact(url)))?,
    };
    Ok((host.to_owned(), port))
}

/// Whether anything accepts a TCP connection on `host:port` within [`CONNECT_TIMEOUT`].
fn answers(host: &str, port: u16) -> Result<(), String> {
    let shown = if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    };
    let addrs = (host, port)
        .to_socket_addrs()
        .map_err(|err| format!("cannot resolve {shown}: {err}"))?;
    let mut last = format!("cannot resolve {shown}");
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT) {
            Ok(_) => return Ok(()),
            Err(err) if err.kind() == ErrorKind::ConnectionRefused => {
                last = format!("nothing on {shown}");
            }
            Err(err) if err.kind() == ErrorKind::TimedOut => {
                last = format!(
                    "no answer from {shown} within {}s",
                    CONNECT_TIMEOUT.as_secs()
                );
            }
            Err(err) => last = format!("cannot connect to {shown}: {err}"),
        }
    }
    Err(last)
}

/// The URL with any password replaced by `***`, fit for printing.
pub(crate) fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _password)) => format!("{scheme}://{user}:***@{host}{tail}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

/// The programs browser tests drive, where found on `PATH`.
pub(crate) struct Browser {
    chromium: Option<PathBuf>,
    chromedriver: Option<PathBuf>,
}

impl Browser {
    pub(crate) fn probe() -> Self {
        Self {
            chromium: find_on_path("chromium"),
            chromedriver: find_on_path("chromedriver"),
        }
    }

    /// Whether both programs are on `PATH`.
    pub(crate) fn is_found(&self) -> bool {
        self.chromium.is_some() && self.chromedriver.is_some()
    }

    pub(crate) fn summary_line(&self) -> String {
        let missing: Vec<&str> = [
            ("chromium", &self.chromium),
            ("chromedriver", &self.chromedriver),
        ]
        .into_iter()
        .filter(|(_, found)| found.is_none())
        .map(|(name, _)| name)
        .collect();
        if missing.is_empty() {
            "browser: chromium + chromedriver found".to_owned()
        } else {
            format!(
                "browser: skipped ({} not on PATH) - apt-get install -y chromium chromium-driver",
                missing.join(" and ")
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{host_port, redact};

    #[test]
    fn host_and_port_from_urls() {
        let hp = |url| host_port(url, 1).map_err(|_| ());
        assert_eq!(
            hp("postgres://postgres@127.0.0.1:5432/test"),
            Ok(("127.0.0.1".into(), 5432))
        );
        assert_eq!(
            hp("mysql://root:pw@db.local/test"),
            Ok(("db.local".into(), 1))
        );
        assert_eq!(hp("redis://127.0.0.1:6379"), Ok(("127.0.0.1".into(), 6379)));
        assert_eq!(hp("redis://[::1]:6380/0"), Ok(("::1".into(), 6380)));
        assert_eq!(
            hp("postgres://u:p@h:5433?sslmode=disable"),
            Ok(("h".into(), 5433))
        );
        assert!(hp("127.0.0.1:5432").is_err());
        assert!(hp("redis://h:port").is_err());
    }

    #[test]
    fn passwords_are_hidden() {
        assert_eq!(
            redact("mysql://root:secret@h:3306/test"),
            "mysql://root:***@h:3306/test"
        );
        assert_eq!(
            redact("postgres://postgres@h/test"),
            "postgres://postgres@h/test"
        );
        assert_eq!(redact("redis://h:6379"), "redis://h:6379");
    }
}
