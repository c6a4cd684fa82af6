//! Forms in templates: `{{ form.email.label }}`, `{{ form.email(class_="x") }}`,
//! `{{ form.hidden_tag() }}`, `{{ form.email.errors }}`, `{{ form.errors }}`: WTForms'
//! widgets and their HTML, attributes sorted as WTForms writes them.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;

use flask::minijinja::value::{Enumerator, Kwargs, Object, ObjectRepr, Value};
use flask::minijinja::{Error, ErrorKind, State};
use serde_json::Value as Json;

use super::process::FieldState;
use super::schema::{FieldKind, FieldSpec, Validator};

/// HTML-escapes `s` for text and attribute values.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// An attribute value: text, or a flag (`required`) that is there or not.
#[derive(Debug, Clone)]
pub(crate) enum Attr {
    Text(String),
    Flag(bool),
}

/// WTForms' `html_params`: sorted by name, `class_` as `class`, `data_x` as `data-x`.
/// Whether `key` can be an HTML attribute name as written here (no space, quote, `=`, `>`
/// or `/` that would end it and start another: a name from `**attrs` in a template is data).
fn is_attribute_name(key: &str) -> bool {
    let mut chars = key.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':' | '.'))
}

pub(crate) fn html_params(attrs: &BTreeMap<String, Attr>) -> String {
    let mut out = String::new();
    for (key, value) in attrs {
        let mut key = key.trim_end_matches('_').to_owned();
        if key.starts_with("data_") || key.starts_with("aria_") {
            key = key.replace('_', "-");
        }
        if !is_attribute_name(&key) {
            continue;
        }
        match value {
            Attr::Flag(false) => continue,
            Attr::Flag(true) => {
                if !out.is_empty() {
                    out.push(' ');
                }
                out.push_str(&key);
            }
            Attr::Text(v) => {
                if !out.is_empty() {
                    out.push(' ');
                }
                let _ = write!(out, "{key}=\"{}\"", escape(v));
            }
        }
    }
    out
}

fn value_text(v: &Json) -> String {
    match v {
        Json::Null => String::new(),
        Json::String(s) => s.clone(),
        Json::Bool(b) => if *b { "True" } else { "False" }.to_owned(),
        other => other.to_string(),
    }
}

/// The attributes the validators imply (WTForms' field flags), for widgets that take them.
fn flags(spec: &FieldSpec) -> Vec<(&'static str, Attr)> {
    let mut out = Vec::new();
    for v in &spec.validators {
        match v {
            Validator::DataRequired(_)
            | Validator::InputRequired(_)
            | Validator::FileRequired(_) => {
                out.push(("required", Attr::Flag(true)));
            }
            Validator::FileAllowed { extensions, .. } => {
                let accept = extensions
                    .iter()
                    .map(|e| format!(".{e}"))
                    .collect::<Vec<_>>()
                    .join(", ");
                out.push(("accept", Attr::Text(accept)));
            }
            Validator::Length { min, max, .. } => {
                if let Some(min) = min {
                    out.push(("minlength", Attr::Text(min.to_string())));
                }
                if let Some(max) = max {
                    out.push(("maxlength", Attr::Text(max.to_string())));
                }
            }
            Validator::NumberRange { min, max, .. } => {
                let n = |n: f64| {
                    if n.fract() == 0.0 {
                        format!("{}", n as i64)
                    } else {
                        n.to_string()
                    }
                };
                if let Some(min) = min {
                    out.push(("min", Attr::Text(n(*min))));
                }
                if let Some(max) = max {
                    out.push(("max", Attr::Text(n(*max))));
                }
            }
            Validator::Regexp { source, .. } => out.push(("pattern", Attr::Text(source.clone()))),
            _ => {}
        }
    }
    out
}

/// Which flags a widget renders (WTForms' `validation_attrs`).
fn validation_attrs(kind: FieldKind) -> &'static [&'static str] {
    match kind {
        FieldKind::String
        | FieldKind::Password
        | FieldKind::Email
        | FieldKind::Url
        | FieldKind::Search
        | FieldKind::Tel => &[
            "required",
            "disabled",
            "readonly",
            "maxlength",
            "minlength",
            "pattern",
        ],
        FieldKind::TextArea => &["required", "disabled", "readonly", "maxlength", "minlength"],
        FieldKind::Integer
        | FieldKind::Decimal
        | FieldKind::Float
        | FieldKind::Date
        | FieldKind::DateTimeLocal
        | FieldKind::Time => &["required", "disabled", "readonly", "max", "min", "step"],
        FieldKind::Hidden => &["disabled"],
        FieldKind::File | FieldKind::MultipleFiles => &["required", "disabled", "accept"],
        _ => &["required", "disabled"],
    }
}

/// One field as templates see it.
#[derive(Debug)]
pub(crate) struct FieldView {
    pub(crate) spec: FieldSpec,
    pub(crate) state: FieldState,
    /// The widget's name and id (`address-street`).
    pub(crate) name: String,
    /// The widget's id.
    pub(crate) id: String,
    /// The form's CSRF token field (WTForms' `CSRFTokenField`).
    pub(crate) csrf: bool,
}

impl FieldView {
    /// WTForms' `_value()`: what the widget shows.
    fn shown_value(&self) -> String {
        if let Some(first) = self.state.raw.as_ref().and_then(|r| r.first()) {
            return first.clone();
        }
        match (&self.state.data, self.spec.kind) {
            (Json::String(s), FieldKind::DateTimeLocal) => s.get(..16).unwrap_or(s).to_owned(),
            (Json::String(s), FieldKind::Time) => s.get(..5).unwrap_or(s).to_owned(),
            (data, _) => value_text(data),
        }
    }

    fn is_selected(&self, value: &str) -> bool {
        match &self.state.data {
            Json::Array(values) => values.iter().any(|v| value_text(v) == value),
            data => value_text(data) == value,
        }
    }

    /// The widget, with `extra` attributes over `render_kw` and the defaults.
    pub(crate) fn widget(&self, extra: &BTreeMap<String, Attr>) -> String {
        let spec = &self.spec;
        let mut attrs: BTreeMap<String, Attr> = BTreeMap::new();
        attrs.insert("id".into(), Attr::Text(self.id.clone()));
        for (k, v) in flags(spec) {
            if validation_attrs(spec.kind).contains(&k) {
                attrs.insert(k.into(), v);
            }
        }
        for (k, v) in &spec.render_kw {
            attrs.insert(k.clone(), Attr::Text(v.clone()));
        }
        for (k, v) in extra {
            attrs.insert(k.clone(), v.clone());
        }
        let name = self.name.as_str();
        match spec.kind {
            FieldKind::TextArea => {
                attrs.insert("name".into(), Attr::Text(name.into()));
                format!(
                    "<textarea {}>\r\n{}</textarea>",
                    html_params(&attrs),
                    escape(&self.shown_value())
                )
            }
            FieldKind::Select | FieldKind::SelectMultiple => {
                attrs.insert("name".into(), Attr::Text(name.into()));
                if spec.kind == FieldKind::SelectMultiple {
                    attrs.insert("multiple".into(), Attr::Flag(true));
                }
                let mut html = format!("<select {}>", html_params(&attrs));
                for (value, label) in self.state.choices(spec) {
                    let mut o = BTreeMap::new();
                    o.insert("value".to_owned(), Attr::Text(value.clone()));
                    if self.is_selected(value) {
                        o.insert("selected".to_owned(), Attr::Flag(true));
                    }
                    let _ = write!(
                        html,
                        "<option {}>{}</option>",
                        html_params(&o),
                        escape(label)
                    );
                }
                html.push_str("</select>");
                html
            }
            FieldKind::Radio => {
                let mut ul = BTreeMap::new();
                ul.insert("id".to_owned(), Attr::Text(self.id.clone()));
                for (k, v) in extra {
                    ul.insert(k.clone(), v.clone());
                }
                let mut html = format!("<ul {}>", html_params(&ul));
                for (i, (value, label)) in self.state.choices(spec).iter().enumerate() {
                    let _ = write!(html, "<li>{}</li>", self.radio_option(i, value, label));
                }
                html.push_str("</ul>");
                html
            }
            kind => {
                attrs.insert("name".into(), Attr::Text(name.into()));
                attrs
                    .entry("type".into())
                    .or_insert_with(|| Attr::Text(kind.input_type().into()));
                match kind {
                    FieldKind::Boolean => {
                        let value = self
                            .state
                            .raw
                            .as_ref()
                            .and_then(|r| r.first())
                            .filter(|v| !v.is_empty())
                            .cloned()
                            .unwrap_or_else(|| "y".to_owned());
                        attrs.entry("value".into()).or_insert(Attr::Text(value));
                        if self.state.data == Json::Bool(true) {
                            attrs.entry("checked".into()).or_insert(Attr::Flag(true));
                        }
                    }
                    FieldKind::Submit => {
                        attrs
                            .entry("value".into())
                            .or_insert_with(|| Attr::Text(spec.label.clone()));
                    }
                    FieldKind::File | FieldKind::MultipleFiles => {
                        // A file input shows no value (browsers ignore one anyway).
                        if kind == FieldKind::MultipleFiles {
                            attrs.insert("multiple".into(), Attr::Flag(true));
                        }
                    }
                    FieldKind::Password => {
                        attrs
                            .entry("value".into())
                            .or_insert_with(|| Attr::Text(String::new()));
                    }
                    FieldKind::Decimal | FieldKind::Float => {
                        attrs
                            .entry("step".into())
                            .or_insert_with(|| Attr::Text("any".into()));
                        attrs
                            .entry("value".into())
                            .or_insert_with(|| Attr::Text(self.shown_value()));
                    }
                    _ => {
                        attrs
                            .entry("value".into())
                            .or_insert_with(|| Attr::Text(self.shown_value()));
                    }
                }
                format!("<input {}>", html_params(&attrs))
            }
        }
    }

    fn radio_option(&self, i: usize, value: &str, label: &str) -> String {
        let id = format!("{}-{i}", self.id);
        let mut attrs = BTreeMap::new();
        attrs.insert("id".to_owned(), Attr::Text(id.clone()));
        attrs.insert("name".to_owned(), Attr::Text(self.name.clone()));
        attrs.insert("type".to_owned(), Attr::Text("radio".into()));
        attrs.insert("value".to_owned(), Attr::Text(value.into()));
        if self.is_selected(value) {
            attrs.insert("checked".to_owned(), Attr::Flag(true));
        }
        if self
            .spec
            .validators
            .iter()
            .any(|v| matches!(v, Validator::DataRequired(_) | Validator::InputRequired(_)))
        {
            attrs.insert("required".to_owned(), Attr::Flag(true));
        }
        format!(
            "<input {}> <label for=\"{}\">{}</label>",
            html_params(&attrs),
            escape(&id),
            escape(label)
        )
    }

    fn type_name(&self) -> &'static str {
        if self.csrf {
            return "CSRFTokenField";
        }
        match self.spec.kind {
            FieldKind::String => "StringField",
            FieldKind::TextArea => "TextAreaField",
            FieldKind::Password => "PasswordField",
            FieldKind::Hidden => "HiddenField",
            FieldKind::Email => "EmailField",
            FieldKind::Url => "URLField",
            FieldKind::Search => "SearchField",
            FieldKind::Tel => "TelField",
            FieldKind::Integer => "IntegerField",
            FieldKind::Decimal => "DecimalField",
            FieldKind::Float => "FloatField",
            FieldKind::Boolean => "BooleanField",
            FieldKind::Select => "SelectField",
            FieldKind::SelectMultiple => "SelectMultipleField",
            FieldKind::Radio => "RadioField",
            FieldKind::Date => "DateField",
            FieldKind::DateTimeLocal => "DateTimeLocalField",
            FieldKind::Time => "TimeField",
            FieldKind::Submit => "SubmitField",
            FieldKind::File => "FileField",
            FieldKind::MultipleFiles => "MultipleFileField",
            FieldKind::Form => "FormField",
            FieldKind::List => "FieldList",
        }
    }
}

/// Keyword arguments of a template call as attributes.
fn kwargs_attrs(args: &[Value]) -> Result<BTreeMap<String, Attr>, Error> {
    let mut out = BTreeMap::new();
    let Some(last) = args.last() else {
        return Ok(out);
    };
    let kwargs = Kwargs::try_from(last.clone()).map_err(|_| {
        Error::new(
            ErrorKind::InvalidOperation,
            "a form field takes keyword arguments only: form.email(class_=\"x\")",
        )
    })?;
    for key in kwargs.args() {
        let v: Value = kwargs.get(key)?;
        let attr = match v.as_str() {
            Some(s) => Attr::Text(s.to_owned()),
            None if v.kind() == flask::minijinja::value::ValueKind::Bool => Attr::Flag(v.is_true()),
            None if v.is_none() || v.is_undefined() => Attr::Flag(false),
            None => Attr::Text(v.to_string()),
        };
        out.insert(key.to_owned(), attr);
    }
    Ok(out)
}

fn html(s: String) -> Value {
    Value::from_safe_string(s)
}

impl Object for FieldView {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Plain
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        Some(match key.as_str()? {
            "name" => Value::from(self.name.clone()),
            "short_name" => Value::from(self.spec.name),
            "id" => Value::from(self.id.clone()),
            "label" => label_value(&self.id, &self.spec.label),
            "errors" => Value::from(self.state.errors.clone()),
            "data" => Value::from_serialize(&self.state.data),
            "raw_data" => Value::from_serialize(&self.state.raw),
            "description" => Value::from(self.spec.description.clone()),
            "type" => Value::from(self.type_name()),
            "choices" => Value::from_serialize(self.state.choices(&self.spec)),
            "flags" => {
                let map: BTreeMap<&str, Value> = flags(&self.spec)
                    .into_iter()
                    .map(|(k, v)| {
                        let v = match v {
                            Attr::Flag(b) => Value::from(b),
                            Attr::Text(t) => Value::from(t),
                        };
                        (k, v)
                    })
                    .collect();
                Value::from_serialize(map)
            }
            _ => return None,
        })
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        if self.spec.kind != FieldKind::Radio {
            return Enumerator::NonEnumerable;
        }
        let options: Vec<Value> = self
            .state
            .choices(&self.spec)
            .iter()
            .enumerate()
            .map(|(i, (value, label))| {
                Value::from_object(RadioOption {
                    field: self.clone(),
                    index: i,
                    value: value.clone(),
                    label: label.clone(),
                })
            })
            .collect();
        Enumerator::Values(options)
    }

    fn call(self: &Arc<Self>, _state: &State<'_, '_>, args: &[Value]) -> Result<Value, Error> {
        Ok(html(self.widget(&kwargs_attrs(args)?)))
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        match method {
            "__html__" | "__call__" => Ok(html(self.widget(&kwargs_attrs(args)?))),
            _ => Err(Error::from(ErrorKind::UnknownMethod)),
        }
    }
}

/// A field's label in templates (`form.field.label`): prints as `<label for=..>`, has
/// `text` and `field_id`, and takes other text and attributes
/// (`label("Other text", class_="x")`), as WTForms' `Label`. Nested forms and lists have one
/// too.
#[derive(Debug)]
struct LabelView {
    field_id: String,
    text: String,
}

/// `<label for="id" ...>text</label>`, attributes sorted as WTForms writes them.
fn label_html(field_id: &str, text: &str, extra: &BTreeMap<String, Attr>) -> String {
    let mut attrs = BTreeMap::new();
    attrs.insert("for".to_owned(), Attr::Text(field_id.to_owned()));
    for (k, v) in extra {
        let k = if k == "for_" {
            "for".to_owned()
        } else {
            k.clone()
        };
        attrs.insert(k, v.clone());
    }
    format!("<label {}>{}</label>", html_params(&attrs), escape(text))
}

fn label_value(field_id: &str, text: &str) -> Value {
    Value::from_object(LabelView {
        field_id: field_id.to_owned(),
        text: text.to_owned(),
    })
}

impl Object for LabelView {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Plain
    }

    /// As text (`~`, `|string`, `|striptags`): the same `<label>` as printed.
    fn render(self: &Arc<Self>, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result
    where
        Self: Sized + 'static,
    {
        f.write_str(&label_html(&self.field_id, &self.text, &BTreeMap::new()))
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        match key.as_str()? {
            "text" => Some(Value::from(self.text.clone())),
            "field_id" => Some(Value::from(self.field_id.clone())),
            _ => None,
        }
    }

    fn call(self: &Arc<Self>, _state: &State<'_, '_>, args: &[Value]) -> Result<Value, Error> {
        // `label("Other text", class_="x")` or `label(class_="x")`.
        let text = args.first().and_then(Value::as_str).map(str::to_owned);
        let rest = if text.is_some() { &args[1..] } else { args };
        Ok(html(label_html(
            &self.field_id,
            text.as_deref().unwrap_or(&self.text),
            &kwargs_attrs(rest)?,
        )))
    }

    fn call_method(
        self: &Arc<Self>,
        state: &State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        match method {
            "__html__" => self.call(state, args),
            _ => Err(Error::from(ErrorKind::UnknownMethod)),
        }
    }
}

/// One option of a radio field, when templates loop over it.
#[derive(Debug)]
struct RadioOption {
    field: Arc<FieldView>,
    index: usize,
    value: String,
    label: String,
}

impl Object for RadioOption {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Plain
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let id = format!("{}-{}", self.field.id, self.index);
        Some(match key.as_str()? {
            "id" => Value::from(id),
            "data" => Value::from(self.value.clone()),
            "checked" => Value::from(self.field.is_selected(&self.value)),
            "label" => html(format!(
                "<label for=\"{}\">{}</label>",
                escape(&id),
                escape(&self.label)
            )),
            _ => return None,
        })
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &State<'_, '_>,
        method: &str,
        _args: &[Value],
    ) -> Result<Value, Error> {
        match method {
            "__html__" => {
                let full = self
                    .field
                    .radio_option(self.index, &self.value, &self.label);
                // The input alone; its label is `option.label`.
                Ok(html(full.split(" <label").next().unwrap_or("").to_owned()))
            }
            _ => Err(Error::from(ErrorKind::UnknownMethod)),
        }
    }

    fn call(self: &Arc<Self>, state: &State<'_, '_>, _args: &[Value]) -> Result<Value, Error> {
        self.call_method(state, "__html__", &[])
    }
}

/// What `{{ value }}` writes for a template object (its `__html__`) or a plain value.
fn html_of(state: &State<'_, '_>, value: &Value) -> Result<String, Error> {
    if value.as_object().is_some() {
        Ok(value.call_method(state, "__html__", &[])?.to_string())
    } else {
        Ok(value.to_string())
    }
}

/// A form as templates see it: the whole form, or one nested in it.
#[derive(Debug)]
pub(crate) struct FormView {
    /// Its fields, nested forms and lists, by name, in order.
    pub(crate) items: Vec<(&'static str, Value)>,
    /// Its hidden fields, for `hidden_tag()`.
    pub(crate) hidden: Vec<Arc<FieldView>>,
    pub(crate) csrf: Option<Arc<FieldView>>,
    pub(crate) errors: BTreeMap<String, Vec<String>>,
    pub(crate) form_errors: Vec<String>,
    /// A nested form's id and label: `{{ form.address }}` renders it as a table.
    pub(crate) nested: Option<(String, String)>,
}

impl FormView {
    fn hidden_tag(&self) -> String {
        self.csrf
            .iter()
            .chain(self.hidden.iter())
            .map(|f| f.widget(&BTreeMap::new()))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// WTForms' `TableWidget`: a row per field, hidden fields inside the next row.
    fn table(&self, state: &State<'_, '_>) -> Result<String, Error> {
        let (id, _) = self
            .nested
            .as_ref()
            .map_or(("", ""), |(i, l)| (i.as_str(), l.as_str()));
        let mut html = format!("<table id=\"{}\">", escape(id));
        let mut hidden = String::new();
        for (_, value) in &self.items {
            let widget = html_of(state, value)?;
            let hidden_field = value
                .get_attr("type")
                .ok()
                .is_some_and(|t| t.as_str() == Some("HiddenField"));
            if hidden_field {
                hidden.push_str(&widget);
                continue;
            }
            let label = match value.get_attr("label") {
                Ok(l) if !l.is_undefined() => html_of(state, &l)?,
                _ => String::new(),
            };
            let _ = write!(html, "<tr><th>{label}</th><td>{hidden}{widget}</td></tr>");
            hidden.clear();
        }
        html.push_str(&hidden);
        html.push_str("</table>");
        Ok(html)
    }
}

impl Object for FormView {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Plain
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let key = key.as_str()?;
        match key {
            "errors" => return Some(Value::from_serialize(&self.errors)),
            "form_errors" => return Some(Value::from(self.form_errors.clone())),
            "csrf_token" => return self.csrf.clone().map(Value::from_dyn_object),
            // The token's field also under its configured name (WTF_CSRF_FIELD_NAME).
            name if self.csrf.as_ref().is_some_and(|c| c.name == name) => {
                return self.csrf.clone().map(Value::from_dyn_object);
            }
            "type" if self.nested.is_some() => return Some(Value::from("FormField")),
            "label" => {
                let (id, label) = self.nested.as_ref()?;
                return Some(label_value(id, label));
            }
            _ => {}
        }
        self.items
            .iter()
            .find(|(name, _)| *name == key)
            .map(|(_, v)| v.clone())
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        // `{% for field in form %}`: the fields in order, the CSRF field first.
        let all: Vec<Value> = self
            .csrf
            .iter()
            .map(|f| Value::from_dyn_object(f.clone()))
            .chain(self.items.iter().map(|(_, v)| v.clone()))
            .collect();
        Enumerator::Values(all)
    }

    fn call(self: &Arc<Self>, state: &State<'_, '_>, _args: &[Value]) -> Result<Value, Error> {
        self.call_method(state, "__html__", &[])
    }

    fn call_method(
        self: &Arc<Self>,
        state: &State<'_, '_>,
        method: &str,
        _args: &[Value],
    ) -> Result<Value, Error> {
        match method {
            "hidden_tag" => Ok(html(self.hidden_tag())),
            "__html__" if self.nested.is_some() => Ok(html(self.table(state)?)),
            _ => Err(Error::from(ErrorKind::UnknownMethod)),
        }
    }
}

/// A repeated field (WTForms' `FieldList`) as templates see it: loop over its entries.
#[derive(Debug)]
pub(crate) struct ListView {
    pub(crate) name: String,
    pub(crate) label: String,
    pub(crate) entries: Vec<Value>,
    /// The errors of each entry's fields, by HTML name.
    pub(crate) errors: BTreeMap<String, Vec<String>>,
}

impl Object for ListView {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Plain
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        Some(match key.as_str()? {
            "name" | "id" => Value::from(self.name.clone()),
            "type" => Value::from("FieldList"),
            "entries" => Value::from(self.entries.clone()),
            "errors" => Value::from_serialize(&self.errors),
            "label" => label_value(&self.name, &self.label),
            _ => return None,
        })
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Values(self.entries.clone())
    }

    fn call(self: &Arc<Self>, state: &State<'_, '_>, _args: &[Value]) -> Result<Value, Error> {
        self.call_method(state, "__html__", &[])
    }

    fn call_method(
        self: &Arc<Self>,
        state: &State<'_, '_>,
        method: &str,
        _args: &[Value],
    ) -> Result<Value, Error> {
        if method != "__html__" {
            return Err(Error::from(ErrorKind::UnknownMethod));
        }
        // WTForms' `ListWidget`: `<li>label widget</li>` per entry.
        let mut out = format!("<ul id=\"{}\">", escape(&self.name));
        for entry in &self.entries {
            let label = html_of(state, &entry.get_attr("label")?)?;
            let widget = html_of(state, entry)?;
            let _ = write!(out, "<li>{label} {widget}</li>");
        }
        out.push_str("</ul>");
        Ok(html(out))
    }
}
