//! The `blog` blueprint (the tutorial's `flaskr/blog.py`): the posts, newest first, and
//! the forms that write, edit and delete them (for their authors only).

use flask::routing::{get, post};
use flask::{
    Blueprint, Error, Html, IntoResponse, Path, RequestContext, Response, Session, abort,
    abort_with, context, redirect, render_template,
};
use flask_login::LoginRequired;
use flask_sqlalchemy::{Db, DbSession};
use flask_wtf::{FlaskForm, Form};
use serde::{Deserialize, Serialize};

use crate::auth::flash_first_error;
use crate::{Post, User};

/// The longest title (the `max_length` of [`Post::title`]).
pub const TITLE_LENGTH: usize = 200;

// ANCHOR: blueprint
/// `/`, `/create`, `/<int:id>/update` and `/<int:id>/delete`.
pub fn blueprint() -> Blueprint {
    Blueprint::new("blog")
        .route("/", get(index))
        .route("/create", get(create).post(create).endpoint("create"))
        .route(
            "/<int:id>/update",
            get(update).post(update).endpoint("update"),
        )
        .route("/<int:id>/delete", post(delete))
}
// ANCHOR_END: blueprint

// ANCHOR: post_form
/// The create and update forms' fields (the tutorial's `request.form`): a required title
/// and a body that may be empty.
#[derive(Debug, Clone, Default, Form, Serialize, Deserialize)]
pub struct PostForm {
    /// Required, at most 200 characters.
    #[form(validate(
        input_required(message = "Title is required."),
        length(max = 200, message = "A title has at most 200 characters.")
    ))]
    pub title: String,
    /// Optional.
    #[form(kind = "textarea")]
    pub body: String,
}
// ANCHOR_END: post_form

// ANCHOR: index
/// `GET /`: every post, newest first, each with its author.
#[flask::view]
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
// ANCHOR_END: index

/// The redirect to the index after a write.
fn to_index(ctx: &RequestContext) -> Result<Response, Error> {
    Ok(redirect(ctx.url_for("blog.index").build()?).into_response())
}

// ANCHOR: create
/// `/create` (logged-in users only): the form; once submitted with a title, writes the
/// post and redirects to the index. Without a title ("Title is required.") the form is
/// shown again with what was typed.
#[flask::view]
pub async fn create(
    LoginRequired(user): LoginRequired<User>,
    ctx: RequestContext,
    session: Session,
    db: DbSession,
    mut form: FlaskForm<PostForm>,
) -> Result<Response, Error> {
    if form.validate_on_submit()
        && let Some(PostForm { title, body }) = form.data().cloned()
    {
        let mut post = Post {
            id: 0,
            author_id: user.id,
            created: None,
            title,
            body,
        };
        db.add(&mut post).await?;
        db.commit().await?;
        return to_index(&ctx);
    }
    flash_first_error(&session, &form, &["title"]);
    Ok(render_template("blog/create.html", context! { form })?.into_response())
}
// ANCHOR_END: create

// ANCHOR: get_post
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
// ANCHOR_END: get_post

// ANCHOR: update
/// `/<int:id>/update` (its author only): the form, filled with the post; once submitted
/// with a title, saves the post and redirects to the index. Without a title the form is
/// shown again.
#[flask::view]
pub async fn update(
    LoginRequired(user): LoginRequired<User>,
    ctx: RequestContext,
    session: Session,
    db: DbSession,
    Path(id): Path<i64>,
    form: Result<FlaskForm<PostForm>, Response>,
) -> Result<Response, Error> {
    // The post first, then the form, as in the tutorial: a POST with a body that is no
    // form, to a post that is not there (or not yours), is a 404 (403), not the form's 400.
    let mut post = get_post(&db, id, &user).await?;
    let mut form = match form {
        Ok(form) => form,
        Err(rejection) => return Ok(rejection),
    };
    if form.validate_on_submit()
        && let Some(PostForm { title, body }) = form.data().cloned()
    {
        post.title = title;
        post.body = body;
        db.add(&mut post).await?; // an UPDATE: the post is in the table
        db.commit().await?;
        return to_index(&ctx);
    }
    if !form.is_submitted() {
        let current = PostForm {
            title: post.title.clone(),
            body: post.body.clone(),
        };
        form = form.with_obj(&current);
    }
    flash_first_error(&session, &form, &["title"]);
    Ok(render_template("blog/update.html", context! { post, form })?.into_response())
}
// ANCHOR_END: update

// ANCHOR: delete
/// `POST /<int:id>/delete`: deletes the post (its author only) and redirects to the index.
/// `CsrfProtect` has checked the form's `csrf_token` before the view runs.
#[flask::view]
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
// ANCHOR_END: delete
