//! Output shaping, the typed successor of Flask-RESTful's `fields` and `marshal_with`:
//! renamed and nested fields are serde's (`#[serde(rename)]`, a nested struct); here are
//! envelopes, `marshal` into an output type, URLs built with `url_for`, and Flask-RESTful's
//! date formats.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::{ApiError, ApiRequest, Reply};

/// Flask-RESTful's `marshal(data, fields)`: `data` as the output type `Out`, field by field
/// by name (what `Out` does not have is left out; what `data` lacks must be optional in
/// `Out`). Declare `Out` with the fields to show, renamed with `#[serde(alias)]` on input
/// names and `#[serde(rename)]` on output names.
///
/// ```
/// #[derive(serde::Serialize)]
/// struct User { id: i64, name: String, password_hash: String }
/// #[derive(serde::Serialize, serde::Deserialize)]
/// struct PublicUser { id: i64, #[serde(alias = "name", rename = "username")] username: String }
///
/// let user = User { id: 1, name: "ada".into(), password_hash: "...".into() };
/// let public: PublicUser = flask_restful::marshal(&user).unwrap();
/// assert_eq!(serde_json::to_value(&public).unwrap(), serde_json::json!({"id": 1, "username": "ada"}));
/// ```
///
/// # Errors
/// A 500 (logged) when `data` does not fit `Out`: a mistake of the API, not the client's.
pub fn marshal<Out: DeserializeOwned>(data: &impl Serialize) -> Result<Out, ApiError> {
    let value = serde_json::to_value(data).map_err(|e| {
        tracing::error!("marshal: the data cannot be serialized: {e}");
        ApiError::new(500)
    })?;
    serde_json::from_value(value).map_err(|e| {
        tracing::error!("marshal: the data does not fit the output type: {e}");
        ApiError::new(500)
    })
}

impl Reply {
    /// `marshal_with(fields, envelope="todo")`: the data under one key, `{"todo": data}`.
    pub fn envelope(mut self, key: &str) -> Self {
        let mut map = serde_json::Map::new();
        map.insert(key.to_owned(), std::mem::take(&mut self.data));
        self.data = serde_json::Value::Object(map);
        self
    }
}

impl ApiRequest {
    /// Flask-RESTful's `fields.Url(endpoint, absolute=...)`: the URL of `endpoint` with
    /// these values (`&[("todo_id", "todo1")]`), relative to the site or `absolute`.
    pub fn url_for(
        &self,
        endpoint: &str,
        values: &[(&str, &str)],
        absolute: bool,
    ) -> Result<String, ApiError> {
        let mut url = self.ctx.url_for(endpoint);
        for (name, value) in values {
            url = url.value(name, value);
        }
        if absolute {
            url = url.external();
        }
        url.build().map_err(|e| {
            tracing::error!("url_for({endpoint:?}) in a resource: {e}");
            ApiError::new(500)
        })
    }

    /// Flask-RESTful's `api.url_for(Todo, todo_id="todo1")`: the URL of the resource type
    /// `R` of this Api, whatever endpoint name it was added under (`add_resource_as`, a
    /// blueprint).
    pub fn url_for_resource<R: crate::Resource>(
        &self,
        values: &[(&str, &str)],
        absolute: bool,
    ) -> Result<String, ApiError> {
        let endpoint = self
            .shared
            .as_ref()
            .and_then(|shared| shared.endpoint_of::<R>())
            .ok_or_else(|| {
                tracing::error!(
                    "url_for_resource: {} is not a resource of this Api",
                    std::any::type_name::<R>()
                );
                ApiError::new(500)
            })?
            .to_owned();
        self.url_for(&endpoint, values, absolute)
    }
}

/// Flask-RESTful's `fields.DateTime(dt_format="rfc822")`, its default:
/// `Sat, 01 Jan 2011 00:00:00 -0000`. Use with `#[serde(with = "flask_restful::rfc822")]` on
/// a `chrono::DateTime<Utc>` field.
pub mod rfc822 {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    const FORMAT: &str = "%a, %d %b %Y %H:%M:%S -0000";

    /// Writes the date.
    ///
    /// # Errors
    /// The serializer's.
    pub fn serialize<S: Serializer>(date: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&date.format(FORMAT).to_string())
    }

    /// Reads it back (also any RFC 2822 date).
    ///
    /// # Errors
    /// When the text is not such a date.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let text = String::deserialize(d)?;
        DateTime::parse_from_rfc2822(&text)
            .map(|dt| dt.with_timezone(&Utc))
            .map_err(serde::de::Error::custom)
    }
}

/// Flask-RESTful's `fields.DateTime(dt_format="iso8601")`: `2011-01-01T00:00:00+00:00`
/// (Python's `isoformat()`). Use with `#[serde(with = "flask_restful::iso8601")]` on a
/// `chrono::DateTime<Utc>` field.
pub mod iso8601 {
    use chrono::{DateTime, SecondsFormat, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes the date.
    ///
    /// # Errors
    /// The serializer's.
    pub fn serialize<S: Serializer>(date: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        let text = date
            .to_rfc3339_opts(SecondsFormat::AutoSi, false)
            .replace('Z', "+00:00");
        s.serialize_str(&text)
    }

    /// Reads it back.
    ///
    /// # Errors
    /// When the text is not such a date.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let text = String::deserialize(d)?;
        DateTime::parse_from_rfc3339(&text)
            .map(|dt| dt.with_timezone(&Utc))
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
    struct Dates {
        #[serde(with = "super::rfc822")]
        a: chrono::DateTime<Utc>,
        #[serde(with = "super::iso8601")]
        b: chrono::DateTime<Utc>,
    }

    #[test]
    fn flask_restful_date_formats() {
        let when = Utc.with_ymd_and_hms(2011, 1, 1, 0, 0, 0).unwrap();
        let d = Dates { a: when, b: when };
        let json = serde_json::to_value(&d).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"a": "Sat, 01 Jan 2011 00:00:00 -0000", "b": "2011-01-01T00:00:00+00:00"})
        );
        assert_eq!(serde_json::from_value::<Dates>(json).unwrap(), d);
    }

    #[test]
    fn envelopes() {
        let r = crate::reply(serde_json::json!({"task": "x"})).envelope("todo");
        assert_eq!(r.data(), &serde_json::json!({"todo": {"task": "x"}}));
    }
}
