//! Where to go after logging in: the `next` a login view receives, followed only when it is a
//! path on this site. (Flask-Login leaves this to the app, and apps got open redirects:
//! flask-login#211.)

use percent_encoding::percent_decode_str;

/// `target` when it is a path on this site to send a user to after logging in (the
/// `?next=` of a login view), else `None`: fall back to the index then.
///
/// Only a path is followed: it starts with one `/` and no second `/` or `\` (which
/// browsers read as another host), holds no backslash, space or control character, and
/// stays so once percent-decoded (`/%2F%2Fevil.com` is refused too). Any URL with a scheme
/// or host is refused, this site's included.
///
/// ```
/// use flask_login::safe_next;
///
/// assert_eq!(safe_next("/post/7?tab=comments").as_deref(), Some("/post/7?tab=comments"));
/// assert_eq!(safe_next("//evil.com"), None);
/// assert_eq!(safe_next("https://evil.example/"), None);
/// assert_eq!(safe_next("/\\evil.com"), None);
/// ```
pub fn safe_next(target: &str) -> Option<String> {
    // As sent: a bare path, nothing a browser would strip or read as a separator.
    let plain = !target
        .chars()
        .any(|c| c == '\\' || c.is_control() || c.is_whitespace());
    // Decoded: still a path on this site (a space in a query is fine; a control
    // character, or `//` or `/\` at the start, is not).
    let decoded = percent_decode_str(target).decode_utf8().ok()?;
    let still = !decoded.chars().any(char::is_control);
    (plain && still && starts_as_path(target) && starts_as_path(&decoded))
        .then(|| target.to_owned())
}

/// Starts with one `/`, not followed by another `/` or a `\`.
fn starts_as_path(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next() == Some('/') && !matches!(chars.next(), Some('/' | '\\'))
}
