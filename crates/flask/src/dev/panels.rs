//! Debug panels: what extensions add to the debug page (flask-sqlalchemy's SQL queries).

use std::sync::Arc;

use crate::RequestContext;

/// A table an extension shows on the debug page, made from the failing request
/// ([`Setup::debug_panel`](crate::Setup::debug_panel)).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DebugPanel {
    /// The column headings.
    pub headers: Vec<String>,
    /// The rows, one cell per heading.
    pub rows: Vec<Vec<String>>,
    /// A line shown above the table, or instead of it when there are no rows.
    pub note: Option<String>,
}

impl DebugPanel {
    /// A panel with these column headings and no rows yet.
    pub fn new<S: Into<String>>(headers: impl IntoIterator<Item = S>) -> Self {
        DebugPanel {
            headers: headers.into_iter().map(Into::into).collect(),
            rows: Vec::new(),
            note: None,
        }
    }

    /// Adds a row.
    #[must_use]
    pub fn row<S: Into<String>>(mut self, cells: impl IntoIterator<Item = S>) -> Self {
        self.rows.push(cells.into_iter().map(Into::into).collect());
        self
    }

    /// Sets the note.
    #[must_use]
    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.note = Some(note.into());
        self
    }
}

/// What makes a panel: called only when the debug page is rendered.
pub(crate) type PanelFn = Arc<dyn Fn(&RequestContext) -> DebugPanel + Send + Sync>;
