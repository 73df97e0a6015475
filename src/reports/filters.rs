//! What a report covers: a range of whole Brussels months and, optionally, one competent
//! authority. Months are the grain of the stored figures, so a period never cuts a month.

use std::fmt;

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, Utc};
use serde::{Serialize, Serializer};

use crate::validation::ValidationErrors;

/// Longest period a report may cover: a safeguard against nonsense input, wide enough for
/// every real question.
pub const MAX_RANGE_MONTHS: i32 = 120;

/// A calendar month, as Brussels sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month(i32);

impl Month {
    pub fn new(year: i32, month: u32) -> Option<Month> {
        (1..=12)
            .contains(&month)
            .then(|| Month(year * 12 + month as i32 - 1))
    }

    pub fn of_date(day: NaiveDate) -> Month {
        Month(day.year() * 12 + day.month0() as i32)
    }

    /// The Brussels month an instant (UTC) falls in.
    pub fn of_instant(instant: NaiveDateTime) -> Month {
        Month::of_date(crate::clock::brussels_date(
            DateTime::<Utc>::from_naive_utc_and_offset(instant, Utc),
        ))
    }

    pub fn year(self) -> i32 {
        self.0.div_euclid(12)
    }

    pub fn month(self) -> u32 {
        self.0.rem_euclid(12) as u32 + 1
    }

    /// `202603` for March 2026: how the stored figures key their month.
    pub fn key(self) -> i32 {
        self.year() * 100 + self.month() as i32
    }

    pub fn from_key(key: i32) -> Option<Month> {
        Month::new(key.div_euclid(100), key.rem_euclid(100) as u32)
    }

    pub fn plus(self, months: i32) -> Month {
        Month(self.0 + months)
    }

    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year(), self.month(), 1).unwrap_or(NaiveDate::MIN)
    }

    /// `YYYY-MM`, or leniently a `YYYY-MM-DD` date standing for the month it falls in.
    pub fn parse(text: &str) -> Option<Month> {
        let text = text.trim();
        let month = match text.len() {
            7 => {
                let (year, month) = text.split_once('-')?;
                if year.len() != 4 || month.len() != 2 {
                    return None;
                }
                Month::new(year.parse().ok()?, month.parse().ok()?)?
            }
            10 => Month::of_date(NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?),
            _ => return None,
        };
        (1900..=9000).contains(&month.year()).then_some(month)
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year(), self.month())
    }
}

impl Serialize for Month {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Every month from `from` to `until`, both included.
pub fn months_between(from: Month, until: Month) -> Vec<Month> {
    (from.0..=until.0).map(Month).collect()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Filters {
    pub from: Month,
    pub until: Month,
    /// A competent authority's code; `None` for all.
    pub authority: Option<String>,
}

impl Filters {
    /// The last twelve months, the current one included.
    pub fn default_for(today: NaiveDate) -> Filters {
        let until = Month::of_date(today);
        Filters {
            from: until.plus(-11),
            until,
            authority: None,
        }
    }

    /// Reads the query string: months as `YYYY-MM` (a `YYYY-MM-DD` date stands for its
    /// month; empty means the default), an authority code (checked against the known codes
    /// by the caller). Errors are keyed by field.
    pub fn parse(
        from: Option<&str>,
        until: Option<&str>,
        authority: Option<&str>,
        today: NaiveDate,
    ) -> Result<Filters, ValidationErrors> {
        let defaults = Filters::default_for(today);
        let mut errors = ValidationErrors::new();
        let mut month = |field: &str, value: Option<&str>, default: Month| match value
            .map(str::trim)
            .filter(|v| !v.is_empty())
        {
            None => Some(default),
            Some(text) => Month::parse(text).or_else(|| {
                errors.add(field, "report-month-invalid", "a month as YYYY-MM");
                None
            }),
        };
        let from = month("from", from, defaults.from);
        let until = month("until", until, defaults.until);
        if let (Some(from), Some(until)) = (from, until) {
            if from > until {
                errors.add(
                    "until",
                    "report-range-reversed",
                    "the last month comes before the first",
                );
            } else if until.0 - from.0 >= MAX_RANGE_MONTHS {
                errors.add(
                    "until",
                    "report-range-too-long",
                    format!("at most {MAX_RANGE_MONTHS} months"),
                );
            }
        }
        let authority = authority
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .map(str::to_owned);
        if authority.as_ref().is_some_and(|a| a.len() > 40) {
            errors.add(
                "authority",
                "report-authority-unknown",
                "no such competent authority",
            );
        }
        errors.into_result()?;
        Ok(Filters {
            from: from.unwrap_or(defaults.from),
            until: until.unwrap_or(defaults.until),
            authority,
        })
    }

    /// The UTC instants bounding the period: from midnight in Brussels on the first day of
    /// `from` (inclusive) to midnight on the first day after `until` (exclusive).
    pub fn window(&self) -> (NaiveDateTime, NaiveDateTime) {
        (
            crate::clock::brussels_day_start_utc(self.from.first_day()),
            crate::clock::brussels_day_start_utc(self.until.plus(1).first_day()),
        )
    }

    pub fn months(&self) -> Vec<Month> {
        months_between(self.from, self.until)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn at(y: i32, m: u32, day: u32, h: u32, min: u32) -> NaiveDateTime {
        d(y, m, day).and_hms_opt(h, min, 0).unwrap()
    }

    fn m(y: i32, month: u32) -> Month {
        Month::new(y, month).unwrap()
    }

    #[test]
    fn filters_default_to_the_last_twelve_months() {
        let f = Filters::parse(None, Some(""), None, d(2026, 3, 10)).unwrap();
        assert_eq!((f.from, f.until), (m(2025, 4), m(2026, 3)));
        assert_eq!(f.authority, None);
        assert_eq!(f.months().len(), 12);
        let f = Filters::default_for(d(2026, 1, 31));
        assert_eq!((f.from, f.until), (m(2025, 2), m(2026, 1)));
    }

    #[test]
    fn months_parse_strictly_and_dates_stand_for_their_month() {
        assert_eq!(Month::parse("2026-03"), Some(m(2026, 3)));
        assert_eq!(Month::parse(" 2026-12 "), Some(m(2026, 12)));
        assert_eq!(Month::parse("2026-03-31"), Some(m(2026, 3)));
        for bad in [
            "2026-13",
            "2026-00",
            "2026-3",
            "26-03",
            "2026-02-30",
            "x",
            "0001-01",
        ] {
            assert_eq!(Month::parse(bad), None, "{bad}");
        }
        assert_eq!(m(2026, 3).to_string(), "2026-03");
        assert_eq!(m(2026, 3).key(), 202603);
        assert_eq!(Month::from_key(202512), Some(m(2025, 12)));
        assert_eq!(m(2025, 12).plus(1), m(2026, 1));
        assert_eq!(m(2026, 1).plus(-13), m(2024, 12));
    }

    #[test]
    fn filters_refuse_bad_months_and_reversed_ranges() {
        let e = Filters::parse(Some("2026-13"), Some("x"), None, d(2026, 3, 10)).unwrap_err();
        let fields: Vec<_> = e
            .errors
            .iter()
            .map(|e| (e.field.as_str(), e.code.as_str()))
            .collect();
        assert_eq!(
            fields,
            [
                ("from", "report-month-invalid"),
                ("until", "report-month-invalid")
            ]
        );
        let e = Filters::parse(Some("2026-03"), Some("2026-02"), None, d(2026, 3, 10)).unwrap_err();
        assert_eq!(e.errors[0].code, "report-range-reversed");
        let e = Filters::parse(Some("2000-01"), Some("2026-03"), None, d(2026, 3, 10)).unwrap_err();
        assert_eq!(e.errors[0].code, "report-range-too-long");
        let f = Filters::parse(
            Some("2026-01-15"),
            Some("2026-01-31"),
            Some("COCOF"),
            d(2026, 3, 10),
        )
        .unwrap();
        assert_eq!((f.from, f.until), (m(2026, 1), m(2026, 1)));
        assert_eq!(f.authority.as_deref(), Some("COCOF"));
    }

    #[test]
    fn the_window_runs_from_brussels_midnight_to_midnight() {
        // Winter: UTC+1; summer: UTC+2; the period may span the change.
        let f = Filters {
            from: m(2026, 3),
            until: m(2026, 3),
            authority: None,
        };
        assert_eq!(f.window(), (at(2026, 2, 28, 23, 0), at(2026, 3, 31, 22, 0)));
        let f = Filters {
            from: m(2025, 12),
            until: m(2026, 1),
            authority: None,
        };
        assert_eq!(
            f.window(),
            (at(2025, 11, 30, 23, 0), at(2026, 1, 31, 23, 0))
        );
    }

    #[test]
    fn months_are_brussels_months() {
        assert_eq!(Month::of_instant(at(2026, 1, 31, 22, 59)), m(2026, 1));
        assert_eq!(Month::of_instant(at(2026, 1, 31, 23, 0)), m(2026, 2));
        assert_eq!(Month::of_instant(at(2026, 6, 30, 22, 0)), m(2026, 7));
        assert_eq!(
            months_between(m(2025, 11), m(2026, 2)),
            [m(2025, 11), m(2025, 12), m(2026, 1), m(2026, 2)]
        );
        assert_eq!(months_between(m(2026, 2), m(2026, 2)), [m(2026, 2)]);
    }
}
