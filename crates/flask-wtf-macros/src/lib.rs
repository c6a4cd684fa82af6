//! `#[derive(Form)]` for flask-wtf. Use it through `flask_wtf::Form`.

mod attrs;
mod kind;

use proc_macro::TokenStream;
use proc_macro2::TokenStream as Tokens;
use quote::{format_ident, quote};
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{Data, DataStruct, DeriveInput, Error, Fields};

/// Implements `flask_wtf::Form` for a struct with named fields: each field is a form field
/// (WTForms' `class SignupForm(FlaskForm)`), its data read through serde, so the struct also
/// derives `Serialize` and `Deserialize`.
///
/// ```ignore
/// #[derive(flask_wtf::Form, serde::Serialize, serde::Deserialize)]
/// struct Signup {
///     #[form(label = "Email address", kind = "email", validate(data_required, email))]
///     email: String,
///     #[form(kind = "password", validate(data_required, length(min = 8, max = 64)))]
///     password: String,
///     #[form(label = "Repeat password", kind = "password", validate(equal_to = "password"))]
///     confirm: String,
///     #[form(validate(optional, number_range(min = 13, max = 130)))]
///     age: Option<i64>,
///     #[form(kind = "select", choices = [("en", "English"), ("fr", "French")])]
///     language: String,
///     #[form(default = true, description = "Monthly news", render_kw(class_ = "check"))]
///     newsletter: bool,
///     #[form(skip)]
///     #[serde(default)]
///     id: i64,
/// }
/// ```
///
/// On the struct, `#[form(csrf = false)]` leaves the CSRF token out (Flask-WTF's
/// `meta.csrf = False`), for a search form sent with GET.
///
/// On a field, `#[form(...)]` takes (several attributes add up):
/// - `label = "..."`: the label (default: the name, title-cased: `first_name` is
///   "First Name").
/// - `kind = "..."`: string (or text), textarea, password, hidden, email, url, search, tel,
///   integer, decimal, float, boolean (or checkbox), select, select_multiple, radio, date,
///   datetime_local, time, submit. Without it the kind comes from the type: `String` is a
///   string, `bool` a boolean, the integer types an integer, `f32`/`f64` a float, `Decimal` a
///   decimal, `NaiveDate` a date, `NaiveDateTime` a datetime_local, `NaiveTime` a time,
///   `Vec<String>` a select_multiple, `Option<T>` the kind of `T`, empty when nothing is
///   typed.
/// - `validate(...)`: validators, run in order:
///   `data_required`, `input_required`, `optional`, `length(min = N, max = N)`,
///   `number_range(min = X, max = X)`, `equal_to = "field"`, `email`, `url`,
///   `regexp = "pattern"` (the whole input matches; checked at compile time),
///   `any_of = ["a", "b"]`, `none_of = ["a", "b"]`, `uuid`,
///   `ip_address` or `ip_address(ipv4 = bool, ipv6 = bool)` (IPv4 only by default),
///   `custom = path` (a `fn(&flask_wtf::FieldRef<'_>) -> Result<(), String>`).
///   Each takes a `message = "..."` in the parenthesised form: `email(message = "...")`,
///   `length(min = 1, message = "...")`, `equal_to(other = "field", message = "...")`,
///   `regexp(pattern = "...", message = "...")`, `any_of(values = [...], message = "...")`.
/// - `choices = [("value", "Label"), ...]` (any expression iterating over pairs): the
///   choices of a select, select_multiple or radio field.
/// - `default = expr`: the value of an unsubmitted form (anything `Serialize`).
/// - `description = "..."`: a help text.
/// - `render_kw(name = "value", ...)`: HTML attributes always rendered; a trailing `_` is
///   dropped (`class_`), `data_toggle` is rendered `data-toggle`.
/// - `skip`: not a form field (serde fills it, with `#[serde(default)]` say).
///
/// Generic structs are not supported.
#[proc_macro_derive(Form, attributes(form))]
pub fn derive_form(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as DeriveInput);
    match expand(input) {
        Ok(tokens) => tokens.into(),
        Err(e) => e.to_compile_error().into(),
    }
}

/// Adds `error` to the ones found so far.
fn push_error(errors: &mut Option<Error>, error: Error) {
    match errors {
        Some(e) => e.combine(error),
        None => *errors = Some(error),
    }
}

/// The `impl ::flask_wtf::Form` of a struct, or every error found in its attributes.
fn expand(input: DeriveInput) -> syn::Result<Tokens> {
    let DeriveInput {
        attrs,
        ident,
        generics,
        data,
        ..
    } = input;
    serde_rename(&attrs)?;
    let named = match data {
        Data::Struct(DataStruct {
            fields: Fields::Named(named),
            ..
        }) => named.named,
        Data::Struct(DataStruct {
            fields: Fields::Unnamed(fields),
            ..
        }) => return Err(not_named(fields.span())),
        Data::Struct(_) => return Err(not_named(ident.span())),
        Data::Enum(e) => return Err(not_named(e.enum_token.span)),
        Data::Union(u) => return Err(not_named(u.union_token.span)),
    };
    if !generics.params.is_empty() {
        return Err(Error::new_spanned(
            &generics,
            "#[derive(Form)] does not support generic structs",
        ));
    }
    let mut errors = None;
    let csrf = match attrs::struct_attrs(&attrs) {
        Ok(s) => s.csrf,
        Err(e) => {
            push_error(&mut errors, e);
            true
        }
    };
    let mut names = Vec::new();
    let mut equal_to = Vec::new();
    let mut specs = Vec::new();
    for field in &named {
        match field_spec(field) {
            Ok(Some((name, spec, refs))) => {
                names.push(name);
                specs.push(spec);
                equal_to.extend(refs);
            }
            Ok(None) => {}
            Err(e) => push_error(&mut errors, e),
        }
    }
    for other in equal_to {
        if !names.contains(&other.value()) {
            push_error(
                &mut errors,
                Error::new(
                    other.span(),
                    format!(
                        "`equal_to` names {:?}, not a field of this form (its fields: {})",
                        other.value(),
                        names.join(", ")
                    ),
                ),
            );
        }
    }
    if let Some(e) = errors {
        return Err(e);
    }
    let csrf = if csrf {
        Tokens::new()
    } else {
        quote!(.without_csrf())
    };
    let where_clause = &generics.where_clause;
    Ok(quote! {
        impl ::flask_wtf::Form for #ident #where_clause {
            fn schema() -> &'static ::flask_wtf::FormSchema {
                static SCHEMA: ::std::sync::OnceLock<::flask_wtf::FormSchema> =
                    ::std::sync::OnceLock::new();
                SCHEMA.get_or_init(|| {
                    ::flask_wtf::FormSchema::new(::std::vec![#(#specs),*])
                    #csrf
                })
            }
        }
    })
}

fn not_named(span: proc_macro2::Span) -> Error {
    Error::new(span, "#[derive(Form)] needs a struct with named fields")
}

/// One field's `::flask_wtf::FieldSpec` expression, with its name and the fields its
/// `equal_to` validators name; `None` for a skipped field.
/// A `#[serde(rename...)]` among `attrs`: form fields are bound by their Rust names.
fn serde_rename(attrs: &[syn::Attribute]) -> syn::Result<()> {
    for attr in attrs.iter().filter(|a| a.path().is_ident("serde")) {
        let text = quote!(#attr).to_string();
        if text.contains("rename") || text.contains("alias") || text.contains("flatten") {
            return Err(Error::new_spanned(
                attr,
                "a form binds its fields by their Rust names (the HTML names): \
                 #[serde(rename / rename_all / alias / flatten)] would not bind; rename the field",
            ));
        }
    }
    Ok(())
}

fn field_spec(field: &syn::Field) -> syn::Result<Option<(String, Tokens, Vec<syn::LitStr>)>> {
    let attrs = attrs::field_attrs(field)?;
    if attrs.skip {
        return Ok(None);
    }
    serde_rename(&field.attrs)?;
    let name = field
        .ident
        .as_ref()
        .map(|i| i.unraw().to_string())
        .unwrap_or_default();
    // A list repeats its entry: the kind, validators and choices are the entry's.
    let (ty, list) = match &attrs.list {
        Some((min, max, span)) => match kind::vec_inner(&field.ty) {
            Some(inner) => (inner, Some((*min, *max))),
            None => {
                return Err(Error::new(
                    *span,
                    "a `list` field is a Vec of its entries: Vec<String>, Vec<Address>, ...",
                ));
            }
        },
        None => (&field.ty, None),
    };
    let spec = if attrs.kind == Some("Form") {
        if kind::option_inner(ty).is_some() {
            return Err(Error::new_spanned(
                ty,
                "a nested form cannot be optional: its fields decide what is required",
            ));
        }
        if !attrs.validators.is_empty() || attrs.choices.is_some() || attrs.default.is_some() {
            return Err(Error::new_spanned(
                ty,
                "a nested form takes no validators, choices or default: put them on its \
                 own fields",
            ));
        }
        let mut spec = quote!(::flask_wtf::FieldSpec::form::<#ty>(#name));
        if let Some(label) = &attrs.label {
            spec.extend(quote!(.label(#label)));
        }
        if let Some(description) = &attrs.description {
            spec.extend(quote!(.description(#description)));
        }
        spec
    } else {
        let (variant, optional) = match attrs.kind {
            Some(variant) => (variant, kind::option_inner(ty).is_some()),
            None => kind::infer(ty).ok_or_else(|| {
                Error::new_spanned(
                    ty,
                    format!(
                        "cannot tell the form field kind of `{name}: {}`; add #[form(kind = \
                         \"...\")] (one of: {})",
                        kind::type_text(ty),
                        kind::NAMES
                    ),
                )
            })?,
        };
        if let Some((_, span)) = &attrs.choices
            && !kind::has_choices(variant)
        {
            return Err(Error::new(
                *span,
                "choices are for select, select_multiple and radio fields: add \
                 #[form(kind = \"select\")]",
            ));
        }
        let variant = format_ident!("{variant}");
        let mut spec = quote!(::flask_wtf::FieldSpec::new(#name, ::flask_wtf::FieldKind::#variant));
        if let Some(label) = &attrs.label {
            spec.extend(quote!(.label(#label)));
        }
        for v in &attrs.validators {
            spec.extend(quote!(.validator(#v)));
        }
        if let Some((choices, _)) = &attrs.choices {
            spec.extend(quote!(.choices(#choices)));
        }
        if let Some(default) = &attrs.default {
            spec.extend(quote!(.default_value(#default)));
        }
        if let Some(description) = &attrs.description {
            spec.extend(quote!(.description(#description)));
        }
        for (key, value) in &attrs.render_kw {
            spec.extend(quote!(.render_kw(#key, #value)));
        }
        if optional {
            spec.extend(quote!(.optional_type()));
        }
        if (variant == "Select" || variant == "Radio" || variant == "SelectMultiple")
            && kind::integer_choices(ty)
        {
            spec.extend(quote!(.coerce_integer()));
        }
        if variant == "Integer"
            && let Some(int) = kind::bounded_integer(ty)
        {
            let int = format_ident!("{int}");
            spec.extend(quote!(.integer_range(
                ::std::primitive::#int::MIN as i128,
                ::std::primitive::#int::MAX as i128
            )));
        }
        spec
    };
    let spec = match list {
        None => spec,
        Some((min, max)) => {
            let mut list = quote!(::flask_wtf::FieldSpec::list(#name, #spec));
            if let Some(min) = min {
                list.extend(quote!(.min_entries(#min)));
            }
            if let Some(max) = max {
                list.extend(quote!(.max_entries(#max)));
            }
            list
        }
    };
    Ok(Some((name, spec, attrs.equal_to)))
}

#[cfg(test)]
mod tests {
    use super::expand;
    use syn::{DeriveInput, parse_quote};

    /// The expansion as text.
    fn expanded(input: DeriveInput) -> String {
        expand(input).map_or_else(|e| panic!("expected an expansion: {e}"), |t| t.to_string())
    }

    /// The first error's message.
    fn error(input: DeriveInput) -> String {
        match expand(input) {
            Ok(t) => panic!("expected an error, got {t}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn signup_form() {
        let out = expanded(parse_quote! {
            #[form(csrf = false)]
            struct Signup {
                #[form(label = "Email address", kind = "email", validate(data_required, email))]
                email: String,
                #[form(kind = "password", validate(data_required(message = "Type a password"), length(min = 8, max = 64)))]
                password: String,
                #[form(label = "Repeat password", kind = "password", validate(equal_to = "password"))]
                confirm: String,
                #[form(validate(optional, number_range(min = 13, max = 130)))]
                age: Option<i64>,
                #[form(kind = "select", choices = [("en", "English"), ("fr", "French")])]
                language: String,
                #[form(default = true, description = "Monthly news", render_kw(class_ = "check", data_toggle = "x"))]
                newsletter: bool,
                #[form(validate(regexp = "[a-z]+", any_of = ["a", "b"], none_of(values = ["root"], message = "Taken"), uuid, ip_address, ip_address(ipv4 = false, ipv6 = true), url, input_required, custom = crate::check_name))]
                #[form(validate(number_range(min = -1.5, message = "low")))]
                other: String,
                #[form(skip)]
                id: i64,
            }
        });
        for part in [
            "impl :: flask_wtf :: Form for Signup",
            "static SCHEMA : :: std :: sync :: OnceLock < :: flask_wtf :: FormSchema >",
            ":: flask_wtf :: FieldSpec :: new (\"email\" , :: flask_wtf :: FieldKind :: Email) \
             . label (\"Email address\") \
             . validator (:: flask_wtf :: Validator :: DataRequired (:: std :: option :: Option :: None)) \
             . validator (:: flask_wtf :: Validator :: Email (:: std :: option :: Option :: None))",
            ":: flask_wtf :: FieldKind :: Password",
            "DataRequired (:: std :: option :: Option :: Some (:: std :: string :: String :: from (\"Type a password\")))",
            "Length { min : :: std :: option :: Option :: Some (8usize) , max : :: std :: option :: Option :: Some (64usize)",
            "EqualTo { other : :: std :: string :: String :: from (\"password\")",
            "FieldSpec :: new (\"age\" , :: flask_wtf :: FieldKind :: Integer) \
             . validator (:: flask_wtf :: Validator :: Optional) \
             . validator (:: flask_wtf :: Validator :: NumberRange { min : :: std :: option :: Option :: Some (13f64) , max : :: std :: option :: Option :: Some (130f64)",
            "130f64) , message : :: std :: option :: Option :: None }) . optional_type ()",
            "FieldKind :: Select) . choices ([(\"en\" , \"English\") , (\"fr\" , \"French\")])",
            "FieldKind :: Boolean) . default_value (true) . description (\"Monthly news\") \
             . render_kw (\"class\" , \"check\") . render_kw (\"data_toggle\" , \"x\")",
            ":: flask_wtf :: Validator :: regexp (\"[a-z]+\" , :: std :: option :: Option :: None)",
            "AnyOf { values : :: std :: vec ! [:: std :: string :: String :: from (\"a\") , :: std :: string :: String :: from (\"b\")]",
            "NoneOf { values : :: std :: vec ! [:: std :: string :: String :: from (\"root\")] , message : :: std :: option :: Option :: Some (:: std :: string :: String :: from (\"Taken\")) }",
            "Validator :: Uuid (:: std :: option :: Option :: None)",
            "IpAddress { ipv4 : true , ipv6 : false ,",
            "IpAddress { ipv4 : false , ipv6 : true ,",
            "Validator :: Url (",
            "Validator :: InputRequired (",
            "Validator :: Custom (crate :: check_name)",
            "NumberRange { min : :: std :: option :: Option :: Some (- 1.5f64) , max : :: std :: option :: Option :: None",
            ". without_csrf ()",
        ] {
            assert!(out.contains(part), "missing {part}\nin {out}");
        }
        // order: custom (first validate) before number_range (second)
        assert!(out.find("check_name").unwrap() < out.find("- 1.5f64").unwrap());
        assert!(!out.contains("\"id\""), "skipped field in {out}");
        // no label given: none set (the runtime title-cases the name)
        assert!(!out.contains("label (\"Age\")"));
    }

    #[test]
    fn whole_expansion_of_a_small_form() {
        let out = expanded(parse_quote! {
            struct Search {
                q: Option<String>,
                #[form(kind = "textarea")]
                notes: Option<String>,
            }
        });
        let expected = quote::quote! {
            impl ::flask_wtf::Form for Search {
                fn schema() -> &'static ::flask_wtf::FormSchema {
                    static SCHEMA: ::std::sync::OnceLock<::flask_wtf::FormSchema> =
                        ::std::sync::OnceLock::new();
                    SCHEMA.get_or_init(|| {
                        ::flask_wtf::FormSchema::new(::std::vec![
                            ::flask_wtf::FieldSpec::new("q", ::flask_wtf::FieldKind::String)
                                .optional_type(),
                            ::flask_wtf::FieldSpec::new("notes", ::flask_wtf::FieldKind::TextArea)
                                .optional_type()
                        ])
                    })
                }
            }
        };
        assert_eq!(out, expected.to_string());
    }

    #[test]
    fn raw_field_names_and_where_clauses() {
        let out = expanded(parse_quote! {
            struct Ticket where String: Clone {
                #[form(kind = "text", render_kw(r#type = "x"))]
                r#type: String,
            }
        });
        assert!(out.contains("impl :: flask_wtf :: Form for Ticket where String : Clone"));
        assert!(out.contains("FieldSpec :: new (\"type\""), "{out}");
        assert!(out.contains("render_kw (\"type\" , \"x\")"), "{out}");
    }

    #[test]
    fn errors() {
        let cases: Vec<(DeriveInput, &str)> = vec![
            (
                parse_quote!(
                    enum E {
                        A,
                    }
                ),
                "#[derive(Form)] needs a struct with named fields",
            ),
            (
                parse_quote!(
                    struct T(String);
                ),
                "#[derive(Form)] needs a struct with named fields",
            ),
            (
                parse_quote!(
                    struct U;
                ),
                "#[derive(Form)] needs a struct with named fields",
            ),
            (
                parse_quote!(
                    struct G<T> {
                        t: T,
                    }
                ),
                "#[derive(Form)] does not support generic structs",
            ),
            (
                parse_quote!(
                    struct F {
                        #[form(kind = "number")]
                        n: i64,
                    }
                ),
                "unknown field kind \"number\": use one of string, textarea,",
            ),
            (
                parse_quote!(
                    struct F {
                        #[form(lable = "N")]
                        n: i64,
                    }
                ),
                "unknown form attribute `lable`: use label = ",
            ),
            (
                parse_quote!(
                    #[form(csrf = "no")]
                    struct F {
                        n: i64,
                    }
                ),
                "expected boolean literal",
            ),
            (
                parse_quote!(
                    #[form(crsf = false)]
                    struct F {
                        n: i64,
                    }
                ),
                "unknown form attribute `crsf` on the struct: use csrf = false",
            ),
            (
                parse_quote!(
                    struct F {
                        #[form(validate(required))]
                        n: i64,
                    }
                ),
                "unknown validator `required`: use data_required, input_required,",
            ),
            (
                parse_quote!(
                    struct F {
                        #[form(validate(length(message = "x")))]
                        n: String,
                    }
                ),
                "`length` needs min, max or both",
            ),
            (
                parse_quote!(
                    struct F {
                        #[form(validate(number_range()))]
                        n: i64,
                    }
                ),
                "`number_range` needs min, max or both",
            ),
            (
                parse_quote!(
                    struct F {
                        #[form(validate(length))]
                        n: String,
                    }
                ),
                "`length` needs bounds: write length(min = N, max = N, message = \"...\")",
            ),
            (
                parse_quote!(
                    struct F {
                        #[form(validate(length(min = 3, max = 2)))]
                        n: String,
                    }
                ),
                "`length` has max below min",
            ),
            (
                parse_quote!(
                    struct F {
                        #[form(validate(length(min = -1)))]
                        n: String,
                    }
                ),
                "expected a number of characters (a usize literal)",
            ),
            (
                parse_quote!(
                    struct F {
                        #[form(validate(length(min = 1.5)))]
                        n: String,
                    }
                ),
                "expected integer literal",
            ),
            (
                parse_quote!(
                    struct F {
                        #[form(validate(number_range(min = MIN)))]
                        n: i64,
                    }
                ),
                "expected integer literal or floating point literal",
            ),
            (
                parse_quote!(
                    struct F {
                        #[form(label = LABEL)]
                        n: i64,
                    }
                ),
                "expected string literal",
            ),
            (
                parse_quote!(
                    struct F {
                        #[form(validate(email = "x"))]
                        n: String,
                    }
                ),
                "`email` takes no value",
            ),
            (
                parse_quote!(
                    struct F {
                        #[form(validate(email(msg = "x")))]
                        n: String,
                    }
                ),
                "unknown setting `msg` of `email`: use message = \"...\"",
            ),
            (
                parse_quote!(
                    struct F {
                        #[form(validate(regexp = "(unclosed"))]
                        n: String,
                    }
                ),
                "invalid regular expression",
            ),
            (
                parse_quote!(
                    struct F {
                        #[form(validate(ip_address(ipv4 = false)))]
                        n: String,
                    }
                ),
                "`ip_address` needs ipv4 or ipv6 enabled",
            ),
            (
                parse_quote!(
                    struct F {
                        #[form(validate(equal_to = "pasword"))]
                        n: String,
                        password: String,
                    }
                ),
                "`equal_to` names \"pasword\", not a field of this form (its fields: n, password)",
            ),
            (
                parse_quote!(
                    struct F {
                        #[form(choices = [("a", "A")])]
                        n: String,
                    }
                ),
                "choices are for select, select_multiple and radio fields",
            ),
            (
                parse_quote!(
                    struct F {
                        #[form(skip, label = "N")]
                        n: String,
                    }
                ),
                "a field with #[form(skip)] is not a form field",
            ),
            (
                parse_quote!(
                    struct F {
                        #[form(label = "A", label = "B")]
                        n: String,
                    }
                ),
                "duplicate `label`",
            ),
            (
                parse_quote!(
                    struct F {
                        data: Vec<u8>,
                    }
                ),
                "cannot tell the form field kind of `data: Vec<u8>`; add #[form(kind = \"...\")] \
                 (one of: string, textarea, password,",
            ),
        ];
        for (input, message) in cases {
            let got = error(input);
            assert!(
                got.starts_with(message),
                "expected {message:?}, got {got:?}"
            );
        }
    }

    #[test]
    fn errors_of_several_fields_are_all_reported() {
        let result = expand(parse_quote! {
            struct F {
                a: Vec<u8>,
                #[form(kind = "nope")]
                b: String,
            }
        });
        let Err(e) = result else {
            panic!("expected errors")
        };
        assert_eq!(e.into_iter().count(), 2);
    }
}
