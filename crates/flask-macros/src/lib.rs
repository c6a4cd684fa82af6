//! The attribute macros of the `flask` crate. Use them through `flask` (`#[flask::view]`),
//! which re-exports them; this crate only exists because a proc-macro crate may export
//! nothing else.

use proc_macro::TokenStream;
use quote::quote;
use syn::spanned::Spanned;
use syn::{FnArg, Item, ItemFn, parse_macro_input};

/// Makes a function a view that carries its endpoint name, Flask's "the endpoint is the
/// function's name": `#[view] async fn index()` registered with `get(index)` is the
/// endpoint `index` (`auth.login` in a blueprint named `auth`).
///
/// The function is left as written; the attribute records its name with its type, for
/// `get` to find. On a struct or an enum (a class-based view, such as a flask-restful
/// `Resource`), it records the type's name. See `flask::view` for the details.
#[proc_macro_attribute]
pub fn view(attr: TokenStream, item: TokenStream) -> TokenStream {
    if !attr.is_empty() {
        let attr = proc_macro2::TokenStream::from(attr);
        return syn::Error::new(
            attr.span(),
            "#[view] takes no arguments: the endpoint is the function's name; to name it otherwise, call .endpoint(\"name\") on the rule (get(index).endpoint(\"home\"))",
        )
        .to_compile_error()
        .into();
    }
    let expanded = match parse_macro_input!(item as Item) {
        Item::Fn(func) => expand(&func),
        Item::Struct(item) => expand_type(&item.ident, &item.generics, &item),
        Item::Enum(item) => expand_type(&item.ident, &item.generics, &item),
        other => Err(syn::Error::new(
            other.span(),
            "#[view] goes on a view function (or on the struct or enum of a class-based view)",
        )),
    };
    match expanded {
        Ok(tokens) => tokens.into(),
        Err(err) => err.to_compile_error().into(),
    }
}

/// A struct or enum: its name, recorded with its type.
fn expand_type(
    ident: &syn::Ident,
    generics: &syn::Generics,
    item: &impl quote::ToTokens,
) -> syn::Result<proc_macro2::TokenStream> {
    if !generics.params.is_empty() {
        return Err(syn::Error::new(
            generics.span(),
            "#[view] types cannot be generic: an endpoint names one type",
        ));
    }
    Ok(recorded(
        item,
        ident,
        &quote!(|| ::core::any::TypeId::of::<#ident>()),
    ))
}

/// `item`, and the entry that records `ident`'s name with the type `type_id` returns in the
/// table `flask::routing::view_name` reads.
fn recorded(
    item: &impl quote::ToTokens,
    ident: &syn::Ident,
    type_id: &proc_macro2::TokenStream,
) -> proc_macro2::TokenStream {
    let name = ident.to_string();
    let name = name.strip_prefix("r#").unwrap_or(&name);
    quote! {
        #item

        ::flask::__private::inventory::submit! {
            ::flask::__private::ViewName::new(#type_id, #name)
        }
    }
}

fn expand(func: &ItemFn) -> syn::Result<proc_macro2::TokenStream> {
    let sig = &func.sig;
    if let Some(FnArg::Receiver(recv)) = sig.inputs.first() {
        return Err(syn::Error::new(
            recv.span(),
            "#[view] goes on a free function, not a method: a method view is a flask::views::MethodView",
        ));
    }
    if !sig.generics.params.is_empty() {
        return Err(syn::Error::new(
            sig.generics.span(),
            "#[view] functions cannot be generic: an endpoint names one function (write a non-generic view that calls the generic one)",
        ));
    }
    if let Some(variadic) = &sig.variadic {
        return Err(syn::Error::new(
            variadic.span(),
            "#[view] functions cannot be variadic",
        ));
    }
    let name = &sig.ident;
    Ok(recorded(
        func,
        name,
        &quote!(|| ::flask::__private::type_id_of(&#name)),
    ))
}
