//! Belgian working days, the unit of the delivery promise: an institution
//! must be delivered within a number of working days after its order.
//!
//! A working day is a Monday to Friday that is neither one of the ten
//! federal public holidays nor a day the shop declared closed.
//!
//! A holiday that falls on a Saturday or a Sunday is not moved. Belgian law
//! makes employers grant a replacement day off, but that day differs from
//! one employer to the next, so no supplier-wide promise can rest on it: for
//! delivery deadlines the weekend holiday simply is a day that was not
//! working anyway, and the Monday after it is an ordinary working day. A
//! shop-wide replacement day, if one is ever wanted, is an extra closed day.

use std::collections::BTreeSet;

use chrono::{Datelike, Days, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

/// The framework contract's delivery promise, in working days after the order.
pub const DELIVERY_WORKING_DAYS: u32 = 7;

/// The ten federal public holidays.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HolidayName {
    NewYear,
    EasterMonday,
    LabourDay,
    Ascension,
    WhitMonday,
    NationalDay,
    Assumption,
    AllSaints,
    Armistice,
    Christmas,
}

impl HolidayName {
    /// In calendar order, Ascension and Labour Day aside: they swap in the
    /// rare years when Easter is on 22 March (Ascension then is 30 April).
    pub const ALL: [HolidayName; 10] = [
        HolidayName::NewYear,
        HolidayName::EasterMonday,
        HolidayName::LabourDay,
        HolidayName::Ascension,
        HolidayName::WhitMonday,
        HolidayName::NationalDay,
        HolidayName::Assumption,
        HolidayName::AllSaints,
        HolidayName::Armistice,
        HolidayName::Christmas,
    ];

    /// Stable identifier, the same as the serialised form, for translation
    /// keys and stored data.
    pub fn code(self) -> &'static str {
        match self {
            HolidayName::NewYear => "new_year",
            HolidayName::EasterMonday => "easter_monday",
            HolidayName::LabourDay => "labour_day",
            HolidayName::Ascension => "ascension",
            HolidayName::WhitMonday => "whit_monday",
            HolidayName::NationalDay => "national_day",
            HolidayName::Assumption => "assumption",
            HolidayName::AllSaints => "all_saints",
            HolidayName::Armistice => "armistice",
            HolidayName::Christmas => "christmas",
        }
    }
}

/// Holidays on a fixed (month, day).
const FIXED_HOLIDAYS: [(u32, u32, HolidayName); 7] = [
    (1, 1, HolidayName::NewYear),
    (5, 1, HolidayName::LabourDay),
    (7, 21, HolidayName::NationalDay),
    (8, 15, HolidayName::Assumption),
    (11, 1, HolidayName::AllSaints),
    (11, 11, HolidayName::Armistice),
    (12, 25, HolidayName::Christmas),
];

/// Holidays at a fixed number of days after Easter Sunday.
const EASTER_HOLIDAYS: [(u64, HolidayName); 3] = [
    (1, HolidayName::EasterMonday),
    (39, HolidayName::Ascension),
    (50, HolidayName::WhitMonday),
];

/// Western Easter Sunday of `year`, by the anonymous Gregorian algorithm
/// (Meeus/Jones/Butcher), applied proleptically like chrono's calendar.
///
/// `None` only when the date lies outside what `NaiveDate` can represent.
pub fn easter_sunday(year: i32) -> Option<NaiveDate> {
    // i64 and Euclidean division keep the formula exact for every i32,
    // negative years included, where `/` and `%` would round towards zero.
    let y = i64::from(year);
    let a = y.rem_euclid(19);
    let b = y.div_euclid(100);
    let c = y.rem_euclid(100);
    let d = b.div_euclid(4);
    let e = b.rem_euclid(4);
    let f = (b + 8).div_euclid(25);
    let g = (b - f + 1).div_euclid(3);
    let h = (19 * a + b - d - g + 15).rem_euclid(30);
    let i = c.div_euclid(4);
    let k = c.rem_euclid(4);
    let l = (32 + 2 * e + 2 * i - h - k).rem_euclid(7);
    let m = (a + 11 * h + 22 * l).div_euclid(451);
    let n = h + l - 7 * m + 114;
    let month = u32::try_from(n.div_euclid(31)).ok()?;
    let day = u32::try_from(n.rem_euclid(31) + 1).ok()?;
    NaiveDate::from_ymd_opt(year, month, day)
}

/// The federal holiday on `date`, if any.
///
/// When two holidays share a date (Ascension on Labour Day, as in 2008),
/// the fixed-date one is named.
pub fn federal_holiday(date: NaiveDate) -> Option<HolidayName> {
    let fixed = FIXED_HOLIDAYS
        .iter()
        .find(|(month, day, _)| date.month() == *month && date.day() == *day)
        .map(|(_, _, name)| *name);
    if fixed.is_some() {
        return fixed;
    }
    // Every Easter-bound holiday falls between 23 March and 14 June.
    if !(3..=6).contains(&date.month()) {
        return None;
    }
    let easter = easter_sunday(date.year())?;
    EASTER_HOLIDAYS
        .iter()
        .find(|(offset, _)| easter.checked_add_days(Days::new(*offset)) == Some(date))
        .map(|(_, name)| *name)
}

/// The calendar against which delivery deadlines are computed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BelgianCalendar {
    extra_closed: BTreeSet<NaiveDate>,
}

impl BelgianCalendar {
    /// A calendar with days closed on top of weekends and federal holidays,
    /// such as a shop-wide replacement day or an exceptional closure.
    pub fn new(extra_closed_days: impl IntoIterator<Item = NaiveDate>) -> Self {
        Self {
            extra_closed: extra_closed_days.into_iter().collect(),
        }
    }

    /// The extra closed days, in date order.
    pub fn extra_closed_days(&self) -> impl Iterator<Item = NaiveDate> + '_ {
        self.extra_closed.iter().copied()
    }

    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        !matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
            && federal_holiday(date).is_none()
            && !self.extra_closed.contains(&date)
    }

    /// The ten federal holidays of `year`, sorted by date, weekend ones
    /// included (see the module documentation). Extra closed days are not
    /// holidays and are not listed. Two entries share a date in the years
    /// where Ascension falls on Labour Day. Dates outside `NaiveDate`'s range
    /// are left out.
    pub fn holidays(&self, year: i32) -> Vec<(NaiveDate, HolidayName)> {
        let fixed = FIXED_HOLIDAYS.iter().filter_map(|(month, day, name)| {
            NaiveDate::from_ymd_opt(year, *month, *day).map(|date| (date, *name))
        });
        let easter = easter_sunday(year);
        let moving = EASTER_HOLIDAYS.iter().filter_map(|(offset, name)| {
            easter
                .and_then(|sunday| sunday.checked_add_days(Days::new(*offset)))
                .map(|date| (date, *name))
        });
        let mut all: Vec<_> = fixed.chain(moving).collect();
        // Stable, so a shared date keeps the fixed holiday first, as
        // `federal_holiday` names it.
        all.sort_by_key(|(date, _)| *date);
        all
    }

    /// The date `n` working days after `start`, counting from the day after
    /// it: an order placed on a Saturday plus one working day is due on
    /// Monday. `start` need not be a working day; `n == 0` returns it as is.
    ///
    /// Saturates at `NaiveDate::MAX` (year 262142) rather than failing, as no
    /// real deadline gets anywhere near it.
    pub fn add_working_days(&self, start: NaiveDate, n: u32) -> NaiveDate {
        let Some(skip) = n.checked_sub(1) else {
            return start;
        };
        let skip = usize::try_from(skip).unwrap_or(usize::MAX);
        start
            .iter_days()
            .skip(1)
            .filter(|date| self.is_working_day(*date))
            .nth(skip)
            .unwrap_or(NaiveDate::MAX)
    }

    /// How many working days `d` satisfy `from < d <= to`: the days elapsed
    /// since `from` in the unit of the delivery promise, so that
    /// `working_days_between(s, add_working_days(s, n)) == n`. Zero when `to`
    /// is not after `from`.
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> u32 {
        if to <= from {
            return 0;
        }
        let count = from
            .iter_days()
            .skip(1)
            .take_while(|date| *date <= to)
            .filter(|date| self.is_working_day(*date))
            .count();
        u32::try_from(count).unwrap_or(u32::MAX)
    }

    /// The last day on which an order placed on `order_date` may be
    /// delivered under a promise of `working_days` working days.
    pub fn delivery_deadline(&self, order_date: NaiveDate, working_days: u32) -> NaiveDate {
        self.add_working_days(order_date, working_days)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("valid test date")
    }

    fn cal() -> BelgianCalendar {
        BelgianCalendar::default()
    }

    #[test]
    fn easter_2000_to_2030() {
        let known = [
            (2000, 4, 23),
            (2001, 4, 15),
            (2002, 3, 31),
            (2003, 4, 20),
            (2004, 4, 11),
            (2005, 3, 27),
            (2006, 4, 16),
            (2007, 4, 8),
            (2008, 3, 23),
            (2009, 4, 12),
            (2010, 4, 4),
            (2011, 4, 24),
            (2012, 4, 8),
            (2013, 3, 31),
            (2014, 4, 20),
            (2015, 4, 5),
            (2016, 3, 27),
            (2017, 4, 16),
            (2018, 4, 1),
            (2019, 4, 21),
            (2020, 4, 12),
            (2021, 4, 4),
            (2022, 4, 17),
            (2023, 4, 9),
            (2024, 3, 31),
            (2025, 4, 20),
            (2026, 4, 5),
            (2027, 3, 28),
            (2028, 4, 16),
            (2029, 4, 1),
            (2030, 4, 21),
        ];
        for (year, month, day) in known {
            assert_eq!(easter_sunday(year), Some(d(year, month, day)), "{year}");
        }
    }

    #[test]
    fn easter_outside_2000_to_2030() {
        // The extremes of the Gregorian cycle (22 March, 25 April) and a few
        // years either side of the modern range.
        let known = [
            (1583, 4, 10),
            (1818, 3, 22),
            (1886, 4, 25),
            (1943, 4, 25),
            (1961, 4, 2),
            (1999, 4, 4),
            (2038, 4, 25),
            (2285, 3, 22),
        ];
        for (year, month, day) in known {
            assert_eq!(easter_sunday(year), Some(d(year, month, day)), "{year}");
        }
    }

    #[test]
    fn easter_beyond_chrono_range_is_none() {
        assert_eq!(easter_sunday(i32::MAX), None);
        assert_eq!(easter_sunday(i32::MIN), None);
        assert!(easter_sunday(NaiveDate::MAX.year()).is_some());
        assert!(easter_sunday(NaiveDate::MIN.year()).is_some());
    }

    #[test]
    fn holidays_2026() {
        let expected = vec![
            (d(2026, 1, 1), HolidayName::NewYear),
            (d(2026, 4, 6), HolidayName::EasterMonday),
            (d(2026, 5, 1), HolidayName::LabourDay),
            (d(2026, 5, 14), HolidayName::Ascension),
            (d(2026, 5, 25), HolidayName::WhitMonday),
            (d(2026, 7, 21), HolidayName::NationalDay),
            (d(2026, 8, 15), HolidayName::Assumption),
            (d(2026, 11, 1), HolidayName::AllSaints),
            (d(2026, 11, 11), HolidayName::Armistice),
            (d(2026, 12, 25), HolidayName::Christmas),
        ];
        assert_eq!(cal().holidays(2026), expected);
        for (date, name) in expected {
            assert_eq!(federal_holiday(date), Some(name), "{date}");
            assert!(!cal().is_working_day(date), "{date}");
        }
    }

    #[test]
    fn weekday_of_moving_holidays_2026() {
        assert_eq!(d(2026, 4, 6).weekday(), Weekday::Mon);
        assert_eq!(d(2026, 5, 14).weekday(), Weekday::Thu);
        assert_eq!(d(2026, 5, 25).weekday(), Weekday::Mon);
    }

    #[test]
    fn holidays_2024_and_2025() {
        let names_2024: Vec<_> = cal().holidays(2024).into_iter().map(|(d, _)| d).collect();
        assert_eq!(
            names_2024,
            vec![
                d(2024, 1, 1),
                d(2024, 4, 1),
                d(2024, 5, 1),
                d(2024, 5, 9),
                d(2024, 5, 20),
                d(2024, 7, 21),
                d(2024, 8, 15),
                d(2024, 11, 1),
                d(2024, 11, 11),
                d(2024, 12, 25),
            ]
        );
        assert_eq!(
            federal_holiday(d(2025, 4, 21)),
            Some(HolidayName::EasterMonday)
        );
        assert_eq!(
            federal_holiday(d(2025, 5, 29)),
            Some(HolidayName::Ascension)
        );
        assert_eq!(
            federal_holiday(d(2025, 6, 9)),
            Some(HolidayName::WhitMonday)
        );
    }

    #[test]
    fn ascension_on_labour_day_2008() {
        let holidays = cal().holidays(2008);
        assert_eq!(holidays.len(), 10);
        assert_eq!(holidays[2], (d(2008, 5, 1), HolidayName::LabourDay));
        assert_eq!(holidays[3], (d(2008, 5, 1), HolidayName::Ascension));
        assert_eq!(federal_holiday(d(2008, 5, 1)), Some(HolidayName::LabourDay));
    }

    #[test]
    fn ascension_before_labour_day_is_sorted() {
        // Easter 2285 is on 22 March, so Ascension is on 30 April.
        let holidays = cal().holidays(2285);
        assert_eq!(holidays[2], (d(2285, 4, 30), HolidayName::Ascension));
        assert_eq!(holidays[3], (d(2285, 5, 1), HolidayName::LabourDay));
    }

    #[test]
    fn non_holidays() {
        // Good Friday, Boxing Day, Easter Sunday's eve, 2 January, 31 December.
        for date in [
            d(2026, 4, 3),
            d(2025, 12, 26),
            d(2026, 1, 2),
            d(2025, 12, 31),
            d(2026, 5, 13),
            d(2026, 5, 15),
        ] {
            assert_eq!(federal_holiday(date), None, "{date}");
            assert!(cal().is_working_day(date), "{date}");
        }
        // Easter Sunday itself and Whit Sunday are Sundays, not federal
        // holidays of their own.
        assert_eq!(federal_holiday(d(2026, 4, 5)), None);
        assert_eq!(federal_holiday(d(2026, 5, 24)), None);
    }

    #[test]
    fn weekend_holidays_are_not_moved() {
        // 2026: Assumption on Saturday, All Saints on Sunday.
        assert_eq!(d(2026, 8, 15).weekday(), Weekday::Sat);
        assert_eq!(d(2026, 11, 1).weekday(), Weekday::Sun);
        assert!(cal().is_working_day(d(2026, 8, 17)));
        assert!(cal().is_working_day(d(2026, 11, 2)));
        assert_eq!(cal().add_working_days(d(2026, 8, 14), 1), d(2026, 8, 17));
        assert_eq!(cal().add_working_days(d(2026, 10, 30), 1), d(2026, 11, 2));
    }

    #[test]
    fn weekends_are_closed() {
        let monday = d(2026, 1, 12);
        for offset in 0..7 {
            let date = monday + Days::new(offset);
            assert_eq!(cal().is_working_day(date), offset < 5, "{date}");
        }
    }

    #[test]
    fn zero_working_days_is_the_start_itself() {
        for start in [d(2026, 1, 10), d(2026, 12, 25), d(2026, 1, 12)] {
            assert_eq!(cal().add_working_days(start, 0), start);
            assert_eq!(cal().delivery_deadline(start, 0), start);
        }
    }

    #[test]
    fn weekend_start_counts_from_monday() {
        assert_eq!(cal().add_working_days(d(2026, 1, 10), 1), d(2026, 1, 12));
        assert_eq!(cal().add_working_days(d(2026, 1, 11), 1), d(2026, 1, 12));
        assert_eq!(cal().add_working_days(d(2026, 1, 10), 5), d(2026, 1, 16));
    }

    #[test]
    fn friday_order_plus_seven_working_days() {
        let friday = d(2026, 1, 9);
        assert_eq!(friday.weekday(), Weekday::Fri);
        assert_eq!(cal().add_working_days(friday, 1), d(2026, 1, 12));
        assert_eq!(
            cal().delivery_deadline(friday, DELIVERY_WORKING_DAYS),
            d(2026, 1, 20)
        );
    }

    #[test]
    fn order_before_christmas_spans_christmas_and_new_year() {
        // Monday 22 Dec 2025: Christmas and New Year both on Thursdays.
        let deadline = cal().delivery_deadline(d(2025, 12, 22), DELIVERY_WORKING_DAYS);
        assert_eq!(deadline, d(2026, 1, 2));
        // Wednesday 23 Dec 2026: Christmas and New Year both on Fridays.
        let deadline = cal().delivery_deadline(d(2026, 12, 23), DELIVERY_WORKING_DAYS);
        assert_eq!(deadline, d(2027, 1, 5));
        assert_eq!(
            cal().working_days_between(d(2025, 12, 22), d(2026, 1, 2)),
            7
        );
    }

    #[test]
    fn easter_and_ascension_weeks() {
        // Good Friday + 1 skips the weekend and Easter Monday.
        assert_eq!(cal().add_working_days(d(2026, 4, 3), 1), d(2026, 4, 7));
        // Wednesday before Ascension + 1 is the Friday bridge day.
        assert_eq!(cal().add_working_days(d(2026, 5, 13), 1), d(2026, 5, 15));
        // Friday before Whit Monday + 1 is Tuesday.
        assert_eq!(cal().add_working_days(d(2026, 5, 22), 1), d(2026, 5, 26));
        // Labour Day on a Friday, then Ascension on a Thursday.
        assert_eq!(cal().add_working_days(d(2026, 4, 30), 7), d(2026, 5, 12));
        assert_eq!(cal().add_working_days(d(2026, 5, 8), 7), d(2026, 5, 20));
        // National Day on Tuesday.
        assert_eq!(cal().add_working_days(d(2026, 7, 20), 1), d(2026, 7, 22));
    }

    #[test]
    fn extra_closed_days_push_the_deadline() {
        let closed = BelgianCalendar::new([d(2026, 1, 12), d(2026, 1, 13)]);
        assert!(!closed.is_working_day(d(2026, 1, 12)));
        assert!(closed.is_working_day(d(2026, 1, 14)));
        assert_eq!(closed.add_working_days(d(2026, 1, 9), 1), d(2026, 1, 14));
        assert_eq!(closed.delivery_deadline(d(2026, 1, 9), 7), d(2026, 1, 22));
        assert_eq!(
            closed.working_days_between(d(2026, 1, 9), d(2026, 1, 16)),
            3
        );
    }

    #[test]
    fn extra_closed_weekend_or_holiday_changes_nothing() {
        let closed = BelgianCalendar::new([d(2026, 1, 10), d(2026, 1, 11), d(2026, 12, 25)]);
        for (start, n) in [(d(2026, 1, 9), 7), (d(2026, 12, 23), 7)] {
            assert_eq!(
                closed.add_working_days(start, n),
                cal().add_working_days(start, n)
            );
        }
    }

    #[test]
    fn extra_closed_days_are_deduplicated_and_listed_in_order() {
        let closed = BelgianCalendar::new([d(2026, 3, 2), d(2026, 1, 5), d(2026, 3, 2)]);
        let listed: Vec<_> = closed.extra_closed_days().collect();
        assert_eq!(listed, vec![d(2026, 1, 5), d(2026, 3, 2)]);
        assert_eq!(cal().extra_closed_days().count(), 0);
        assert_eq!(BelgianCalendar::new([]), cal());
    }

    #[test]
    fn extra_closed_days_are_not_holidays() {
        let closed = BelgianCalendar::new([d(2026, 1, 5)]);
        assert_eq!(closed.holidays(2026), cal().holidays(2026));
    }

    #[test]
    fn working_days_between_cases() {
        let c = cal();
        let friday = d(2026, 1, 9);
        assert_eq!(c.working_days_between(friday, friday), 0);
        assert_eq!(c.working_days_between(d(2026, 1, 12), friday), 0);
        assert_eq!(c.working_days_between(friday, d(2026, 1, 10)), 0);
        assert_eq!(c.working_days_between(friday, d(2026, 1, 12)), 1);
        assert_eq!(c.working_days_between(d(2026, 1, 10), d(2026, 1, 11)), 0);
        assert_eq!(c.working_days_between(friday, d(2026, 1, 16)), 5);
        // Easter Monday does not count.
        assert_eq!(c.working_days_between(d(2026, 4, 3), d(2026, 4, 7)), 1);
        // A whole year: 261 weekdays in 2026, minus the 8 weekday holidays.
        assert_eq!(
            c.working_days_between(d(2025, 12, 31), d(2026, 12, 31)),
            253
        );
    }

    #[test]
    fn saturates_at_the_end_of_the_calendar() {
        let c = cal();
        assert_eq!(c.add_working_days(NaiveDate::MAX, 1), NaiveDate::MAX);
        let near_end = NaiveDate::MAX - Days::new(3);
        assert_eq!(c.add_working_days(near_end, 10), NaiveDate::MAX);
        assert!(c.working_days_between(near_end, NaiveDate::MAX) <= 3);
        assert_eq!(c.working_days_between(NaiveDate::MAX, NaiveDate::MAX), 0);
    }

    #[test]
    fn holidays_of_out_of_range_year_are_empty() {
        assert!(cal().holidays(i32::MAX).is_empty());
        assert!(cal().holidays(i32::MIN).is_empty());
    }

    #[test]
    fn holiday_codes_match_serde_names() {
        let codes: BTreeSet<_> = HolidayName::ALL.iter().map(|h| h.code()).collect();
        assert_eq!(codes.len(), HolidayName::ALL.len());
        for holiday in HolidayName::ALL {
            assert_eq!(holiday.code(), snake_case(&format!("{holiday:?}")));
        }
    }

    /// The rule serde's `rename_all = "snake_case"` applies to variant names.
    fn snake_case(name: &str) -> String {
        let mut out = String::new();
        for (i, ch) in name.chars().enumerate() {
            if ch.is_ascii_uppercase() && i > 0 {
                out.push('_');
            }
            out.push(ch.to_ascii_lowercase());
        }
        out
    }

    fn date_strategy() -> impl Strategy<Value = NaiveDate> {
        (0u64..20_000).prop_map(|offset| d(2000, 1, 1) + Days::new(offset))
    }

    fn calendar_strategy() -> impl Strategy<Value = BelgianCalendar> {
        proptest::collection::vec(date_strategy(), 0..40).prop_map(BelgianCalendar::new)
    }

    proptest! {
        #[test]
        fn easter_is_a_sunday_in_its_window(year in 1583i32..=9999) {
            let easter = easter_sunday(year).expect("in range");
            prop_assert_eq!(easter.weekday(), Weekday::Sun);
            prop_assert!(easter >= d(year, 3, 22) && easter <= d(year, 4, 25));
        }

        #[test]
        fn every_year_has_the_ten_holidays_sorted(year in 1583i32..=9999) {
            let holidays = cal().holidays(year);
            let names: BTreeSet<_> = holidays.iter().map(|(_, name)| *name).collect();
            prop_assert_eq!(names.len(), 10);
            prop_assert!(holidays.windows(2).all(|w| w[0].0 <= w[1].0));
            prop_assert!(holidays.iter().all(|(date, _)| date.year() == year));
            for (date, name) in holidays {
                match name {
                    HolidayName::EasterMonday | HolidayName::WhitMonday => {
                        prop_assert_eq!(date.weekday(), Weekday::Mon);
                    }
                    HolidayName::Ascension => prop_assert_eq!(date.weekday(), Weekday::Thu),
                    _ => {}
                }
                prop_assert!(federal_holiday(date).is_some());
            }
        }

        #[test]
        fn result_is_a_working_day(cal in calendar_strategy(), start in date_strategy(), n in 1u32..60) {
            prop_assert!(cal.is_working_day(cal.add_working_days(start, n)));
        }

        #[test]
        fn between_inverts_add(cal in calendar_strategy(), start in date_strategy(), n in 0u32..60) {
            let end = cal.add_working_days(start, n);
            prop_assert_eq!(cal.working_days_between(start, end), n);
            // No working day is skipped: one day earlier is one short.
            if n > 0 {
                let before = end.pred_opt().expect("in range");
                prop_assert_eq!(cal.working_days_between(start, before), n - 1);
            }
        }

        #[test]
        fn monotonic_in_n(cal in calendar_strategy(), start in date_strategy(), n in 0u32..60) {
            prop_assert!(cal.add_working_days(start, n) < cal.add_working_days(start, n + 1));
            prop_assert!(cal.add_working_days(start, n) >= start);
        }

        #[test]
        fn monotonic_in_start(cal in calendar_strategy(), a in date_strategy(), b in date_strategy(), n in 0u32..30) {
            let (early, late) = if a <= b { (a, b) } else { (b, a) };
            prop_assert!(cal.add_working_days(early, n) <= cal.add_working_days(late, n));
        }

        #[test]
        fn add_composes(cal in calendar_strategy(), start in date_strategy(), m in 0u32..30, n in 0u32..30) {
            let stepwise = cal.add_working_days(cal.add_working_days(start, m), n);
            prop_assert_eq!(stepwise, cal.add_working_days(start, m + n));
        }

        #[test]
        fn between_is_additive(cal in calendar_strategy(), a in date_strategy(), b in date_strategy(), c in date_strategy()) {
            let mut days = [a, b, c];
            days.sort();
            let [a, b, c] = days;
            prop_assert_eq!(
                cal.working_days_between(a, b) + cal.working_days_between(b, c),
                cal.working_days_between(a, c)
            );
        }

        #[test]
        fn extra_closed_days_never_bring_a_deadline_forward(cal in calendar_strategy(), start in date_strategy(), n in 0u32..30) {
            prop_assert!(cal.add_working_days(start, n) >= BelgianCalendar::default().add_working_days(start, n));
        }

        #[test]
        fn working_day_definition(cal in calendar_strategy(), date in date_strategy()) {
            let expected = !matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
                && !cal.holidays(date.year()).iter().any(|(h, _)| *h == date)
                && !cal.extra_closed_days().any(|x| x == date);
            prop_assert_eq!(cal.is_working_day(date), expected);
        }
    }
}
