//! Werkzeug's URL helpers: `iri_to_uri` and the `quote` it is made of.

use std::fmt::Write as _;

/// Python's `urllib.parse.quote(text, safe)`: every byte of the UTF-8 text percent-encoded
/// except ASCII letters, digits, `_.-~` and the bytes of `safe`.
pub(crate) fn quote(text: &str, safe: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for &b in text.as_bytes() {
        if b.is_ascii_alphanumeric() || b"_.-~".contains(&b) || safe.as_bytes().contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// Werkzeug's `iri_to_uri`, which Flask applies to every `Location` header: non-ASCII and
/// unsafe characters of the path, query and fragment percent-encoded (an existing `%XX`
/// stays as it is), the host in IDNA (Punycode, lower case).
///
/// `redirect("/user/Jörg ü?x=ä b")` sends `/user/J%C3%B6rg%20%C3%BC?x=%C3%A4%20b`.
pub(crate) fn iri_to_uri(iri: &str) -> String {
    let parts = split(iri);
    let mut out = String::with_capacity(iri.len() + 16);
    if let Some(scheme) = parts.scheme {
        out.push_str(scheme);
        out.push(':');
    }
    if let Some(netloc) = parts.netloc {
        out.push_str("//");
        out.push_str(&netloc_to_ascii(netloc));
    }
    out.push_str(&quote(parts.path, "%!$&'()*+,/:;=@"));
    if let Some(query) = parts.query {
        out.push('?');
        out.push_str(&quote(query, "%!$&'()*+,/:;=?@"));
    }
    if let Some(fragment) = parts.fragment {
        out.push('#');
        out.push_str(&quote(fragment, "%!#$&'()*+,/:;=?@"));
    }
    out
}

/// The pieces of Python's `urlsplit`.
struct Split<'a> {
    scheme: Option<&'a str>,
    netloc: Option<&'a str>,
    path: &'a str,
    query: Option<&'a str>,
    fragment: Option<&'a str>,
}

fn split(url: &str) -> Split<'_> {
    let mut rest = url;
    let mut scheme = None;
    if let Some(i) = rest.find(':') {
        let candidate = &rest[..i];
        let valid = candidate
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic())
            && candidate
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
        if valid {
            scheme = Some(candidate);
            rest = &rest[i + 1..];
        }
    }
    let mut netloc = None;
    if let Some(after) = rest.strip_prefix("//") {
        let end = after.find(['/', '?', '#']).unwrap_or(after.len());
        netloc = Some(&after[..end]);
        rest = &after[end..];
    }
    let (rest, fragment) = match rest.split_once('#') {
        Some((a, f)) => (a, Some(f)),
        None => (rest, None),
    };
    let (path, query) = match rest.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (rest, None),
    };
    Split {
        scheme,
        netloc,
        path,
        query,
        fragment,
    }
}

/// `user:password@host:port` with the user and password quoted and the host in IDNA.
fn netloc_to_ascii(netloc: &str) -> String {
    let (auth, hostport) = match netloc.rsplit_once('@') {
        Some((a, h)) => (Some(a), h),
        None => (None, netloc),
    };
    let (host, port) = if let Some(v6) = hostport.strip_prefix('[') {
        match v6.split_once(']') {
            Some((h, p)) => (h, p.strip_prefix(':')),
            None => (v6, None),
        }
    } else {
        match hostport.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (hostport, None),
        }
    };
    let mut out = String::new();
    if let Some(auth) = auth {
        let (user, password) = match auth.split_once(':') {
            Some((u, p)) => (u, Some(p)),
            None => (auth, None),
        };
        out.push_str(&quote(user, "%!$&'()*+,;="));
        if let Some(p) = password {
            out.push(':');
            out.push_str(&quote(p, "%!$&'()*+,;="));
        }
        out.push('@');
    }
    if host.contains(':') {
        let _ = write!(out, "[{}]", host.to_ascii_lowercase());
    } else {
        match url::Host::parse(host) {
            Ok(h) => {
                let _ = write!(out, "{h}");
            }
            // Not a host IDNA can encode: keep it, quoted.
            Err(_) => out.push_str(&quote(host, "%!$&'()*+,;=")),
        }
    }
    if let Some(port) = port {
        out.push(':');
        out.push_str(port);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Outputs of Werkzeug 3.1's `iri_to_uri` for the same inputs.
    #[test]
    fn iri_to_uri_is_werkzeugs() {
        assert_eq!(
            iri_to_uri("/user/Jörg ü?x=ä b"),
            "/user/J%C3%B6rg%20%C3%BC?x=%C3%A4%20b"
        );
        assert_eq!(
            iri_to_uri("http://\u{2603}.net/p\u{e5}th?q=\u{e8}ry%DF"),
            "http://xn--n3h.net/p%C3%A5th?q=%C3%A8ry%DF"
        );
        assert_eq!(iri_to_uri("/a b#frag ment"), "/a%20b#frag%20ment");
        assert_eq!(iri_to_uri("/already%20quoted"), "/already%20quoted");
        assert_eq!(
            iri_to_uri("https://User:pw@Example.COM:8080/x"),
            "https://User:pw@example.com:8080/x"
        );
        assert_eq!(iri_to_uri("http://[::1]:5000/"), "http://[::1]:5000/");
        assert_eq!(iri_to_uri("/x?a=<b>\"c\""), "/x?a=%3Cb%3E%22c%22");
        assert_eq!(iri_to_uri("mailto:a@b.c"), "mailto:a@b.c");
    }

    #[test]
    fn quote_is_pythons() {
        assert_eq!(quote("a b/ü", "/"), "a%20b/%C3%BC");
        assert_eq!(quote("~_.-", ""), "~_.-");
    }
}
