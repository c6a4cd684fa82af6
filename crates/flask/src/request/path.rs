//! `Path<T>`: the values a rule's converters took from the URL, typed.

use std::ops::{Deref, DerefMut};

use axum::extract::FromRequestParts;
use http::StatusCode;
use http::request::Parts;
use serde::de::value::{Error as DeError, MapDeserializer, SeqDeserializer};
use serde::de::{self, DeserializeOwned, Deserializer, IntoDeserializer, Visitor};
use serde::forward_to_deserialize_any;

use super::RequestContext;
use crate::Error;
use crate::routing::PathValue;

/// The URL values of the matched rule (Flask passes them to the view as arguments).
///
/// One variable: `Path<i64>`; several: a tuple in rule order or a struct by name.
/// Converters already checked and typed the values (`<int:id>` is an `i64`), so a value
/// that does not fit `T` is a 404, like a value the converter refuses; a shape that does
/// not fit the rule (two values into one) is a 500 naming the rule.
///
/// ```
/// use flask::{Flask, Path, routing::get};
/// use serde::Deserialize;
///
/// #[flask::view]
/// async fn show_post(Path(post_id): Path<i64>) -> String { format!("Post {post_id}") }
///
/// #[derive(Deserialize)]
/// struct Day { year: u16, month: u8 }
/// #[flask::view]
/// async fn archive(Path(day): Path<Day>) -> String { format!("{}-{}", day.year, day.month) }
///
/// let app = Flask::new("blog")
///     .route("/post/<int:post_id>", get(show_post))
///     .route("/archive/<int:year>/<int(min=1, max=12):month>", get(archive));
/// # let _ = app;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Path<T>(pub T);

impl<T> Deref for Path<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> DerefMut for Path<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Path<T> {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let ctx = RequestContext::from_request_parts(parts, state).await?;
        let args = ctx.view_args();
        let de = ArgsDe { args: &args };
        T::deserialize(de).map(Path).map_err(|e: DeError| {
            let msg = e.to_string();
            if is_shape_error(&msg) {
                Error::internal(format!(
                    "Path<{}> does not fit the rule {:?}: {msg}",
                    std::any::type_name::<T>(),
                    ctx.url_rule().unwrap_or("(no rule matched)")
                ))
            } else {
                // The URL's value does not convert to the handler's type: like a converter
                // refusing it, the URL does not exist.
                let reason = msg.strip_prefix(VALUE_MISMATCH).unwrap_or(&msg);
                Error::with_description(StatusCode::NOT_FOUND, reason.to_owned())
            }
        })
    }
}

/// Whether a deserialization error is about the shape of `T` against the rule (the
/// app's bug, a 500) rather than about a value in the URL (a 404).
fn is_shape_error(msg: &str) -> bool {
    msg.starts_with(SHAPE)
        || msg.starts_with("missing field")
        || msg.starts_with("unknown field")
        || msg.starts_with("invalid length")
}

/// `Option<Path<T>>`: `None` when the matched rule has no variables, like a Flask view
/// argument with a default (`def hello(name=None)` on `/hello/` and `/hello/<name>`).
impl<T: DeserializeOwned + Send, S: Send + Sync> axum::extract::OptionalFromRequestParts<S>
    for Path<T>
{
    type Rejection = Error;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        let ctx = RequestContext::from_request_parts(parts, state).await?;
        if ctx.view_args().is_empty() {
            return Ok(None);
        }
        <Path<T> as FromRequestParts<S>>::from_request_parts(parts, state)
            .await
            .map(Some)
    }
}

const SHAPE: &str = "rule shape: ";

/// Forwards to the single value's own method (so a `u8` target parses and range-checks).
macro_rules! single {
    ($($method:ident)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
            self.single()?.$method(visitor)
        }
    )*};
}
const VALUE_MISMATCH: &str = "value mismatch: ";

/// All view args: a map, a sequence, or (when there is one) a single value.
struct ArgsDe<'a> {
    args: &'a [(&'a str, &'a PathValue)],
}

impl<'de> Deserializer<'de> for ArgsDe<'_> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        if self.args.len() == 1 {
            return ValueDe(self.args[0].1).deserialize_any(visitor);
        }
        self.deserialize_map(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let iter = self.args.iter().map(|(k, v)| (*k, ValueDe(v)));
        visitor.visit_map(MapDeserializer::new(iter))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_map(visitor)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let iter = self.args.iter().map(|(_, v)| ValueDe(v));
        visitor.visit_seq(SeqDeserializer::new(iter))
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        if len != self.args.len() {
            return Err(de::Error::custom(format!(
                "{SHAPE}a tuple of {len} but the rule has {} variables",
                self.args.len()
            )));
        }
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_tuple(len, visitor)
    }

    single! {
        deserialize_bool deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64
        deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64 deserialize_f32
        deserialize_f64 deserialize_str deserialize_string deserialize_option
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.single()?.deserialize_enum(name, variants, visitor)
    }

    forward_to_deserialize_any! {
        i128 u128 char bytes byte_buf unit unit_struct identifier ignored_any
    }
}

impl<'a> ArgsDe<'a> {
    fn single(&self) -> Result<ValueDe<'a>, DeError> {
        match self.args {
            [(_, v)] => Ok(ValueDe(v)),
            _ => Err(de::Error::custom(format!(
                "{SHAPE}one value was expected but the rule has {} variables; use a tuple or a struct",
                self.args.len()
            ))),
        }
    }
}

/// One value: its own type, or parsed from its text when the target asks for another.
struct ValueDe<'a>(&'a PathValue);

impl<'de> IntoDeserializer<'de, DeError> for ValueDe<'_> {
    type Deserializer = Self;
    fn into_deserializer(self) -> Self {
        self
    }
}

macro_rules! parse_num {
    ($($method:ident => $visit:ident: $ty:ty),*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
            let parsed: Result<$ty, String> = match self.0 {
                PathValue::Int(i) => <$ty>::try_from(*i).map_err(|_| format!("{i} is out of range for {}", stringify!($ty))),
                other => other.to_string().parse::<$ty>().map_err(|_| format!("{other:?} is not a valid {}", stringify!($ty))),
            };
            match parsed {
                Ok(v) => visitor.$visit(v),
                Err(e) => Err(de::Error::custom(format!("{VALUE_MISMATCH}{e}"))),
            }
        }
    )*};
}

impl<'de> Deserializer<'de> for ValueDe<'_> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.0 {
            PathValue::Str(s) => visitor.visit_str(s),
            PathValue::Int(i) => visitor.visit_i64(*i),
            PathValue::Float(f) => visitor.visit_f64(*f),
            PathValue::Uuid(u) => visitor.visit_string(u.to_string()),
        }
    }

    parse_num! {
        deserialize_i8 => visit_i8: i8, deserialize_i16 => visit_i16: i16,
        deserialize_i32 => visit_i32: i32, deserialize_i64 => visit_i64: i64,
        deserialize_u8 => visit_u8: u8, deserialize_u16 => visit_u16: u16,
        deserialize_u32 => visit_u32: u32, deserialize_u64 => visit_u64: u64
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.0 {
            PathValue::Float(f) => visitor.visit_f64(*f),
            PathValue::Int(i) => visitor.visit_f64(*i as f64),
            other => other
                .to_string()
                .parse()
                .map_err(|_| {
                    de::Error::custom(format!("{VALUE_MISMATCH}{other:?} is not a number"))
                })
                .and_then(|f| visitor.visit_f64(f)),
        }
    }

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_f64(visitor)
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.0.to_string().as_str() {
            "true" | "1" => visitor.visit_bool(true),
            "false" | "0" => visitor.visit_bool(false),
            other => Err(de::Error::custom(format!(
                "{VALUE_MISMATCH}{other:?} is not a boolean"
            ))),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_string(self.0.to_string())
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_string(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_enum(self.0.to_string().into_deserializer())
    }

    forward_to_deserialize_any! {
        i128 u128 char bytes byte_buf unit unit_struct seq tuple tuple_struct map struct
        identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    fn de<T: DeserializeOwned>(args: &[(&str, PathValue)]) -> Result<T, DeError> {
        let refs: Vec<(&str, &PathValue)> = args.iter().map(|(k, v)| (*k, v)).collect();
        T::deserialize(ArgsDe { args: &refs })
    }

    #[test]
    fn shapes() {
        assert_eq!(de::<i64>(&[("id", PathValue::Int(3))]).unwrap(), 3);
        assert_eq!(de::<u8>(&[("id", PathValue::Int(3))]).unwrap(), 3);
        assert_eq!(
            de::<(String, i64)>(&[("a", PathValue::Str("x".into())), ("b", PathValue::Int(1))])
                .unwrap(),
            ("x".to_owned(), 1)
        );
        #[derive(Deserialize, Debug, PartialEq)]
        struct S {
            b: i64,
            a: String,
        }
        assert_eq!(
            de::<S>(&[("a", PathValue::Str("x".into())), ("b", PathValue::Int(1))]).unwrap(),
            S {
                b: 1,
                a: "x".into()
            }
        );
        let u = uuid::Uuid::nil();
        assert_eq!(de::<uuid::Uuid>(&[("u", PathValue::Uuid(u))]).unwrap(), u);
        assert_eq!(de::<f64>(&[("x", PathValue::Float(1.5))]).unwrap(), 1.5);
    }

    #[test]
    fn mismatches() {
        let e = de::<u8>(&[("id", PathValue::Int(300))]).unwrap_err();
        assert!(e.to_string().starts_with(VALUE_MISMATCH), "{e}");
        let e = de::<i64>(&[("n", PathValue::Str("abc".into()))]).unwrap_err();
        assert!(e.to_string().starts_with(VALUE_MISMATCH), "{e}");
        let e = de::<(i64,)>(&[("a", PathValue::Int(1)), ("b", PathValue::Int(2))]).unwrap_err();
        assert!(is_shape_error(&e.to_string()), "{e}");
        let e = de::<uuid::Uuid>(&[("u", PathValue::Str("nope".into()))]).unwrap_err();
        assert!(!is_shape_error(&e.to_string()), "{e}");
        #[derive(Deserialize, Debug)]
        #[allow(dead_code)]
        struct Needs {
            a: i64,
            b: i64,
        }
        let e = de::<Needs>(&[("a", PathValue::Int(1)), ("c", PathValue::Int(2))]).unwrap_err();
        assert!(is_shape_error(&e.to_string()), "{e}");
    }
}
