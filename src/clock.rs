//! Time as a dependency: production reads the system clock, tests move a manual clock so
//! deadlines (supplier windows, 24-hour rule) are checked without sleeping.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Utc};

pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;

    /// UTC timestamp as stored in the database.
    fn now_naive(&self) -> NaiveDateTime {
        self.now().naive_utc()
    }

    /// Today's date in Brussels, which is what validity periods and VAT dates refer to.
    fn today(&self) -> NaiveDate {
        brussels_date(self.now())
    }
}

pub type SharedClock = Arc<dyn Clock>;

#[derive(Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that only moves when told to.
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<DateTime<Utc>>,
}

impl ManualClock {
    pub fn new(start: DateTime<Utc>) -> Self {
        ManualClock {
            now: Mutex::new(start),
        }
    }

    pub fn advance(&self, by: Duration) {
        let mut now = self
            .now
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *now += by;
    }

    pub fn set(&self, to: DateTime<Utc>) {
        let mut now = self
            .now
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *now = to;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self
            .now
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The calendar date in Belgium (CET/CEST) for a UTC instant. Belgium follows the EU rule:
/// UTC+2 from 01:00 UTC on the last Sunday of March to 01:00 UTC on the last Sunday of
/// October, UTC+1 otherwise. Computed here rather than with a time-zone database, which
/// would be a large dependency for one zone.
pub fn brussels_date(instant: DateTime<Utc>) -> NaiveDate {
    (instant + brussels_offset(instant)).date_naive()
}

/// The UTC instant at which a Brussels calendar day begins. Midnight is never inside a
/// daylight-saving change (those happen at 01:00 UTC), so the offset an hour before is the
/// offset at midnight.
pub fn brussels_day_start_utc(day: NaiveDate) -> chrono::NaiveDateTime {
    let local_midnight = day.and_time(chrono::NaiveTime::MIN);
    let probe = (local_midnight - Duration::hours(1)).and_utc();
    local_midnight - brussels_offset(probe)
}

pub fn brussels_offset(instant: DateTime<Utc>) -> Duration {
    use chrono::Datelike;
    let year = instant.year();
    let summer_starts = last_sunday(year, 3)
        .and_hms_opt(1, 0, 0)
        .map(|t| t.and_utc());
    let summer_ends = last_sunday(year, 10)
        .and_hms_opt(1, 0, 0)
        .map(|t| t.and_utc());
    match (summer_starts, summer_ends) {
        (Some(start), Some(end)) if instant >= start && instant < end => Duration::hours(2),
        _ => Duration::hours(1),
    }
}

fn last_sunday(year: i32, month: u32) -> NaiveDate {
    use chrono::{Datelike, Weekday};
    let first_of_next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)
    }
    .unwrap_or(NaiveDate::MAX);
    let mut day = first_of_next.pred_opt().unwrap_or(first_of_next);
    while day.weekday() != Weekday::Sun {
        day = day.pred_opt().unwrap_or(day);
    }
    day
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn manual_clock_moves_only_when_told() {
        let start = Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap();
        let clock = ManualClock::new(start);
        assert_eq!(clock.now(), start);
        clock.advance(Duration::hours(5));
        assert_eq!(clock.now(), start + Duration::hours(5));
    }

    #[test]
    fn brussels_date_follows_winter_and_summer_time() {
        // 23:30 UTC in January is already the next day in Brussels (UTC+1).
        let winter = Utc.with_ymd_and_hms(2026, 1, 14, 23, 30, 0).unwrap();
        assert_eq!(
            brussels_date(winter),
            NaiveDate::from_ymd_opt(2026, 1, 15).unwrap()
        );
        // 22:30 UTC in July is 00:30 the next day (UTC+2).
        let summer = Utc.with_ymd_and_hms(2026, 7, 14, 22, 30, 0).unwrap();
        assert_eq!(
            brussels_date(summer),
            NaiveDate::from_ymd_opt(2026, 7, 15).unwrap()
        );
        // 21:30 UTC in July is still the same day.
        let evening = Utc.with_ymd_and_hms(2026, 7, 14, 21, 30, 0).unwrap();
        assert_eq!(
            brussels_date(evening),
            NaiveDate::from_ymd_opt(2026, 7, 14).unwrap()
        );
    }

    #[test]
    fn summer_time_switches_on_the_last_sundays() {
        // 2026: summer time from 29 March 01:00 UTC to 25 October 01:00 UTC.
        let before = Utc.with_ymd_and_hms(2026, 3, 29, 0, 59, 0).unwrap();
        let after = Utc.with_ymd_and_hms(2026, 3, 29, 1, 0, 0).unwrap();
        assert_eq!(brussels_offset(before), Duration::hours(1));
        assert_eq!(brussels_offset(after), Duration::hours(2));
        let end_before = Utc.with_ymd_and_hms(2026, 10, 25, 0, 59, 0).unwrap();
        let end_after = Utc.with_ymd_and_hms(2026, 10, 25, 1, 0, 0).unwrap();
        assert_eq!(brussels_offset(end_before), Duration::hours(2));
        assert_eq!(brussels_offset(end_after), Duration::hours(1));
    }
}
