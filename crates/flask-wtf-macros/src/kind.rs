//! Field kinds: their names in `#[form(kind = "...")]` and the kinds told from Rust types.

use syn::{GenericArgument, PathArguments, Type};

/// The names `kind = "..."` takes and the `flask_wtf::FieldKind` variant of each (the
/// runtime's `FieldKind::from_name`).
const KINDS: &[(&str, &str)] = &[
    ("string", "String"),
    ("text", "String"),
    ("textarea", "TextArea"),
    ("password", "Password"),
    ("hidden", "Hidden"),
    ("email", "Email"),
    ("url", "Url"),
    ("search", "Search"),
    ("tel", "Tel"),
    ("integer", "Integer"),
    ("decimal", "Decimal"),
    ("float", "Float"),
    ("boolean", "Boolean"),
    ("checkbox", "Boolean"),
    ("select", "Select"),
    ("select_multiple", "SelectMultiple"),
    ("radio", "Radio"),
    ("date", "Date"),
    ("datetime_local", "DateTimeLocal"),
    ("time", "Time"),
    ("submit", "Submit"),
    ("file", "File"),
    ("multiple_files", "MultipleFiles"),
    ("form", "Form"),
];

/// The names listed in error messages (`FieldKind::NAMES`).
pub(crate) const NAMES: &str = "string, textarea, password, hidden, email, url, search, tel, \
    integer, decimal, float, boolean, select, select_multiple, radio, date, datetime_local, \
    time, submit, file, multiple_files, form";

/// The `FieldKind` variant named `name` in `kind = "..."`.
pub(crate) fn from_name(name: &str) -> Option<&'static str> {
    KINDS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, variant)| *variant)
}

/// Whether a kind takes `choices`.
pub(crate) fn has_choices(variant: &str) -> bool {
    matches!(variant, "Select" | "SelectMultiple" | "Radio")
}

/// The name of a primitive integer type whose range is narrower than what an integer
/// field reads (`i64`), to bound the field by it (`u8`, `i32`, `u64` for its sign, ...).
pub(crate) fn bounded_integer(ty: &Type) -> Option<String> {
    let ty = option_inner(ty).unwrap_or(ty);
    let (name, arg) = last_segment(ty)?;
    (arg.is_none()
        && matches!(
            name.as_str(),
            "i8" | "i16" | "i32" | "isize" | "u8" | "u16" | "u32" | "u64" | "usize"
        ))
    .then_some(name)
}

/// Whether a choice field's type holds integers (`i64`, `Option<u32>`, `Vec<i64>`): its
/// values are coerced (WTForms' `coerce=int`).
pub(crate) fn integer_choices(ty: &Type) -> bool {
    let ty = option_inner(ty).unwrap_or(ty);
    let ty = vec_inner(ty).unwrap_or(ty);
    last_segment(ty).is_some_and(|(name, arg)| {
        arg.is_none()
            && matches!(
                name.as_str(),
                "i8" | "i16" | "i32" | "i64" | "isize" | "u8" | "u16" | "u32" | "u64" | "usize"
            )
    })
}

/// `T` for a type spelled `Vec<T>`.
pub(crate) fn vec_inner(ty: &Type) -> Option<&Type> {
    let (name, arg) = last_segment(ty)?;
    if name == "Vec" { arg } else { None }
}

/// `T` for a type spelled `Option<T>` (by its last path segment, as serde's derive does).
pub(crate) fn option_inner(ty: &Type) -> Option<&Type> {
    let (name, arg) = last_segment(ty)?;
    if name == "Option" { arg } else { None }
}

/// The kind of a field of type `ty` when `kind` is not given: its variant and whether the
/// type is an `Option<_>`.
pub(crate) fn infer(ty: &Type) -> Option<(&'static str, bool)> {
    match option_inner(ty) {
        Some(inner) => infer_plain(inner).map(|variant| (variant, true)),
        None => infer_plain(ty).map(|variant| (variant, false)),
    }
}

fn infer_plain(ty: &Type) -> Option<&'static str> {
    let (name, arg) = last_segment(ty)?;
    Some(match name.as_str() {
        "String" if arg.is_none() => "String",
        "bool" if arg.is_none() => "Boolean",
        "i8" | "i16" | "i32" | "i64" | "i128" | "isize" | "u8" | "u16" | "u32" | "u64" | "u128"
        | "usize"
            if arg.is_none() =>
        {
            "Integer"
        }
        "f32" | "f64" if arg.is_none() => "Float",
        "Decimal" if arg.is_none() => "Decimal",
        "NaiveDate" if arg.is_none() => "Date",
        "NaiveDateTime" if arg.is_none() => "DateTimeLocal",
        "NaiveTime" if arg.is_none() => "Time",
        "FileStorage" if arg.is_none() => "File",
        "Vec"
            if arg
                .and_then(last_segment)
                .is_some_and(|(n, a)| n == "FileStorage" && a.is_none()) =>
        {
            "MultipleFiles"
        }
        "Vec"
            if arg
                .and_then(last_segment)
                .is_some_and(|(n, a)| n == "String" && a.is_none()) =>
        {
            "SelectMultiple"
        }
        _ => return None,
    })
}

/// The last segment of a path type: its name and its single type argument, if any.
fn last_segment(ty: &Type) -> Option<(String, Option<&Type>)> {
    let ty = unwrap_groups(ty);
    let Type::Path(path) = ty else {
        return None;
    };
    if path.qself.is_some() {
        return None;
    }
    let seg = path.path.segments.last()?;
    let arg = match &seg.arguments {
        PathArguments::None => None,
        PathArguments::AngleBracketed(args) if args.args.len() == 1 => match args.args.first() {
            Some(GenericArgument::Type(t)) => Some(t),
            _ => return None,
        },
        _ => return None,
    };
    Some((seg.ident.to_string(), arg))
}

/// A type behind invisible groups (from `macro_rules!` expansions) or parentheses.
fn unwrap_groups(mut ty: &Type) -> &Type {
    loop {
        match ty {
            Type::Group(g) => ty = &g.elem,
            Type::Paren(p) => ty = &p.elem,
            _ => return ty,
        }
    }
}

/// A type as written, for messages: `Vec<u8>` rather than `Vec < u8 >`.
pub(crate) fn type_text(ty: &Type) -> String {
    let mut text = quote::quote!(#ty).to_string();
    for (from, to) in [
        (" :: ", "::"),
        (":: ", "::"),
        (" < ", "<"),
        ("< ", "<"),
        (" >", ">"),
        (" , ", ", "),
        ("& ", "&"),
        ("[ ", "["),
        (" ]", "]"),
        (" ;", ";"),
        ("( ", "("),
        (" )", ")"),
    ] {
        text = text.replace(from, to);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::{KINDS, NAMES, infer, type_text};
    use syn::{Type, parse_quote};

    fn kind_of(ty: &Type) -> Option<(&'static str, bool)> {
        infer(ty)
    }

    #[test]
    fn kinds_from_types() {
        assert_eq!(kind_of(&parse_quote!(String)), Some(("String", false)));
        assert_eq!(
            kind_of(&parse_quote!(std::string::String)),
            Some(("String", false))
        );
        assert_eq!(kind_of(&parse_quote!(bool)), Some(("Boolean", false)));
        assert_eq!(kind_of(&parse_quote!(u16)), Some(("Integer", false)));
        assert_eq!(kind_of(&parse_quote!(i128)), Some(("Integer", false)));
        assert_eq!(kind_of(&parse_quote!(f32)), Some(("Float", false)));
        assert_eq!(
            kind_of(&parse_quote!(rust_decimal::Decimal)),
            Some(("Decimal", false))
        );
        assert_eq!(
            kind_of(&parse_quote!(chrono::NaiveDate)),
            Some(("Date", false))
        );
        assert_eq!(
            kind_of(&parse_quote!(NaiveDateTime)),
            Some(("DateTimeLocal", false))
        );
        assert_eq!(kind_of(&parse_quote!(NaiveTime)), Some(("Time", false)));
        assert_eq!(
            kind_of(&parse_quote!(Vec<String>)),
            Some(("SelectMultiple", false))
        );
        assert_eq!(kind_of(&parse_quote!(Option<i64>)), Some(("Integer", true)));
        assert_eq!(
            kind_of(&parse_quote!(std::option::Option<NaiveDate>)),
            Some(("Date", true))
        );
        assert_eq!(kind_of(&parse_quote!(Vec<u8>)), None);
        assert_eq!(kind_of(&parse_quote!(Option<Option<i64>>)), None);
        assert_eq!(kind_of(&parse_quote!(Uuid)), None);
        assert_eq!(kind_of(&parse_quote!(&'static str)), None);
        assert_eq!(kind_of(&parse_quote!(String<u8>)), None);
    }

    #[test]
    fn names_cover_every_kind() {
        for (name, _) in KINDS {
            if !matches!(*name, "text" | "checkbox") {
                assert!(
                    NAMES.split(", ").any(|n| n == *name),
                    "{name} missing from NAMES"
                );
            }
        }
        assert_eq!(NAMES.split(", ").count(), KINDS.len() - 2);
    }

    #[test]
    fn types_as_written() {
        let ty: Type = parse_quote!(std::collections::HashMap<String, Vec<u8>>);
        assert_eq!(type_text(&ty), "std::collections::HashMap<String, Vec<u8>>");
        let ty: Type = parse_quote!(&'static [u8; 4]);
        assert_eq!(type_text(&ty), "&'static [u8; 4]");
    }
}
