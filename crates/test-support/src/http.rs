//! A small HTTP/1.1 client over a TCP socket, for tests that must see what a real client
//! sees (headers the server adds, such as `Date`) or do what clients libraries hide
//! (pipelining).

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Serves `app` on a free port of 127.0.0.1 from this process, until the test ends;
/// returns its base URL (`http://127.0.0.1:PORT`).
///
/// # Panics
/// When no port can be bound.
pub async fn serve(app: flask::App) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free port on 127.0.0.1");
    let addr = listener.local_addr().expect("the bound address");
    tokio::spawn(async move {
        app.serve_with_shutdown(listener, std::future::pending())
            .await
    });
    format!("http://{addr}")
}

/// A response as it came over the wire.
#[derive(Debug, Clone)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// The headers, in order, names lowercased.
    pub headers: Vec<(String, String)>,
    /// The body (de-chunked), as text.
    pub body: String,
}

impl Response {
    /// The first value of header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// `GET path` on `base` (`http://127.0.0.1:PORT`) with `headers`, on a connection of its
/// own.
///
/// # Errors
/// When the server cannot be reached or its answer is not HTTP.
pub async fn get(base: &str, path: &str, headers: &[(&str, &str)]) -> Result<Response, String> {
    let mut responses = pipelined(base, path, headers, 1).await?;
    responses.pop().ok_or_else(|| "no response".to_owned())
}

/// One request on a connection of its own: `method path` with `headers` and `body` (a
/// `Content-Length` is added when there is a body).
///
/// # Errors
/// When the server cannot be reached or its answer is not HTTP.
pub async fn send(
    base: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Result<Response, String> {
    let host = host_of(base)?;
    let mut stream = TcpStream::connect(host)
        .await
        .map_err(|e| format!("connecting to {host}: {e}"))?;
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    if !body.is_empty() {
        request.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    request.push_str("\r\n");
    let mut bytes = request.into_bytes();
    bytes.extend_from_slice(body);
    stream
        .write_all(&bytes)
        .await
        .map_err(|e| format!("writing to {host}: {e}"))?;
    let mut responses = read_responses(&mut stream, host, path, 1).await?;
    responses.pop().ok_or_else(|| "no response".to_owned())
}

fn host_of(base: &str) -> Result<&str, String> {
    Ok(base
        .strip_prefix("http://")
        .ok_or_else(|| format!("{base} is not http://HOST:PORT"))?
        .trim_end_matches('/'))
}

/// `n` requests `GET path` written at once on one connection (HTTP pipelining), and the `n`
/// responses read back in order.
///
/// # Errors
/// When the server cannot be reached, closes early, or answers something that is not HTTP.
pub async fn pipelined(
    base: &str,
    path: &str,
    headers: &[(&str, &str)],
    n: usize,
) -> Result<Vec<Response>, String> {
    let host = host_of(base)?;
    let mut stream = TcpStream::connect(host)
        .await
        .map_err(|e| format!("connecting to {host}: {e}"))?;
    let mut request = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream
        .write_all(request.repeat(n).as_bytes())
        .await
        .map_err(|e| format!("writing to {host}: {e}"))?;
    read_responses(&mut stream, host, path, n).await
}

/// Reads `n` responses from `stream`.
async fn read_responses(
    stream: &mut TcpStream,
    host: &str,
    path: &str,
    n: usize,
) -> Result<Vec<Response>, String> {
    let mut buf = Vec::new();
    let mut out = Vec::with_capacity(n);
    let mut chunk = [0u8; 16 * 1024];
    while out.len() < n {
        match parse(&buf)? {
            Some((response, used)) => {
                out.push(response);
                buf.drain(..used);
            }
            None => {
                let read = tokio::time::timeout(Duration::from_secs(30), stream.read(&mut chunk))
                    .await
                    .map_err(|_| format!("{path}: no complete response after 30 s"))?
                    .map_err(|e| format!("reading from {host}: {e}"))?;
                if read == 0 {
                    return Err(format!(
                        "{path}: the connection closed after {} of {n} responses",
                        out.len()
                    ));
                }
                buf.extend_from_slice(&chunk[..read]);
            }
        }
    }
    Ok(out)
}

/// The first complete response in `buf` and the bytes it took, or `None` if more must be
/// read.
fn parse(buf: &[u8]) -> Result<Option<(Response, usize)>, String> {
    let Some(head_end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
        return Ok(None);
    };
    let head = std::str::from_utf8(&buf[..head_end]).map_err(|e| format!("head: {e}"))?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .strip_prefix("HTTP/1.1 ")
        .and_then(|s| s.get(..3))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("not an HTTP/1.1 status line: {status_line:?}"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let find = |name: &str| headers.iter().find(|(n, _)| n == name).map(|(_, v)| v);
    let body_start = head_end + 4;
    let (body, end) = if let Some(len) = find("content-length") {
        let len: usize = len.parse().map_err(|_| format!("content-length {len:?}"))?;
        if buf.len() < body_start + len {
            return Ok(None);
        }
        (buf[body_start..body_start + len].to_vec(), body_start + len)
    } else if find("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        let mut body = Vec::new();
        let mut at = body_start;
        loop {
            let Some(line_end) = buf[at..].windows(2).position(|w| w == b"\r\n") else {
                return Ok(None);
            };
            let size_text = std::str::from_utf8(&buf[at..at + line_end]).unwrap_or("");
            let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
                .map_err(|_| format!("chunk size {size_text:?}"))?;
            at += line_end + 2;
            if buf.len() < at + size + 2 {
                return Ok(None);
            }
            body.extend_from_slice(&buf[at..at + size]);
            at += size + 2;
            if size == 0 {
                break (body, at);
            }
        }
    } else if status == 204 || status == 304 {
        (Vec::new(), body_start)
    } else {
        return Err("a response with neither Content-Length nor chunked encoding".to_owned());
    };
    let body = String::from_utf8(body).map_err(|e| format!("body: {e}"))?;
    Ok(Some((
        Response {
            status,
            headers,
            body,
        },
        end,
    )))
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn parses_lengths_and_chunks_and_waits_for_more() {
        let two = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nServer: x\r\n\r\nhiHTTP/1.1 404 Not Found\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n";
        let (first, used) = parse(two).unwrap().unwrap();
        assert_eq!((first.status, first.body.as_str()), (200, "hi"));
        assert_eq!(first.header("SERVER"), Some("x"));
        let (second, rest) = parse(&two[used..]).unwrap().unwrap();
        assert_eq!((second.status, second.body.as_str()), (404, "abc"));
        assert_eq!(used + rest, two.len());
        assert!(
            parse(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhi")
                .unwrap()
                .is_none()
        );
        assert!(parse(b"HTTP/1.1 200 OK\r\n").unwrap().is_none());
        assert!(parse(b"SSH-2.0\r\n\r\n").is_err());
    }
}
