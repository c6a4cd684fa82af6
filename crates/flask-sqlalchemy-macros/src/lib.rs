//! `#[derive(Model)]` for flask-sqlalchemy. Use it through `flask_sqlalchemy::Model`.

use proc_macro::TokenStream;
use proc_macro2::TokenStream as Tokens;
use quote::quote;
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields, LitInt, LitStr, parse_macro_input};

/// Maps a struct with named fields to a table. See `flask_sqlalchemy::Model` for the
/// attributes.
#[proc_macro_derive(Model, attributes(model))]
pub fn derive_model(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    match expand(&input) {
        Ok(tokens) => tokens.into(),
        Err(e) => e.to_compile_error().into(),
    }
}

/// Stores a unit-only enum as its variant names, in a `VARCHAR` column with a `CHECK`
/// constraint (SQLAlchemy's `Enum`). See `flask_sqlalchemy::Enum`.
#[proc_macro_derive(Enum)]
pub fn derive_enum(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    match expand_enum(&input) {
        Ok(tokens) => tokens.into(),
        Err(e) => e.to_compile_error().into(),
    }
}

fn expand_enum(input: &DeriveInput) -> syn::Result<Tokens> {
    let ident = &input.ident;
    let Data::Enum(data) = &input.data else {
        return Err(syn::Error::new(
            ident.span(),
            "#[derive(Enum)] works on enums whose variants have no fields",
        ));
    };
    if !input.generics.params.is_empty() {
        return Err(syn::Error::new(
            input.generics.span(),
            "#[derive(Enum)] does not take generic parameters",
        ));
    }
    let mut names = Vec::new();
    let mut variants = Vec::new();
    for v in &data.variants {
        if !matches!(v.fields, Fields::Unit) {
            return Err(syn::Error::new(
                v.span(),
                format!(
                    "the variant `{}` has fields: #[derive(Enum)] stores variant names only",
                    v.ident
                ),
            ));
        }
        names.push(v.ident.to_string());
        variants.push(&v.ident);
    }
    if names.is_empty() {
        return Err(syn::Error::new(
            ident.span(),
            "#[derive(Enum)] needs at least one variant",
        ));
    }
    let max = u32::try_from(names.iter().map(String::len).max().unwrap_or(1)).unwrap_or(255);
    let fsa = quote!(::flask_sqlalchemy);
    let sqlx = quote!(::flask_sqlalchemy::__private::sqlx);
    let type_name = ident.to_string();
    Ok(quote! {
        impl #ident {
            /// The name stored for this variant.
            pub fn as_str(&self) -> &'static str {
                match self {
                    #(Self::#variants => #names,)*
                }
            }

            fn from_stored(text: &str, index: usize) -> ::core::result::Result<Self, #sqlx::Error> {
                match text {
                    #(#names => ::core::result::Result::Ok(Self::#variants),)*
                    other => ::core::result::Result::Err(#sqlx::Error::ColumnDecode {
                        index: ::std::string::ToString::to_string(&index),
                        source: ::std::format!(
                            "{:?} is not a variant of {}: expected one of {}",
                            other, #type_name, [#(#names),*].join(", ")
                        ).into(),
                    }),
                }
            }
        }

        impl #fsa::FieldType for #ident {
            const TYPE: #fsa::ColumnType = #fsa::ColumnType::String(::core::option::Option::Some(#max));
            const CHOICES: &'static [&'static str] = &[#(#names),*];
            fn to_value(&self) -> #fsa::Value {
                #fsa::Value::Text(::std::string::ToString::to_string(self.as_str()))
            }
            fn from_sqlite(row: &#sqlx::sqlite::SqliteRow, i: usize) -> ::core::result::Result<Self, #sqlx::Error> {
                Self::from_stored(&<::std::string::String as #fsa::FieldType>::from_sqlite(row, i)?, i)
            }
            fn from_postgres(row: &#sqlx::postgres::PgRow, i: usize) -> ::core::result::Result<Self, #sqlx::Error> {
                Self::from_stored(&<::std::string::String as #fsa::FieldType>::from_postgres(row, i)?, i)
            }
            fn from_mysql(row: &#sqlx::mysql::MySqlRow, i: usize) -> ::core::result::Result<Self, #sqlx::Error> {
                Self::from_stored(&<::std::string::String as #fsa::FieldType>::from_mysql(row, i)?, i)
            }
        }

        impl #fsa::Scalar for #ident {}

        impl ::core::convert::From<#ident> for #fsa::Value {
            fn from(v: #ident) -> Self {
                #fsa::FieldType::to_value(&v)
            }
        }
    })
}

#[derive(Default)]
struct FieldAttrs {
    primary_key: bool,
    autoincrement: Option<bool>,
    max_length: Option<u32>,
    unique: bool,
    index: bool,
    column: Option<String>,
    foreign_key: Option<(String, String)>,
    on_delete: Option<Tokens>,
    on_update: Option<Tokens>,
    server_default: Option<String>,
    default: Option<syn::Expr>,
    precision: Option<u32>,
    scale: Option<u32>,
}

const FIELD_KEYS: &str = "primary_key, autoincrement = bool, max_length = N, unique, index, \
                          column = \"name\", foreign_key = \"table.column\", on_delete = \"...\", \
                          on_update = \"...\", default = expr, server_default = \"SQL\", \
                          precision = N, scale = N";

fn referential_action(lit: &LitStr) -> syn::Result<Tokens> {
    let action = match lit.value().to_ascii_lowercase().as_str() {
        "cascade" => quote!(Cascade),
        "set null" => quote!(SetNull),
        "set default" => quote!(SetDefault),
        "restrict" => quote!(Restrict),
        "no action" => quote!(NoAction),
        other => {
            return Err(syn::Error::new(
                lit.span(),
                format!(
                    "unknown action {other:?}: use \"cascade\", \"set null\", \"set default\", \
                     \"restrict\" or \"no action\""
                ),
            ));
        }
    };
    Ok(quote!(::flask_sqlalchemy::ReferentialAction::#action))
}

fn field_attrs(field: &syn::Field) -> syn::Result<FieldAttrs> {
    let mut out = FieldAttrs::default();
    for attr in field.attrs.iter().filter(|a| a.path().is_ident("model")) {
        attr.parse_nested_meta(|meta| {
            let key = meta
                .path
                .get_ident()
                .map(ToString::to_string)
                .unwrap_or_default();
            match key.as_str() {
                "primary_key" => out.primary_key = true,
                "unique" => out.unique = true,
                "index" => out.index = true,
                "autoincrement" => {
                    let v: syn::LitBool = meta.value()?.parse()?;
                    out.autoincrement = Some(v.value);
                }
                "max_length" => {
                    let v: LitInt = meta.value()?.parse()?;
                    out.max_length = Some(v.base10_parse()?);
                }
                "column" => {
                    let v: LitStr = meta.value()?.parse()?;
                    out.column = Some(v.value());
                }
                "foreign_key" => {
                    let v: LitStr = meta.value()?.parse()?;
                    let text = v.value();
                    let Some((table, column)) = text.split_once('.') else {
                        return Err(syn::Error::new(
                            v.span(),
                            "foreign_key takes \"table.column\", such as \"user.id\"",
                        ));
                    };
                    out.foreign_key = Some((table.to_owned(), column.to_owned()));
                }
                "server_default" => {
                    let v: LitStr = meta.value()?.parse()?;
                    out.server_default = Some(v.value());
                }
                "default" => out.default = Some(meta.value()?.parse()?),
                "precision" => {
                    let v: LitInt = meta.value()?.parse()?;
                    out.precision = Some(v.base10_parse()?);
                }
                "scale" => {
                    let v: LitInt = meta.value()?.parse()?;
                    out.scale = Some(v.base10_parse()?);
                }
                "on_delete" => out.on_delete = Some(referential_action(&meta.value()?.parse()?)?),
                "on_update" => out.on_update = Some(referential_action(&meta.value()?.parse()?)?),
                _ => {
                    return Err(
                        meta.error(format!("unknown model attribute `{key}`: use {FIELD_KEYS}"))
                    );
                }
            }
            Ok(())
        })?;
    }
    if (out.on_delete.is_some() || out.on_update.is_some()) && out.foreign_key.is_none() {
        return Err(syn::Error::new(
            field.span(),
            "on_delete and on_update need a foreign_key = \"table.column\"",
        ));
    }
    Ok(out)
}

/// Which relationship a struct attribute declares.
#[derive(Clone, Copy, PartialEq)]
enum RelKind {
    BelongsTo,
    HasMany,
    HasOne,
    ManyToMany,
}

/// `belongs_to(author: User, key = author_id)`, `has_many(posts: Post, key = author_id,
/// cascade = "delete")`, `many_to_many(tags: Tag, secondary = PostTag, local = post_id,
/// remote = tag_id)`.
struct RelAttr {
    kind: RelKind,
    name: syn::Ident,
    target: syn::Path,
    key: Option<syn::Ident>,
    secondary: Option<syn::Path>,
    local: Option<syn::Ident>,
    remote: Option<syn::Ident>,
    cascade_delete: bool,
    /// `order_by = "field desc, other"`: fields of the related model, descending or not.
    order_by: Vec<(syn::Ident, bool)>,
}

const STRUCT_KEYS: &str = "table = \"name\", bind = \"key\", check = \"SQL\", unique(field, field, name = \"..\"), \
                           index(field, field, name = \"..\"), belongs_to(name: Model, key = field), \
                           has_many(name: Model, key = field_of_model, cascade = \"delete\", order_by = \"field desc\"), \
                           has_one(name: Model, key = field_of_model), \
                           many_to_many(name: Model, secondary = Association, local = field, \
                           remote = field)";

fn parse_relationship(kind: RelKind, input: syn::parse::ParseStream) -> syn::Result<RelAttr> {
    let content;
    syn::parenthesized!(content in input);
    let name: syn::Ident = content.parse()?;
    content.parse::<syn::Token![:]>()?;
    let target: syn::Path = content.parse()?;
    let mut rel = RelAttr {
        kind,
        name,
        target,
        key: None,
        secondary: None,
        local: None,
        remote: None,
        cascade_delete: false,
        order_by: Vec::new(),
    };
    while !content.is_empty() {
        content.parse::<syn::Token![,]>()?;
        if content.is_empty() {
            break;
        }
        let key: syn::Ident = content.parse()?;
        content.parse::<syn::Token![=]>()?;
        match (kind, key.to_string().as_str()) {
            (RelKind::BelongsTo | RelKind::HasMany | RelKind::HasOne, "key") => {
                rel.key = Some(content.parse()?);
            }
            (RelKind::HasMany | RelKind::ManyToMany, "order_by") => {
                let v: LitStr = content.parse()?;
                for part in v.value().split(',').map(str::trim) {
                    let mut words = part.split_whitespace();
                    let (Some(field), direction, None) = (words.next(), words.next(), words.next())
                    else {
                        return Err(syn::Error::new(
                            v.span(),
                            "order_by takes fields of the related model, each with an optional \
                             asc or desc: order_by = \"created desc, id\"",
                        ));
                    };
                    let desc = match direction.map(str::to_ascii_lowercase).as_deref() {
                        None | Some("asc") => false,
                        Some("desc") => true,
                        Some(other) => {
                            return Err(syn::Error::new(
                                v.span(),
                                format!("unknown order {other:?}: use asc or desc"),
                            ));
                        }
                    };
                    let field = syn::parse_str::<syn::Ident>(field)
                        .map(|i| syn::Ident::new(&i.to_string(), v.span()))
                        .map_err(|_| {
                            syn::Error::new(v.span(), format!("{field:?} is not a field name"))
                        })?;
                    rel.order_by.push((field, desc));
                }
            }
            (RelKind::HasMany | RelKind::HasOne, "cascade") => {
                let v: LitStr = content.parse()?;
                let text = v.value();
                let parts: Vec<&str> = text.split(',').map(str::trim).collect();
                if let Some(bad) = parts
                    .iter()
                    .find(|p| !matches!(**p, "delete" | "all" | "delete-orphan" | "save-update"))
                {
                    return Err(syn::Error::new(
                        v.span(),
                        format!(
                            "unknown cascade {bad:?}: use \"delete\" or \"all, delete-orphan\""
                        ),
                    ));
                }
                rel.cascade_delete = parts.iter().any(|p| matches!(*p, "delete" | "all"));
            }
            (RelKind::ManyToMany, "secondary") => rel.secondary = Some(content.parse()?),
            (RelKind::ManyToMany, "local") => rel.local = Some(content.parse()?),
            (RelKind::ManyToMany, "remote") => rel.remote = Some(content.parse()?),
            _ => {
                let allowed = match kind {
                    RelKind::BelongsTo => "key = field",
                    RelKind::HasMany => {
                        "key = field_of_the_related_model, cascade = \"delete\", order_by = \"field desc\""
                    }
                    RelKind::HasOne => "key = field_of_the_related_model, cascade = \"delete\"",
                    RelKind::ManyToMany => {
                        "secondary = Association, local = field, remote = field, order_by = \"field desc\""
                    }
                };
                return Err(syn::Error::new(
                    key.span(),
                    format!("unknown relationship setting `{key}`: use {allowed}"),
                ));
            }
        }
    }
    let missing = match kind {
        RelKind::BelongsTo | RelKind::HasMany | RelKind::HasOne if rel.key.is_none() => {
            Some("key = field")
        }
        RelKind::ManyToMany
            if rel.secondary.is_none() || rel.local.is_none() || rel.remote.is_none() =>
        {
            Some("secondary = Association, local = field, remote = field")
        }
        _ => None,
    };
    if let Some(missing) = missing {
        return Err(syn::Error::new(
            rel.name.span(),
            format!("the relationship `{}` needs {missing}", rel.name),
        ));
    }
    Ok(rel)
}

/// A table-level `unique(a, b)` or `index(a, b)` (SQLAlchemy's `UniqueConstraint` and
/// `Index` in `__table_args__`).
struct IndexAttr {
    unique: bool,
    fields: Vec<syn::Ident>,
    name: Option<String>,
}

fn parse_index(unique: bool, input: syn::parse::ParseStream) -> syn::Result<IndexAttr> {
    let content;
    let parens = syn::parenthesized!(content in input);
    let mut out = IndexAttr {
        unique,
        fields: Vec::new(),
        name: None,
    };
    while !content.is_empty() {
        // A field as a string too: clippy's `duplicated_attributes` takes a field named in
        // two `unique(..)` for a repeated attribute, and leaves strings alone.
        if content.peek(LitStr) {
            let v: LitStr = content.parse()?;
            let ident = syn::parse_str::<syn::Ident>(&v.value())
                .map(|i| syn::Ident::new(&i.to_string(), v.span()))
                .map_err(|_| syn::Error::new(v.span(), "this is not a field name"))?;
            out.fields.push(ident);
            if content.is_empty() {
                break;
            }
            content.parse::<syn::Token![,]>()?;
            continue;
        }
        let ident: syn::Ident = content.parse()?;
        if ident == "name" && content.peek(syn::Token![=]) {
            content.parse::<syn::Token![=]>()?;
            let v: LitStr = content.parse()?;
            out.name = Some(v.value());
        } else {
            out.fields.push(ident);
        }
        if content.is_empty() {
            break;
        }
        content.parse::<syn::Token![,]>()?;
    }
    if out.fields.is_empty() {
        let what = if unique { "unique" } else { "index" };
        return Err(syn::Error::new(
            parens.span.join(),
            format!("{what}(..) names its fields: {what}(first_field, second_field)"),
        ));
    }
    Ok(out)
}

/// What the struct's `#[model(...)]` attributes say.
struct StructAttrs {
    table: String,
    rels: Vec<RelAttr>,
    checks: Vec<String>,
    bind: Option<String>,
    indexes: Vec<IndexAttr>,
}

fn struct_attrs(input: &DeriveInput) -> syn::Result<StructAttrs> {
    let mut name = None;
    let mut rels = Vec::new();
    let mut checks = Vec::new();
    let mut bind = None;
    let mut indexes = Vec::new();
    for attr in input.attrs.iter().filter(|a| a.path().is_ident("model")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("unique") || meta.path.is_ident("index") {
                indexes.push(parse_index(meta.path.is_ident("unique"), meta.input)?);
                return Ok(());
            }
            let kind = if meta.path.is_ident("table") {
                let v: LitStr = meta.value()?.parse()?;
                name = Some(v.value());
                return Ok(());
            } else if meta.path.is_ident("check") {
                let v: LitStr = meta.value()?.parse()?;
                checks.push(v.value());
                return Ok(());
            } else if meta.path.is_ident("bind") {
                let v: LitStr = meta.value()?.parse()?;
                bind = Some(v.value());
                return Ok(());
            } else if meta.path.is_ident("belongs_to") {
                RelKind::BelongsTo
            } else if meta.path.is_ident("has_many") {
                RelKind::HasMany
            } else if meta.path.is_ident("has_one") {
                RelKind::HasOne
            } else if meta.path.is_ident("many_to_many") {
                RelKind::ManyToMany
            } else {
                return Err(meta.error(format!(
                    "unknown model attribute on the struct: use {STRUCT_KEYS}"
                )));
            };
            rels.push(parse_relationship(kind, meta.input)?);
            Ok(())
        })?;
    }
    Ok(StructAttrs {
        table: name.unwrap_or_else(|| snake_case(&input.ident.to_string())),
        rels,
        checks,
        bind,
        indexes,
    })
}

/// Flask-SQLAlchemy's default table name: `BlogPost` -> `blog_post`, `HTTPRequest` ->
/// `http_request`.
fn snake_case(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_uppercase() && i > 0 {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            if prev.is_lowercase() || prev.is_ascii_digit() || (prev.is_uppercase() && next_lower) {
                out.push('_');
            }
        }
        out.extend(c.to_lowercase());
    }
    out
}

fn is_string_type(ty: &syn::Type) -> bool {
    let syn::Type::Path(p) = ty else { return false };
    let Some(last) = p.path.segments.last() else {
        return false;
    };
    if last.ident == "String" {
        return true;
    }
    if last.ident == "Option"
        && let syn::PathArguments::AngleBracketed(args) = &last.arguments
        && let Some(syn::GenericArgument::Type(inner)) = args.args.first()
    {
        return is_string_type(inner);
    }
    false
}

fn expand(input: &DeriveInput) -> syn::Result<Tokens> {
    let ident = &input.ident;
    let Data::Struct(data) = &input.data else {
        return Err(syn::Error::new(
            ident.span(),
            "#[derive(Model)] works on structs with named fields",
        ));
    };
    let Fields::Named(fields) = &data.fields else {
        return Err(syn::Error::new(
            ident.span(),
            "#[derive(Model)] works on structs with named fields",
        ));
    };
    if !input.generics.params.is_empty() {
        return Err(syn::Error::new(
            input.generics.span(),
            "#[derive(Model)] does not take generic parameters",
        ));
    }
    let StructAttrs {
        table,
        rels,
        checks: table_checks,
        bind,
        indexes,
    } = struct_attrs(input)?;
    let bind = match bind {
        Some(key) => quote!(::core::option::Option::Some(#key)),
        None => quote!(::core::option::Option::None),
    };
    let parsed: Vec<(&syn::Field, FieldAttrs)> = fields
        .named
        .iter()
        .map(|f| field_attrs(f).map(|a| (f, a)))
        .collect::<syn::Result<_>>()?;
    let pk_count = parsed.iter().filter(|(_, a)| a.primary_key).count();
    if pk_count == 0 {
        return Err(syn::Error::new(
            ident.span(),
            format!(
                "the model `{ident}` has no primary key: mark its key field with \
                 #[model(primary_key)]"
            ),
        ));
    }
    let table_indexes = table_indexes(ident, &table, &parsed, &indexes)?;
    let ff = quote!(::flask_sqlalchemy::FieldType);
    let ct = quote!(::flask_sqlalchemy::ColumnType);
    let mut columns = Vec::new();
    let mut checks = Vec::new();
    let mut values = Vec::new();
    let mut reads_sqlite = Vec::new();
    let mut reads_pg = Vec::new();
    let mut reads_mysql = Vec::new();
    let mut set_auto = Tokens::new();
    let mut set_keys = Vec::new();
    let mut col_consts = Vec::new();
    let mut defaults = Vec::new();
    let mut any_default = false;
    let vis = &input.vis;
    for (i, (field, attrs)) in parsed.iter().enumerate() {
        let fname = field
            .ident
            .as_ref()
            .ok_or_else(|| syn::Error::new(field.span(), "unnamed field"))?;
        let ty = &field.ty;
        let field_name = fname.to_string();
        let column = attrs.column.clone().unwrap_or_else(|| field_name.clone());
        if (attrs.unique || attrs.index || attrs.primary_key)
            && attrs.max_length.is_none()
            && is_string_type(ty)
        {
            return Err(syn::Error::new(
                fname.span(),
                format!(
                    "`{field_name}` is a unique, indexed or key String column: give it a \
                     #[model(max_length = N)] (MySQL cannot index unbounded TEXT)"
                ),
            ));
        }
        let col_ty = match (attrs.max_length, attrs.precision, attrs.scale) {
            (None, Some(_), _) | (None, _, Some(_)) => {
                checks.push(quote! {
                    const _: () = ::core::assert!(
                        ::core::matches!(<#ty as #ff>::TYPE, #ct::Numeric { .. }),
                        "precision and scale are only for Decimal columns"
                    );
                });
                let precision = attrs.precision.unwrap_or(28);
                let scale = attrs.scale.unwrap_or(10);
                if scale > precision {
                    return Err(syn::Error::new(
                        fname.span(),
                        format!(
                            "`{field_name}` has a scale ({scale}) above its precision ({precision})"
                        ),
                    ));
                }
                quote!(#ct::Numeric { precision: #precision, scale: #scale })
            }
            (Some(n), _, _) => {
                checks.push(quote! {
                    const _: () = ::core::assert!(
                        ::core::matches!(<#ty as #ff>::TYPE, #ct::String(_)),
                        "max_length is only for String columns"
                    );
                });
                quote!(#ct::String(::core::option::Option::Some(#n)))
            }
            (None, None, None) => quote!(<#ty as #ff>::TYPE),
        };
        let is_int = quote!(::core::matches!(
            <#ty as #ff>::TYPE,
            #ct::SmallInteger | #ct::Integer | #ct::BigInteger
        ));
        let auto = match (attrs.primary_key && pk_count == 1, attrs.autoincrement) {
            (true, None) => quote!(#is_int && !<#ty as #ff>::NULLABLE),
            (true, Some(true)) => {
                checks.push(quote! {
                    const _: () = ::core::assert!(#is_int, "autoincrement needs an integer column");
                });
                quote!(true)
            }
            (_, Some(true)) => {
                return Err(syn::Error::new(
                    field.span(),
                    "autoincrement is for the single primary key column",
                ));
            }
            _ => quote!(false),
        };
        if attrs.primary_key && pk_count == 1 {
            set_auto = quote! {
                if <Self as ::flask_sqlalchemy::Model>::TABLE.columns[#i].autoincrement
                    && let ::core::option::Option::Some(v) = <#ty as #ff>::from_autoincrement(id)
                {
                    self.#fname = v;
                }
            };
        }
        let fk = match &attrs.foreign_key {
            Some((t, c)) => {
                let on_delete = attrs.on_delete.clone().map_or(
                    quote!(::core::option::Option::None),
                    |a| quote!(::core::option::Option::Some(#a)),
                );
                let on_update = attrs.on_update.clone().map_or(
                    quote!(::core::option::Option::None),
                    |a| quote!(::core::option::Option::Some(#a)),
                );
                quote!(::core::option::Option::Some(::flask_sqlalchemy::ForeignKey {
                    table: #t, column: #c, on_delete: #on_delete, on_update: #on_update,
                }))
            }
            None => quote!(::core::option::Option::None),
        };
        let (pk, unique, index) = (attrs.primary_key, attrs.unique, attrs.index);
        let server_default = match &attrs.server_default {
            Some(sql) => quote!(::core::option::Option::Some(#sql)),
            None => quote!(::core::option::Option::None),
        };
        defaults.push(match &attrs.default {
            Some(expr) => quote!(#fname: ::core::convert::Into::into(#expr)),
            None => quote!(#fname: ::core::default::Default::default()),
        });
        any_default |= attrs.default.is_some();
        columns.push(quote! {
            ::flask_sqlalchemy::Column {
                name: #column,
                field: #field_name,
                ty: #col_ty,
                nullable: <#ty as #ff>::NULLABLE,
                primary_key: #pk,
                autoincrement: #auto,
                unique: #unique,
                index: #index,
                foreign_key: #fk,
                server_default: #server_default,
                choices: <#ty as #ff>::CHOICES,
            }
        });
        let doc = format!(
            "The `{column}` column, for filters and orderings (`{ident}::{fname}.eq(..)`)."
        );
        col_consts.push(quote! {
            #[doc = #doc]
            #[allow(non_upper_case_globals)]
            #vis const #fname: ::flask_sqlalchemy::Col<#ident, #ty> = ::flask_sqlalchemy::Col::new(#i);
        });
        values.push(quote!(<#ty as #ff>::to_value(&self.#fname)));
        set_keys.push(quote! {
            #i => match <#ty as #ff>::from_key_value(value) {
                ::core::option::Option::Some(v) => {
                    self.#fname = v;
                    true
                }
                ::core::option::Option::None => false,
            }
        });
        reads_sqlite.push(quote!(#fname: <#ty as #ff>::from_sqlite(row, offset + #i)?));
        reads_pg.push(quote!(#fname: <#ty as #ff>::from_postgres(row, offset + #i)?));
        reads_mysql.push(quote!(#fname: <#ty as #ff>::from_mysql(row, offset + #i)?));
    }
    let (relationships, rel_consts) = relationships(ident, vis, &parsed, &rels)?;
    // Python-side defaults (`default=`) are Rust's: `Post { title, ..Default::default() }`.
    let default_impl = if any_default {
        quote! {
            impl ::core::default::Default for #ident {
                fn default() -> Self {
                    Self { #(#defaults),* }
                }
            }
        }
    } else {
        Tokens::new()
    };
    let sqlx = quote!(::flask_sqlalchemy::__private::sqlx);
    Ok(quote! {
        #(#checks)*
        #default_impl
        impl #ident {
            #(#col_consts)*
            #(#rel_consts)*
        }

        impl ::flask_sqlalchemy::Model for #ident {
            const TABLE: ::flask_sqlalchemy::Table = ::flask_sqlalchemy::Table {
                name: #table,
                columns: &[#(#columns),*],
                relationships: &[#(#relationships),*],
                checks: &[#(#table_checks),*],
                indexes: &[#(#table_indexes),*],
                bind: #bind,
            };

            fn values(&self) -> ::std::vec::Vec<::flask_sqlalchemy::Value> {
                ::std::vec![#(#values),*]
            }

            fn set_autoincrement(&mut self, id: i64) {
                #set_auto
            }

            fn set_key_value(&mut self, column: usize, value: &::flask_sqlalchemy::Value) -> bool {
                match column {
                    #(#set_keys,)*
                    _ => false,
                }
            }

            fn from_sqlite(row: &#sqlx::sqlite::SqliteRow, offset: usize) -> ::core::result::Result<Self, #sqlx::Error> {
                ::core::result::Result::Ok(Self { #(#reads_sqlite),* })
            }

            fn from_postgres(row: &#sqlx::postgres::PgRow, offset: usize) -> ::core::result::Result<Self, #sqlx::Error> {
                ::core::result::Result::Ok(Self { #(#reads_pg),* })
            }

            fn from_mysql(row: &#sqlx::mysql::MySqlRow, offset: usize) -> ::core::result::Result<Self, #sqlx::Error> {
                ::core::result::Result::Ok(Self { #(#reads_mysql),* })
            }
        }
    })
}

/// The table-level unique constraints and indexes, as `TableIndex` values: each field named
/// must be one of the struct's, and a `String` one needs a `max_length` (MySQL cannot index
/// unbounded `TEXT`).
fn table_indexes(
    ident: &syn::Ident,
    table: &str,
    parsed: &[(&syn::Field, FieldAttrs)],
    indexes: &[IndexAttr],
) -> syn::Result<Vec<Tokens>> {
    let mut out = Vec::new();
    for index in indexes {
        let mut columns = Vec::new();
        for name in &index.fields {
            let Some((field, attrs)) = parsed.iter().find(|(f, _)| f.ident.as_ref() == Some(name))
            else {
                return Err(syn::Error::new(
                    name.span(),
                    format!("`{name}` is not a field of `{ident}`"),
                ));
            };
            if attrs.max_length.is_none() && is_string_type(&field.ty) {
                return Err(syn::Error::new(
                    name.span(),
                    format!(
                        "`{name}` is in a unique constraint or index: give the String field a \
                         #[model(max_length = N)] (MySQL cannot index unbounded TEXT)"
                    ),
                ));
            }
            columns.push(attrs.column.clone().unwrap_or_else(|| name.to_string()));
        }
        let prefix = if index.unique { "uq" } else { "ix" };
        let name = index
            .name
            .clone()
            .unwrap_or_else(|| format!("{prefix}_{table}_{}", columns.join("_")));
        let unique = index.unique;
        out.push(quote! {
            ::flask_sqlalchemy::TableIndex {
                name: #name,
                columns: &[#(#columns),*],
                unique: #unique,
            }
        });
    }
    Ok(out)
}

/// The relationships' metadata and their typed consts (`Post::author`).
///
/// Keys are kept as field names, resolved to columns when used: a const of one table that
/// read another's columns would make a cycle of self-referential or mutual relationships.
/// The consts below check at compile time that the named fields exist.
fn relationships(
    ident: &syn::Ident,
    vis: &syn::Visibility,
    fields: &[(&syn::Field, FieldAttrs)],
    rels: &[RelAttr],
) -> syn::Result<(Vec<Tokens>, Vec<Tokens>)> {
    let fsa = quote!(::flask_sqlalchemy);
    let column_of = |name: &syn::Ident| -> syn::Result<String> {
        fields
            .iter()
            .find(|(f, _)| f.ident.as_ref() == Some(name))
            .map(|(f, a)| {
                a.column.clone().unwrap_or_else(|| {
                    f.ident
                        .as_ref()
                        .map(ToString::to_string)
                        .unwrap_or_default()
                })
            })
            .ok_or_else(|| syn::Error::new(name.span(), format!("`{ident}` has no field `{name}`")))
    };
    let mut metadata = Vec::new();
    let mut consts = Vec::new();
    for (i, rel) in rels.iter().enumerate() {
        let name = &rel.name;
        let name_str = name.to_string();
        let target = &rel.target;
        let cascade = rel.cascade_delete;
        let (kind, marker, check) = match rel.kind {
            RelKind::BelongsTo => {
                let key = rel
                    .key
                    .as_ref()
                    .map(column_of)
                    .transpose()?
                    .unwrap_or_default();
                (
                    quote!(#fsa::RelationKind::ManyToOne { column: #key }),
                    quote!(#fsa::ToOne),
                    Tokens::new(),
                )
            }
            RelKind::HasMany | RelKind::HasOne => {
                let key = rel
                    .key
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default();
                let key_ident = &rel.key;
                let marker = if rel.kind == RelKind::HasOne {
                    quote!(#fsa::ToOne)
                } else {
                    quote!(#fsa::ToMany)
                };
                (
                    quote!(#fsa::RelationKind::OneToMany { column: #key }),
                    marker,
                    quote!(let _ = <#target>::#key_ident;),
                )
            }
            RelKind::ManyToMany => {
                let (secondary, local, remote) = (&rel.secondary, &rel.local, &rel.remote);
                let (local_str, remote_str) = (
                    local.as_ref().map(ToString::to_string).unwrap_or_default(),
                    remote.as_ref().map(ToString::to_string).unwrap_or_default(),
                );
                (
                    quote!(#fsa::RelationKind::ManyToMany {
                        secondary: || &<#secondary as #fsa::Model>::TABLE,
                        local: #local_str,
                        remote: #remote_str,
                    }),
                    quote!(#fsa::ManyToMany),
                    quote!(let _ = (<#secondary>::#local, <#secondary>::#remote);),
                )
            }
        };
        let order_fields: Vec<&syn::Ident> = rel.order_by.iter().map(|(f, _)| f).collect();
        let order_by: Vec<Tokens> = rel
            .order_by
            .iter()
            .map(|(field, desc)| {
                let field = field.to_string();
                quote!((#field, #desc))
            })
            .collect();
        let check = quote! {
            #check
            #(let _ = <#target>::#order_fields;)*
        };
        metadata.push(quote! {
            #fsa::Relationship {
                name: #name_str,
                target: || &<#target as #fsa::Model>::TABLE,
                kind: #kind,
                cascade_delete: #cascade,
                order_by: &[#(#order_by),*],
            }
        });
        let doc = format!(
            "The `{name_str}` relationship, to load (`{ident}::{name_str}.load(&db, &row)`) and \
             join."
        );
        consts.push(quote! {
            #[doc = #doc]
            #[allow(non_upper_case_globals)]
            #vis const #name: #fsa::Rel<#ident, #target, #marker> = {
                #check
                #fsa::Rel::new(#i)
            };
        });
    }
    Ok((metadata, consts))
}

#[cfg(test)]
mod tests {
    use super::snake_case;

    #[test]
    fn table_names_like_flask_sqlalchemy() {
        assert_eq!(snake_case("BlogPost"), "blog_post");
        assert_eq!(snake_case("User"), "user");
        assert_eq!(snake_case("HTTPRequest"), "http_request");
        assert_eq!(snake_case("Post2Tag"), "post2_tag");
    }
}
