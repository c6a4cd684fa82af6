//! `SQLALCHEMY_DATABASE_URI` with Flask-SQLAlchemy's meaning, turned into what sqlx connects
//! to.

use std::path::{Path, PathBuf};

use crate::Error;

/// The database family a URI names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dialect {
    /// SQLite, bundled: nothing to install.
    Sqlite,
    /// PostgreSQL.
    Postgres,
    /// MySQL or MariaDB.
    MySql,
}

impl Dialect {
    /// `name` quoted as an identifier of this dialect (`"post"`, or `` `post` `` on MySQL),
    /// its own quote characters doubled: for SQL written from the models' table and column
    /// names.
    ///
    /// ```
    /// use flask_sqlalchemy::Dialect;
    /// assert_eq!(Dialect::Postgres.quote("user"), "\"user\"");
    /// assert_eq!(Dialect::MySql.quote("odd`name"), "`odd``name`");
    /// ```
    pub fn quote(self, name: &str) -> String {
        match self {
            Dialect::MySql => format!("`{}`", name.replace('`', "``")),
            _ => format!("\"{}\"", name.replace('"', "\"\"")),
        }
    }

    /// The name SQLAlchemy gives the dialect (`sqlite`, `postgresql`, `mysql`).
    pub fn name(self) -> &'static str {
        match self {
            Dialect::Sqlite => "sqlite",
            Dialect::Postgres => "postgresql",
            Dialect::MySql => "mysql",
        }
    }
}

/// Where an SQLite database lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SqliteLocation {
    /// `sqlite://` or `sqlite:///:memory:`: in memory, one database shared by the engine's
    /// connections, gone when the engine is dropped.
    Memory,
    /// A file (created if missing, with its folder).
    File(PathBuf),
}

/// A parsed database URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseUri {
    dialect: Dialect,
    /// For SQLite, where; for the servers, the URL sqlx understands.
    target: Target,
    /// The URI as written, with any password replaced by `***`: for messages and logs.
    display: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    Sqlite {
        location: SqliteLocation,
        query: Option<String>,
    },
    Server(String),
}

impl DatabaseUri {
    /// Parses a URI as Flask-SQLAlchemy reads `SQLALCHEMY_DATABASE_URI`:
    ///
    /// | URI | database |
    /// |---|---|
    /// | `sqlite:///app.db` | the file `app.db` in `base` (Flask's instance folder) |
    /// | `sqlite:////var/data/app.db` | the absolute path `/var/data/app.db` |
    /// | `sqlite://`, `sqlite:///:memory:` | in memory |
    /// | `postgresql://user:pw@host:5432/db` (also `postgres://`, `postgresql+psycopg2://`, ...) | PostgreSQL |
    /// | `mysql://user:pw@host/db`, `mariadb://...` (also `mysql+pymysql://`, ...) | MySQL / MariaDB |
    ///
    /// ```
    /// use flask_sqlalchemy::{DatabaseUri, Dialect, SqliteLocation};
    /// let uri = DatabaseUri::parse("sqlite:///app.db", "/srv/instance".as_ref()).unwrap();
    /// assert_eq!(uri.sqlite_location(), Some(&SqliteLocation::File("/srv/instance/app.db".into())));
    /// let uri = DatabaseUri::parse("postgresql+psycopg2://app:s3cret@db/shop", "".as_ref()).unwrap();
    /// assert_eq!(uri.dialect(), Dialect::Postgres);
    /// assert_eq!(uri.to_string(), "postgresql+psycopg2://app:***@db/shop");
    /// ```
    pub fn parse(uri: &str, base: &Path) -> Result<Self, Error> {
        let uri = uri.trim();
        let Some((scheme, rest)) = uri.split_once("://") else {
            return Err(bad_uri(uri, "it has no scheme"));
        };
        // SQLAlchemy's `dialect+driver`: the driver is Python's business, not ours.
        let dialect_name = scheme.split('+').next().unwrap_or("").to_ascii_lowercase();
        match dialect_name.as_str() {
            "sqlite" => Ok(DatabaseUri {
                dialect: Dialect::Sqlite,
                target: sqlite_target(rest, base),
                display: uri.to_owned(),
            }),
            "postgresql" | "postgres" => server(uri, Dialect::Postgres, "postgres", rest),
            "mysql" | "mariadb" => server(uri, Dialect::MySql, "mysql", rest),
            other => Err(bad_uri(
                uri,
                &format!(
                    "the dialect {other:?} is not supported: use sqlite, postgresql, mysql or mariadb"
                ),
            )),
        }
    }

    /// The database family.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// For SQLite, where the database is.
    pub fn sqlite_location(&self) -> Option<&SqliteLocation> {
        match &self.target {
            Target::Sqlite { location, .. } => Some(location),
            Target::Server(_) => None,
        }
    }

    /// For SQLite, the URI's query string (`mode=ro`, ...), passed on to SQLite.
    pub(crate) fn sqlite_query(&self) -> Option<&str> {
        match &self.target {
            Target::Sqlite { query, .. } => query.as_deref(),
            Target::Server(_) => None,
        }
    }

    /// For PostgreSQL and MySQL, the URL in the form sqlx reads.
    pub(crate) fn server_url(&self) -> Option<&str> {
        match &self.target {
            Target::Server(url) => Some(url),
            Target::Sqlite { .. } => None,
        }
    }
}

/// Shows the URI with its password replaced by `***`.
impl std::fmt::Display for DatabaseUri {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.display)
    }
}

fn bad_uri(uri: &str, why: &str) -> Error {
    Error::Config(format!(
        "SQLALCHEMY_DATABASE_URI {:?} cannot be used: {why}",
        redact(uri)
    ))
}

fn sqlite_target(rest: &str, base: &Path) -> Target {
    let (path, query) = match rest.split_once('?') {
        Some((p, q)) => (p, Some(q.to_owned())),
        None => (rest, None),
    };
    // `sqlite://` + `/` + path: the third slash ends the (empty) host.
    let path = path.strip_prefix('/').unwrap_or(path);
    let location = if path.is_empty() || path == ":memory:" {
        SqliteLocation::Memory
    } else if Path::new(path).is_absolute() {
        SqliteLocation::File(PathBuf::from(path))
    } else {
        SqliteLocation::File(base.join(path))
    };
    Target::Sqlite { location, query }
}

fn server(uri: &str, dialect: Dialect, scheme: &str, rest: &str) -> Result<DatabaseUri, Error> {
    let sqlx_url = format!("{scheme}://{rest}");
    let parsed = url::Url::parse(&sqlx_url).map_err(|e| bad_uri(uri, &e.to_string()))?;
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(bad_uri(uri, "it names no host"));
    }
    Ok(DatabaseUri {
        dialect,
        target: Target::Server(sqlx_url),
        display: redact(uri),
    })
}

/// `uri` with the password (between `user:` and `@`) replaced by `***`.
pub(crate) fn redact(uri: &str) -> String {
    let Some((scheme, rest)) = uri.split_once("://") else {
        return uri.to_owned();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _password)) => format!("{scheme}://{user}:***@{host}{tail}"),
            None => uri.to_owned(),
        },
        None => uri.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(uri: &str) -> DatabaseUri {
        DatabaseUri::parse(uri, Path::new("/inst")).unwrap()
    }

    #[test]
    fn sqlite_paths_as_flask_sqlalchemy_reads_them() {
        assert_eq!(
            parse("sqlite:///app.db").sqlite_location(),
            Some(&SqliteLocation::File("/inst/app.db".into()))
        );
        assert_eq!(
            parse("sqlite:///data/app.db").sqlite_location(),
            Some(&SqliteLocation::File("/inst/data/app.db".into()))
        );
        assert_eq!(
            parse("sqlite:////var/app.db").sqlite_location(),
            Some(&SqliteLocation::File("/var/app.db".into()))
        );
        for memory in ["sqlite://", "sqlite:///:memory:", "sqlite+pysqlite://"] {
            assert_eq!(
                parse(memory).sqlite_location(),
                Some(&SqliteLocation::Memory),
                "{memory}"
            );
        }
        assert_eq!(
            parse("sqlite:///a.db?mode=ro").sqlite_query(),
            Some("mode=ro")
        );
    }

    #[test]
    fn server_uris_drop_the_python_driver() {
        let pg = parse("postgresql+psycopg2://app:pw@db.local:5433/shop");
        assert_eq!(pg.dialect(), Dialect::Postgres);
        assert_eq!(
            pg.server_url(),
            Some("postgres://app:pw@db.local:5433/shop")
        );
        assert_eq!(
            pg.to_string(),
            "postgresql+psycopg2://app:***@db.local:5433/shop"
        );
        let my = parse("mysql+pymysql://root@127.0.0.1/test?charset=utf8mb4");
        assert_eq!(my.dialect(), Dialect::MySql);
        assert_eq!(
            my.server_url(),
            Some("mysql://root@127.0.0.1/test?charset=utf8mb4")
        );
        let maria = parse("mariadb://u:p@h/d");
        assert_eq!(maria.server_url(), Some("mysql://u:p@h/d"));
        assert_eq!(maria.to_string(), "mariadb://u:***@h/d");
    }

    #[test]
    fn bad_uris_say_why_without_the_password() {
        let err = DatabaseUri::parse("oracle://u:secret@h/d", Path::new("")).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("\"oracle\" is not supported"), "{text}");
        assert!(!text.contains("secret"), "{text}");
        let err = DatabaseUri::parse("app.db", Path::new("")).unwrap_err();
        assert!(err.to_string().contains("no scheme"), "{err}");
        let err = DatabaseUri::parse("postgresql:///db", Path::new("")).unwrap_err();
        assert!(err.to_string().contains("no host"), "{err}");
    }
}
