//! What a form is made of: its fields, their kinds and validators. `#[derive(Form)]` writes
//! a [`FormSchema`] for a struct; it can also be written by hand with the builders here.

use std::sync::Arc;

/// The kind of a field, WTForms' field classes (and their HTML5 widgets).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FieldKind {
    /// `StringField`: `<input type="text">`.
    String,
    /// `TextAreaField`: `<textarea>`.
    TextArea,
    /// `PasswordField`: `<input type="password">`, never re-rendered with its value.
    Password,
    /// `HiddenField`: `<input type="hidden">`, rendered by `hidden_tag()`.
    Hidden,
    /// `EmailField`: `<input type="email">`.
    Email,
    /// `URLField`: `<input type="url">`.
    Url,
    /// `SearchField`: `<input type="search">`.
    Search,
    /// `TelField`: `<input type="tel">`.
    Tel,
    /// `IntegerField`: `<input type="number">`, an `i64`.
    Integer,
    /// `DecimalField`: `<input type="number" step="any">`, a decimal kept exact (as text).
    Decimal,
    /// `FloatField`: `<input type="number" step="any">`, an `f64`.
    Float,
    /// `BooleanField`: `<input type="checkbox">`.
    Boolean,
    /// `SelectField`: `<select>` with `choices`.
    Select,
    /// `SelectMultipleField`: `<select multiple>`, a list of choices.
    SelectMultiple,
    /// `RadioField`: a list of `<input type="radio">`.
    Radio,
    /// `DateField`: `<input type="date">` (`YYYY-MM-DD`).
    Date,
    /// `DateTimeLocalField`: `<input type="datetime-local">` (`YYYY-MM-DDTHH:MM`).
    DateTimeLocal,
    /// `TimeField`: `<input type="time">` (`HH:MM`).
    Time,
    /// `SubmitField`: `<input type="submit">`; its data says whether it was pressed.
    Submit,
    /// Flask-WTF's `FileField`: `<input type="file">`, a [`FileStorage`](crate::FileStorage).
    File,
    /// `MultipleFileField`: `<input type="file" multiple>`, a list of files.
    MultipleFiles,
    /// `FormField`: another form nested in this one (its fields named `address-street`).
    Form,
    /// `FieldList`: a field repeated (entries named `phones-0`, `phones-1`, ...).
    List,
}

impl FieldKind {
    /// The `type` of its `<input>` (for the kinds rendered as one).
    pub fn input_type(self) -> &'static str {
        match self {
            FieldKind::String => "text",
            FieldKind::Password => "password",
            FieldKind::Hidden => "hidden",
            FieldKind::Email => "email",
            FieldKind::Url => "url",
            FieldKind::Search => "search",
            FieldKind::Tel => "tel",
            FieldKind::Integer | FieldKind::Decimal | FieldKind::Float => "number",
            FieldKind::Boolean => "checkbox",
            FieldKind::Radio => "radio",
            FieldKind::Date => "date",
            FieldKind::DateTimeLocal => "datetime-local",
            FieldKind::Time => "time",
            FieldKind::Submit => "submit",
            FieldKind::File | FieldKind::MultipleFiles => "file",
            FieldKind::Form | FieldKind::List => "",
            FieldKind::TextArea | FieldKind::Select | FieldKind::SelectMultiple => "",
        }
    }

    /// The kind's name in `#[form(kind = "...")]`.
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "string" | "text" => FieldKind::String,
            "textarea" => FieldKind::TextArea,
            "password" => FieldKind::Password,
            "hidden" => FieldKind::Hidden,
            "email" => FieldKind::Email,
            "url" => FieldKind::Url,
            "search" => FieldKind::Search,
            "tel" => FieldKind::Tel,
            "integer" => FieldKind::Integer,
            "decimal" => FieldKind::Decimal,
            "float" => FieldKind::Float,
            "boolean" | "checkbox" => FieldKind::Boolean,
            "select" => FieldKind::Select,
            "select_multiple" => FieldKind::SelectMultiple,
            "radio" => FieldKind::Radio,
            "date" => FieldKind::Date,
            "datetime_local" => FieldKind::DateTimeLocal,
            "time" => FieldKind::Time,
            "submit" => FieldKind::Submit,
            "file" => FieldKind::File,
            "multiple_files" => FieldKind::MultipleFiles,
            "form" => FieldKind::Form,
            _ => return None,
        })
    }

    /// The names `from_name` knows, for error messages.
    pub const NAMES: &'static str = "string, textarea, password, hidden, email, url, search, \
        tel, integer, decimal, float, boolean, select, select_multiple, radio, date, \
        datetime_local, time, submit, file, multiple_files, form";
}

/// A custom check of one field: `Err` with the message to show.
pub type CustomCheck = fn(&crate::forms::FieldRef<'_>) -> Result<(), String>;

/// A validator and its message (WTForms' default when `None`).
#[derive(Clone)]
#[non_exhaustive]
pub enum Validator {
    /// `DataRequired`: the coerced value is there and not empty or blank; stops the chain.
    DataRequired(Option<String>),
    /// `InputRequired`: something was typed (the raw input is not empty); stops the chain.
    InputRequired(Option<String>),
    /// `Optional`: an empty input stops the chain without an error (and clears the field's
    /// errors, a failed conversion's included).
    Optional,
    /// `Length(min, max)` of the text, in characters.
    Length {
        /// At least this many (`None`: no minimum).
        min: Option<usize>,
        /// At most this many (`None`: no maximum).
        max: Option<usize>,
        /// The message.
        message: Option<String>,
    },
    /// `NumberRange(min, max)`.
    NumberRange {
        /// At least.
        min: Option<f64>,
        /// At most.
        max: Option<f64>,
        /// The message.
        message: Option<String>,
    },
    /// `EqualTo(fieldname)`: the same value as another field (a password confirmation).
    EqualTo {
        /// The other field's name.
        other: String,
        /// The message.
        message: Option<String>,
    },
    /// `Email`: an email address (validator's check).
    Email(Option<String>),
    /// `URL`: an absolute URL with a host (validator's check).
    Url(Option<String>),
    /// `Regexp(pattern)`: the whole input matches, as the widget's `pattern` attribute
    /// makes browsers check it (WTForms matches from the start only, and writes no
    /// `pattern`: here server and browser agree).
    Regexp {
        /// The pattern as written.
        source: String,
        /// The pattern, anchored at both ends.
        pattern: Arc<regex::Regex>,
        /// The message.
        message: Option<String>,
    },
    /// `AnyOf(values)`.
    AnyOf {
        /// The allowed values.
        values: Vec<String>,
        /// The message.
        message: Option<String>,
    },
    /// `NoneOf(values)`.
    NoneOf {
        /// The refused values.
        values: Vec<String>,
        /// The message.
        message: Option<String>,
    },
    /// `UUID`.
    Uuid(Option<String>),
    /// `IPAddress(ipv4, ipv6)`.
    IpAddress {
        /// IPv4 addresses pass.
        ipv4: bool,
        /// IPv6 addresses pass.
        ipv6: bool,
        /// The message.
        message: Option<String>,
    },
    /// Flask-WTF's `FileRequired`: a file was chosen; stops the chain.
    FileRequired(Option<String>),
    /// Flask-WTF's `FileAllowed(extensions)`: each file's name ends with one of these
    /// extensions (also the widget's `accept` attribute); stops the chain.
    FileAllowed {
        /// The extensions, without the dot (`"png"`), compared without case.
        extensions: Vec<String>,
        /// The message.
        message: Option<String>,
    },
    /// Flask-WTF's `FileSize(max_size, min_size)`, in bytes, of each file; as in Flask-WTF
    /// its error does not stop the chain (the validators after it still run).
    FileSize {
        /// At most this many bytes.
        max: u64,
        /// At least this many.
        min: u64,
        /// The message.
        message: Option<String>,
    },
    /// A function of yours.
    Custom(CustomCheck),
}

impl std::fmt::Debug for Validator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = match self {
            Validator::DataRequired(_) => "DataRequired",
            Validator::InputRequired(_) => "InputRequired",
            Validator::Optional => "Optional",
            Validator::Length { .. } => "Length",
            Validator::NumberRange { .. } => "NumberRange",
            Validator::EqualTo { .. } => "EqualTo",
            Validator::Email(_) => "Email",
            Validator::Url(_) => "URL",
            Validator::Regexp { .. } => "Regexp",
            Validator::AnyOf { .. } => "AnyOf",
            Validator::NoneOf { .. } => "NoneOf",
            Validator::Uuid(_) => "UUID",
            Validator::IpAddress { .. } => "IPAddress",
            Validator::FileRequired(_) => "FileRequired",
            Validator::FileAllowed { .. } => "FileAllowed",
            Validator::FileSize { .. } => "FileSize",
            Validator::Custom(_) => "Custom",
        };
        f.write_str(name)
    }
}

impl Validator {
    /// `Regexp(pattern)`.
    ///
    /// # Panics
    /// If `pattern` is not a valid regular expression (the derive checks it at compile time).
    pub fn regexp(pattern: &str, message: Option<String>) -> Self {
        let anchored = format!("^(?:{pattern})$");
        let compiled = regex::Regex::new(&anchored)
            .unwrap_or_else(|e| panic!("Regexp({pattern:?}) is not a valid pattern: {e}"));
        Validator::Regexp {
            source: pattern.to_owned(),
            pattern: Arc::new(compiled),
            message,
        }
    }
}

/// What a nested or repeated field holds.
#[derive(Debug, Clone)]
pub(crate) enum Sub {
    /// A nested form's fields.
    Form(fn() -> &'static FormSchema),
    /// The repeated field and how many entries there are at least and at most.
    List {
        entry: Box<FieldSpec>,
        min: usize,
        max: Option<usize>,
    },
}

/// One field: its name (the struct field's), label, kind, validators and choices.
#[derive(Debug, Clone)]
pub struct FieldSpec {
    pub(crate) name: &'static str,
    pub(crate) label: String,
    pub(crate) kind: FieldKind,
    pub(crate) validators: Vec<Validator>,
    pub(crate) choices: Vec<(String, String)>,
    pub(crate) default: Option<serde_json::Value>,
    pub(crate) description: String,
    pub(crate) render_kw: Vec<(String, String)>,
    /// The Rust type is an `Option`: an empty input is `None`.
    pub(crate) optional: bool,
    /// A nested form, or the entry of a list.
    pub(crate) sub: Option<Sub>,
    /// The values an integer field's Rust type holds (`u8`: 0 to 255).
    pub(crate) integer_range: Option<(i128, i128)>,
    /// A choice field whose values are integers (WTForms' `coerce=int`).
    pub(crate) coerce_int: bool,
}

/// `"first_name"` as WTForms labels it: `"First Name"`.
fn default_label(name: &str) -> String {
    name.split('_')
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|first| first.to_uppercase().chain(c).collect::<String>())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

impl FieldSpec {
    /// A field named `name` (the struct field's name, also the HTML `name` and `id`).
    pub fn new(name: &'static str, kind: FieldKind) -> Self {
        FieldSpec {
            name,
            label: default_label(name),
            kind,
            validators: Vec::new(),
            choices: Vec::new(),
            default: None,
            description: String::new(),
            render_kw: Vec::new(),
            optional: false,
            sub: None,
            integer_range: None,
            coerce_int: false,
        }
    }

    /// WTForms' `coerce=int` for a select, select-multiple or radio field: the value sent is
    /// read as an integer (the derive sets it when the Rust type is one).
    pub fn coerce_integer(mut self) -> Self {
        self.coerce_int = true;
        self
    }

    /// The values an integer field's Rust type can hold: another value is "Not a valid
    /// integer value." (the derive sets it for `u8`, `i32`, ...).
    pub fn integer_range(mut self, min: i128, max: i128) -> Self {
        self.integer_range = Some((min, max));
        self
    }

    /// WTForms' `FormField(F)`: the form `F` nested under `name` (its fields are named
    /// `name-field` in HTML, and the data is an `F`).
    pub fn form<F: Form>(name: &'static str) -> Self {
        let mut spec = FieldSpec::new(name, FieldKind::Form);
        spec.sub = Some(Sub::Form(F::schema));
        spec
    }

    /// WTForms' `FieldList(entry)`: `entry` repeated under `name` (entries named `name-0`,
    /// `name-1`, ...; the data is a `Vec`). The entry is a field or a nested form; its
    /// validators apply to each entry.
    pub fn list(name: &'static str, entry: FieldSpec) -> Self {
        let mut spec = FieldSpec::new(name, FieldKind::List);
        spec.label.clone_from(&entry.label);
        spec.sub = Some(Sub::List {
            entry: Box::new(entry),
            min: 0,
            max: None,
        });
        spec
    }

    /// `min_entries` of a list: it shows at least this many entries (a submission with
    /// fewer gets empty ones added, which its validators then check), as WTForms does.
    pub fn min_entries(mut self, n: usize) -> Self {
        if let Some(Sub::List { min, .. }) = &mut self.sub {
            *min = n;
        }
        self
    }

    /// `max_entries` of a list: entries of a submission past this many are dropped, as
    /// WTForms does.
    pub fn max_entries(mut self, n: usize) -> Self {
        if let Some(Sub::List { max, .. }) = &mut self.sub {
            *max = Some(n);
        }
        self
    }

    /// The label's text (WTForms' default: the name, title-cased).
    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
        self
    }

    /// Adds a validator; they run in order.
    pub fn validator(mut self, v: Validator) -> Self {
        self.validators.push(v);
        self
    }

    /// The choices of a select, select-multiple or radio field: `(value, label)`.
    pub fn choices<V: Into<String>, L: Into<String>>(
        mut self,
        choices: impl IntoIterator<Item = (V, L)>,
    ) -> Self {
        self.choices = choices
            .into_iter()
            .map(|(v, l)| (v.into(), l.into()))
            .collect();
        self
    }

    /// The value shown in an unsubmitted form.
    ///
    /// # Panics
    /// If `value` cannot be serialized.
    pub fn default_value(mut self, value: impl serde::Serialize) -> Self {
        self.default = Some(
            serde_json::to_value(value).unwrap_or_else(|e| panic!("default of {}: {e}", self.name)),
        );
        self
    }

    /// A help text (`field.description` in templates).
    pub fn description(mut self, text: impl Into<String>) -> Self {
        self.description = text.into();
        self
    }

    /// An HTML attribute always rendered on the widget (WTForms' `render_kw`).
    pub fn render_kw(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.render_kw.push((name.into(), value.into()));
        self
    }

    /// The Rust field is an `Option<_>`: an empty input is `None` rather than an error
    /// or an empty string.
    pub fn optional_type(mut self) -> Self {
        self.optional = true;
        self
    }

    /// The field's name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The field's kind.
    pub fn kind(&self) -> FieldKind {
        self.kind
    }
}

/// A form's fields, in order.
#[derive(Debug, Clone)]
pub struct FormSchema {
    pub(crate) fields: Vec<FieldSpec>,
    /// Whether the form carries and checks a CSRF token (on unless `#[form(csrf = false)]`).
    pub(crate) csrf: bool,
}

impl FormSchema {
    /// A form with these fields.
    pub fn new(fields: Vec<FieldSpec>) -> Self {
        FormSchema { fields, csrf: true }
    }

    /// No CSRF field (Flask-WTF's `meta.csrf = False`), for forms that are not posted by a
    /// browser session, such as a search form sent with GET.
    pub fn without_csrf(mut self) -> Self {
        self.csrf = false;
        self
    }

    /// The fields.
    pub fn fields(&self) -> &[FieldSpec] {
        &self.fields
    }
}

/// A form: a struct whose fields are the form's, with a [`FormSchema`].
/// `#[derive(flask_wtf::Form)]` implements it; the struct also derives `Serialize` and
/// `Deserialize` (the typed data comes from the coerced inputs through serde).
pub trait Form: serde::Serialize + serde::de::DeserializeOwned + Send + Sync + 'static {
    /// The form's fields, made once.
    fn schema() -> &'static FormSchema;
}
