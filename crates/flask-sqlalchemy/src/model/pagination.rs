//! Flask-SQLAlchemy's `Pagination`: one page of a query, and the numbers a page navigation
//! needs.

use serde::ser::{Serialize, SerializeStruct, Serializer};

use super::{Model, Select};
use crate::Error;

/// One page of a query's rows, with Flask-SQLAlchemy's attributes.
///
/// In templates (it serializes with every attribute) `pagination.iter_pages` is the list for
/// the default edges, `None` marking a gap, as `iter_pages()` yields in Flask-SQLAlchemy.
#[derive(Debug, Clone, PartialEq)]
pub struct Pagination<M> {
    /// The rows of this page.
    pub items: Vec<M>,
    /// The page number, from 1.
    pub page: u64,
    /// Rows per page.
    pub per_page: u64,
    /// Rows in all pages.
    pub total: u64,
}

impl<M> Pagination<M> {
    /// How many pages there are (0 when there are no rows).
    pub fn pages(&self) -> u64 {
        if self.per_page == 0 {
            0
        } else {
            self.total.div_ceil(self.per_page)
        }
    }

    /// The number of the first row of this page, from 1 (0 when there are no rows).
    pub fn first(&self) -> u64 {
        if self.total == 0 || self.items.is_empty() {
            0
        } else {
            (self.page - 1) * self.per_page + 1
        }
    }

    /// The number of the last row of this page (0 when there are no rows).
    pub fn last(&self) -> u64 {
        if self.first() == 0 {
            0
        } else {
            self.first() + self.items.len() as u64 - 1
        }
    }

    /// Whether there is a page before this one.
    pub fn has_prev(&self) -> bool {
        self.page > 1
    }

    /// Whether there is a page after this one.
    pub fn has_next(&self) -> bool {
        self.page < self.pages()
    }

    /// The previous page's number.
    pub fn prev_num(&self) -> Option<u64> {
        self.has_prev().then(|| self.page - 1)
    }

    /// The next page's number.
    pub fn next_num(&self) -> Option<u64> {
        self.has_next().then(|| self.page + 1)
    }

    /// Page numbers for a navigation bar: the first `left_edge` pages, `left_current` before
    /// the current one and `right_current` after it, and the last `right_edge`; `None`
    /// where numbers are skipped (Flask-SQLAlchemy's `iter_pages`, same defaults: 2, 2, 4,
    /// 2).
    ///
    /// ```
    /// let p = flask_sqlalchemy::Pagination::<()> { items: vec![], page: 10, per_page: 10, total: 200 };
    /// let shown: Vec<Option<u64>> = p.iter_pages(2, 2, 4, 2);
    /// assert_eq!(shown, [Some(1), Some(2), None, Some(8), Some(9), Some(10), Some(11), Some(12),
    ///                    Some(13), Some(14), None, Some(19), Some(20)]);
    /// ```
    pub fn iter_pages(
        &self,
        left_edge: u64,
        left_current: u64,
        right_current: u64,
        right_edge: u64,
    ) -> Vec<Option<u64>> {
        let mut out = Vec::new();
        let pages_end = self.pages() + 1;
        if pages_end == 1 {
            return out;
        }
        let left_end = (1 + left_edge).min(pages_end);
        out.extend((1..left_end).map(Some));
        if left_end == pages_end {
            return out;
        }
        let mid_start = left_end.max(self.page.saturating_sub(left_current));
        let mid_end = (self.page + right_current + 1).min(pages_end);
        if mid_start > left_end {
            out.push(None);
        }
        out.extend((mid_start..mid_end).map(Some));
        if mid_end == pages_end {
            return out;
        }
        let right_start = mid_end.max(pages_end.saturating_sub(right_edge));
        if right_start > mid_end {
            out.push(None);
        }
        out.extend((right_start..pages_end).map(Some));
        out
    }
}

impl<M: Serialize> Serialize for Pagination<M> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Pagination", 13)?;
        s.serialize_field("items", &self.items)?;
        s.serialize_field("page", &self.page)?;
        s.serialize_field("per_page", &self.per_page)?;
        s.serialize_field("total", &self.total)?;
        s.serialize_field("pages", &self.pages())?;
        s.serialize_field("first", &self.first())?;
        s.serialize_field("last", &self.last())?;
        s.serialize_field("has_prev", &self.has_prev())?;
        s.serialize_field("has_next", &self.has_next())?;
        s.serialize_field("prev_num", &self.prev_num())?;
        s.serialize_field("next_num", &self.next_num())?;
        s.serialize_field("iter_pages", &self.iter_pages(2, 2, 4, 2))?;
        s.end()
    }
}

impl<M: Model> Select<'_, M> {
    /// Page `page` (from 1) of `per_page` rows, with the total count (Flask-SQLAlchemy's
    /// `paginate(page=, per_page=)`). A page past the end has no items; page 0 or a
    /// `per_page` of 0 is an error.
    pub async fn paginate(self, page: u64, per_page: u64) -> Result<Pagination<M>, Error> {
        if page == 0 || per_page == 0 {
            return Err(Error::Bind(format!(
                "paginate: page and per_page start at 1 (got page {page}, per_page {per_page})"
            )));
        }
        let total = self.clone_query().count().await?;
        // A page number so large its offset overflows is past the end: no rows.
        let offset = (page - 1)
            .checked_mul(per_page)
            .filter(|o| i64::try_from(*o).is_ok());
        let items = match offset {
            Some(offset) => self.limit(per_page).offset(offset).all().await?,
            None => Vec::new(),
        };
        Ok(Pagination {
            items,
            page,
            per_page,
            total: u64::try_from(total).unwrap_or(0),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(page: u64, per_page: u64, total: u64, items: usize) -> Pagination<u8> {
        Pagination {
            items: vec![0; items],
            page,
            per_page,
            total,
        }
    }

    #[test]
    fn numbers_like_flask_sqlalchemy() {
        let one = p(1, 10, 25, 10);
        assert_eq!((one.pages(), one.first(), one.last()), (3, 1, 10));
        assert_eq!(
            (
                one.has_prev(),
                one.prev_num(),
                one.has_next(),
                one.next_num()
            ),
            (false, None, true, Some(2))
        );
        let last = p(3, 10, 25, 5);
        assert_eq!(
            (last.first(), last.last(), last.has_next()),
            (21, 25, false)
        );
        let empty = p(1, 10, 0, 0);
        assert_eq!(
            (empty.pages(), empty.first(), empty.last(), empty.has_next()),
            (0, 0, 0, false)
        );
        assert!(empty.iter_pages(2, 2, 4, 2).is_empty());
    }

    #[test]
    fn iter_pages_with_gaps() {
        assert_eq!(
            p(1, 10, 30, 10).iter_pages(2, 2, 4, 2),
            [Some(1), Some(2), Some(3)]
        );
        assert_eq!(
            p(1, 10, 200, 10).iter_pages(2, 2, 4, 2),
            [
                Some(1),
                Some(2),
                Some(3),
                Some(4),
                Some(5),
                None,
                Some(19),
                Some(20)
            ]
        );
        assert_eq!(
            p(20, 10, 200, 10).iter_pages(2, 2, 4, 2),
            [Some(1), Some(2), None, Some(18), Some(19), Some(20)]
        );
        let json = serde_json::to_value(p(2, 10, 25, 10)).unwrap();
        assert_eq!(json["pages"], 3);
        assert_eq!(json["prev_num"], 1);
        assert_eq!(json["iter_pages"], serde_json::json!([1, 2, 3]));
    }
}
