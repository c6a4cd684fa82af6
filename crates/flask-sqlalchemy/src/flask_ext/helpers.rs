//! The request helpers: the `*_or_404` family, `paginate_args` and `keyset_args`.

use flask::{Error as HttpError, StatusCode};

use crate::{Engine, Model, Select, Session, Tracked, Value};

fn not_found(description: Option<&str>) -> HttpError {
    match description {
        Some(d) => HttpError::with_description(StatusCode::NOT_FOUND, d),
        None => HttpError::new(StatusCode::NOT_FOUND),
    }
}

impl Engine {
    /// The row of `M` with primary key `pk`, or a 404 (Flask-SQLAlchemy's `get_or_404`).
    pub async fn get_or_404<M: Model>(&self, pk: impl Into<Value>) -> Result<M, HttpError> {
        self.get::<M>(pk).await?.ok_or_else(|| not_found(None))
    }

    /// As [`get_or_404`](Engine::get_or_404), the 404 page saying `description`
    /// (`get_or_404(id, description="No such note")`).
    pub async fn get_or_404_with<M: Model>(
        &self,
        pk: impl Into<Value>,
        description: &str,
    ) -> Result<M, HttpError> {
        self.get::<M>(pk)
            .await?
            .ok_or_else(|| not_found(Some(description)))
    }
}

impl Session {
    /// The row of `M` with primary key `pk`, or a 404 (`get_or_404`).
    pub async fn get_or_404<M: Model>(&self, pk: impl Into<Value>) -> Result<M, HttpError> {
        self.get::<M>(pk).await?.ok_or_else(|| not_found(None))
    }

    /// As [`get_or_404`](Session::get_or_404), the 404 page saying `description`.
    pub async fn get_or_404_with<M: Model>(
        &self,
        pk: impl Into<Value>,
        description: &str,
    ) -> Result<M, HttpError> {
        self.get::<M>(pk)
            .await?
            .ok_or_else(|| not_found(Some(description)))
    }
}

impl Session {
    /// The tracked object of the row of `M` with primary key `pk`, or a 404
    /// (Flask-SQLAlchemy's `get_or_404`, whose object the session tracks).
    pub async fn object_or_404<M: Model + Clone>(
        &self,
        pk: impl Into<Value>,
    ) -> Result<Tracked<M>, HttpError> {
        self.object::<M>(pk).await?.ok_or_else(|| not_found(None))
    }
}

impl<M: Model> Select<'_, M> {
    /// The first matching row, or a 404 (`first_or_404`).
    pub async fn first_or_404(self) -> Result<M, HttpError> {
        self.first().await?.ok_or_else(|| not_found(None))
    }

    /// As [`first_or_404`](Select::first_or_404), the 404 page saying `description`.
    pub async fn first_or_404_with(self, description: &str) -> Result<M, HttpError> {
        self.first()
            .await?
            .ok_or_else(|| not_found(Some(description)))
    }

    /// The one matching row, or a 404 when there is none or more than one (`one_or_404`).
    pub async fn one_or_404(self) -> Result<M, HttpError> {
        self.one_or_404_described(None).await
    }

    /// As [`one_or_404`](Select::one_or_404), the 404 page saying `description`.
    pub async fn one_or_404_with(self, description: &str) -> Result<M, HttpError> {
        self.one_or_404_described(Some(description)).await
    }

    async fn one_or_404_described(self, description: Option<&str>) -> Result<M, HttpError> {
        match self.one().await {
            Ok(m) => Ok(m),
            Err(crate::Error::NoResultFound { .. } | crate::Error::MultipleResultsFound { .. }) => {
                Err(not_found(description))
            }
            Err(e) => Err(e.into()),
        }
    }
}

/// How [`Select::paginate_args`] reads `?page=` and `?per_page=` (Flask-SQLAlchemy's
/// `paginate()` arguments, same defaults).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageArgs {
    /// Rows per page when the request does not say (20).
    pub per_page: u64,
    /// The most rows per page a request may ask for (100).
    pub max_per_page: u64,
    /// A page number or size that is not a positive number, or a page past the last, is a 404
    /// (on); off, they fall back to page 1 and the default size.
    pub error_out: bool,
}

impl Default for PageArgs {
    fn default() -> Self {
        PageArgs {
            per_page: 20,
            max_per_page: 100,
            error_out: true,
        }
    }
}

impl<M: Model> Select<'_, M> {
    /// The page the request's `?page=` and `?per_page=` ask for, as Flask-SQLAlchemy's
    /// `paginate()` reads them: bad values and pages past the last are 404s with
    /// `error_out`; `per_page` is capped at `max_per_page`.
    pub async fn paginate_args(
        self,
        args: &flask::MultiDict,
        options: PageArgs,
    ) -> Result<crate::Pagination<M>, HttpError> {
        let read = |key: &str, default: u64| -> Result<u64, HttpError> {
            match args.get(key) {
                None => Ok(default),
                Some(raw) => match raw.trim().parse::<u64>() {
                    Ok(n) if n >= 1 => Ok(n),
                    _ if options.error_out => Err(not_found(None)),
                    _ => Ok(default),
                },
            }
        };
        let page = read("page", 1)?;
        let per_page = read("per_page", options.per_page.max(1))?.min(options.max_per_page.max(1));
        let pagination = self.paginate(page, per_page).await?;
        if options.error_out && page > 1 && pagination.items.is_empty() {
            return Err(not_found(None));
        }
        Ok(pagination)
    }
}

impl<M: Model> Select<'_, M> {
    /// The keyset page the request's `?cursor=` and `?per_page=` ask for
    /// ([`Select::keyset`]): a cursor that is not one of ours is a 400 saying so; `per_page`
    /// is read as [`paginate_args`](Select::paginate_args) reads it.
    pub async fn keyset_args(
        self,
        order: crate::OrderBy,
        args: &flask::MultiDict,
        options: PageArgs,
    ) -> Result<crate::KeysetPage<M>, HttpError> {
        let per_page = match args.get("per_page") {
            None => options.per_page.max(1),
            Some(raw) => match raw.trim().parse::<u64>() {
                Ok(n) if n >= 1 => n,
                _ if options.error_out => {
                    return Err(HttpError::with_description(
                        StatusCode::BAD_REQUEST,
                        "per_page must be a whole number from 1",
                    ));
                }
                _ => options.per_page.max(1),
            },
        }
        .min(options.max_per_page.max(1));
        let cursor = args.get("cursor").filter(|c| !c.is_empty());
        match self.keyset(order, per_page, cursor).await {
            Ok(page) => Ok(page),
            Err(crate::Error::BadCursor(message)) => Err(HttpError::with_description(
                StatusCode::BAD_REQUEST,
                message,
            )),
            Err(e) => Err(e.into()),
        }
    }
}
