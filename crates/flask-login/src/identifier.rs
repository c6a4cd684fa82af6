//! Flask-Login's session identifier (`_id`), byte for byte: the SHA-512 of the client's
//! address and User-Agent as Python writes bytes (`b'10.1.2.3'|b'Mozilla/5.0'`), so a
//! session made by a Python Flask-Login app passes session protection here and the other
//! way round.

use std::fmt::Write as _;

use http::HeaderMap;
use http::header;
use sha2::{Digest, Sha512};

/// What Flask-Login's `_create_identifier()` hashes of a request: the client's address and
/// its User-Agent.
///
/// The address is `ctx.remote_addr()`: the peer, or what the proxies trusted with
/// `PROXY_FIX_X_FOR` report. Flask-Login takes the first `X-Forwarded-For` entry whenever
/// the header is there, which a client can forge; behind one proxy that appends to the
/// header, both give the same address for every client that sends none of its own, so the
/// identifiers of the two apps agree.
#[derive(Debug, Clone, Default)]
pub(crate) struct Client {
    addr: Option<Vec<u8>>,
    agent: Option<Vec<u8>>,
}

impl Client {
    pub(crate) fn of_request(headers: &HeaderMap, remote_addr: Option<std::net::IpAddr>) -> Self {
        let addr = remote_addr.map(|a| a.to_string().into_bytes());
        let agent = headers
            .get(header::USER_AGENT)
            .map(|v| wsgi_text(v.as_bytes()));
        Client { addr, agent }
    }

    /// The session identifier (`_id`).
    pub(crate) fn identifier(&self) -> String {
        of(self.addr.as_deref(), self.agent.as_deref())
    }
}

/// The identifier of an address and agent as Python would see them.
pub(crate) fn of(addr: Option<&[u8]>, agent: Option<&[u8]>) -> String {
    let base = format!(
        "{}|{}",
        addr.map_or_else(|| "None".to_owned(), python_bytes_repr),
        agent.map_or_else(|| "None".to_owned(), python_bytes_repr)
    );
    lower_hex(&Sha512::digest(base.as_bytes()))
}

/// Python's `hexdigest()`: two lowercase hex digits a byte.
pub(crate) fn lower_hex(bytes: &[u8]) -> String {
    let mut hex = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(hex, "{b:02x}");
    }
    hex
}

/// A header's bytes as Flask-Login hashes them: WSGI hands headers over decoded as Latin-1,
/// and Flask-Login encodes them back as UTF-8, so each byte above 0x7F becomes two.
fn wsgi_text(raw: &[u8]) -> Vec<u8> {
    raw.iter()
        .map(|&b| char::from(b))
        .collect::<String>()
        .into_bytes()
}

/// Python's `repr(bytes)`: `b'...'`, or `b"..."` when the bytes hold a `'` and no `"`;
/// `\\`, the quote, `\t`, `\n`, `\r` escaped, other bytes outside printable ASCII as `\xNN`.
fn python_bytes_repr(bytes: &[u8]) -> String {
    let quote = if bytes.contains(&b'\'') && !bytes.contains(&b'"') {
        b'"'
    } else {
        b'\''
    };
    let mut out = String::with_capacity(bytes.len() + 3);
    out.push('b');
    out.push(char::from(quote));
    for &b in bytes {
        match b {
            b'\\' => out.push_str("\\\\"),
            b'\t' => out.push_str("\\t"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            _ if b == quote => {
                out.push('\\');
                out.push(char::from(b));
            }
            0x20..=0x7e => out.push(char::from(b)),
            _ => {
                let _ = write!(out, "\\x{b:02x}");
            }
        }
    }
    out.push(char::from(quote));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_are_written_as_python_writes_them() {
        assert_eq!(python_bytes_repr(b"10.1.2.3"), "b'10.1.2.3'");
        assert_eq!(python_bytes_repr(b"it's"), r#"b"it's""#);
        assert_eq!(python_bytes_repr(b"a'b\"c"), r#"b'a\'b"c'"#);
        assert_eq!(
            python_bytes_repr(b"t\tn\nr\r\\\x00\xff"),
            r"b't\tn\nr\r\\\x00\xff'"
        );
    }

    #[test]
    fn identifiers_are_flask_logins() {
        // Made by Flask-Login 0.6.3's _create_identifier (sha512 of the Python text).
        assert_eq!(
            of(Some(b"10.1.2.3"), Some(b"Mozilla/5.0 TestAgent")),
            "64b314c2109b38ac28d30e8e0e03d9edfd4a2f760bd0d30c874f1a574f8bb443c72f7266e7aedc008556c0659f51e0d22d6536c7bde7c52128b462af593b0756"
        );
        let mut headers = HeaderMap::new();
        headers.insert(header::USER_AGENT, "Mozilla/5.0 TestAgent".parse().unwrap());
        assert_eq!(
            Client::of_request(&HeaderMap::new(), None).identifier(),
            of(None, None),
            "None|None"
        );
        assert_eq!(
            Client::of_request(&headers, Some("10.1.2.3".parse().unwrap())).identifier(),
            of(Some(b"10.1.2.3"), Some(b"Mozilla/5.0 TestAgent"))
        );
    }
}
