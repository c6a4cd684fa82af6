//! Flask-Login for flask-rs (being built). Built so far: passwords (argon2id for new hashes,
//! Werkzeug's verified too, hashed and checked off the async runtime) and [`safe_next`],
//! the open-redirect guard for a login view's `?next=`.
//!
//! ```
//! use flask_login::{check_password_hash, generate_password_hash, needs_rehash};
//!
//! let hash = generate_password_hash("correct horse").unwrap();
//! assert!(hash.starts_with("$argon2id$"));
//! assert!(check_password_hash(&hash, "correct horse"));
//! assert!(!check_password_hash(&hash, "wrong horse"));
//! assert!(!needs_rehash(&hash));
//!
//! // A user moved from a Flask app keeps their Werkzeug hash until the next login.
//! let old = "pbkdf2:sha256:1000$cdCRvVnbqAA8rNtt$63d74b40ae93b426c0f7c7cb36098ff78fbdbbfb28396c6a16871bf136baca31";
//! assert!(check_password_hash(old, "correct horse"));
//! assert!(needs_rehash(old));
//! ```
//!
//! The login sessions (`LoginManager`, `CurrentUser`, `login_required`, remember-me) come
//! next.

mod next;
mod passwords;

pub use next::safe_next;
pub use passwords::{
    PasswordError, check_password_hash, generate_password_hash, hash_password, needs_rehash,
    verify_password,
};
