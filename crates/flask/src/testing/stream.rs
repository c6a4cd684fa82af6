//! Reading a response while it is sent: chunks, or server-sent events.

use std::time::Duration;

use axum::body::Body;
use bytes::{Bytes, BytesMut};
use http::{HeaderMap, StatusCode};
use http_body_util::BodyExt;

use crate::sse::Event;

/// How long a test waits for the next piece before it fails, rather than hang.
const WAIT: Duration = Duration::from_secs(10);

/// A response whose body is read as it comes ([`TestRequest::stream`](super::TestRequest::stream)).
///
/// Dropping it is the client going away: the app's stream stops, and a
/// `stream_with_context` body's teardown runs.
#[derive(Debug)]
pub struct TestStream {
    status: StatusCode,
    headers: HeaderMap,
    body: Body,
    buffered: BytesMut,
    ended: bool,
}

impl TestStream {
    pub(super) fn new(status: StatusCode, headers: HeaderMap, body: Body) -> Self {
        TestStream {
            status,
            headers,
            body,
            buffered: BytesMut::new(),
            ended: false,
        }
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// One header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The next piece of the body as the app sent it, or `None` at its end.
    ///
    /// # Panics
    /// If nothing comes within 10 seconds, or the body fails.
    pub async fn chunk(&mut self) -> Option<Bytes> {
        if !self.buffered.is_empty() {
            return Some(self.buffered.split().freeze());
        }
        self.read().await
    }

    async fn read(&mut self) -> Option<Bytes> {
        loop {
            if self.ended {
                return None;
            }
            let frame = tokio::time::timeout(WAIT, self.body.frame())
                .await
                .unwrap_or_else(|_| panic!("the response sent nothing for {WAIT:?}"));
            match frame {
                None => {
                    self.ended = true;
                    return None;
                }
                Some(Ok(frame)) => {
                    if let Ok(data) = frame.into_data()
                        && !data.is_empty()
                    {
                        return Some(data);
                    }
                }
                Some(Err(e)) => panic!("reading the response body failed: {e}"),
            }
        }
    }

    /// The rest of the body, read to its end, as text.
    ///
    /// # Panics
    /// If a piece takes over 10 seconds, or the body fails.
    pub async fn text(mut self) -> String {
        let mut all = self.buffered.split().to_vec();
        while let Some(piece) = self.read().await {
            all.extend_from_slice(&piece);
        }
        String::from_utf8_lossy(&all).into_owned()
    }

    /// The body as server-sent events.
    pub fn events(self) -> TestEvents {
        TestEvents {
            stream: self,
            comments: 0,
        }
    }
}

/// The events of a `text/event-stream` response, as a browser's `EventSource` parses them.
#[derive(Debug)]
pub struct TestEvents {
    stream: TestStream,
    comments: usize,
}

impl TestEvents {
    /// The next event (comments, the keep-alives, are skipped and counted), or `None`
    /// when the stream ended.
    ///
    /// # Panics
    /// If no event comes within 10 seconds.
    pub async fn next(&mut self) -> Option<Event> {
        loop {
            if let Some(block) = self.take_block() {
                match parse_event(&block) {
                    Parsed::Event(e) => return Some(e),
                    Parsed::Comment => self.comments += 1,
                    Parsed::Nothing => {}
                }
                continue;
            }
            let piece = self.stream.read().await?;
            self.stream.buffered.extend_from_slice(&piece);
        }
    }

    /// The next `n` events.
    ///
    /// # Panics
    /// If the stream ends before, or one takes over 10 seconds.
    pub async fn take(&mut self, n: usize) -> Vec<Event> {
        let mut events = Vec::with_capacity(n);
        for i in 0..n {
            match self.next().await {
                Some(e) => events.push(e),
                None => panic!("the stream ended after {i} events, {n} were expected"),
            }
        }
        events
    }

    /// How many comment blocks (keep-alives) came so far.
    pub fn comments(&self) -> usize {
        self.comments
    }

    /// The response's status.
    pub fn status(&self) -> StatusCode {
        self.stream.status
    }

    /// One block of lines, up to its blank line.
    fn take_block(&mut self) -> Option<String> {
        let buf = &self.stream.buffered;
        let text = std::str::from_utf8(buf).ok()?;
        let normalized_end = ["\r\n\r\n", "\n\n", "\r\r"]
            .iter()
            .filter_map(|sep| text.find(sep).map(|i| (i, sep.len())))
            .min();
        let (at, len) = normalized_end?;
        let block = text[..at].to_owned();
        let _ = self.stream.buffered.split_to(at + len);
        Some(block)
    }
}

enum Parsed {
    Event(Event),
    Comment,
    Nothing,
}

fn parse_event(block: &str) -> Parsed {
    let mut event = Event::default();
    let mut data: Option<String> = None;
    let mut any = false;
    let mut comment = false;
    for line in block.split(['\n', '\r']).filter(|l| !l.is_empty()) {
        if line.starts_with(':') {
            comment = true;
            continue;
        }
        let (field, value) = match line.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (line, ""),
        };
        match field {
            "data" => {
                let d = data.get_or_insert_with(String::new);
                if any {
                    d.push('\n');
                }
                any = true;
                d.push_str(value);
            }
            "id" => event = event.id(value),
            "event" => event = event.event(value),
            "retry" => {
                if let Ok(ms) = value.parse() {
                    event = event.retry(Duration::from_millis(ms));
                }
            }
            _ => {}
        }
    }
    match data {
        Some(d) => {
            let mut e = Event::data(d);
            if let Some(id) = event.get_id() {
                e = e.id(id);
            }
            if let Some(name) = event.get_event() {
                e = e.event(name);
            }
            Parsed::Event(e)
        }
        // No data: the browser dispatches nothing (a `retry:` alone, say).
        None if comment => Parsed::Comment,
        None => Parsed::Nothing,
    }
}
