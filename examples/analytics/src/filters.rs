//! The filters of a view, from its query string (`?from=2026-01-01&to=2026-03-31&
//! category=Books&region=Europe&group=week`): a filtered page is a link to share.

use chrono::{Duration, NaiveDate};
use flask::{Error, StatusCode};
use flask_sqlalchemy::Filter;
use serde::Deserialize;

use crate::{CATEGORIES, DailySales, REGIONS, Sale};

/// The query string as sent.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Params {
    /// First day, `YYYY-MM-DD`.
    pub from: Option<String>,
    /// Last day, `YYYY-MM-DD`.
    pub to: Option<String>,
    /// One of [`CATEGORIES`], or empty for all.
    pub category: Option<String>,
    /// One of [`REGIONS`], or empty for all.
    pub region: Option<String>,
    /// `day` or `week`: the time series' step.
    pub group: Option<String>,
}

/// The time series' step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    /// One point a day.
    Day,
    /// One point a week (weeks start on Monday).
    Week,
}

/// The checked filters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filters {
    /// First day.
    pub from: NaiveDate,
    /// Last day.
    pub to: NaiveDate,
    /// A category, or all.
    pub category: Option<&'static str>,
    /// A region, or all.
    pub region: Option<&'static str>,
    /// The time series' step.
    pub group: Group,
}

/// Days a view may span at most.
pub const MAX_DAYS: i64 = 3 * 366;

fn bad(message: String) -> Error {
    Error::with_description(StatusCode::BAD_REQUEST, message)
}

fn date(field: &str, value: &str) -> Result<NaiveDate, Error> {
    NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .map_err(|_| bad(format!("{field} is {value:?}; give a date as YYYY-MM-DD")))
}

fn one_of(
    field: &str,
    value: Option<&str>,
    allowed: &[&'static str],
) -> Result<Option<&'static str>, Error> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => allowed
            .iter()
            .find(|a| **a == v)
            .copied()
            .map(Some)
            .ok_or_else(|| {
                bad(format!(
                    "{field} is {v:?}; give one of {}",
                    allowed.join(", ")
                ))
            }),
    }
}

impl Filters {
    /// Checks `params`; a missing range is the 90 days up to `latest` (the last day with
    /// data). A bad value is a 400 that names the field and what it takes.
    pub fn parse(params: &Params, latest: NaiveDate) -> Result<Self, Error> {
        let to = match params.to.as_deref().filter(|s| !s.is_empty()) {
            Some(v) => date("to", v)?,
            None => latest,
        };
        let from = match params.from.as_deref().filter(|s| !s.is_empty()) {
            Some(v) => date("from", v)?,
            None => to - Duration::days(89),
        };
        if from > to {
            return Err(bad(format!("from ({from}) is after to ({to})")));
        }
        if (to - from).num_days() >= MAX_DAYS {
            return Err(bad(format!(
                "the range {from} to {to} is over {MAX_DAYS} days; choose a shorter one"
            )));
        }
        let group = match params.group.as_deref().unwrap_or("day") {
            "" | "day" => Group::Day,
            "week" => Group::Week,
            other => return Err(bad(format!("group is {other:?}; give day or week"))),
        };
        Ok(Filters {
            from,
            to,
            category: one_of("category", params.category.as_deref(), &CATEGORIES)?,
            region: one_of("region", params.region.as_deref(), &REGIONS)?,
            group,
        })
    }

    /// The rollup's rows these filters keep.
    pub fn daily(&self) -> Vec<Filter> {
        let mut f = vec![DailySales::day.between(self.from.to_string(), self.to.to_string())];
        if let Some(c) = self.category {
            f.push(DailySales::category.eq(c));
        }
        if let Some(r) = self.region {
            f.push(DailySales::region.eq(r));
        }
        f
    }

    /// The sales these filters keep.
    pub fn sales(&self) -> Vec<Filter> {
        let mut f = vec![Sale::day.between(self.from.to_string(), self.to.to_string())];
        if let Some(c) = self.category {
            f.push(Sale::category.eq(c));
        }
        if let Some(r) = self.region {
            f.push(Sale::region.eq(r));
        }
        f
    }

    /// The filters as a query string (for links: the export, the group switch).
    pub fn query(&self, group: Group) -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        q.append_pair("from", &self.from.to_string());
        q.append_pair("to", &self.to.to_string());
        if let Some(c) = self.category {
            q.append_pair("category", c);
        }
        if let Some(r) = self.region {
            q.append_pair("region", r);
        }
        if group == Group::Week {
            q.append_pair("group", "week");
        }
        q.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn latest() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 30).unwrap()
    }

    #[test]
    fn defaults_to_the_last_90_days() {
        let f = Filters::parse(&Params::default(), latest()).unwrap();
        assert_eq!(f.from.to_string(), "2026-09-02");
        assert_eq!(f.to, latest());
        assert_eq!(f.group, Group::Day);
        assert_eq!(
            f.query(Group::Week),
            "from=2026-09-02&to=2026-11-30&group=week"
        );
    }

    #[test]
    fn bad_values_name_the_field() {
        let p = |from: &str, category: &str| Params {
            from: Some(from.into()),
            category: Some(category.into()),
            ..Params::default()
        };
        let e = Filters::parse(&p("2026-13-01", ""), latest()).unwrap_err();
        assert!(e.to_string().contains("from is \"2026-13-01\""), "{e}");
        let e = Filters::parse(&p("2026-01-01", "Cars"), latest()).unwrap_err();
        assert!(
            e.to_string()
                .contains("category is \"Cars\"; give one of Books"),
            "{e}"
        );
        let e = Filters::parse(&p("2027-01-01", ""), latest()).unwrap_err();
        assert!(e.to_string().contains("is after to"), "{e}");
    }
}
