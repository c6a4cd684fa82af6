//! The `#[form(...)]` attributes: what they say, checked, with the validators already turned
//! into `::flask_wtf::Validator` expressions.

use proc_macro2::{Literal, Span, TokenStream as Tokens};
use quote::quote;
use syn::ext::IdentExt;
use syn::meta::ParseNestedMeta;
use syn::parse::ParseStream;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Error, Expr, LitBool, LitInt, LitStr, Token, token};

use crate::kind;

/// The keys of a field's `#[form(...)]`.
const FIELD_KEYS: &str = "label = \"...\", kind = \"...\", validate(...), list(min_entries = N, max_entries = N), choices = [...], \
    default = expr, description = \"...\", render_kw(name = \"value\", ...), skip";

/// The validators `validate(...)` knows.
const VALIDATORS: &str = "data_required, input_required, optional, length(min = N, max = N), \
    number_range(min = X, max = X), equal_to = \"field\", email, url, regexp = \"pattern\", \
    any_of = [...], none_of = [...], uuid, ip_address, file_required, file_allowed = [...], \
    file_size(max = N, min = N), custom = path";

/// What the struct's `#[form(...)]` says.
pub(crate) struct StructAttrs {
    /// `csrf = false`: no CSRF token.
    pub(crate) csrf: bool,
}

/// `#[form(csrf = false)]` on the struct.
pub(crate) fn struct_attrs(attrs: &[syn::Attribute]) -> syn::Result<StructAttrs> {
    let mut out = StructAttrs { csrf: true };
    let mut seen_csrf = false;
    for attr in attrs.iter().filter(|a| a.path().is_ident("form")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("csrf") {
                if seen_csrf {
                    return Err(meta.error("duplicate `csrf`"));
                }
                seen_csrf = true;
                let v: LitBool = meta.value()?.parse()?;
                out.csrf = v.value;
                Ok(())
            } else {
                Err(meta.error(format!(
                    "unknown form attribute `{}` on the struct: use csrf = false",
                    key_name(&meta)
                )))
            }
        })?;
    }
    Ok(out)
}

/// What a field's `#[form(...)]` attributes say.
#[derive(Default)]
pub(crate) struct FieldAttrs {
    /// `skip`: not a form field.
    pub(crate) skip: bool,
    /// The first key other than `skip`, for the error when both are there.
    pub(crate) other_key: Option<Span>,
    pub(crate) label: Option<LitStr>,
    /// The `FieldKind` variant of `kind = "..."`.
    pub(crate) kind: Option<&'static str>,
    /// `::flask_wtf::Validator` expressions, in order.
    pub(crate) validators: Vec<Tokens>,
    /// The fields `equal_to` names, checked against the struct's once all are known.
    pub(crate) equal_to: Vec<LitStr>,
    /// `choices = expr`, and where `choices` was written.
    pub(crate) choices: Option<(Expr, Span)>,
    pub(crate) default: Option<Expr>,
    pub(crate) description: Option<LitStr>,
    /// HTML attribute names and values.
    pub(crate) render_kw: Vec<(String, LitStr)>,
    /// `list(min_entries = N, max_entries = N)`: a repeated field (WTForms' `FieldList`),
    /// and where it was written.
    pub(crate) list: Option<(Option<usize>, Option<usize>, Span)>,
}

/// The key of a nested meta, as written (for messages).
fn key_name(meta: &ParseNestedMeta<'_>) -> String {
    let path = &meta.path;
    quote!(#path).to_string().replace(' ', "")
}

/// The single identifier of a key, without `r#`.
fn key_ident(meta: &ParseNestedMeta<'_>) -> Option<String> {
    meta.path.get_ident().map(|i| i.unraw().to_string())
}

/// The key takes nothing (`skip`, `optional`): errors on `= ...` or `(...)`.
fn no_value(meta: &ParseNestedMeta<'_>, what: &str) -> syn::Result<()> {
    if meta.input.is_empty() || meta.input.peek(Token![,]) {
        Ok(())
    } else {
        Err(meta.error(what))
    }
}

/// `meta.parse_nested_meta(logic)` that also takes empty parentheses: `email()`.
fn nested(
    meta: &ParseNestedMeta<'_>,
    logic: impl FnMut(ParseNestedMeta<'_>) -> syn::Result<()>,
) -> syn::Result<()> {
    fn parens(input: ParseStream<'_>) -> syn::Result<bool> {
        let content;
        syn::parenthesized!(content in input);
        Ok(content.is_empty())
    }
    if parens(&meta.input.fork())? {
        return parens(meta.input).map(drop);
    }
    meta.parse_nested_meta(logic)
}

fn set_once<T>(slot: &mut Option<T>, value: T, meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
    if slot.is_some() {
        return Err(meta.error(format!("duplicate `{}`", key_name(meta))));
    }
    *slot = Some(value);
    Ok(())
}

/// A field's `#[form(...)]` attributes, all of them, in order.
pub(crate) fn field_attrs(field: &syn::Field) -> syn::Result<FieldAttrs> {
    let mut out = FieldAttrs::default();
    for attr in field.attrs.iter().filter(|a| a.path().is_ident("form")) {
        attr.parse_nested_meta(|meta| {
            let key = key_ident(&meta).unwrap_or_default();
            if key != "skip" && out.other_key.is_none() {
                out.other_key = Some(meta.path.span());
            }
            match key.as_str() {
                "skip" => {
                    no_value(&meta, "`skip` takes no value")?;
                    out.skip = true;
                }
                "label" => {
                    let v: LitStr = meta.value()?.parse()?;
                    set_once(&mut out.label, v, &meta)?;
                }
                "kind" => {
                    let v: LitStr = meta.value()?.parse()?;
                    let Some(variant) = kind::from_name(&v.value()) else {
                        return Err(Error::new(
                            v.span(),
                            format!(
                                "unknown field kind {:?}: use one of {}",
                                v.value(),
                                kind::NAMES
                            ),
                        ));
                    };
                    set_once(&mut out.kind, variant, &meta)?;
                }
                "validate" => {
                    if !meta.input.peek(token::Paren) {
                        return Err(meta.error("write validate(validator, ...)"));
                    }
                    nested(&meta, |v| validator(&v, &mut out))?;
                }
                "choices" => {
                    let span = meta.path.span();
                    let v: Expr = meta.value()?.parse()?;
                    set_once(&mut out.choices, (v, span), &meta)?;
                }
                "default" => {
                    let v: Expr = meta.value()?.parse()?;
                    set_once(&mut out.default, v, &meta)?;
                }
                "description" => {
                    let v: LitStr = meta.value()?.parse()?;
                    set_once(&mut out.description, v, &meta)?;
                }
                "list" => {
                    let span = meta.path.span();
                    let (mut min, mut max): (Option<usize>, Option<usize>) = (None, None);
                    if meta.input.peek(token::Paren) {
                        nested(&meta, |m| match key_ident(&m).as_deref() {
                            Some("min_entries") => {
                                let n: LitInt = m.value()?.parse()?;
                                set_once(&mut min, n.base10_parse()?, &m)
                            }
                            Some("max_entries") => {
                                let n: LitInt = m.value()?.parse()?;
                                set_once(&mut max, n.base10_parse()?, &m)
                            }
                            _ => Err(unknown_setting(
                                &m,
                                "list",
                                "min_entries = N, max_entries = N",
                            )),
                        })?;
                    } else {
                        no_value(
                            &meta,
                            "write `list` or list(min_entries = N, max_entries = N)",
                        )?;
                    }
                    if let (Some(lo), Some(hi)) = (min, max)
                        && lo > hi
                    {
                        return Err(meta.error("`list` has max_entries below min_entries"));
                    }
                    set_once(&mut out.list, (min, max, span), &meta)?;
                }
                "render_kw" => {
                    if !meta.input.peek(token::Paren) {
                        return Err(meta.error("write render_kw(name = \"value\", ...)"));
                    }
                    nested(&meta, |kw| {
                        let Some(name) = key_ident(&kw) else {
                            return Err(kw.error("an HTML attribute name is one identifier"));
                        };
                        // `class_` for `class`; the runtime writes `data_toggle` as `data-toggle`
                        let name = name.strip_suffix('_').unwrap_or(&name).to_owned();
                        let input = kw.value()?;
                        let value = if input.peek(LitInt) {
                            let n: LitInt = input.parse()?;
                            LitStr::new(n.base10_digits(), n.span())
                        } else {
                            input.parse()?
                        };
                        out.render_kw.push((name, value));
                        Ok(())
                    })?;
                }
                _ => {
                    return Err(meta.error(format!(
                        "unknown form attribute `{}`: use {FIELD_KEYS}",
                        key_name(&meta)
                    )));
                }
            }
            Ok(())
        })?;
    }
    if out.skip
        && let Some(span) = out.other_key
    {
        return Err(Error::new(
            span,
            "a field with #[form(skip)] is not a form field: it takes no other form attribute",
        ));
    }
    Ok(out)
}

/// How a validator is written: `name`, `name = value` or `name(key = value, ...)`.
enum Shape {
    Bare,
    Value,
    List,
}

fn shape(meta: &ParseNestedMeta<'_>) -> Shape {
    if meta.input.peek(Token![=]) {
        Shape::Value
    } else if meta.input.peek(token::Paren) {
        Shape::List
    } else {
        Shape::Bare
    }
}

/// `Option<String>` of a message.
fn message_tokens(message: Option<&LitStr>) -> Tokens {
    match message {
        Some(m) => quote!(::std::option::Option::Some(::std::string::String::from(#m))),
        None => quote!(::std::option::Option::None),
    }
}

/// `Option<T>` of a literal.
fn option_tokens<T: quote::ToTokens>(value: Option<T>) -> Tokens {
    match value {
        Some(v) => quote!(::std::option::Option::Some(#v)),
        None => quote!(::std::option::Option::None),
    }
}

/// An error naming the keys a validator takes.
fn unknown_setting(meta: &ParseNestedMeta<'_>, validator: &str, keys: &str) -> Error {
    meta.error(format!(
        "unknown setting `{}` of `{validator}`: use {keys}",
        key_name(meta)
    ))
}

/// `name` or `name(message = "...")`.
fn message_only(meta: &ParseNestedMeta<'_>, name: &str) -> syn::Result<Option<LitStr>> {
    match shape(meta) {
        Shape::Bare => Ok(None),
        Shape::Value => Err(meta.error(format!(
            "`{name}` takes no value: write `{name}` or `{name}(message = \"...\")`"
        ))),
        Shape::List => {
            let mut message = None;
            nested(meta, |m| {
                if m.path.is_ident("message") {
                    set_once(&mut message, m.value()?.parse()?, &m)
                } else {
                    Err(unknown_setting(&m, name, "message = \"...\""))
                }
            })?;
            Ok(message)
        }
    }
}

/// `["a", "b"]`.
fn string_list(input: ParseStream<'_>) -> syn::Result<(Vec<LitStr>, Span)> {
    let content;
    let brackets = syn::bracketed!(content in input);
    let list = Punctuated::<LitStr, Token![,]>::parse_terminated(&content)?;
    Ok((list.into_iter().collect(), brackets.span.join()))
}

/// An integer or float literal, maybe negative, as an `f64`.
fn number(input: ParseStream<'_>) -> syn::Result<(f64, Span)> {
    let minus: Option<Token![-]> = input.parse()?;
    let lookahead = input.lookahead1();
    let (value, span) = if lookahead.peek(LitInt) {
        let lit: LitInt = input.parse()?;
        (lit.base10_parse::<f64>()?, lit.span())
    } else if lookahead.peek(syn::LitFloat) {
        let lit: syn::LitFloat = input.parse()?;
        (lit.base10_parse::<f64>()?, lit.span())
    } else {
        return Err(lookahead.error());
    };
    if !value.is_finite() {
        return Err(Error::new(span, "this number is too large for an f64"));
    }
    Ok(match minus {
        Some(m) => (-value, m.span),
        None => (value, span),
    })
}

/// An `f64` as tokens: `-13f64` as `-` and `13f64`.
fn f64_tokens(v: f64) -> Tokens {
    let lit = Literal::f64_suffixed(v.abs());
    if v.is_sign_negative() {
        quote!(-#lit)
    } else {
        quote!(#lit)
    }
}

/// One entry of `validate(...)`, pushed onto `out.validators`.
fn validator(meta: &ParseNestedMeta<'_>, out: &mut FieldAttrs) -> syn::Result<()> {
    let v = quote!(::flask_wtf::Validator);
    let Some(name) = key_ident(meta) else {
        return Err(meta.error(format!(
            "unknown validator `{}`: use {VALIDATORS}",
            key_name(meta)
        )));
    };
    let tokens = match name.as_str() {
        "data_required" | "input_required" | "email" | "url" | "uuid" | "file_required" => {
            let message = message_tokens(message_only(meta, &name)?.as_ref());
            let variant = match name.as_str() {
                "data_required" => quote!(DataRequired),
                "input_required" => quote!(InputRequired),
                "email" => quote!(Email),
                "url" => quote!(Url),
                "file_required" => quote!(FileRequired),
                _ => quote!(Uuid),
            };
            quote!(#v::#variant(#message))
        }
        "file_allowed" => {
            let (values, message) = match shape(meta) {
                Shape::Value => (string_list(meta.value()?)?, None),
                Shape::List => {
                    let (mut values, mut message) = (None, None);
                    nested(meta, |m| match key_ident(&m).as_deref() {
                        Some("extensions") => set_once(&mut values, string_list(m.value()?)?, &m),
                        Some("message") => set_once(&mut message, m.value()?.parse()?, &m),
                        _ => Err(unknown_setting(
                            &m,
                            "file_allowed",
                            "extensions = [\"png\", ...], message = \"...\"",
                        )),
                    })?;
                    let Some(values) = values else {
                        return Err(meta.error("`file_allowed` needs extensions = [\"png\", ...]"));
                    };
                    (values, message)
                }
                Shape::Bare => {
                    return Err(meta.error(
                        "`file_allowed` needs extensions: write file_allowed = [\"png\", ...]",
                    ));
                }
            };
            let (values, span) = values;
            if values.is_empty() {
                return Err(Error::new(
                    span,
                    "`file_allowed` needs at least one extension",
                ));
            }
            let message = message_tokens(message.as_ref());
            quote!(#v::FileAllowed {
                extensions: ::std::vec![#(::std::string::String::from(#values)),*],
                message: #message
            })
        }
        "file_size" => {
            if !matches!(shape(meta), Shape::List) {
                return Err(
                    meta.error("`file_size` needs bounds: write file_size(max = N, min = N)")
                );
            }
            let (mut max, mut min, mut message): (Option<LitInt>, Option<LitInt>, Option<LitStr>) =
                (None, None, None);
            nested(meta, |m| match key_ident(&m).as_deref() {
                Some("max") => set_once(&mut max, m.value()?.parse()?, &m),
                Some("min") => set_once(&mut min, m.value()?.parse()?, &m),
                Some("message") => set_once(&mut message, m.value()?.parse()?, &m),
                _ => Err(unknown_setting(
                    &m,
                    "file_size",
                    "max = N, min = N, message = \"...\"",
                )),
            })?;
            let Some(max) = max else {
                return Err(meta.error("`file_size` needs max = N (bytes)"));
            };
            let max: u64 = max.base10_parse()?;
            let min: u64 = match min {
                Some(min) => min.base10_parse()?,
                None => 0,
            };
            if min > max {
                return Err(meta.error("`file_size` has max below min"));
            }
            let message = message_tokens(message.as_ref());
            quote!(#v::FileSize { max: #max, min: #min, message: #message })
        }
        "optional" => {
            no_value(meta, "`optional` takes no settings: write `optional`")?;
            quote!(#v::Optional)
        }
        "length" | "number_range" => bounds(meta, &name)?,
        "equal_to" => {
            let (other, message) = match shape(meta) {
                Shape::Value => (meta.value()?.parse::<LitStr>()?, None),
                Shape::List => {
                    let (mut other, mut message) = (None, None);
                    nested(meta, |m| match key_ident(&m).as_deref() {
                        Some("other") => set_once(&mut other, m.value()?.parse()?, &m),
                        Some("message") => set_once(&mut message, m.value()?.parse()?, &m),
                        _ => Err(unknown_setting(
                            &m,
                            "equal_to",
                            "other = \"field\", message = \"...\"",
                        )),
                    })?;
                    let Some(other) = other else {
                        return Err(meta.error("`equal_to` needs other = \"field\""));
                    };
                    (other, message)
                }
                Shape::Bare => {
                    return Err(meta.error(
                        "`equal_to` needs the other field: write equal_to = \"field\" or \
                         equal_to(other = \"field\", message = \"...\")",
                    ));
                }
            };
            out.equal_to.push(LitStr::new(&other.value(), other.span()));
            let message = message_tokens(message.as_ref());
            quote!(#v::EqualTo { other: ::std::string::String::from(#other), message: #message })
        }
        "regexp" => {
            let (pattern, message) = match shape(meta) {
                Shape::Value => (meta.value()?.parse::<LitStr>()?, None),
                Shape::List => {
                    let (mut pattern, mut message) = (None, None);
                    nested(meta, |m| match key_ident(&m).as_deref() {
                        Some("pattern") => set_once(&mut pattern, m.value()?.parse()?, &m),
                        Some("message") => set_once(&mut message, m.value()?.parse()?, &m),
                        _ => Err(unknown_setting(
                            &m,
                            "regexp",
                            "pattern = \"...\", message = \"...\"",
                        )),
                    })?;
                    let Some(pattern) = pattern else {
                        return Err(meta.error("`regexp` needs pattern = \"...\""));
                    };
                    (pattern, message)
                }
                Shape::Bare => {
                    return Err(meta.error(
                        "`regexp` needs a pattern: write regexp = \"...\" or \
                         regexp(pattern = \"...\", message = \"...\")",
                    ));
                }
            };
            // what `Validator::regexp` compiles at run time
            if let Err(e) = regex::Regex::new(&format!("^(?:{})$", pattern.value())) {
                return Err(Error::new(
                    pattern.span(),
                    format!("invalid regular expression: {e}"),
                ));
            }
            let message = message_tokens(message.as_ref());
            quote!(#v::regexp(#pattern, #message))
        }
        "any_of" | "none_of" => {
            let (values, message) = match shape(meta) {
                Shape::Value => (string_list(meta.value()?)?, None),
                Shape::List => {
                    let (mut values, mut message) = (None, None);
                    nested(meta, |m| match key_ident(&m).as_deref() {
                        Some("values") => set_once(&mut values, string_list(m.value()?)?, &m),
                        Some("message") => set_once(&mut message, m.value()?.parse()?, &m),
                        _ => Err(unknown_setting(
                            &m,
                            &name,
                            "values = [\"...\", ...], message = \"...\"",
                        )),
                    })?;
                    let Some(values) = values else {
                        return Err(meta.error(format!("`{name}` needs values = [\"...\", ...]")));
                    };
                    (values, message)
                }
                Shape::Bare => {
                    return Err(meta.error(format!(
                        "`{name}` needs values: write {name} = [\"...\", ...] or \
                         {name}(values = [\"...\", ...], message = \"...\")"
                    )));
                }
            };
            let (values, span) = values;
            if name == "any_of" && values.is_empty() {
                return Err(Error::new(span, "`any_of` needs at least one value"));
            }
            let variant = if name == "any_of" {
                quote!(AnyOf)
            } else {
                quote!(NoneOf)
            };
            let message = message_tokens(message.as_ref());
            quote!(#v::#variant {
                values: ::std::vec![#(::std::string::String::from(#values)),*],
                message: #message
            })
        }
        "ip_address" => {
            let (mut ipv4, mut ipv6, mut message) = (None, None, None);
            match shape(meta) {
                Shape::Bare => {}
                Shape::List => nested(meta, |m| match key_ident(&m).as_deref() {
                    Some("ipv4") => set_once(&mut ipv4, m.value()?.parse::<LitBool>()?, &m),
                    Some("ipv6") => set_once(&mut ipv6, m.value()?.parse::<LitBool>()?, &m),
                    Some("message") => set_once(&mut message, m.value()?.parse::<LitStr>()?, &m),
                    _ => Err(unknown_setting(
                        &m,
                        "ip_address",
                        "ipv4 = bool, ipv6 = bool, message = \"...\"",
                    )),
                })?,
                Shape::Value => {
                    return Err(meta.error(
                        "`ip_address` takes no value: write `ip_address` or \
                         ip_address(ipv4 = true, ipv6 = true, message = \"...\")",
                    ));
                }
            }
            // WTForms' IPAddress(ipv4=True, ipv6=False)
            let ipv4_on = ipv4.as_ref().is_none_or(LitBool::value);
            let ipv6_on = ipv6.as_ref().is_some_and(LitBool::value);
            if !ipv4_on && !ipv6_on {
                return Err(meta.error("`ip_address` needs ipv4 or ipv6 enabled"));
            }
            let message = message_tokens(message.as_ref());
            quote!(#v::IpAddress { ipv4: #ipv4_on, ipv6: #ipv6_on, message: #message })
        }
        "custom" => {
            if !matches!(shape(meta), Shape::Value) {
                return Err(meta.error(
                    "`custom` takes a function: write custom = path::to::check, a \
                     fn(&flask_wtf::FieldRef<'_>) -> Result<(), String>",
                ));
            }
            let path: syn::Path = meta.value()?.parse()?;
            quote!(#v::Custom(#path))
        }
        _ => {
            return Err(meta.error(format!(
                "unknown validator `{}`: use {VALIDATORS}",
                key_name(meta)
            )));
        }
    };
    out.validators.push(tokens);
    Ok(())
}

/// A bound of `length` or `number_range`: as an `f64` (to compare min and max), its tokens
/// and where it was written.
type Bound = (f64, Tokens, Span);

/// `length(min = N, max = N, message = "...")` and `number_range(min = X, max = X, ...)`.
fn bounds(meta: &ParseNestedMeta<'_>, name: &str) -> syn::Result<Tokens> {
    let is_length = name == "length";
    let keys = if is_length {
        "min = N, max = N, message = \"...\""
    } else {
        "min = X, max = X, message = \"...\""
    };
    if !matches!(shape(meta), Shape::List) {
        return Err(meta.error(format!("`{name}` needs bounds: write {name}({keys})")));
    }
    let (mut min, mut max): (Option<Bound>, Option<Bound>) = (None, None);
    let mut message: Option<LitStr> = None;
    nested(meta, |m| {
        let key = key_ident(&m);
        let slot = match key.as_deref() {
            Some("min") => &mut min,
            Some("max") => &mut max,
            Some("message") => return set_once(&mut message, m.value()?.parse()?, &m),
            _ => return Err(unknown_setting(&m, name, keys)),
        };
        let input = m.value()?;
        let bound = if is_length {
            let lit: LitInt = input.parse()?;
            let n: usize = lit.base10_parse().map_err(|_| {
                Error::new(
                    lit.span(),
                    "expected a number of characters (a usize literal)",
                )
            })?;
            #[allow(clippy::cast_precision_loss)] // only to compare min and max
            let as_f64 = n as f64;
            (as_f64, quote!(#n), lit.span())
        } else {
            let (value, span) = number(input)?;
            (value, f64_tokens(value), span)
        };
        set_once(slot, bound, &m)
    })?;
    if min.is_none() && max.is_none() {
        return Err(meta.error(format!("`{name}` needs min, max or both")));
    }
    if let (Some((lo, _, _)), Some((hi, _, span))) = (&min, &max)
        && lo > hi
    {
        return Err(Error::new(*span, format!("`{name}` has max below min")));
    }
    let (min, max) = (min.map(|b| b.1), max.map(|b| b.1));
    let (min, max) = (option_tokens(min), option_tokens(max));
    let message = message_tokens(message.as_ref());
    let variant = if is_length {
        quote!(Length)
    } else {
        quote!(NumberRange)
    };
    Ok(quote!(::flask_wtf::Validator::#variant { min: #min, max: #max, message: #message }))
}
