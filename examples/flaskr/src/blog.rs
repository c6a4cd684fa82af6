//! The `blog` blueprint (the tutorial's `flaskr/blog.py`): the posts, newest first, and
//! the forms that write, edit and delete them (for their authors only).

use flask::routing::{get, post};
use flask::{
    Blueprint, Error, Form, Html, IntoResponse, Path, RequestContext, Response, Session, abort,
    abort_with, context, redirect, render_template,
};
use flask_sqlalchemy::{Db, DbSession};
use serde::{Deserialize, Serialize};

use crate::{Post, User};
use flask_login::LoginRequired;

/// The longest title (the `max_length` of [`Post::title`]).
pub const TITLE_LENGTH: usize = 200;

/// `/`, `/create`, `/<int:id>/update` and `/<int:id>/delete`.
pub fn blueprint() -> Blueprint {
    Blueprint::new("blog")
        .route("/", get(index))
        .route("/create", get(create_form).post(create).endpoint("create"))
        .route(
            "/<int:id>/update",
            get(update_form).post(update).endpoint("update"),
        )
        .route("/<int:id>/delete", post(delete))
}

/// The fields of the create and update forms, also what the form shows again after an
/// error (the tutorial's `request.form`).
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct PostForm {
    /// Required.
    #[serde(default)]
    pub title: String,
    /// Optional.
    #[serde(default)]
    pub body: String,
}

impl PostForm {
    /// The error to flash, if the form cannot be saved.
    fn error(&self) -> Option<String> {
        if self.title.is_empty() {
            Some("Title is required.".to_owned())
        } else if self.title.chars().count() > TITLE_LENGTH {
            Some(format!("A title has at most {TITLE_LENGTH} characters."))
        } else {
            None
        }
    }
}

/// `GET /`: every post, newest first, each with its author.
pub async fn index(db: Db) -> Result<Html<String>, Error> {
    // One query: post LEFT OUTER JOIN user (the tutorial's JOIN), no query per post.
    let posts: Vec<(Post, Option<User>)> = db
        .select::<Post>()
        .order_by(Post::created.desc())
        .order_by(Post::id.desc())
        .joinedload(Post::author)
        .all()
        .await?;
    render_template("blog/index.html", context! { posts })
}

/// The redirect to the index after a write.
fn to_index(ctx: &RequestContext) -> Result<Response, Error> {
    Ok(redirect(ctx.url_for("blog.index").build()?).into_response())
}

/// `GET /create`: the form (logged-in users only).
pub async fn create_form(_user: LoginRequired<User>) -> Result<Html<String>, Error> {
    render_template("blog/create.html", context! { form => PostForm::default() })
}

/// `POST /create`: writes the post and redirects to the index; without a title ("Title is
/// required.") the form is shown again with what was typed.
pub async fn create(
    LoginRequired(user): LoginRequired<User>,
    ctx: RequestContext,
    session: Session,
    db: DbSession,
    Form(form): Form<PostForm>,
) -> Result<Response, Error> {
    if let Some(error) = form.error() {
        session.flash(error, "message");
        return Ok(render_template("blog/create.html", context! { form })?.into_response());
    }
    let mut post = Post {
        id: 0,
        author_id: user.id,
        created: None,
        title: form.title,
        body: form.body,
    };
    db.add(&mut post).await?;
    db.commit().await?;
    to_index(&ctx)
}

/// The post `id` for `user` to change (the tutorial's `get_post`): a 404 when there is no
/// such post, a 403 when someone else wrote it.
async fn get_post(db: &DbSession, id: i64, user: &User) -> Result<Post, Error> {
    let Some(post) = db.get::<Post>(id).await? else {
        return Err(abort_with(404, format!("Post id {id} doesn't exist.")));
    };
    if post.author_id != user.id {
        return Err(abort(403));
    }
    Ok(post)
}

/// `GET /<int:id>/update`: the form, filled with the post (its author only).
pub async fn update_form(
    LoginRequired(user): LoginRequired<User>,
    db: DbSession,
    Path(id): Path<i64>,
) -> Result<Html<String>, Error> {
    let post = get_post(&db, id, &user).await?;
    let form = PostForm {
        title: post.title.clone(),
        body: post.body.clone(),
    };
    render_template("blog/update.html", context! { post, form })
}

/// `POST /<int:id>/update`: saves the post and redirects to the index; without a title the
/// form is shown again.
pub async fn update(
    LoginRequired(user): LoginRequired<User>,
    ctx: RequestContext,
    session: Session,
    db: DbSession,
    Path(id): Path<i64>,
    form: Result<Form<PostForm>, Error>,
) -> Result<Response, Error> {
    // The post first, then the form, as in the tutorial: a POST without a form body to a
    // post that is not there (or not yours) is a 404 (403), not the form's 415 or 400.
    let mut post = get_post(&db, id, &user).await?;
    let Form(form) = form?;
    if let Some(error) = form.error() {
        session.flash(error, "message");
        let page = render_template("blog/update.html", context! { post, form })?;
        return Ok(page.into_response());
    }
    post.title = form.title;
    post.body = form.body;
    db.add(&mut post).await?; // an UPDATE: the post is in the table
    db.commit().await?;
    to_index(&ctx)
}

/// `POST /<int:id>/delete`: deletes the post (its author only) and redirects to the index.
pub async fn delete(
    LoginRequired(user): LoginRequired<User>,
    ctx: RequestContext,
    db: DbSession,
    Path(id): Path<i64>,
) -> Result<Response, Error> {
    let post = get_post(&db, id, &user).await?;
    db.delete(&post).await?;
    db.commit().await?;
    to_index(&ctx)
}
