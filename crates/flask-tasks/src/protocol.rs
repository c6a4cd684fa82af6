//! Celery's task message protocol (version 2) on AMQP: what Python's `apply_async`
//! publishes and a Celery worker consumes, so that Python and Rust share a queue.
//!
//! A message is a body `[args, kwargs, embed]` (JSON), the task's name and id and the rest
//! in the AMQP headers, and the id again as the `correlation_id` property.

use chrono::{DateTime, SecondsFormat, Utc};
use lapin::BasicProperties;
use lapin::types::{AMQPValue, FieldArray, FieldTable, LongString, ShortString};
use serde_json::{Map, Value};

/// One task to run: Celery's protocol 2 message, decoded.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// The task's id (a UUID, unless the sender chose one).
    pub id: String,
    /// The task's registered name (`"myapp.tasks.send_digest"`).
    pub task: String,
    /// Positional arguments.
    pub args: Vec<Value>,
    /// Keyword arguments.
    pub kwargs: Map<String, Value>,
    /// Not before this time (Celery's `eta`; `countdown` becomes one).
    pub eta: Option<DateTime<Utc>>,
    /// Not after this time: a worker finding it later drops it as revoked.
    pub expires: Option<DateTime<Utc>>,
    /// How many times it was retried.
    pub retries: u32,
    /// The id of the first task of the workflow (its own id at first).
    pub root_id: String,
    /// The id of the task that sent this one.
    pub parent_id: Option<String>,
    /// Whether no result is stored.
    pub ignore_result: bool,
    /// Who sent it (`pid@hostname`).
    pub origin: String,
}

/// Why a delivery is not a task message: it is rejected, not retried.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a Celery task message: {0}")]
pub struct Malformed(pub String);

impl Message {
    /// A new message for `task` with a fresh id.
    pub fn new(task: &str, args: Vec<Value>, kwargs: Map<String, Value>) -> Message {
        let id = uuid::Uuid::new_v4().to_string();
        Message {
            root_id: id.clone(),
            id,
            task: task.to_owned(),
            args,
            kwargs,
            eta: None,
            expires: None,
            retries: 0,
            parent_id: None,
            ignore_result: false,
            origin: origin(),
        }
    }

    /// The body: `[args, kwargs, {"callbacks": null, ...}]`, as Celery writes it.
    pub fn body(&self) -> Vec<u8> {
        let embed = serde_json::json!({
            "callbacks": null, "errbacks": null, "chain": null, "chord": null
        });
        let body = Value::Array(vec![
            Value::Array(self.args.clone()),
            Value::Object(self.kwargs.clone()),
            embed,
        ]);
        serde_json::to_vec(&body).unwrap_or_default()
    }

    /// The AMQP properties and headers, as Celery sets them (strings as long strings,
    /// `None` as void, `timelimit` as `[None, None]`).
    pub fn properties(&self) -> BasicProperties {
        let mut h = FieldTable::default();
        let text = |s: &str| AMQPValue::LongString(LongString::from(s));
        let date = |d: &Option<DateTime<Utc>>| {
            d.map_or(AMQPValue::Void, |d| {
                text(&d.to_rfc3339_opts(SecondsFormat::Micros, false))
            })
        };
        let opt = |s: &Option<String>| s.as_deref().map_or(AMQPValue::Void, text);
        h.insert("lang".into(), text("py"));
        h.insert("task".into(), text(&self.task));
        h.insert("id".into(), text(&self.id));
        h.insert("shadow".into(), AMQPValue::Void);
        h.insert("eta".into(), date(&self.eta));
        h.insert("expires".into(), date(&self.expires));
        h.insert("group".into(), AMQPValue::Void);
        h.insert("group_index".into(), AMQPValue::Void);
        h.insert(
            "retries".into(),
            AMQPValue::LongInt(i32::try_from(self.retries).unwrap_or(i32::MAX)),
        );
        h.insert(
            "timelimit".into(),
            AMQPValue::FieldArray(FieldArray::from(vec![AMQPValue::Void, AMQPValue::Void])),
        );
        h.insert("root_id".into(), text(&self.root_id));
        h.insert("parent_id".into(), opt(&self.parent_id));
        h.insert("argsrepr".into(), text(&args_repr(&self.args)));
        h.insert("kwargsrepr".into(), text(&kwargs_repr(&self.kwargs)));
        h.insert("origin".into(), text(&self.origin));
        h.insert(
            "ignore_result".into(),
            AMQPValue::Boolean(self.ignore_result),
        );
        h.insert("replaced_task_nesting".into(), AMQPValue::LongInt(0));
        h.insert("stamped_headers".into(), AMQPValue::Void);
        h.insert(
            "stamps".into(),
            AMQPValue::FieldTable(FieldTable::default()),
        );
        let mut properties = BasicProperties::default()
            .with_content_type(ShortString::from("application/json"))
            .with_content_encoding(ShortString::from("utf-8"))
            .with_delivery_mode(2)
            .with_priority(0)
            .with_correlation_id(ShortString::from(self.id.as_str()))
            .with_headers(h);
        if let Some(expires) = self.expires {
            // As kombu does: RabbitMQ drops it unread once it is too late.
            let ms = (expires - Utc::now()).num_milliseconds().max(0);
            properties = properties.with_expiration(ShortString::from(ms.to_string()));
        }
        properties
    }

    /// Decodes a delivery: the headers `task` and `id` are required, and the body must be
    /// `[list, object, anything]` in JSON (a message of another shape crashes a Python
    /// worker; here it is refused).
    pub fn decode(properties: &BasicProperties, body: &[u8]) -> Result<Message, Malformed> {
        if let Some(ct) = properties.content_type()
            && ct.as_str() != "application/json"
        {
            return Err(Malformed(format!(
                "the content type is {}, and only application/json is accepted",
                ct.as_str()
            )));
        }
        let empty = FieldTable::default();
        let headers = properties.headers().as_ref().unwrap_or(&empty).inner();
        let text = |key: &str| -> Option<String> {
            match headers.get(key)? {
                AMQPValue::LongString(s) => {
                    Some(String::from_utf8_lossy(s.as_bytes()).into_owned())
                }
                AMQPValue::ShortString(s) => Some(s.as_str().to_owned()),
                _ => None,
            }
        };
        let task = text("task").ok_or_else(|| Malformed("it has no task header".into()))?;
        let id = text("id").ok_or_else(|| Malformed("it has no id header".into()))?;
        let date = |key: &str| -> Result<Option<DateTime<Utc>>, Malformed> {
            match text(key) {
                None => Ok(None),
                Some(s) => parse_date(&s)
                    .map(Some)
                    .ok_or_else(|| Malformed(format!("invalid {key} value {s:?}"))),
            }
        };
        let retries = match headers.get("retries") {
            Some(v) => integer(v).unwrap_or(0),
            None => 0,
        };
        let body: Value = serde_json::from_slice(body)
            .map_err(|e| Malformed(format!("the body is not JSON: {e}")))?;
        let (args, kwargs) = match body {
            Value::Array(mut parts) if parts.len() == 3 => {
                let kwargs = parts.remove(1);
                let args = parts.remove(0);
                match (args, kwargs) {
                    (Value::Array(a), Value::Object(k)) => (a, k),
                    _ => {
                        return Err(Malformed(
                            "the body is not [args, kwargs, embed] (a list and an object first)"
                                .into(),
                        ));
                    }
                }
            }
            _ => {
                return Err(Malformed(
                    "the body is not [args, kwargs, embed] (a list of three)".into(),
                ));
            }
        };
        Ok(Message {
            root_id: text("root_id").unwrap_or_else(|| id.clone()),
            parent_id: text("parent_id"),
            eta: date("eta")?,
            expires: date("expires")?,
            retries: u32::try_from(retries.max(0)).unwrap_or(0),
            ignore_result: matches!(headers.get("ignore_result"), Some(AMQPValue::Boolean(true))),
            origin: text("origin").unwrap_or_default(),
            id,
            task,
            args,
            kwargs,
        })
    }
}

/// An AMQP integer of any width.
fn integer(v: &AMQPValue) -> Option<i64> {
    Some(match v {
        AMQPValue::ShortShortInt(n) => i64::from(*n),
        AMQPValue::ShortShortUInt(n) => i64::from(*n),
        AMQPValue::ShortInt(n) => i64::from(*n),
        AMQPValue::ShortUInt(n) => i64::from(*n),
        AMQPValue::LongInt(n) => i64::from(*n),
        AMQPValue::LongUInt(n) => i64::from(*n),
        AMQPValue::LongLongInt(n) => *n,
        _ => return None,
    })
}

/// An ISO 8601 time with an offset (`+00:00` or `Z`), or without one (taken as UTC).
fn parse_date(s: &str) -> Option<DateTime<Utc>> {
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some(d.with_timezone(&Utc));
    }
    chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .map(|n| n.and_utc())
}

/// `pid@hostname`, as Celery names a sender.
fn origin() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_owned());
    format!("{}@{host}", std::process::id())
}

/// A Python-looking `repr` of the arguments (shown in Celery's logs and Flower only).
fn args_repr(args: &[Value]) -> String {
    let parts: Vec<String> = args.iter().map(Value::to_string).collect();
    match parts.len() {
        1 => format!("({},)", parts[0]),
        _ => format!("({})", parts.join(", ")),
    }
}

fn kwargs_repr(kwargs: &Map<String, Value>) -> String {
    let parts: Vec<String> = kwargs.iter().map(|(k, v)| format!("'{k}': {v}")).collect();
    format!("{{{}}}", parts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_goes_through_its_own_encoding() {
        let mut m = Message::new(
            "app.add",
            vec![2.into(), 3.into()],
            Map::from_iter([("k".to_owned(), Value::from("v"))]),
        );
        m.eta = Some(Utc::now());
        m.retries = 2;
        let properties = m.properties();
        assert_eq!(
            properties
                .correlation_id()
                .as_ref()
                .map(ShortString::as_str),
            Some(m.id.as_str())
        );
        let decoded = Message::decode(&properties, &m.body()).unwrap();
        // Dates keep microseconds, as Python's isoformat does.
        let mut expected = m.clone();
        expected.eta = decoded.eta;
        assert_eq!(decoded, expected);
        assert!(
            (decoded.eta.unwrap() - m.eta.unwrap())
                .num_microseconds()
                .unwrap()
                .abs()
                < 1
        );
        let body: Value = serde_json::from_slice(&m.body()).unwrap();
        assert_eq!(
            body,
            serde_json::json!([[2, 3], {"k": "v"}, {"callbacks": null, "errbacks": null, "chain": null, "chord": null}])
        );
        assert_eq!(args_repr(&m.args), "(2, 3)");
        assert_eq!(args_repr(&[Value::from("a")]), "(\"a\",)");
    }

    #[test]
    fn what_is_not_a_task_message_is_refused_with_the_reason() {
        let m = Message::new("app.add", vec![], Map::new());
        let p = m.properties();
        for (body, why) in [
            (&b"not json"[..], "not JSON"),
            (br#"{"x": 1}"#, "a list of three"),
            (br#"[[1], {}]"#, "a list of three"),
            (br#"[{}, [], {}]"#, "a list and an object first"),
        ] {
            let err = Message::decode(&p, body).unwrap_err().to_string();
            assert!(err.contains(why), "{err}");
        }
        let err = Message::decode(&BasicProperties::default(), &m.body())
            .unwrap_err()
            .to_string();
        assert!(err.contains("no task header"), "{err}");
    }

    #[test]
    fn python_dates_are_read() {
        for s in [
            "2026-12-08T02:45:31.639864+00:00",
            "2030-01-02T03:04:05+00:00",
            "2030-01-02T03:04:05Z",
            "2030-01-02T03:04:05.5",
        ] {
            assert!(parse_date(s).is_some(), "{s}");
        }
        assert!(parse_date("not-a-date").is_none());
    }
}
