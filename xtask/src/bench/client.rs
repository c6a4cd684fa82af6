//! A small blocking HTTP/1.1 client for load that must act like a browser: one keep-alive
//! connection, a cookie jar, urlencoded forms and the CSRF token read back from the page.
//! std alone, like the rest of xtask.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// A response: status, headers (names lowercased) and body.
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: String,
}

impl Reply {
    /// The first value of header `name` (lowercase).
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The `value` of the hidden `csrf_token` input of the page's form.
    pub(crate) fn csrf_token(&self) -> Option<String> {
        let at = self.body.find("name=\"csrf_token\"")?;
        let start = self.body[..at].rfind("<input")?;
        let end = at + self.body[at..].find('>')?;
        attribute(&self.body[start..end], "value").map(|v| unescape(&v))
    }
}

/// The value of `name="..."` in an HTML tag.
fn attribute(tag: &str, name: &str) -> Option<String> {
    let key = format!(" {name}=\"");
    let start = tag.find(&key)? + key.len();
    let len = tag[start..].find('"')?;
    Some(tag[start..start + len].to_owned())
}

/// The entities MarkupSafe writes, decoded.
fn unescape(text: &str) -> String {
    text.replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// `application/x-www-form-urlencoded` for `fields`.
pub(crate) fn urlencode(fields: &[(&str, &str)]) -> String {
    let mut out = String::new();
    for (i, (name, value)) in fields.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        encode_into(&mut out, name);
        out.push('=');
        encode_into(&mut out, value);
    }
    out
}

fn encode_into(out: &mut String, text: &str) {
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char);
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
}

/// One browser-like client of `host:port`: a keep-alive connection (opened again when the
/// server closed it) and the cookies the server set.
pub(crate) struct Client {
    addr: String,
    connection: Option<BufReader<TcpStream>>,
    cookies: Vec<(String, String)>,
}

impl Client {
    pub(crate) fn new(addr: &str) -> Self {
        Self {
            addr: addr.to_owned(),
            connection: None,
            cookies: Vec::new(),
        }
    }

    pub(crate) fn get(&mut self, path: &str) -> Result<Reply, String> {
        self.request("GET", path, None)
    }

    /// POSTs `fields` urlencoded.
    pub(crate) fn post_form(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
    ) -> Result<Reply, String> {
        self.request("POST", path, Some(&urlencode(fields)))
    }

    fn request(&mut self, method: &str, path: &str, form: Option<&str>) -> Result<Reply, String> {
        let fail = |e: std::io::Error| format!("{method} {path}: {e}");
        if self.connection.is_none() {
            let stream = TcpStream::connect(&self.addr).map_err(fail)?;
            stream
                .set_read_timeout(Some(Duration::from_secs(30)))
                .map_err(fail)?;
            stream.set_nodelay(true).map_err(fail)?;
            self.connection = Some(BufReader::new(stream));
        }
        let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {}\r\n", self.addr);
        if !self.cookies.is_empty() {
            let jar: Vec<String> = self
                .cookies
                .iter()
                .map(|(n, v)| format!("{n}={v}"))
                .collect();
            head.push_str(&format!("Cookie: {}\r\n", jar.join("; ")));
        }
        if let Some(body) = form {
            head.push_str(&format!(
                "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n",
                body.len()
            ));
        }
        head.push_str("\r\n");
        head.push_str(form.unwrap_or(""));
        let connection = self.connection.as_mut().expect("connected above");
        let result = connection
            .get_mut()
            .write_all(head.as_bytes())
            .map_err(fail)
            .and_then(|()| read_reply(connection).map_err(|e| format!("{method} {path}: {e}")));
        let reply = match result {
            Ok(reply) => reply,
            Err(e) => {
                self.connection = None;
                return Err(e);
            }
        };
        if reply
            .header("connection")
            .is_some_and(|v| v.eq_ignore_ascii_case("close"))
        {
            self.connection = None;
        }
        for (name, value) in &reply.headers {
            if name == "set-cookie" {
                self.store_cookie(value);
            }
        }
        Ok(reply)
    }

    /// Keeps (or, for `Max-Age=0` or an empty value, drops) the cookie of a `Set-Cookie`.
    fn store_cookie(&mut self, header: &str) {
        let mut parts = header.split(';');
        let Some((name, value)) = parts.next().and_then(|p| p.trim().split_once('=')) else {
            return;
        };
        let removed = value.is_empty() || parts.any(|p| p.trim().eq_ignore_ascii_case("max-age=0"));
        self.cookies.retain(|(n, _)| n != name);
        if !removed {
            self.cookies.push((name.to_owned(), value.to_owned()));
        }
    }
}

/// Reads one response: status line, headers, and a `Content-Length` or chunked body.
fn read_reply(reader: &mut BufReader<TcpStream>) -> Result<Reply, String> {
    let mut line = String::new();
    let read_line = |reader: &mut BufReader<TcpStream>, line: &mut String| {
        line.clear();
        match reader.read_line(line) {
            Ok(0) => Err("the server closed the connection".to_owned()),
            Ok(_) => Ok(()),
            Err(e) => Err(e.to_string()),
        }
    };
    read_line(reader, &mut line)?;
    let status = line
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| format!("not an HTTP status line: {line:?}"))?;
    let mut headers = Vec::new();
    loop {
        read_line(reader, &mut line)?;
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
        }
    }
    let find = |name: &str| headers.iter().find(|(n, _)| n == name).map(|(_, v)| v);
    let mut body = Vec::new();
    if find("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        loop {
            read_line(reader, &mut line)?;
            let size = usize::from_str_radix(line.trim().split(';').next().unwrap_or(""), 16)
                .map_err(|_| format!("bad chunk size {line:?}"))?;
            let start = body.len();
            body.resize(start + size + 2, 0);
            reader
                .read_exact(&mut body[start..])
                .map_err(|e| e.to_string())?;
            body.truncate(start + size);
            if size == 0 {
                break;
            }
        }
    } else if let Some(length) = find("content-length") {
        let length: usize = length
            .parse()
            .map_err(|_| format!("bad Content-Length {length:?}"))?;
        body.resize(length, 0);
        reader.read_exact(&mut body).map_err(|e| e.to_string())?;
    }
    Ok(Reply {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_are_urlencoded() {
        assert_eq!(
            urlencode(&[("title", "a b&c"), ("x", "é/")]),
            "title=a+b%26c&x=%C3%A9%2F"
        );
    }

    #[test]
    fn the_csrf_token_is_read_from_the_hidden_input() {
        let reply = Reply {
            status: 200,
            headers: Vec::new(),
            body: r#"<form><input id="csrf_token" name="csrf_token" type="hidden" value="ab&amp;c.d"><input name="x" value="y"></form>"#.to_owned(),
        };
        assert_eq!(reply.csrf_token().as_deref(), Some("ab&c.d"));
    }
}
