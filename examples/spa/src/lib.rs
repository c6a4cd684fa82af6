//! A task board as a single-page app: a React front end built with Vite
//! (`frontend/`, its build `frontend/dist/` compiled into the binary) over a JSON API on
//! flask-restful, the way a Flask backend serves a React or Vue app.
//!
//! ```text
//! cargo run -p spa -- run        # http://127.0.0.1:5000: the board, the API under /api/
//! cargo run -p spa -- worker     # the background jobs (the digest mail), on RabbitMQ
//! cd examples/spa/frontend && npm ci && npm run dev   # the front end's dev server, port 5173
//! ```
//!
//! | URL | methods | what |
//! |---|---|---|
//! | `/api/session` | GET (who, and a CSRF token), POST (log in), DELETE (log out) | [`SessionResource`] |
//! | `/api/users` | POST (sign up, logged in) | [`UserList`] |
//! | `/api/cards` | GET, POST | [`CardList`] |
//! | `/api/cards/<int:id>` | PATCH (title, done), DELETE | [`CardItem`] |
//! | `/api/cards/order` | PUT (`{"ids": [..]}`) | [`CardOrder`] |
//! | `/api/tokens` | GET, POST (a new bearer token, shown once) | [`TokenList`] |
//! | `/api/tokens/<int:id>` | DELETE (revoke) | [`TokenItem`] |
//! | `/api/digest` | POST (send the digest mail, a background job) | [`DigestList`] |
//! | `/api/digest/<task_id>` | GET (the job's state) | [`DigestItem`] |
//! | `/api/openapi.json`, `/api/docs` | the OpenAPI document, and a page to try it | the `Api` |
//! | anything else | the front end: its files, `index.html` for its routes | `Flask::spa` |
//!
//! **Logins.** The browser logs in with the session cookie (flask-login) and sends every
//! change with the `X-CSRFToken` header (flask-wtf's `CsrfProtect`; the token comes from
//! `GET /api/session`). Other clients use a bearer token the user made on the Tokens page
//! (`Authorization: Bearer ..`, flask-login's `request_loader`; stored as its SHA-256 only,
//! revocable), which skips the CSRF check: it carries no session.
//!
//! **The digest.** `POST /api/digest` sends a flask-tasks job; a worker writes the user's
//! board as a mail into the outbox folder (`instance/outbox/`, `MAIL_OUTBOX`), as a mail
//! server would receive it.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use flask::embed::Embed;
use flask::{Flask, HeaderMap, RequestContext};
use flask_login::{CurrentUser, LoginManager, LoginOptions, UserMixin};
use flask_restful::{
    Api, ApiError, ApiRequest, ApiResult, Describe, JsonSchema, Resource, abort, reply,
};
use flask_sqlalchemy::{Db, Model, SQLAlchemy};
use flask_tasks::{AsyncResult, Task, TaskContext, TaskError, TaskState, Tasks};
use serde::{Deserialize, Serialize};
use sha2::Digest as _;

/// The front end's build, compiled into the binary (read from the folder in debug builds).
#[derive(Debug, Embed)]
#[folder = "frontend/dist/"]
#[crate_path = "flask::embed::rust_embed"]
pub struct Frontend;

/// A user.
#[derive(Debug, Clone, Serialize, Model)]
#[model(table = "spa_user")]
pub struct User {
    /// Its id.
    #[model(primary_key)]
    pub id: i64,
    /// Its name, unique.
    #[model(max_length = 80, unique)]
    pub username: String,
    /// The argon2id hash of its password.
    #[model(max_length = 200)]
    #[serde(skip)]
    pub password_hash: String,
}

impl UserMixin for User {
    fn get_id(&self) -> String {
        self.id.to_string()
    }
}

/// A card of a user's board.
#[derive(Debug, Clone, Serialize, Model, JsonSchema)]
#[schemars(crate = "flask_restful::schemars")]
#[model(table = "spa_card")]
pub struct Card {
    /// Its id.
    #[model(primary_key)]
    pub id: i64,
    /// Whose it is.
    #[model(foreign_key = "spa_user.id", on_delete = "cascade", index)]
    #[serde(skip)]
    #[schemars(skip)]
    pub user_id: i64,
    /// What to do.
    #[model(max_length = 200)]
    pub title: String,
    /// Whether it is done.
    pub done: bool,
    /// Its place on the board, from 0.
    pub position: i64,
}

/// A bearer token of a user (its SHA-256; the token itself is shown once).
#[derive(Debug, Clone, Model)]
#[model(table = "spa_token")]
pub struct ApiToken {
    /// Its id.
    #[model(primary_key)]
    pub id: i64,
    /// Whose it is.
    #[model(foreign_key = "spa_user.id", on_delete = "cascade", index)]
    pub user_id: i64,
    /// What the user called it.
    #[model(max_length = 80)]
    pub name: String,
    /// The SHA-256 of the token, hex.
    #[model(max_length = 64, unique)]
    pub token_hash: String,
    /// The token's last four characters, to tell tokens apart.
    #[model(max_length = 4)]
    pub last4: String,
    /// When it was made.
    pub created_at: DateTime<Utc>,
}

/// The longest card title, in characters.
pub const TITLE_MAX: usize = 200;

/// The most cards a board holds: what one user can make the database keep is bounded.
pub const CARDS_MAX: usize = 500;

/// The most bearer tokens a user can have at once.
pub const TOKENS_MAX: usize = 20;

/// The digest job: `(user_id,)` in, the mail's file name out.
pub const SEND_DIGEST: Task<(i64,), String> = Task::new("spa.tasks.send_digest");

fn sha256_hex(text: &str) -> String {
    sha2::Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[allow(clippy::needless_pass_by_value)] // for map_err, which gives it by value
fn db_error(e: flask_sqlalchemy::Error) -> ApiError {
    tracing_error(&e);
    ApiError::new(500)
}

fn tracing_error(e: &dyn std::fmt::Display) {
    tracing::error!(target: "spa", "{e}");
}

/// The logged-in user, or a 401 that says to log in.
async fn user_of(req: &mut ApiRequest) -> Result<User, ApiError> {
    let current: CurrentUser<User> = req.extract().await?;
    current.user().ok_or_else(|| abort(401, "Please log in."))
}

/// `{"user": .., "csrf_token": ..}`.
fn session_body(ctx: &RequestContext, user: Option<&User>) -> Result<serde_json::Value, ApiError> {
    let token = flask_wtf::generate_csrf(ctx).map_err(|_| ApiError::new(500))?;
    Ok(serde_json::json!({
        "user": user.map(|u| serde_json::json!({"id": u.id, "username": u.username})),
        "csrf_token": token,
    }))
}

/// Name and password, to log in or sign up.
#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(crate = "flask_restful::schemars")]
pub struct Credentials {
    /// The user's name.
    pub username: String,
    /// The password.
    pub password: String,
}

/// `/api/session`: who is logged in (with a CSRF token for the next changes), logging in
/// and out.
#[flask::view]
#[derive(Debug, Clone, Copy, Default)]
pub struct SessionResource;

impl Resource for SessionResource {
    const METHODS: &'static [&'static str] = &["GET", "POST", "DELETE"];

    fn describe(doc: &mut Describe<'_>) {
        doc.get()
            .summary("Who is logged in, and a CSRF token")
            .tag("session");
        doc.post()
            .summary("Log in")
            .tag("session")
            .args::<Credentials>()
            .error(401, "Wrong username or password.");
        doc.delete()
            .summary("Log out")
            .tag("session")
            .no_content(204, "Logged out");
    }

    async fn get(&self, mut req: ApiRequest) -> ApiResult {
        let current: CurrentUser<User> = req.extract().await?;
        let ctx: RequestContext = req.extract().await?;
        Ok(reply(session_body(&ctx, current.user().as_ref())?))
    }

    async fn post(&self, mut req: ApiRequest) -> ApiResult {
        let creds: Credentials = req.args().await?;
        let db: Db = req.extract().await?;
        let user = db
            .select::<User>()
            .filter(User::username.eq(creds.username.trim()))
            .first()
            .await
            .map_err(db_error)?;
        let hash = user.as_ref().map(|u| u.password_hash.as_str());
        let ok = flask_login::verify_password_or_dummy(hash, &creds.password)
            .await
            .unwrap_or(false);
        let Some(user) = user.filter(|_| ok) else {
            return Err(abort(401, "Wrong username or password."));
        };
        let current: CurrentUser<User> = req.extract().await?;
        current.login_user(user.clone(), LoginOptions::new());
        let ctx: RequestContext = req.extract().await?;
        Ok(reply(session_body(&ctx, Some(&user))?))
    }

    async fn delete(&self, mut req: ApiRequest) -> ApiResult {
        let current: CurrentUser<User> = req.extract().await?;
        current.logout_user();
        Ok(reply(serde_json::Value::Null).status(204))
    }
}

/// `/api/users`: signing up (and being logged in).
#[flask::view]
#[derive(Debug, Clone, Copy, Default)]
pub struct UserList;

impl Resource for UserList {
    const METHODS: &'static [&'static str] = &["POST"];

    fn describe(doc: &mut Describe<'_>) {
        doc.post()
            .summary("Sign up")
            .tag("session")
            .args::<Credentials>()
            .error(
                400,
                "A username and a password of 8 characters or more are needed.",
            )
            .error(409, "This username is taken.");
    }

    async fn post(&self, mut req: ApiRequest) -> ApiResult {
        let creds: Credentials = req.args().await?;
        let username = creds.username.trim();
        if username.is_empty() || username.chars().count() > 80 {
            return Err(abort(400, "A username of 1 to 80 characters is needed."));
        }
        if creds.password.chars().count() < 8 {
            return Err(abort(400, "The password needs 8 characters or more."));
        }
        let db: Db = req.extract().await?;
        let taken = db
            .select::<User>()
            .filter(User::username.eq(username))
            .count()
            .await
            .map_err(db_error)?;
        if taken > 0 {
            return Err(abort(409, "This username is taken."));
        }
        let hash = flask_login::hash_password(&creds.password)
            .await
            .map_err(|_| ApiError::new(500))?;
        let mut user = User {
            id: 0,
            username: username.to_owned(),
            password_hash: hash,
        };
        if let Err(e) = db.insert(&mut user).await {
            return Err(if e.is_unique_violation() {
                abort(409, "This username is taken.")
            } else {
                db_error(e)
            });
        }
        let current: CurrentUser<User> = req.extract().await?;
        current.login_user(user.clone(), LoginOptions::new());
        let ctx: RequestContext = req.extract().await?;
        Ok(reply(session_body(&ctx, Some(&user))?).status(201))
    }
}

/// A new card.
#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(crate = "flask_restful::schemars")]
pub struct NewCard {
    /// What to do.
    pub title: String,
}

/// A change to a card.
#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(crate = "flask_restful::schemars")]
pub struct CardPatch {
    /// A new title.
    #[serde(default)]
    pub title: Option<String>,
    /// Done or not.
    #[serde(default)]
    pub done: Option<bool>,
}

/// The new order of the board.
#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(crate = "flask_restful::schemars")]
pub struct NewOrder {
    /// Every card's id, in the new order.
    pub ids: Vec<i64>,
}

fn checked_title(title: &str) -> Result<String, ApiError> {
    let title = title.trim();
    if title.is_empty() || title.chars().count() > TITLE_MAX {
        return Err(abort(
            400,
            serde_json::json!({"title": format!("title needs 1 to {TITLE_MAX} characters")}),
        ));
    }
    Ok(title.to_owned())
}

/// The user's cards, in order.
async fn cards_of(db: &Db, user: &User) -> Result<Vec<Card>, ApiError> {
    db.select::<Card>()
        .filter(Card::user_id.eq(user.id))
        .order_by(Card::position.asc())
        .order_by(Card::id.asc())
        .all()
        .await
        .map_err(db_error)
}

/// The user's card `id`, or a 404.
async fn card_of(db: &Db, user: &User, id: i64) -> Result<Card, ApiError> {
    db.select::<Card>()
        .filter(Card::id.eq(id).and(Card::user_id.eq(user.id)))
        .first()
        .await
        .map_err(db_error)?
        .ok_or_else(|| abort(404, format!("Card {id} doesn't exist")))
}

/// `/api/cards`: the board.
#[flask::view]
#[derive(Debug, Clone, Copy, Default)]
pub struct CardList;

impl Resource for CardList {
    const METHODS: &'static [&'static str] = &["GET", "POST"];

    fn describe(doc: &mut Describe<'_>) {
        doc.get()
            .summary("The board's cards, in order")
            .tag("cards")
            .response::<Vec<Card>>(200, "The cards")
            .error(401, "Please log in.");
        doc.post()
            .summary("Add a card at the end")
            .tag("cards")
            .args::<NewCard>()
            .response::<Card>(201, "The card")
            .error(
                400,
                "title needs 1 to 200 characters, or the board is full (500 cards)",
            )
            .error(401, "Please log in.");
    }

    async fn get(&self, mut req: ApiRequest) -> ApiResult {
        let user = user_of(&mut req).await?;
        let db: Db = req.extract().await?;
        Ok(reply(cards_of(&db, &user).await?))
    }

    async fn post(&self, mut req: ApiRequest) -> ApiResult {
        let user = user_of(&mut req).await?;
        let new: NewCard = req.args().await?;
        let title = checked_title(&new.title)?;
        let db: Db = req.extract().await?;
        let cards = cards_of(&db, &user).await?;
        if cards.len() >= CARDS_MAX {
            return Err(abort(
                400,
                format!("A board holds at most {CARDS_MAX} cards: delete some first."),
            ));
        }
        let last = cards.last().map_or(-1, |c| c.position);
        let mut card = Card {
            id: 0,
            user_id: user.id,
            title,
            done: false,
            position: last + 1,
        };
        db.insert(&mut card).await.map_err(db_error)?;
        Ok(reply(card).status(201))
    }
}

/// `/api/cards/<int:id>`: one card.
#[flask::view]
#[derive(Debug, Clone, Copy, Default)]
pub struct CardItem;

impl Resource for CardItem {
    const METHODS: &'static [&'static str] = &["PATCH", "DELETE"];

    fn describe(doc: &mut Describe<'_>) {
        doc.patch()
            .summary("Change a card's title or state")
            .tag("cards")
            .args::<CardPatch>()
            .response::<Card>(200, "The card")
            .error(404, "Card <id> doesn't exist");
        doc.delete()
            .summary("Delete a card")
            .tag("cards")
            .no_content(204, "Deleted")
            .error(404, "Card <id> doesn't exist");
    }

    async fn patch(&self, mut req: ApiRequest) -> ApiResult {
        let user = user_of(&mut req).await?;
        let id: i64 = req.path("id")?;
        let patch: CardPatch = req.args().await?;
        let db: Db = req.extract().await?;
        let mut card = card_of(&db, &user, id).await?;
        if let Some(title) = &patch.title {
            card.title = checked_title(title)?;
        }
        if let Some(done) = patch.done {
            card.done = done;
        }
        db.update(&mut card).await.map_err(db_error)?;
        Ok(reply(card))
    }

    async fn delete(&self, mut req: ApiRequest) -> ApiResult {
        let user = user_of(&mut req).await?;
        let id: i64 = req.path("id")?;
        let db: Db = req.extract().await?;
        let card = card_of(&db, &user, id).await?;
        db.delete(&card).await.map_err(db_error)?;
        Ok(reply(serde_json::Value::Null).status(204))
    }
}

/// `/api/cards/order`: the board in a new order.
#[flask::view]
#[derive(Debug, Clone, Copy, Default)]
pub struct CardOrder;

impl Resource for CardOrder {
    const METHODS: &'static [&'static str] = &["PUT"];

    fn describe(doc: &mut Describe<'_>) {
        doc.put()
            .summary("Reorder the board")
            .tag("cards")
            .args::<NewOrder>()
            .response::<Vec<Card>>(200, "The cards, in the new order")
            .error(400, "ids must list every card of the board once");
    }

    async fn put(&self, mut req: ApiRequest) -> ApiResult {
        let user = user_of(&mut req).await?;
        let order: NewOrder = req.args().await?;
        let db: flask_sqlalchemy::DbSession = req.extract().await?;
        // Through the unit of work: the changed positions are written at commit.
        let tracked = db
            .select::<Card>()
            .filter(Card::user_id.eq(user.id))
            .objects()
            .await
            .map_err(db_error)?;
        let mut wanted = order.ids.clone();
        wanted.sort_unstable();
        let mut have: Vec<i64> = tracked.iter().map(|c| c.read().id).collect();
        have.sort_unstable();
        if wanted != have {
            return Err(abort(
                400,
                serde_json::json!({"ids": "ids must list every card of the board once"}),
            ));
        }
        for card in &tracked {
            let id = card.read().id;
            let position = order.ids.iter().position(|i| *i == id).unwrap_or(0);
            let position = i64::try_from(position).unwrap_or(i64::MAX);
            if card.read().position != position {
                card.write().position = position;
            }
        }
        db.commit().await.map_err(db_error)?;
        let mut cards: Vec<Card> = tracked.iter().map(|c| c.cloned()).collect();
        cards.sort_by_key(|c| c.position);
        Ok(reply(cards))
    }
}

/// A new token's name.
#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(crate = "flask_restful::schemars")]
pub struct NewToken {
    /// What it is for ("my script").
    pub name: String,
}

/// A token as listed (never the token itself).
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(crate = "flask_restful::schemars")]
pub struct TokenInfo {
    /// Its id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// When it was made (RFC 3339).
    pub created_at: String,
    /// Its last four characters.
    pub last4: String,
}

impl From<&ApiToken> for TokenInfo {
    fn from(t: &ApiToken) -> Self {
        TokenInfo {
            id: t.id,
            name: t.name.clone(),
            created_at: t.created_at.to_rfc3339(),
            last4: t.last4.clone(),
        }
    }
}

/// `/api/tokens`: the user's bearer tokens.
#[flask::view]
#[derive(Debug, Clone, Copy, Default)]
pub struct TokenList;

impl Resource for TokenList {
    const METHODS: &'static [&'static str] = &["GET", "POST"];

    fn describe(doc: &mut Describe<'_>) {
        doc.get()
            .summary("The user's tokens")
            .tag("tokens")
            .response::<Vec<TokenInfo>>(200, "The tokens");
        doc.post()
            .summary("Make a token (shown once)")
            .tag("tokens")
            .args::<NewToken>()
            .error(
                400,
                "name needs 1 to 80 characters, or 20 tokens are held already",
            );
    }

    async fn get(&self, mut req: ApiRequest) -> ApiResult {
        let user = user_of(&mut req).await?;
        let db: Db = req.extract().await?;
        let tokens = db
            .select::<ApiToken>()
            .filter(ApiToken::user_id.eq(user.id))
            .order_by(ApiToken::id.asc())
            .all()
            .await
            .map_err(db_error)?;
        Ok(reply(
            tokens.iter().map(TokenInfo::from).collect::<Vec<_>>(),
        ))
    }

    async fn post(&self, mut req: ApiRequest) -> ApiResult {
        let user = user_of(&mut req).await?;
        let new: NewToken = req.args().await?;
        let name = new.name.trim();
        if name.is_empty() || name.chars().count() > 80 {
            return Err(abort(
                400,
                serde_json::json!({"name": "name needs 1 to 80 characters"}),
            ));
        }
        // Two random UUIDs: 244 random bits.
        let token = format!(
            "spa_{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        );
        let mut row = ApiToken {
            id: 0,
            user_id: user.id,
            name: name.to_owned(),
            token_hash: sha256_hex(&token),
            last4: token[token.len() - 4..].to_owned(),
            created_at: Utc::now(),
        };
        let db: Db = req.extract().await?;
        let held = db
            .select::<ApiToken>()
            .filter(ApiToken::user_id.eq(user.id))
            .count()
            .await
            .map_err(db_error)?;
        if usize::try_from(held).unwrap_or(usize::MAX) >= TOKENS_MAX {
            return Err(abort(
                400,
                format!("At most {TOKENS_MAX} tokens at once: revoke one first."),
            ));
        }
        db.insert(&mut row).await.map_err(db_error)?;
        Ok(reply(serde_json::json!({"id": row.id, "name": row.name, "token": token})).status(201))
    }
}

/// `/api/tokens/<int:id>`: revoking a token.
#[flask::view]
#[derive(Debug, Clone, Copy, Default)]
pub struct TokenItem;

impl Resource for TokenItem {
    const METHODS: &'static [&'static str] = &["DELETE"];

    fn describe(doc: &mut Describe<'_>) {
        doc.delete()
            .summary("Revoke a token")
            .tag("tokens")
            .no_content(204, "Revoked")
            .error(404, "Token <id> doesn't exist");
    }

    async fn delete(&self, mut req: ApiRequest) -> ApiResult {
        let user = user_of(&mut req).await?;
        let id: i64 = req.path("id")?;
        let db: Db = req.extract().await?;
        let token = db
            .select::<ApiToken>()
            .filter(ApiToken::id.eq(id).and(ApiToken::user_id.eq(user.id)))
            .first()
            .await
            .map_err(db_error)?
            .ok_or_else(|| abort(404, format!("Token {id} doesn't exist")))?;
        db.delete(&token).await.map_err(db_error)?;
        Ok(reply(serde_json::Value::Null).status(204))
    }
}

/// `/api/digest`: sending the digest mail, in the background.
#[flask::view]
#[derive(Debug, Clone, Copy, Default)]
pub struct DigestList;

impl Resource for DigestList {
    const METHODS: &'static [&'static str] = &["POST"];

    fn describe(doc: &mut Describe<'_>) {
        doc.post()
            .summary("Mail me my board (a background job)")
            .tag("digest")
            .error(503, "The task queue is not available");
    }

    async fn post(&self, mut req: ApiRequest) -> ApiResult {
        let user = user_of(&mut req).await?;
        let tasks: flask::Ext<Tasks> = req.extract().await?;
        let sent = tasks
            .delay(SEND_DIGEST, (user.id,))
            .await
            .map_err(queue_error)?;
        Ok(reply(serde_json::json!({"task_id": sent.id()})).status(202))
    }
}

#[allow(clippy::needless_pass_by_value)] // for map_err, which gives it by value
fn queue_error(e: flask_tasks::Error) -> ApiError {
    tracing_error(&e);
    abort(503, "The task queue is not available; try again later.")
}

/// `/api/digest/<task_id>`: where the job is.
#[flask::view]
#[derive(Debug, Clone, Copy, Default)]
pub struct DigestItem;

impl Resource for DigestItem {
    const METHODS: &'static [&'static str] = &["GET"];

    fn describe(doc: &mut Describe<'_>) {
        doc.get().summary("The digest job's state").tag("digest");
    }

    async fn get(&self, mut req: ApiRequest) -> ApiResult {
        user_of(&mut req).await?;
        let id: String = req.path("task_id")?;
        let tasks: flask::Ext<Tasks> = req.extract().await?;
        let state = tasks
            .state(&AsyncResult::<String>::from_id(id))
            .await
            .map_err(queue_error)?;
        let (state, detail) = match state {
            TaskState::Pending => ("PENDING", String::new()),
            TaskState::Started => ("STARTED", String::new()),
            TaskState::Retry { error } => ("RETRY", error),
            TaskState::Success(file) => ("SUCCESS", file),
            TaskState::Failure { message, .. } => ("FAILURE", message),
            TaskState::Revoked => ("REVOKED", String::new()),
            _ => ("PENDING", String::new()),
        };
        Ok(reply(serde_json::json!({"state": state, "detail": detail})))
    }
}

/// The digest job: writes the user's board as a mail into the outbox folder; returns the
/// mail's file name.
pub async fn send_digest(ctx: TaskContext, (user_id,): (i64,)) -> Result<String, TaskError> {
    let app = ctx.app();
    let sqlalchemy = app
        .extension::<SQLAlchemy>()
        .ok_or_else(|| TaskError::fatal("no database"))?;
    let engine = sqlalchemy
        .engine()
        .ok_or_else(|| TaskError::new("the database is not connected yet"))?;
    let Some(user) = engine.get::<User>(user_id).await? else {
        return Err(TaskError::fatal(format!("no user {user_id}")));
    };
    let cards = engine
        .select::<Card>()
        .filter(Card::user_id.eq(user_id))
        .order_by(Card::position.asc())
        .all()
        .await?;
    let open: Vec<&Card> = cards.iter().filter(|c| !c.done).collect();
    let mut body = format!(
        "To: {}\nSubject: Your board: {} open, {} done\n\n",
        user.username,
        open.len(),
        cards.len() - open.len()
    );
    for c in &cards {
        body.push_str(&format!(
            "[{}] {}\n",
            if c.done { "x" } else { " " },
            c.title
        ));
    }
    let outbox = outbox(app);
    tokio::fs::create_dir_all(&outbox).await?;
    let name = format!("digest-{}-{}.eml", user.username, ctx.id());
    tokio::fs::write(outbox.join(&name), body).await?;
    Ok(name)
}

/// Where digest mails go: `MAIL_OUTBOX`, else `instance/outbox`.
pub fn outbox(app: &flask::App) -> PathBuf {
    match app.config().get_str("MAIL_OUTBOX") {
        Some(dir) => PathBuf::from(dir),
        None => app.root_path().join("instance").join("outbox"),
    }
}

/// The API, under `/api`, with its OpenAPI document and CORS for the front end's dev server.
pub fn api() -> Api {
    Api::new()
        .prefix("/api")
        .openapi("Task board API", "1.0")
        .cors()
        .add_resource(SessionResource, &["/session"])
        .add_resource(UserList, &["/users"])
        .add_resource(CardList, &["/cards"])
        .add_resource(CardOrder, &["/cards/order"])
        .add_resource(CardItem, &["/cards/<int:id>"])
        .add_resource(TokenList, &["/tokens"])
        .add_resource(TokenItem, &["/tokens/<int:id>"])
        .add_resource(DigestList, &["/digest"])
        .add_resource(DigestItem, &["/digest/<task_id>"])
}

/// The user of a bearer token (`Authorization: Bearer spa_..`), flask-login's
/// `request_loader`.
async fn user_of_token(headers: HeaderMap, db: Db) -> Option<User> {
    let value = headers.get("authorization")?.to_str().ok()?;
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))?
        .trim();
    let row = db
        .select::<ApiToken>()
        .filter(ApiToken::token_hash.eq(sha256_hex(token)))
        .first()
        .await
        .ok()??;
    db.get::<User>(row.user_id).await.ok()?
}

/// The app: `instance/spa.db` (or `FLASK_SQLALCHEMY_DATABASE_URI`), tables made at start;
/// RabbitMQ and Redis for the digest (`FLASK_CELERY_BROKER_URL`,
/// `FLASK_CELERY_RESULT_BACKEND`); CORS for `http://localhost:5173` (Vite's dev server).
pub fn app() -> Flask {
    Flask::new(flask::app_root!())
        .configure(|c| {
            c.set("SQLALCHEMY_DATABASE_URI", "sqlite:///spa.db");
            c.set("CELERY_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672//");
            c.set("CELERY_RESULT_BACKEND", "redis://127.0.0.1:6379/0");
            c.set("CORS_ORIGINS", ["http://localhost:5173"]);
            c.set("CORS_SUPPORTS_CREDENTIALS", true);
            c.set(
                "CORS_ALLOW_HEADERS",
                ["Content-Type", "X-CSRFToken", "Authorization"],
            );
        })
        .config_from_prefixed_env("FLASK")
        .secret_key_file("secret_key")
        .extension(
            SQLAlchemy::new()
                .model::<User>()
                .model::<Card>()
                .model::<ApiToken>()
                .create_all_on_startup(),
        )
        .extension(
            LoginManager::<User>::new()
                .user_loader(|id: String, db: Db| async move {
                    let id: i64 = id.parse().ok()?;
                    db.get::<User>(id).await.ok()?
                })
                .request_loader(user_of_token),
        )
        .extension(flask_wtf::CsrfProtect::new().skip_bearer())
        .extension(Tasks::new().task(SEND_DIGEST, send_digest))
        .extension(api())
        .spa(flask::spa::Spa::embedded::<Frontend>())
}
