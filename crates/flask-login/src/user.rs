//! What a user type provides: Flask-Login's `UserMixin`.

/// The methods Flask-Login asks of a user class, with `UserMixin`'s defaults: every user is
/// active and authenticated, and none is anonymous. Only [`get_id`](UserMixin::get_id) must
/// be written.
///
/// Any type works (an ORM model, a struct read from an API, an API key's owner): the ORM is
/// not required. It is `Serialize` so templates can show it as `current_user` (skip secrets
/// with `#[serde(skip)]` if templates must not see them), and `Clone` because each request
/// keeps its own copy.
///
/// ```
/// use flask_login::UserMixin;
///
/// #[derive(Clone, serde::Serialize)]
/// struct User { id: i64, name: String, banned: bool }
///
/// impl UserMixin for User {
///     fn get_id(&self) -> String { self.id.to_string() }
///     fn is_active(&self) -> bool { !self.banned }
/// }
/// ```
pub trait UserMixin: serde::Serialize + Clone + Send + Sync + 'static {
    /// The text that identifies the user in the session and the remember-me cookie, given
    /// back to the `user_loader`. Return something that changes with the password (an
    /// "alternative id") to end every session when it changes.
    fn get_id(&self) -> String;

    /// Whether the account may log in: `login_user` refuses an inactive user unless forced.
    fn is_active(&self) -> bool {
        true
    }

    /// Whether the user has given valid credentials (what `login_required` checks).
    fn is_authenticated(&self) -> bool {
        true
    }

    /// Whether this is a stand-in for nobody.
    fn is_anonymous(&self) -> bool {
        false
    }
}
