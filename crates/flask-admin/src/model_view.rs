//! `ModelView<M>`: Flask-Admin's `ModelView`, the list, details, create, edit and delete
//! pages of one model.

use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::Arc;

use flask::routing::{get, post};
use flask::{
    Blueprint, Error, Form, Html, IntoResponse, RequestContext, Response, SetupError, StatusCode,
    redirect, render_template,
};
use flask_sqlalchemy::{Column, DynCol, Engine, Filter, Model, SQLAlchemy, Value};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::admin::{AccessFn, Shared};
use crate::fields::{self, FormField, Shown};

/// A column formatter: the text a cell shows for a row.
pub(crate) type Formatter<M> = Arc<dyn Fn(&M) -> String + Send + Sync>;

/// No query string.
pub(crate) const NONE: &[(&str, String)] = &[];

/// The rows a list page shows by default (Flask-Admin's `page_size`).
pub const DEFAULT_PAGE_SIZE: u64 = 20;

/// The admin pages of model `M`: a list with search, sorting and pages, and the details,
/// create, edit and delete pages, at `/admin/<endpoint>/` (the endpoint is the table's
/// name unless [`endpoint`](ModelView::endpoint) says otherwise).
///
/// `M` derives `Serialize` and `Deserialize` besides `Model`: a form's values become the
/// model through serde, so the model's own events (`before_insert`, ...) run as for any
/// write. Option names are Flask-Admin's.
pub struct ModelView<M> {
    pub(crate) name: String,
    pub(crate) endpoint: String,
    pub(crate) category: Option<String>,
    pub(crate) column_list: Option<Vec<String>>,
    pub(crate) column_labels: HashMap<String, String>,
    pub(crate) searchable: Vec<String>,
    pub(crate) filters: Vec<String>,
    pub(crate) related_labels: HashMap<String, String>,
    pub(crate) sortable: Option<Vec<String>>,
    pub(crate) form_excluded: Vec<String>,
    pub(crate) page_size: u64,
    pub(crate) can_create: bool,
    pub(crate) can_edit: bool,
    pub(crate) can_delete: bool,
    pub(crate) access: Option<AccessFn>,
    pub(crate) actions: Vec<crate::actions::ActionDef<M>>,
    pub(crate) can_export: bool,
    pub(crate) export_types: Vec<crate::export::Format>,
    pub(crate) export_max_rows: Option<u64>,
    pub(crate) default_sort: Option<(String, bool)>,
    pub(crate) editable: Vec<String>,
    pub(crate) keyset: bool,
    pub(crate) form_options: fields::FormOptions,
    /// `column_formatters`: how a column's cell shows a row.
    pub(crate) formatters: HashMap<String, Formatter<M>>,
    /// Columns the edit form shows without letting them change.
    pub(crate) readonly: Vec<String>,
    /// Options given wrong values, said when the app is built.
    pub(crate) unknown_options: Vec<String>,
    /// `list_template`, `create_template`, `edit_template`, `details_template`.
    pub(crate) templates: HashMap<&'static str, String>,
    pub(crate) _model: PhantomData<fn() -> M>,
}

impl<M: Model> Default for ModelView<M> {
    fn default() -> Self {
        ModelView::new()
    }
}

impl<M: Model> std::fmt::Debug for ModelView<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModelView")
            .field("model", &M::TABLE.name)
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

impl<M: Model> ModelView<M> {
    /// The pages of `M`, named after its table (`blog_post`: "Blog Post", at
    /// `/admin/blog_post/`).
    pub fn new() -> Self {
        ModelView {
            name: fields::default_label(M::TABLE.name),
            endpoint: M::TABLE.name.to_owned(),
            category: None,
            column_list: None,
            column_labels: HashMap::new(),
            searchable: Vec::new(),
            filters: Vec::new(),
            related_labels: HashMap::new(),
            sortable: None,
            form_excluded: Vec::new(),
            page_size: DEFAULT_PAGE_SIZE,
            can_create: true,
            can_edit: true,
            can_delete: true,
            access: None,
            actions: Vec::new(),
            can_export: false,
            export_types: vec![crate::export::Format::Csv],
            export_max_rows: None,
            default_sort: None,
            editable: Vec::new(),
            keyset: false,
            form_options: fields::FormOptions::default(),
            formatters: HashMap::new(),
            readonly: Vec::new(),
            unknown_options: Vec::new(),
            templates: HashMap::new(),
            _model: PhantomData,
        }
    }

    /// The name in the menu and the pages' titles.
    #[must_use]
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// The endpoint and URL segment (`/admin/<endpoint>/`; `url_for("<endpoint>.index_view")`).
    #[must_use]
    pub fn endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = endpoint.into();
        self
    }

    /// The menu category the view is listed under (a drop-down of the menu).
    #[must_use]
    pub fn category(mut self, category: impl Into<String>) -> Self {
        self.category = Some(category.into());
        self
    }

    /// The columns of the list, in order (all but byte columns by default).
    #[must_use]
    pub fn column_list(mut self, columns: &[&str]) -> Self {
        self.column_list = Some(columns.iter().map(|c| (*c).to_owned()).collect());
        self
    }

    /// Labels of columns, instead of their names title-cased.
    #[must_use]
    pub fn column_labels(mut self, labels: &[(&str, &str)]) -> Self {
        for (column, label) in labels {
            self.column_labels
                .insert((*column).to_owned(), (*label).to_owned());
        }
        self
    }

    /// The text columns the list's search box looks in (case-insensitively); no search box
    /// without them.
    #[must_use]
    pub fn column_searchable_list(mut self, columns: &[&str]) -> Self {
        self.searchable = columns.iter().map(|c| (*c).to_owned()).collect();
        self
    }

    /// The columns the list can be filtered by (Flask-Admin's `column_filters`), each with
    /// the operations of its type: text (contains, not contains, equals, not equal, empty),
    /// numbers (equals, not equal, greater than, smaller than, between, empty), booleans
    /// (yes or no), dates (on, before, after, between, empty; whole days), choices (equals,
    /// not equal, empty). In the query string: `?flt_price_op=gt&flt_price=5`
    /// (`&flt_price_to=9` for between).
    #[must_use]
    pub fn column_filters(mut self, columns: &[&str]) -> Self {
        self.filters = columns.iter().map(|c| (*c).to_owned()).collect();
        self
    }

    /// The column of the related table that labels its rows, for a foreign key: the list
    /// shows it instead of the key, and the forms and filters offer the related rows by it
    /// (`.column_related_label("author_id", "username")`). By default: the related table's
    /// first unique text column, else its first text column, else its key.
    #[must_use]
    pub fn column_related_label(mut self, foreign_key: &str, label: &str) -> Self {
        self.related_labels
            .insert(foreign_key.to_owned(), label.to_owned());
        self
    }

    /// Columns edited in the list itself (Flask-Admin's `column_editable_list`): each cell
    /// is a small form with the column's input and a Save button, which needs no
    /// JavaScript. The value is checked as the edit form checks it.
    #[must_use]
    pub fn column_editable_list(mut self, columns: &[&str]) -> Self {
        self.editable = columns.iter().map(|c| (*c).to_owned()).collect();
        self
    }

    /// How a column's cells show a row (Flask-Admin's `column_formatters`), in the list and
    /// on the details page: `.column_formatter("price", |p: &Product| format!("€{:.2}",
    /// p.price))`. The text is escaped like any other.
    #[must_use]
    pub fn column_formatter<F>(mut self, column: &str, f: F) -> Self
    where
        F: Fn(&M) -> String + Send + Sync + 'static,
    {
        self.formatters.insert(column.to_owned(), Arc::new(f));
        self
    }

    /// Columns the edit form shows but does not let change (Flask-Admin's
    /// `form_widget_args = {"column": {"readonly": True}}`); a posted value for them is
    /// ignored. The create form leaves them out, so they take the model's default.
    #[must_use]
    pub fn form_readonly_columns(mut self, columns: &[&str]) -> Self {
        self.readonly = columns.iter().map(|c| (*c).to_owned()).collect();
        self
    }

    /// Help for columns (Flask-Admin's `column_descriptions`): under the input in the forms,
    /// and as the heading's tooltip in the list.
    #[must_use]
    pub fn column_descriptions(mut self, descriptions: &[(&str, &str)]) -> Self {
        for (column, text) in descriptions {
            self.form_options
                .descriptions
                .insert((*column).to_owned(), (*text).to_owned());
        }
        self
    }

    /// The input a column gets in the forms, instead of its type's (Flask-Admin's
    /// `form_overrides`): `"text"`, `"textarea"`, `"email"`, `"url"`, `"tel"`, `"number"`
    /// or `"password"`. The value is still checked as the column's type.
    #[must_use]
    pub fn form_overrides(mut self, inputs: &[(&str, &str)]) -> Self {
        for (column, input) in inputs {
            match fields::OVERRIDES.iter().find(|o| *o == input) {
                Some(known) => {
                    self.form_options.inputs.insert((*column).to_owned(), known);
                }
                None => {
                    self.unknown_options.push(format!(
                        "form_overrides gives {column:?} the input {input:?}, which is none of {}",
                        fields::OVERRIDES.join(", ")
                    ));
                }
            }
        }
        self
    }

    /// The only values a column takes, offered in a select (Flask-Admin's `form_choices`):
    /// (value, label) pairs; another value is "Not a valid choice.".
    #[must_use]
    pub fn form_choices(mut self, column: &str, choices: &[(&str, &str)]) -> Self {
        self.form_options.choices.insert(
            column.to_owned(),
            choices
                .iter()
                .map(|(v, l)| ((*v).to_owned(), (*l).to_owned()))
                .collect(),
        );
        self
    }

    /// The template of the list (`list_template`, default `admin/list.html`); it gets the
    /// same context, so it can extend the default.
    #[must_use]
    pub fn list_template(mut self, name: &str) -> Self {
        self.templates.insert("list", name.to_owned());
        self
    }

    /// The template of the create and edit forms (`create_template` and `edit_template`
    /// in one; default `admin/edit.html`).
    #[must_use]
    pub fn edit_template(mut self, name: &str) -> Self {
        self.templates.insert("edit", name.to_owned());
        self
    }

    /// The template of the details page (`details_template`; default `admin/details.html`).
    #[must_use]
    pub fn details_template(mut self, name: &str) -> Self {
        self.templates.insert("details", name.to_owned());
        self
    }

    /// The template of a page (`list`, `edit`, `details`): the view's own, else the admin's.
    pub(crate) fn template(&self, page: &str) -> String {
        self.templates
            .get(page)
            .cloned()
            .unwrap_or_else(|| format!("admin/{page}.html"))
    }

    /// Keyset pages for a large table: "Next" and "Previous" go from the last (or first) row
    /// shown, by its sort value and key (`?after=`, `?before=`), instead of an `OFFSET` that
    /// reads and skips every earlier row; the list counts no rows and shows no page
    /// numbers. It applies when the list is sorted by a column that is never NULL (or by
    /// the key); otherwise the list has numbered pages.
    #[must_use]
    pub fn keyset_pages(mut self, yes: bool) -> Self {
        self.keyset = yes;
        self
    }

    /// The list's order until a heading is clicked (`column_default_sort`; `desc` for
    /// newest first). Without it, the primary key's.
    #[must_use]
    pub fn column_default_sort(mut self, column: &str, desc: bool) -> Self {
        self.default_sort = Some((column.to_owned(), desc));
        self
    }

    /// The columns the list sorts by when their heading is clicked (all listed ones by
    /// default).
    #[must_use]
    pub fn column_sortable_list(mut self, columns: &[&str]) -> Self {
        self.sortable = Some(columns.iter().map(|c| (*c).to_owned()).collect());
        self
    }

    /// Columns the create and edit forms leave out (they keep their value on edit, and
    /// take the model's default through serde on create).
    #[must_use]
    pub fn form_excluded_columns(mut self, columns: &[&str]) -> Self {
        self.form_excluded = columns.iter().map(|c| (*c).to_owned()).collect();
        self
    }

    /// Rows per page of the list.
    #[must_use]
    pub fn page_size(mut self, rows: u64) -> Self {
        self.page_size = rows.max(1);
        self
    }

    /// Whether rows can be created (`can_create`).
    #[must_use]
    pub fn can_create(mut self, yes: bool) -> Self {
        self.can_create = yes;
        self
    }

    /// Whether rows can be edited (`can_edit`).
    #[must_use]
    pub fn can_edit(mut self, yes: bool) -> Self {
        self.can_edit = yes;
        self
    }

    /// Whether rows can be deleted (`can_delete`).
    #[must_use]
    pub fn can_delete(mut self, yes: bool) -> Self {
        self.can_delete = yes;
        self
    }

    /// Whether the list can be exported (`can_export`; off by default): an "Export" link
    /// for each of [`export_types`](ModelView::export_types), giving the rows the search
    /// and filters select, in the list's order, streamed.
    #[must_use]
    pub fn can_export(mut self, yes: bool) -> Self {
        self.can_export = yes;
        self
    }

    /// The export formats, `"csv"` (the default) and `"json"`. An unknown name is left out.
    #[must_use]
    pub fn export_types(mut self, types: &[&str]) -> Self {
        self.export_types = types
            .iter()
            .filter_map(|t| match *t {
                "csv" => Some(crate::export::Format::Csv),
                "json" => Some(crate::export::Format::Json),
                _ => None,
            })
            .collect();
        self
    }

    /// The most rows an export gives (`export_max_rows`; all by default).
    #[must_use]
    pub fn export_max_rows(mut self, rows: u64) -> Self {
        self.export_max_rows = Some(rows);
        self
    }

    /// A bulk action (Flask-Admin's `@action(name, text, confirmation)`): the list offers it
    /// for the ticked rows, a page asks `confirmation`, then `f` gets the rows (loaded as
    /// models) and returns the message to flash.
    ///
    /// ```
    /// # use flask_admin::ModelView;
    /// # use flask_sqlalchemy::Model;
    /// # #[derive(Debug, Clone, Model, serde::Serialize, serde::Deserialize)]
    /// # struct Order { #[model(primary_key)] id: i64, shipped: bool }
    /// let view = ModelView::<Order>::new().action(
    ///     "ship",
    ///     "Mark shipped",
    ///     "Mark the selected orders as shipped?",
    ///     |db, orders| async move {
    ///         let session = db.session();
    ///         for mut order in orders.clone() {
    ///             order.shipped = true;
    ///             session.add(&mut order).await?;
    ///         }
    ///         session.commit().await?;
    ///         Ok(format!("{} orders were marked shipped.", orders.len()))
    ///     },
    /// );
    /// # let _ = view;
    /// ```
    #[must_use]
    pub fn action<F, Fut>(mut self, name: &str, label: &str, confirmation: &str, f: F) -> Self
    where
        F: Fn(Engine, Vec<M>) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = Result<String, Error>> + Send + 'static,
    {
        self.actions.push(crate::actions::ActionDef {
            name: name.to_owned(),
            label: label.to_owned(),
            confirmation: confirmation.to_owned(),
            run: Arc::new(move |engine, models| Box::pin(f(engine, models))),
        });
        self
    }

    /// Flask-Admin's `is_accessible`: who may use this view (the admin's own check comes
    /// first). Others get a 403.
    #[must_use]
    pub fn is_accessible<F>(mut self, f: F) -> Self
    where
        F: Fn(&RequestContext) -> bool + Send + Sync + 'static,
    {
        self.access = Some(Arc::new(f));
        self
    }

    /// A column's label.
    pub(crate) fn label_of(&self, column: &str) -> String {
        self.label(column)
    }

    fn label(&self, column: &str) -> String {
        self.column_labels
            .get(column)
            .cloned()
            .unwrap_or_else(|| fields::default_label(column))
    }

    /// The columns of the list.
    fn listed(&self) -> Vec<&'static Column> {
        match &self.column_list {
            Some(names) => names.iter().filter_map(|n| M::TABLE.column(n)).collect(),
            None => M::TABLE
                .columns
                .iter()
                .filter(|c| fields::editable(c) || c.primary_key)
                .collect(),
        }
    }

    fn sortable(&self, column: &str) -> bool {
        match &self.sortable {
            Some(names) => names.iter().any(|n| n == column),
            None => true,
        }
    }

    /// The columns the forms edit.
    /// The columns the create form edits: the edit form's, without the read-only ones.
    fn create_columns(&self) -> Vec<&'static Column> {
        self.form_columns()
            .into_iter()
            .filter(|c| !self.readonly.iter().any(|r| r == c.name))
            .collect()
    }

    fn form_columns(&self) -> Vec<&'static Column> {
        M::TABLE
            .columns
            .iter()
            .filter(|c| !(c.primary_key && c.autoincrement))
            .filter(|c| c.server_default.is_none() || c.nullable)
            .filter(|c| fields::editable(c))
            .filter(|c| !self.form_excluded.iter().any(|e| e == c.name))
            .collect()
    }

    /// Checks the column names given to the options against the model.
    fn check_columns(&self) -> Result<(), SetupError> {
        let named = self
            .column_list
            .iter()
            .flatten()
            .chain(&self.searchable)
            .chain(&self.filters)
            .chain(self.default_sort.iter().map(|(c, _)| c))
            .chain(&self.editable)
            .chain(self.formatters.keys())
            .chain(&self.readonly)
            .chain(self.form_options.descriptions.keys())
            .chain(self.form_options.inputs.keys())
            .chain(self.form_options.choices.keys())
            .chain(self.sortable.iter().flatten())
            .chain(&self.form_excluded)
            .chain(self.column_labels.keys());
        for name in named {
            // form_excluded_columns may name a many-to-many relationship too.
            let relationship = self.form_excluded.contains(name)
                && M::TABLE
                    .relationships
                    .iter()
                    .any(|r| r.name == name.as_str());
            if M::TABLE.column(name).is_none() && !relationship {
                let known: Vec<&str> = M::TABLE.columns.iter().map(|c| c.name).collect();
                return Err(SetupError::extension(
                    "admin",
                    format!(
                        "ModelView of {}: it has no column {name:?}; its columns are {}",
                        M::TABLE.name,
                        known.join(", ")
                    ),
                ));
            }
        }
        if let Some(problem) = self.unknown_options.first() {
            return Err(SetupError::extension(
                "admin",
                format!("ModelView of {}: {problem}", M::TABLE.name),
            ));
        }
        if let Some(name) = self.editable.iter().find(|n| {
            M::TABLE
                .column(n)
                .is_some_and(|c| c.primary_key || !fields::editable(c))
        }) {
            return Err(SetupError::extension(
                "admin",
                format!(
                    "ModelView of {}: column_editable_list names {name:?}, which a form cannot edit (a key, or bytes)",
                    M::TABLE.name
                ),
            ));
        }
        if let Some(name) = self.filters.iter().find(|n| {
            M::TABLE
                .column(n)
                .is_some_and(|c| !crate::filters::filterable(c))
        }) {
            return Err(SetupError::extension(
                "admin",
                format!(
                    "ModelView of {}: column_filters names {name:?}, whose type has no filter (bytes, JSON and times of day have none)",
                    M::TABLE.name
                ),
            ));
        }
        if M::TABLE.primary_key().count() != 1 {
            return Err(SetupError::extension(
                "admin",
                format!(
                    "ModelView of {}: the admin needs a primary key of one column",
                    M::TABLE.name
                ),
            ));
        }
        Ok(())
    }
}

/// What the admin keeps of a view: its menu entry and its routes.
pub(crate) trait AdminView: Send + Sync {
    fn name(&self) -> &str;
    fn endpoint(&self) -> &str;
    fn category(&self) -> Option<&str>;
    /// The endpoint (in the view's blueprint) of the page the menu links to.
    fn index_endpoint(&self) -> &'static str {
        "index_view"
    }
    fn blueprint(self: Arc<Self>, shared: Arc<Shared>) -> Result<Blueprint, SetupError>;
}

impl<M> AdminView for ModelView<M>
where
    M: Model + Serialize + DeserializeOwned + Clone,
{
    fn name(&self) -> &str {
        &self.name
    }

    fn endpoint(&self) -> &str {
        &self.endpoint
    }

    fn category(&self) -> Option<&str> {
        self.category.as_deref()
    }

    fn blueprint(self: Arc<Self>, shared: Arc<Shared>) -> Result<Blueprint, SetupError> {
        self.check_columns()?;
        let url = format!("{}/{}", shared.url.trim_end_matches('/'), self.endpoint);
        let p = Arc::new(Pages {
            view: self.clone(),
            shared,
        });
        Ok(Blueprint::new(&self.endpoint)
            .url_prefix(url)
            .route(
                "/",
                shown(&p, |p, ctx| async move { p.list(ctx).await }).endpoint("index_view"),
            )
            .route(
                "/details/",
                shown(&p, |p, ctx| async move { p.details(ctx).await }).endpoint("details_view"),
            )
            .route(
                "/new/",
                also_posted(
                    shown(&p, |p, ctx| async move { p.create(ctx, None).await }),
                    &p,
                    |p, ctx, form| async move { p.create(ctx, Some(form)).await },
                )
                .endpoint("create_view"),
            )
            .route(
                "/edit/",
                also_posted(
                    shown(&p, |p, ctx| async move { p.edit(ctx, None).await }),
                    &p,
                    |p, ctx, form| async move { p.edit(ctx, Some(form)).await },
                )
                .endpoint("edit_view"),
            )
            .route(
                "/delete/",
                posted(&p, |p, ctx, form| async move { p.delete(ctx, form).await })
                    .endpoint("delete_view"),
            )
            .route(
                "/inline/",
                posted(&p, |p, ctx, form| async move { p.inline(ctx, form).await })
                    .endpoint("inline_view"),
            )
            .route(
                "/action/",
                posted(&p, |p, ctx, form| async move { p.action(ctx, form).await })
                    .endpoint("action_view"),
            )
            .route(
                "/export/csv/",
                shown(&p, |p, ctx| async move {
                    p.export(ctx, crate::export::Format::Csv).await
                })
                .endpoint("export_csv"),
            )
            .route(
                "/export/json/",
                shown(&p, |p, ctx| async move {
                    p.export(ctx, crate::export::Format::Json).await
                })
                .endpoint("export_json"),
            ))
    }
}

/// A GET page of the view: `page(pages, ctx)`.
fn shown<M, F, Fut>(pages: &Arc<Pages<M>>, page: F) -> flask::routing::MethodHandlers
where
    M: Model + Serialize + DeserializeOwned + Clone,
    F: Fn(Arc<Pages<M>>, RequestContext) -> Fut + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<Response, Error>> + Send + 'static,
{
    let pages = pages.clone();
    get(move |ctx: RequestContext| page(pages.clone(), ctx))
}

/// A POST of a form to the view: `page(pages, ctx, fields)`.
fn posted<M, F, Fut>(pages: &Arc<Pages<M>>, page: F) -> flask::routing::MethodHandlers
where
    M: Model + Serialize + DeserializeOwned + Clone,
    F: Fn(Arc<Pages<M>>, RequestContext, Vec<(String, String)>) -> Fut
        + Clone
        + Send
        + Sync
        + 'static,
    Fut: std::future::Future<Output = Result<Response, Error>> + Send + 'static,
{
    let pages = pages.clone();
    post(
        move |ctx: RequestContext, Form(form): Form<Vec<(String, String)>>| {
            page(pages.clone(), ctx, form)
        },
    )
}

/// `handlers` (a GET page) that also take a POST of the form: `page(pages, ctx, fields)`.
fn also_posted<M, F, Fut>(
    handlers: flask::routing::MethodHandlers,
    pages: &Arc<Pages<M>>,
    page: F,
) -> flask::routing::MethodHandlers
where
    M: Model + Serialize + DeserializeOwned + Clone,
    F: Fn(Arc<Pages<M>>, RequestContext, Vec<(String, String)>) -> Fut
        + Clone
        + Send
        + Sync
        + 'static,
    Fut: std::future::Future<Output = Result<Response, Error>> + Send + 'static,
{
    let pages = pages.clone();
    handlers.post(
        move |ctx: RequestContext, Form(form): Form<Vec<(String, String)>>| {
            page(pages.clone(), ctx, form)
        },
    )
}

/// A view with the admin it belongs to: what the handlers run on.
pub(crate) struct Pages<M> {
    pub(crate) view: Arc<ModelView<M>>,
    pub(crate) shared: Arc<Shared>,
}

/// The list's query: the columns, the search, the sorting, the filters.
pub(crate) struct ListQuery<M> {
    pub(crate) listed: Vec<&'static Column>,
    pub(crate) search: String,
    pub(crate) sort: Option<(usize, bool)>,
    pub(crate) chosen: crate::filters::Chosen,
    pub(crate) filter: Option<Filter>,
    /// The order when the query string asks for none.
    pub(crate) default_sort: Option<(&'static str, bool)>,
    _model: PhantomData<fn() -> M>,
}

impl<M: Model> ListQuery<M> {
    /// The column the list is ordered by and whether descending, for keyset pages: the
    /// chosen or default sort, else the key; `None` when that column may be NULL (a keyset
    /// cannot step over NULLs the same way on every database).
    pub(crate) fn order(&self) -> Option<(&'static Column, bool)> {
        let (column, desc) = match (self.sort, self.default_sort) {
            (Some((i, desc)), _) => (self.listed[i], desc),
            (None, Some((name, desc))) => (M::TABLE.column(name)?, desc),
            (None, None) => (M::TABLE.primary_key().next()?, false),
        };
        (!column.nullable).then_some((column, desc))
    }

    /// The rows it selects on `engine`, in the list's order when `ordered` (the sorted
    /// column, then the key, so that pages never overlap).
    pub(crate) fn select<'e>(
        &self,
        engine: &'e Engine,
        ordered: bool,
    ) -> flask_sqlalchemy::Select<'e, M> {
        let mut q = engine.select::<M>();
        if let Some(f) = self.filter.clone() {
            q = q.filter(f);
        }
        if ordered {
            let by = match self.sort {
                Some((i, desc)) => Some((self.listed[i].name, desc)),
                None => self.default_sort,
            };
            if let Some((name, desc)) = by
                && let Some(col) = DynCol::<M>::named(name)
            {
                q = q.order_by(if desc { col.desc() } else { col.asc() });
            }
            q = q.order_by(primary_key::<M>().asc());
        }
        q
    }
}

/// One row of the list.
#[derive(Serialize)]
struct ListRow {
    id: String,
    cells: Vec<String>,
    /// For each cell, its inline form when its column is in `column_editable_list`.
    edits: Vec<Option<FormField>>,
}

/// One heading of the list.
#[derive(Serialize)]
struct Heading {
    label: String,
    /// The URL that sorts by it (again: the other way), when it sorts.
    sort_url: Option<String>,
    /// `asc` or `desc` when the list is sorted by it.
    sorted: Option<&'static str>,
    /// The column's description, as a tooltip.
    description: Option<String>,
}

impl<M> Pages<M>
where
    M: Model + Serialize + DeserializeOwned + Clone,
{
    pub(crate) fn check(&self, ctx: &RequestContext) -> Result<(), Error> {
        self.shared.check(ctx)?;
        match &self.view.access {
            Some(allowed) if !allowed(ctx) => Err(flask::abort(403)),
            _ => Ok(()),
        }
    }

    /// Writes `changes` to the audit log, when it is on.
    pub(crate) async fn audit(&self, ctx: &RequestContext, changes: Vec<crate::audit::Change>) {
        crate::audit::record(
            self.shared.audit.as_ref(),
            ctx,
            &self.view.endpoint,
            changes,
        )
        .await;
    }

    /// Whether the request may do `permission` here.
    pub(crate) fn may(&self, ctx: &RequestContext, permission: &crate::Permission) -> bool {
        self.shared.permits(ctx, &self.view.endpoint, permission)
    }

    /// A 403 unless the request may do `permission` here.
    pub(crate) fn require(
        &self,
        ctx: &RequestContext,
        permission: &crate::Permission,
    ) -> Result<(), Error> {
        if self.may(ctx, permission) {
            return Ok(());
        }
        Err(Error::with_description(
            StatusCode::FORBIDDEN,
            format!(
                "You do not have the permission to {} in {}.",
                match permission {
                    crate::Permission::View => "see the records".to_owned(),
                    crate::Permission::Create => "create records".to_owned(),
                    crate::Permission::Edit => "edit records".to_owned(),
                    crate::Permission::Delete => "delete records".to_owned(),
                    crate::Permission::Export => "export records".to_owned(),
                    crate::Permission::Action(name) => format!("run the action {name:?}"),
                },
                self.view.name
            ),
        ))
    }

    pub(crate) fn engine(&self, ctx: &RequestContext) -> Result<Engine, Error> {
        let ext = ctx.app().extension::<SQLAlchemy>().ok_or_else(|| {
            Error::internal("flask-admin needs flask-sqlalchemy: register SQLAlchemy on the app")
        })?;
        match M::TABLE.bind {
            Some(key) => ext.bind(key),
            None => ext.engine(),
        }
        .cloned()
        .ok_or_else(|| Error::internal("the database is not connected"))
    }

    pub(crate) fn url<K: AsRef<str>>(
        &self,
        ctx: &RequestContext,
        page: &str,
        args: &[(K, String)],
    ) -> String {
        let mut url = ctx.url_for(&format!("{}.{page}", self.view.endpoint));
        for (name, value) in args {
            url = url.value(name.as_ref(), value);
        }
        url.build().unwrap_or_default()
    }

    /// The model's foreign keys whose tables the app knows.
    pub(crate) fn relations(&self, ctx: &RequestContext) -> Vec<crate::relations::Relation> {
        match ctx.app().extension::<SQLAlchemy>() {
            Some(ext) => crate::relations::of::<M>(&ext, &self.view.related_labels),
            None => Vec::new(),
        }
    }

    /// The related rows each foreign key offers, by column (none for a table too big to
    /// list, whose key is typed as a number).
    pub(crate) async fn related_choices(
        &self,
        ctx: &RequestContext,
        engine: &Engine,
        only: &[&'static Column],
    ) -> Result<HashMap<&'static str, Vec<(String, String)>>, Error> {
        let mut out = HashMap::new();
        for rel in self.relations(ctx) {
            if !only.iter().any(|c| c.name == rel.column.name) {
                continue;
            }
            if let Some(choices) = rel.choices(engine).await? {
                out.insert(rel.column.name, choices);
            }
        }
        Ok(out)
    }

    /// The model's many-to-many relationships the forms edit, with the related rows each
    /// offers (a relationship to a table too big to list is left out of the forms).
    async fn many_to_many(
        &self,
        ctx: &RequestContext,
        engine: &Engine,
    ) -> Result<Vec<(crate::m2m::ManyToMany, Vec<(String, String)>)>, Error> {
        let Some(ext) = ctx.app().extension::<SQLAlchemy>() else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for rel in crate::m2m::of::<M>(&ext, &self.view.form_excluded) {
            if let Some(choices) = rel.choices(engine).await? {
                out.push((rel, choices));
            }
        }
        Ok(out)
    }

    /// The form's fields of the many-to-many relationships, showing `selected`, and
    /// whether every posted key is one offered.
    fn relation_fields(
        relations: &[(crate::m2m::ManyToMany, Vec<(String, String)>)],
        selected: &crate::m2m::Selected,
    ) -> (Vec<FormField>, bool) {
        let mut ok = true;
        let fields = relations
            .iter()
            .map(|(rel, choices)| {
                let chosen = selected.get(rel.name).cloned().unwrap_or_default();
                let mut field =
                    fields::many(rel.name, rel.label(), choices.clone(), chosen.clone());
                if chosen.iter().any(|k| !choices.iter().any(|(c, _)| c == k)) {
                    field.errors.push("Not a valid choice.".to_owned());
                    ok = false;
                }
                field
            })
            .collect();
        (fields, ok)
    }

    /// Writes `model` (a new row or changed one) and its many-to-many links in one
    /// transaction.
    async fn save_with_links(
        &self,
        engine: &Engine,
        model: &mut M,
        relations: &[(crate::m2m::ManyToMany, Vec<(String, String)>)],
        selected: &crate::m2m::Selected,
    ) -> Result<(), flask_sqlalchemy::Error> {
        let session = engine.session();
        session.add(model).await?;
        let pk = M::TABLE
            .columns
            .iter()
            .position(|c| c.primary_key)
            .unwrap_or(0);
        let id = model.values()[pk].clone();
        for (rel, _) in relations {
            let keys: Vec<Value> = selected
                .get(rel.name)
                .map(|keys| keys.iter().map(|k| rel.key(k)).collect())
                .unwrap_or_default();
            rel.set(&session, &id, &keys).await?;
        }
        session.commit().await
    }

    pub(crate) fn base_context(&self, ctx: &RequestContext) -> serde_json::Value {
        serde_json::json!({
            "admin": self.shared.template_admin(ctx),
            "view": {
                "name": self.view.name,
                "endpoint": self.view.endpoint,
                "can_create": self.view.can_create && self.may(ctx, &crate::Permission::Create),
                "can_edit": self.view.can_edit && self.may(ctx, &crate::Permission::Edit),
                "can_delete": self.view.can_delete && self.may(ctx, &crate::Permission::Delete),
                "list_url": self.url(ctx, "index_view", NONE),
                "create_url": self.url(ctx, "create_view", NONE),
                "delete_url": self.url(ctx, "delete_view", NONE),
            },
            "csrf_token": flask_wtf::generate_csrf(ctx).unwrap_or_default(),
        })
    }

    async fn list(&self, ctx: RequestContext) -> Result<Response, Error> {
        self.check(&ctx)?;
        self.require(&ctx, &crate::Permission::View)?;
        let engine = self.engine(&ctx)?;
        let args: HashMap<String, String> = query_args(&ctx);
        let page: u64 = args.get("page").and_then(|p| p.parse().ok()).unwrap_or(0);
        let lq = self.list_query(&ctx, &engine, &args).await?;
        let size = self.view.page_size;
        let key_column = M::TABLE
            .primary_key()
            .next()
            .unwrap_or(&M::TABLE.columns[0]);
        // Keyset pages: by the sort column (one that is never NULL), then the key.
        let keyset = self.view.keyset.then(|| lq.order()).flatten();
        let (models, total, pages, page, keyset_page) = match keyset {
            Some((sort_column, desc)) => {
                let cursor = [
                    ("after", crate::keyset::Direction::After),
                    ("before", crate::keyset::Direction::Before),
                ]
                .into_iter()
                .find_map(|(name, direction)| {
                    let text = args.get(name)?;
                    crate::keyset::Cursor::parse(text, sort_column, key_column)
                        .map(|c| (direction, c))
                });
                let kp = crate::keyset::page(&engine, &lq, sort_column, desc, cursor, size).await?;
                let sort_index = M::TABLE
                    .columns
                    .iter()
                    .position(|c| c.name == sort_column.name)
                    .unwrap_or(0);
                let key_index = M::TABLE
                    .columns
                    .iter()
                    .position(|c| c.name == key_column.name)
                    .unwrap_or(0);
                let first = kp
                    .models
                    .first()
                    .map(|m| crate::keyset::Cursor::of(&m.values(), sort_index, key_index).write());
                let last = kp
                    .models
                    .last()
                    .map(|m| crate::keyset::Cursor::of(&m.values(), sort_index, key_index).write());
                let links = (
                    first.filter(|_| kp.more_before),
                    last.filter(|_| kp.more_after),
                );
                (kp.models, None, 1, 0, Some(links))
            }
            None => {
                let total = u64::try_from(lq.select(&engine, false).count().await?).unwrap_or(0);
                let pages = total.div_ceil(size).max(1);
                let page = page.min(pages - 1);
                let models = lq
                    .select(&engine, true)
                    .limit(size)
                    .offset(page * size)
                    .all()
                    .await?;
                (models, Some(total), pages, page, None)
            }
        };
        let ListQuery {
            listed,
            search,
            sort,
            chosen,
            ..
        } = lq;
        let indexes: Vec<usize> = listed
            .iter()
            .filter_map(|c| M::TABLE.columns.iter().position(|t| t.name == c.name))
            .collect();
        let pk_index = M::TABLE
            .columns
            .iter()
            .position(|c| c.primary_key)
            .unwrap_or(0);
        let all_values: Vec<Vec<Value>> = models.iter().map(Model::values).collect();
        // A foreign key shows the related row's label.
        let mut labels: HashMap<usize, HashMap<String, String>> = HashMap::new();
        for rel in self.relations(&ctx) {
            let Some(i) = M::TABLE
                .columns
                .iter()
                .position(|c| c.name == rel.column.name)
            else {
                continue;
            };
            if !indexes.contains(&i) {
                continue;
            }
            let keys: Vec<Value> = all_values.iter().map(|v| v[i].clone()).collect();
            labels.insert(i, rel.labels(&engine, &keys).await?);
        }
        // Inline editing: the editable columns' fields, with the related rows of a key.
        let editable: Vec<&'static Column> =
            if self.view.can_edit && self.may(&ctx, &crate::Permission::Edit) {
                listed
                    .iter()
                    .filter(|c| self.view.editable.iter().any(|e| e == c.name))
                    .copied()
                    .collect()
            } else {
                Vec::new()
            };
        let inline_choices = self.related_choices(&ctx, &engine, &editable).await?;
        let rows: Vec<ListRow> = all_values
            .iter()
            .zip(&models)
            .map(|(values, model)| ListRow {
                edits: indexes
                    .iter()
                    .map(|&i| {
                        let column = &M::TABLE.columns[i];
                        if !editable.iter().any(|c| c.name == column.name) {
                            return None;
                        }
                        let mut field = fields::field(
                            column,
                            self.view.label(column.name),
                            Shown::Stored(values[i].clone()),
                        )?;
                        fields::offer(std::slice::from_mut(&mut field), &editable, &inline_choices);
                        Some(field)
                    })
                    .collect(),
                id: crate::display::text(&values[pk_index]),
                cells: indexes
                    .iter()
                    .map(|&i| {
                        if let Some(format) = self.view.formatters.get(M::TABLE.columns[i].name) {
                            return format(model);
                        }
                        let shown = crate::display::text(&values[i]);
                        labels
                            .get(&i)
                            .and_then(|l| l.get(&shown))
                            .cloned()
                            .unwrap_or(shown)
                    })
                    .collect(),
            })
            .collect();
        // Search and filters stay in the sorting and page links.
        let mut base: Vec<(String, String)> = Vec::new();
        if !search.is_empty() {
            base.push(("search".into(), search.clone()));
        }
        base.extend(chosen.args.iter().cloned());
        let keep = |extra: &[(&str, String)]| -> Vec<(String, String)> {
            let mut out = base.clone();
            out.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
            out
        };
        let headings: Vec<Heading> = listed
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let sorted = sort
                    .filter(|(s, _)| *s == i)
                    .map(|(_, d)| if d { "desc" } else { "asc" });
                let sort_url = self.view.sortable(c.name).then(|| {
                    let mut a = vec![("sort", i.to_string())];
                    if sorted == Some("asc") {
                        a.push(("desc", "1".to_owned()));
                    }
                    self.url(&ctx, "index_view", &keep(&a))
                });
                Heading {
                    label: self.view.label(c.name),
                    sort_url,
                    sorted,
                    description: self.view.form_options.descriptions.get(c.name).cloned(),
                }
            })
            .collect();
        let sort_args: Vec<(&str, String)> = match sort {
            Some((i, true)) => vec![("sort", i.to_string()), ("desc", "1".into())],
            Some((i, false)) => vec![("sort", i.to_string())],
            None => Vec::new(),
        };
        let page_url = |p: u64| {
            let mut a = sort_args.clone();
            a.push(("page", p.to_string()));
            self.url(&ctx, "index_view", &keep(&a))
        };
        let mut context = self.base_context(&ctx);
        context["list"] = serde_json::json!({
            "headings": headings,
            "rows": rows,
            "total": total,
            "page": page,
            "pages": pages,
            "keyset": keyset_page.is_some(),
            "prev_url": match &keyset_page {
                Some((before, _)) => before.as_ref().map(|c| {
                    let mut a = sort_args.clone();
                    a.push(("before", c.clone()));
                    self.url(&ctx, "index_view", &keep(&a))
                }),
                None => (page > 0).then(|| page_url(page - 1)),
            },
            "next_url": match &keyset_page {
                Some((_, after)) => after.as_ref().map(|c| {
                    let mut a = sort_args.clone();
                    a.push(("after", c.clone()));
                    self.url(&ctx, "index_view", &keep(&a))
                }),
                None => (page + 1 < pages).then(|| page_url(page + 1)),
            },
            "search": search,
            "searchable": !self.view.searchable.is_empty(),
            "filters": chosen.fields,
            "filters_active": chosen.len(),
            "sort_args": sort_args.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect::<Vec<_>>(),
            "search_placeholder": self.view.searchable.iter().map(|c| self.view.label(c)).collect::<Vec<_>>().join(", "),
            "edit_url": self.url(&ctx, "edit_view", NONE),
            "details_url": self.url(&ctx, "details_view", NONE),
            "actions": self.offered_actions(&ctx),
            "action_url": self.url(&ctx, "action_view", NONE),
            "inline_url": self.url(&ctx, "inline_view", NONE),
            "here": ctx.uri().path_and_query().map_or_else(String::new, |p| p.as_str().to_owned()),
            "exports": if self.view.can_export && self.may(&ctx, &crate::Permission::Export) {
                self.view.export_types.iter().map(|f| {
                    let endpoint = format!("export_{}", f.name());
                    (f.name().to_uppercase(), self.url(&ctx, &endpoint, &base))
                }).collect::<Vec<_>>()
            } else {
                Vec::new()
            },
        });
        Ok(render_template(&self.view.template("list"), context)?.into_response())
    }

    /// What the list's query string asks for: the search, the filters, the sorting.
    pub(crate) async fn list_query(
        &self,
        ctx: &RequestContext,
        engine: &Engine,
        args: &HashMap<String, String>,
    ) -> Result<ListQuery<M>, Error> {
        let listed = self.view.listed();
        let search = args.get("search").map_or("", |s| s.trim()).to_owned();
        let sort: Option<(usize, bool)> = args
            .get("sort")
            .and_then(|s| s.parse::<usize>().ok())
            .filter(|&i| i < listed.len() && self.view.sortable(listed[i].name))
            .map(|i| (i, args.get("desc").is_some_and(|d| d == "1")));
        let filterable: Vec<(&'static Column, String)> = self
            .view
            .filters
            .iter()
            .filter_map(|name| M::TABLE.column(name))
            .map(|c| (c, self.view.label(c.name)))
            .collect();
        let filter_columns: Vec<&'static Column> = filterable.iter().map(|(c, _)| *c).collect();
        let filter_choices = self.related_choices(ctx, engine, &filter_columns).await?;
        let chosen = crate::filters::read(&filterable, &filter_choices, args);
        let filter = match (self.search_filter(&search), chosen.condition::<M>()) {
            (Some(a), Some(b)) => Some(a.and(b)),
            (a, b) => a.or(b),
        };
        let default_sort = self
            .view
            .default_sort
            .as_ref()
            .and_then(|(name, desc)| M::TABLE.column(name).map(|c| (c.name, *desc)));
        Ok(ListQuery {
            listed,
            search,
            sort,
            chosen,
            filter,
            default_sort,
            _model: PhantomData,
        })
    }

    /// The search box's condition: any searchable column contains the text.
    fn search_filter(&self, search: &str) -> Option<Filter> {
        if search.is_empty() {
            return None;
        }
        self.view
            .searchable
            .iter()
            .filter_map(|c| DynCol::<M>::named(c))
            .map(|c| c.icontains(search))
            .reduce(Filter::or)
    }

    async fn find(&self, ctx: &RequestContext, engine: &Engine) -> Result<M, Error> {
        let args = query_args(ctx);
        let id = args.get("id").map(String::as_str).unwrap_or("");
        let pk = M::TABLE
            .primary_key()
            .next()
            .ok_or_else(|| flask::abort(404))?;
        let value = fields::parse(pk, Some(id)).map_err(|_| flask::abort(404))?;
        let key = json_to_value(&value);
        engine
            .select::<M>()
            .filter(primary_key::<M>().eq(key))
            .first()
            .await?
            .ok_or_else(|| {
                Error::with_description(
                    StatusCode::NOT_FOUND,
                    format!(
                        "{} {id} does not exist (it may have been deleted).",
                        self.view.name
                    ),
                )
            })
    }

    async fn details(&self, ctx: RequestContext) -> Result<Response, Error> {
        self.check(&ctx)?;
        self.require(&ctx, &crate::Permission::View)?;
        let engine = self.engine(&ctx)?;
        let model = self.find(&ctx, &engine).await?;
        let values = model.values();
        let rows: Vec<(String, String)> = M::TABLE
            .columns
            .iter()
            .zip(&values)
            .map(|(c, v)| {
                let shown = match self.view.formatters.get(c.name) {
                    Some(format) => format(&model),
                    None => crate::display::text(v),
                };
                (self.view.label(c.name), shown)
            })
            .collect();
        let id = id_of::<M>(&model);
        let mut rows = rows;
        let pk_index = M::TABLE
            .columns
            .iter()
            .position(|c| c.primary_key)
            .unwrap_or(0);
        for (rel, choices) in self.many_to_many(&ctx, &engine).await? {
            let linked = rel.linked(&engine, &values[pk_index]).await?;
            let labels: Vec<String> = linked
                .iter()
                .map(|k| {
                    choices
                        .iter()
                        .find(|(c, _)| c == k)
                        .map_or_else(|| k.clone(), |(_, l)| l.clone())
                })
                .collect();
            rows.push((rel.label(), labels.join(", ")));
        }
        let mut context = self.base_context(&ctx);
        context["details"] = serde_json::json!({
            "id": id,
            "rows": rows,
            "edit_url": self.url(&ctx, "edit_view", &[("id", id.clone())]),
        });
        Ok(render_template(&self.view.template("details"), context)?.into_response())
    }

    async fn create(
        &self,
        ctx: RequestContext,
        form: Option<Vec<(String, String)>>,
    ) -> Result<Response, Error> {
        self.check(&ctx)?;
        if !self.view.can_create {
            return Err(flask::abort(403));
        }
        self.require(&ctx, &crate::Permission::Create)?;
        let engine = self.engine(&ctx)?;
        let columns = self.view.create_columns();
        let choices = self.related_choices(&ctx, &engine, &columns).await?;
        let relations = self.many_to_many(&ctx, &engine).await?;
        let Some(form) = form else {
            let mut fields: Vec<FormField> = columns
                .iter()
                .filter_map(|c| {
                    fields::field(c, self.view.label(c.name), Shown::Stored(Value::Null))
                })
                .collect();
            fields::offer(&mut fields, &columns, &choices);
            fields::customize(&mut fields, &self.view.form_options);
            fields.extend(Self::relation_fields(&relations, &crate::m2m::Selected::new()).0);
            return self.form_page(&ctx, "create", &fields, None, None);
        };
        check_csrf(&ctx, &form)?;
        let typed = typed_map(&form);
        let mut object = serde_json::Map::new();
        // Primary keys the database numbers start at 0; columns the form leaves out take
        // serde's default (`#[serde(default)]`) or none.
        for c in M::TABLE.columns {
            if c.primary_key && c.autoincrement {
                object.insert(c.field.to_owned(), serde_json::json!(0));
            } else if c.nullable {
                object.insert(c.field.to_owned(), serde_json::Value::Null);
            }
        }
        let (mut fields, ok) = self.read_form(&columns, &typed, &mut object, &choices);
        let selected: crate::m2m::Selected = relations
            .iter()
            .map(|(rel, _)| (rel.name, crate::m2m::chosen(&form, rel.name)))
            .collect();
        let (links, links_ok) = Self::relation_fields(&relations, &selected);
        fields.extend(links);
        if !ok || !links_ok {
            return self.form_page(&ctx, "create", &fields, None, None);
        }
        let mut model: M = match serde_json::from_value(serde_json::Value::Object(object)) {
            Ok(m) => m,
            Err(e) => {
                return self.form_page(
                    &ctx,
                    "create",
                    &fields,
                    None,
                    Some(&format!(
                        "The form's values do not make a {}: {e}",
                        self.view.name
                    )),
                );
            }
        };
        if let Err(e) = self
            .save_with_links(&engine, &mut model, &relations, &selected)
            .await
        {
            return self.write_failed(&ctx, "create", fields, None, &e);
        }
        self.audit(
            &ctx,
            vec![crate::audit::Change {
                object_id: id_of::<M>(&model),
                action: "create".into(),
                changes: Some(crate::audit::values(&model)),
            }],
        )
        .await;
        flash(&ctx, "Record was successfully created.", "success");
        self.after_save(&ctx, &typed, &model)
    }

    async fn edit(
        &self,
        ctx: RequestContext,
        form: Option<Vec<(String, String)>>,
    ) -> Result<Response, Error> {
        self.check(&ctx)?;
        if !self.view.can_edit {
            return Err(flask::abort(403));
        }
        self.require(&ctx, &crate::Permission::Edit)?;
        let engine = self.engine(&ctx)?;
        let model = self.find(&ctx, &engine).await?;
        let id = id_of::<M>(&model);
        let columns = self.view.form_columns();
        let choices = self.related_choices(&ctx, &engine, &columns).await?;
        let relations = self.many_to_many(&ctx, &engine).await?;
        let pk_index = M::TABLE
            .columns
            .iter()
            .position(|c| c.primary_key)
            .unwrap_or(0);
        let key = model.values()[pk_index].clone();
        let mut before: crate::m2m::Selected = crate::m2m::Selected::new();
        for (rel, _) in &relations {
            before.insert(rel.name, rel.linked(&engine, &key).await?);
        }
        let Some(form) = form else {
            let values = model.values();
            let mut fields: Vec<FormField> = columns
                .iter()
                .filter_map(|c| {
                    let i = M::TABLE.columns.iter().position(|t| t.name == c.name)?;
                    fields::field(c, self.view.label(c.name), Shown::Stored(values[i].clone()))
                })
                .collect();
            fields::offer(&mut fields, &columns, &choices);
            fields::customize(&mut fields, &self.view.form_options);
            for field in &mut fields {
                field.readonly = self.view.readonly.iter().any(|r| r == field.name);
            }
            fields.extend(Self::relation_fields(&relations, &before).0);
            return self.form_page(&ctx, "edit", &fields, Some(&id), None);
        };
        check_csrf(&ctx, &form)?;
        let typed = typed_map(&form);
        let mut object = match serde_json::to_value(&model) {
            Ok(serde_json::Value::Object(o)) => o,
            _ => {
                return Err(Error::internal(format!(
                    "{} does not serialize to an object: derive Serialize on it",
                    M::TABLE.name
                )));
            }
        };
        // Read-only columns keep what the row holds; the form shows them as they are.
        let changeable: Vec<&'static Column> = columns
            .iter()
            .filter(|c| !self.view.readonly.iter().any(|r| r == c.name))
            .copied()
            .collect();
        let (read, ok) = self.read_form(&changeable, &typed, &mut object, &choices);
        let values = model.values();
        let mut fields: Vec<FormField> = Vec::with_capacity(columns.len());
        let mut read = read.into_iter();
        for c in &columns {
            if self.view.readonly.iter().any(|r| r == c.name) {
                let i = M::TABLE
                    .columns
                    .iter()
                    .position(|t| t.name == c.name)
                    .unwrap_or(0);
                if let Some(mut field) =
                    fields::field(c, self.view.label(c.name), Shown::Stored(values[i].clone()))
                {
                    field.readonly = true;
                    fields.push(field);
                }
            } else if let Some(field) = read.next() {
                fields.push(field);
            }
        }
        let selected: crate::m2m::Selected = relations
            .iter()
            .map(|(rel, _)| (rel.name, crate::m2m::chosen(&form, rel.name)))
            .collect();
        let (links, links_ok) = Self::relation_fields(&relations, &selected);
        fields.extend(links);
        if !ok || !links_ok {
            return self.form_page(&ctx, "edit", &fields, Some(&id), None);
        }
        let mut changed: M = match serde_json::from_value(serde_json::Value::Object(object)) {
            Ok(m) => m,
            Err(e) => {
                return self.form_page(
                    &ctx,
                    "edit",
                    &fields,
                    Some(&id),
                    Some(&format!(
                        "The form's values do not make a {}: {e}",
                        self.view.name
                    )),
                );
            }
        };
        if let Err(e) = self
            .save_with_links(&engine, &mut changed, &relations, &selected)
            .await
        {
            return self.write_failed(&ctx, "edit", fields, Some(&id), &e);
        }
        // What changed, the links included.
        let mut changes = crate::audit::diff(&model, &changed)
            .and_then(|c| c.as_object().cloned())
            .unwrap_or_default();
        for (rel, _) in &relations {
            let (mut old, mut new) = (before[rel.name].clone(), selected[rel.name].clone());
            old.sort();
            new.sort();
            if old != new {
                changes.insert(rel.name.to_owned(), serde_json::json!([old, new]));
            }
        }
        self.audit(
            &ctx,
            vec![crate::audit::Change {
                object_id: id.clone(),
                action: "edit".into(),
                changes: (!changes.is_empty()).then_some(serde_json::Value::Object(changes)),
            }],
        )
        .await;
        flash(&ctx, "Record was successfully saved.", "success");
        self.after_save(&ctx, &typed, &changed)
    }

    async fn delete(
        &self,
        ctx: RequestContext,
        form: Vec<(String, String)>,
    ) -> Result<Response, Error> {
        self.check(&ctx)?;
        if !self.view.can_delete {
            return Err(flask::abort(403));
        }
        self.require(&ctx, &crate::Permission::Delete)?;
        check_csrf(&ctx, &form)?;
        let engine = self.engine(&ctx)?;
        let typed = typed_map(&form);
        let id = typed.get("id").cloned().unwrap_or_default();
        let pk = M::TABLE
            .primary_key()
            .next()
            .ok_or_else(|| flask::abort(404))?;
        let key = fields::parse(pk, Some(&id)).map_err(|_| flask::abort(404))?;
        let found = engine
            .select::<M>()
            .filter(primary_key::<M>().eq(json_to_value(&key)))
            .first()
            .await?;
        match found {
            Some(model) => match engine.delete(&model).await {
                Ok(_) => {
                    self.audit(
                        &ctx,
                        vec![crate::audit::Change {
                            object_id: id_of::<M>(&model),
                            action: "delete".into(),
                            changes: Some(crate::audit::values(&model)),
                        }],
                    )
                    .await;
                    flash(&ctx, "Record was successfully deleted.", "success");
                }
                Err(e) => flash(&ctx, &format!("Failed to delete record. {e}"), "error"),
            },
            None => flash(&ctx, "Record does not exist.", "error"),
        }
        let back = typed
            .get("url")
            .filter(|u| u.starts_with('/') && !u.starts_with("//"))
            .cloned()
            .unwrap_or_else(|| self.url(&ctx, "index_view", NONE));
        Ok(redirect(back).into_response())
    }

    /// Reads the typed values into `object` (by field name); the fields to show again, and
    /// whether all were valid.
    fn read_form(
        &self,
        columns: &[&'static Column],
        typed: &HashMap<String, String>,
        object: &mut serde_json::Map<String, serde_json::Value>,
        choices: &HashMap<&'static str, Vec<(String, String)>>,
    ) -> (Vec<FormField>, bool) {
        let mut ok = true;
        let mut shown = Vec::new();
        for c in columns {
            let text = typed.get(c.name).map(String::as_str);
            let Some(mut field) = fields::field(
                c,
                self.view.label(c.name),
                Shown::Typed(text.unwrap_or("").to_owned()),
            ) else {
                continue;
            };
            let fixed = self.view.form_options.choices.get(c.name);
            let offered = choices.get(c.name).or(fixed);
            let parsed = match (offered, text.map(str::trim)) {
                (Some(list), Some(t)) if !t.is_empty() && !list.iter().any(|(k, _)| k == t) => {
                    Err("Not a valid choice.".to_owned())
                }
                _ => fields::parse(c, text),
            };
            match parsed {
                Ok(value) => {
                    object.insert(c.field.to_owned(), value);
                }
                Err(message) => {
                    field.errors.push(message);
                    ok = false;
                }
            }
            shown.push(field);
        }
        fields::offer(&mut shown, columns, choices);
        fields::customize(&mut shown, &self.view.form_options);
        (shown, ok)
    }

    /// A write the database refused: a unique value taken is the field's error; anything
    /// else is the form's.
    fn write_failed(
        &self,
        ctx: &RequestContext,
        action: &str,
        mut fields: Vec<FormField>,
        id: Option<&str>,
        e: &flask_sqlalchemy::Error,
    ) -> Result<Response, Error> {
        if e.is_unique_violation() {
            let message = e.to_string().to_lowercase();
            let mut marked = false;
            for field in &mut fields {
                let column = M::TABLE.column(field.name);
                if column.is_some_and(|c| c.unique) && message.contains(&field.name.to_lowercase())
                {
                    field.errors.push("Already exists.".to_owned());
                    marked = true;
                }
            }
            if !marked
                && let Some(field) = fields
                    .iter_mut()
                    .find(|f| M::TABLE.column(f.name).is_some_and(|c| c.unique))
            {
                field.errors.push("Already exists.".to_owned());
                marked = true;
            }
            if marked {
                return self.form_page(ctx, action, &fields, id, None);
            }
            return self.form_page(
                ctx,
                action,
                &fields,
                id,
                Some("A record with these values already exists."),
            );
        }
        tracing::error!("flask-admin: writing {} failed: {e}", M::TABLE.name);
        self.form_page(
            ctx,
            action,
            &fields,
            id,
            // Flask-Admin's messages.
            Some(&if action == "create" {
                format!("Failed to create record. {e}")
            } else {
                format!("Failed to update record. {e}")
            }),
        )
    }

    fn after_save(
        &self,
        ctx: &RequestContext,
        typed: &HashMap<String, String>,
        model: &M,
    ) -> Result<Response, Error> {
        let id = id_of::<M>(model);
        let to = if typed.contains_key("_add_another") {
            self.url(ctx, "create_view", NONE)
        } else if typed.contains_key("_continue_editing") {
            self.url(ctx, "edit_view", &[("id", id)])
        } else {
            self.url(ctx, "index_view", NONE)
        };
        Ok(redirect(to).into_response())
    }

    fn form_page(
        &self,
        ctx: &RequestContext,
        action: &str,
        fields: &[FormField],
        id: Option<&str>,
        error: Option<&str>,
    ) -> Result<Response, Error> {
        let invalid = error.is_some() || fields.iter().any(|f| !f.errors.is_empty());
        let mut context = self.base_context(ctx);
        context["form"] = serde_json::json!({
            "action": action,
            "fields": fields,
            "error": error,
            "id": id,
            "url": match id {
                Some(id) => self.url(ctx, "edit_view", &[("id", id.to_owned())]),
                None => self.url(ctx, "create_view", NONE),
            },
        });
        let page: Html<String> = render_template(&self.view.template("edit"), context)?;
        let mut resp = page.into_response();
        if invalid && ctx.method() == flask::Method::POST {
            // Flask-Admin answers 200; a form shown again with errors says what was wrong in
            // the page, and the status tells scripts and tests the write did not happen.
            *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        }
        Ok(resp)
    }
}

pub(crate) fn primary_key<M: Model>() -> DynCol<M> {
    let pk = M::TABLE
        .primary_key()
        .next()
        .map_or(M::TABLE.columns[0].name, |c| c.name);
    DynCol::<M>::named(pk).unwrap_or_else(|| unreachable!("the primary key is a column"))
}

pub(crate) fn id_of<M: Model>(model: &M) -> String {
    let i = M::TABLE
        .columns
        .iter()
        .position(|c| c.primary_key)
        .unwrap_or(0);
    crate::display::text(&model.values()[i])
}

pub(crate) fn json_to_value(v: &serde_json::Value) -> Value {
    match v {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Float(n.as_f64().unwrap_or_default()),
        },
        serde_json::Value::String(s) => Value::Text(s.clone()),
        other => Value::Json(other.clone()),
    }
}

pub(crate) fn typed_map(form: &[(String, String)]) -> HashMap<String, String> {
    let mut map = HashMap::new();
    for (k, v) in form {
        map.entry(k.clone()).or_insert_with(|| v.clone());
    }
    map
}

pub(crate) fn query_args(ctx: &RequestContext) -> HashMap<String, String> {
    let mut map = HashMap::new();
    for (k, v) in form_urlencoded::parse(ctx.uri().query().unwrap_or("").as_bytes()) {
        map.entry(k.into_owned()).or_insert_with(|| v.into_owned());
    }
    map
}

/// Every write carries the session's CSRF token, whether or not the app registered
/// `CsrfProtect`.
pub(crate) fn check_csrf(ctx: &RequestContext, form: &[(String, String)]) -> Result<(), Error> {
    let token = form
        .iter()
        .find(|(k, _)| k == "csrf_token")
        .map(|(_, v)| v.as_str());
    flask_wtf::validate_csrf(ctx, token).map_err(|e| {
        Error::with_description(
            StatusCode::BAD_REQUEST,
            format!("The CSRF token is missing or invalid: {e}. Reload the page and try again."),
        )
    })
}

pub(crate) fn flash(ctx: &RequestContext, message: &str, category: &str) {
    if let Some(session) = ctx.session() {
        session.flash(message, category);
    }
}
