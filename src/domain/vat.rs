//! VAT rates, their changes over time, and order totals.

use crate::domain::language::Language;
use crate::domain::money::{Cents, MoneyError};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VatError {
    #[error("a VAT rate goes from 0 % to 100 %, {basis_points} basis points is out of range")]
    RateOutOfRange { basis_points: u32 },
    #[error("a VAT schedule needs at least one period")]
    EmptySchedule,
    #[error("a VAT period cannot end ({until}) before it starts ({from})")]
    PeriodEndsBeforeStart { from: NaiveDate, until: NaiveDate },
    #[error("the VAT periods starting on {first} and on {second} overlap")]
    OverlappingPeriods { first: NaiveDate, second: NaiveDate },
    #[error("only the latest VAT period may be open-ended, not the one starting on {from}")]
    OpenPeriodNotLast { from: NaiveDate },
}

impl VatError {
    pub fn message_key(&self) -> &'static str {
        match self {
            Self::RateOutOfRange { .. } => "vat-rate-out-of-range",
            Self::EmptySchedule => "vat-schedule-empty",
            Self::PeriodEndsBeforeStart { .. } => "vat-period-ends-before-start",
            Self::OverlappingPeriods { .. } => "vat-periods-overlap",
            Self::OpenPeriodNotLast { .. } => "vat-open-period-not-last",
        }
    }
}

/// A VAT rate in basis points (2100 = 21 %), so that rates such as 5,5 %
/// are exact and comparable.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct VatRate(u32);

impl VatRate {
    pub const MAX_BASIS_POINTS: u32 = 10_000;
    pub const STANDARD: VatRate = VatRate(2100);
    pub const INTERMEDIATE: VatRate = VatRate(1200);
    pub const REDUCED: VatRate = VatRate(600);
    pub const ZERO: VatRate = VatRate(0);

    pub fn from_basis_points(basis_points: u32) -> Result<VatRate, VatError> {
        if basis_points <= Self::MAX_BASIS_POINTS {
            Ok(VatRate(basis_points))
        } else {
            Err(VatError::RateOutOfRange { basis_points })
        }
    }

    pub const fn basis_points(self) -> u32 {
        self.0
    }

    /// 0.21 for 21 %.
    pub fn as_fraction(self) -> Decimal {
        Decimal::new(i64::from(self.0), 4).normalize()
    }

    /// 21 for 21 %, 5.5 for 5,5 %.
    pub fn as_percent(self) -> Decimal {
        Decimal::new(i64::from(self.0), 2).normalize()
    }

    /// `21 %` in French (with a non-breaking space, as French typography
    /// requires), `21%` in Dutch; both use a decimal comma.
    pub fn format(self, lang: Language) -> String {
        let number = self.as_percent().to_string().replace('.', ",");
        match lang {
            Language::Fr => format!("{number}\u{a0}%"),
            Language::Nl => format!("{number}%"),
        }
    }

    /// VAT on a taxable amount, rounded half away from zero to the cent.
    /// Integer arithmetic keeps it exact for every `i64` amount.
    pub fn vat_on(self, taxable: Cents) -> Result<Cents, MoneyError> {
        let product = i128::from(taxable.cents()) * i128::from(self.0);
        let divisor = i128::from(Self::MAX_BASIS_POINTS);
        let mut quotient = product / divisor;
        let remainder = product % divisor;
        if remainder.abs() * 2 >= divisor {
            quotient += product.signum();
        }
        i64::try_from(quotient)
            .map(Cents::new)
            .map_err(|_| MoneyError::Overflow)
    }
}

impl fmt::Display for VatRate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}%", self.as_percent())
    }
}

impl TryFrom<u32> for VatRate {
    type Error = VatError;

    fn try_from(value: u32) -> Result<Self, Self::Error> {
        VatRate::from_basis_points(value)
    }
}

impl From<VatRate> for u32 {
    fn from(value: VatRate) -> Self {
        value.0
    }
}

/// One rate of a VAT class over a span of days; `valid_until` is inclusive
/// and `None` means "until further notice".
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VatPeriod {
    pub rate: VatRate,
    pub valid_from: NaiveDate,
    pub valid_until: Option<NaiveDate>,
}

impl VatPeriod {
    pub fn contains(&self, date: NaiveDate) -> bool {
        date >= self.valid_from && self.valid_until.is_none_or(|until| date <= until)
    }
}

/// The history of a VAT class. Rates change by law (for instance face masks
/// went from 21 % to 6 % and back during the COVID-19 crisis), and an order
/// must be taxed at the rate in force on its date. Gaps are allowed: a date
/// in a gap has no known rate and must be refused by the caller.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Vec<VatPeriod>", into = "Vec<VatPeriod>")]
pub struct VatSchedule {
    periods: Vec<VatPeriod>,
}

impl VatSchedule {
    pub fn new(mut periods: Vec<VatPeriod>) -> Result<VatSchedule, VatError> {
        if periods.is_empty() {
            return Err(VatError::EmptySchedule);
        }
        for p in &periods {
            match p.valid_until {
                Some(until) if until < p.valid_from => {
                    return Err(VatError::PeriodEndsBeforeStart {
                        from: p.valid_from,
                        until,
                    });
                }
                _ => {}
            }
        }
        periods.sort_by_key(|p| p.valid_from);
        for pair in periods.windows(2) {
            let (earlier, later) = (&pair[0], &pair[1]);
            match earlier.valid_until {
                None if earlier.valid_from == later.valid_from => {
                    return Err(VatError::OverlappingPeriods {
                        first: earlier.valid_from,
                        second: later.valid_from,
                    });
                }
                None => {
                    return Err(VatError::OpenPeriodNotLast {
                        from: earlier.valid_from,
                    });
                }
                Some(until) if until >= later.valid_from => {
                    return Err(VatError::OverlappingPeriods {
                        first: earlier.valid_from,
                        second: later.valid_from,
                    });
                }
                Some(_) => {}
            }
        }
        Ok(VatSchedule { periods })
    }

    /// A class whose rate never changed.
    pub fn constant(rate: VatRate) -> VatSchedule {
        VatSchedule {
            periods: vec![VatPeriod {
                rate,
                valid_from: NaiveDate::MIN,
                valid_until: None,
            }],
        }
    }

    pub fn rate_on(&self, date: NaiveDate) -> Option<VatRate> {
        self.periods
            .iter()
            .find(|p| p.contains(date))
            .map(|p| p.rate)
    }

    /// Periods sorted by start date.
    pub fn periods(&self) -> &[VatPeriod] {
        &self.periods
    }
}

impl TryFrom<Vec<VatPeriod>> for VatSchedule {
    type Error = VatError;

    fn try_from(value: Vec<VatPeriod>) -> Result<Self, Self::Error> {
        VatSchedule::new(value)
    }
}

impl From<VatSchedule> for Vec<VatPeriod> {
    fn from(value: VatSchedule) -> Self {
        value.periods
    }
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PricedLine {
    pub unit_price: Cents,
    pub quantity: u32,
    pub vat_rate: VatRate,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VatBreakdown {
    pub rate: VatRate,
    pub taxable: Cents,
    pub vat: Cents,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    pub net: Cents,
    /// One entry per rate present in the order, highest rate first.
    pub vat: Vec<VatBreakdown>,
    pub vat_total: Cents,
    pub gross: Cents,
}

pub fn line_net(unit_price: Cents, quantity: u32) -> Result<Cents, MoneyError> {
    unit_price.checked_mul(quantity).ok_or(MoneyError::Overflow)
}

/// Order totals the way an EN 16931 / PEPPOL invoice states them: VAT is
/// computed once per rate on the sum of that rate's line amounts, not per
/// line, so the order, its confirmation and the supplier's invoice agree
/// to the cent.
pub fn compute_totals(lines: &[PricedLine]) -> Result<Totals, MoneyError> {
    let mut taxable_by_rate: BTreeMap<VatRate, Cents> = BTreeMap::new();
    for line in lines {
        let net = line_net(line.unit_price, line.quantity)?;
        let taxable = taxable_by_rate.entry(line.vat_rate).or_insert(Cents::ZERO);
        *taxable = taxable.checked_add(net).ok_or(MoneyError::Overflow)?;
    }

    let mut breakdown = Vec::with_capacity(taxable_by_rate.len());
    for (&rate, &taxable) in taxable_by_rate.iter().rev() {
        breakdown.push(VatBreakdown {
            rate,
            taxable,
            vat: rate.vat_on(taxable)?,
        });
    }

    let net =
        Cents::sum_checked(breakdown.iter().map(|b| b.taxable)).ok_or(MoneyError::Overflow)?;
    let vat_total =
        Cents::sum_checked(breakdown.iter().map(|b| b.vat)).ok_or(MoneyError::Overflow)?;
    let gross = net.checked_add(vat_total).ok_or(MoneyError::Overflow)?;
    Ok(Totals {
        net,
        vat: breakdown,
        vat_total,
        gross,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn rate(bp: u32) -> VatRate {
        VatRate::from_basis_points(bp).unwrap()
    }

    fn line(unit: i64, quantity: u32, vat: VatRate) -> PricedLine {
        PricedLine {
            unit_price: Cents::new(unit),
            quantity,
            vat_rate: vat,
        }
    }

    fn period(bp: u32, from: NaiveDate, until: Option<NaiveDate>) -> VatPeriod {
        VatPeriod {
            rate: rate(bp),
            valid_from: from,
            valid_until: until,
        }
    }

    /// Face masks and hand gel, per the Royal Decrees of 2020 and 2022.
    fn face_masks() -> VatSchedule {
        VatSchedule::new(vec![
            period(2100, date(2022, 7, 1), None),
            period(2100, date(1992, 1, 1), Some(date(2020, 5, 3))),
            period(600, date(2020, 5, 4), Some(date(2022, 6, 30))),
        ])
        .unwrap()
    }

    #[test]
    fn rate_bounds() {
        assert_eq!(VatRate::from_basis_points(0), Ok(VatRate::ZERO));
        assert_eq!(
            VatRate::from_basis_points(10_000).unwrap().basis_points(),
            10_000
        );
        assert_eq!(
            VatRate::from_basis_points(10_001),
            Err(VatError::RateOutOfRange {
                basis_points: 10_001
            })
        );
        assert!(VatRate::from_basis_points(u32::MAX).is_err());
    }

    #[test]
    fn belgian_constants() {
        assert_eq!(VatRate::STANDARD.basis_points(), 2100);
        assert_eq!(VatRate::INTERMEDIATE.basis_points(), 1200);
        assert_eq!(VatRate::REDUCED.basis_points(), 600);
        assert_eq!(VatRate::ZERO.basis_points(), 0);
    }

    #[test]
    fn fraction_and_percent() {
        assert_eq!(VatRate::STANDARD.as_fraction().to_string(), "0.21");
        assert_eq!(VatRate::REDUCED.as_fraction().to_string(), "0.06");
        assert_eq!(rate(550).as_fraction().to_string(), "0.055");
        assert_eq!(VatRate::ZERO.as_fraction().to_string(), "0");
        assert_eq!(rate(10_000).as_fraction().to_string(), "1");
        assert_eq!(VatRate::STANDARD.as_percent().to_string(), "21");
        assert_eq!(VatRate::REDUCED.as_percent().to_string(), "6");
        assert_eq!(rate(550).as_percent().to_string(), "5.5");
        assert_eq!(rate(1).as_percent().to_string(), "0.01");
        assert_eq!(VatRate::ZERO.as_percent().to_string(), "0");
        assert_eq!(rate(10_000).as_percent().to_string(), "100");
    }

    #[test]
    fn format_per_language() {
        assert_eq!(VatRate::STANDARD.format(Language::Fr), "21\u{a0}%");
        assert_eq!(VatRate::STANDARD.format(Language::Nl), "21%");
        assert_eq!(VatRate::REDUCED.format(Language::Fr), "6\u{a0}%");
        assert_eq!(rate(550).format(Language::Fr), "5,5\u{a0}%");
        assert_eq!(rate(550).format(Language::Nl), "5,5%");
        assert_eq!(rate(1025).format(Language::Nl), "10,25%");
        assert_eq!(VatRate::ZERO.format(Language::Fr), "0\u{a0}%");
        assert_eq!(VatRate::STANDARD.to_string(), "21%");
        assert_eq!(rate(550).to_string(), "5.5%");
    }

    #[test]
    fn rate_ordering_and_serde() {
        assert!(VatRate::STANDARD > VatRate::INTERMEDIATE);
        assert!(VatRate::REDUCED > VatRate::ZERO);
        assert_eq!(serde_json::to_string(&VatRate::STANDARD).unwrap(), "2100");
        assert_eq!(
            serde_json::from_str::<VatRate>("600").unwrap(),
            VatRate::REDUCED
        );
        assert!(serde_json::from_str::<VatRate>("10001").is_err());
        assert!(serde_json::from_str::<VatRate>("-1").is_err());
        assert_eq!(u32::from(VatRate::STANDARD), 2100);
        assert_eq!(VatRate::try_from(1200u32), Ok(VatRate::INTERMEDIATE));
    }

    #[test]
    fn vat_on_rounds_half_away_from_zero() {
        for (taxable, bp, expected) in [
            (99, 2100, 21),    // 20.79
            (50, 600, 3),      // 3.00
            (1250, 1000, 125), // exact
            (125, 1000, 13),   // 12.5 → 13
            (-125, 1000, -13), // symmetric for credits
            (124, 1000, 12),   // 12.4
            (-124, 1000, -12),
            (1, 5000, 1), // 0.5 → 1
            (1, 4999, 0), // 0.4999 → 0
            (0, 2100, 0),
            (1_000_000, 0, 0),
            (12_345, 10_000, 12_345),
        ] {
            assert_eq!(
                rate(bp).vat_on(Cents::new(taxable)),
                Ok(Cents::new(expected)),
                "{taxable} at {bp}"
            );
        }
    }

    #[test]
    fn vat_on_extremes() {
        assert_eq!(
            rate(10_000).vat_on(Cents::new(i64::MAX)),
            Ok(Cents::new(i64::MAX))
        );
        assert_eq!(
            VatRate::STANDARD.vat_on(Cents::new(i64::MIN)),
            Cents::from_decimal_rounded(Cents::new(i64::MIN).to_decimal() * dec("0.21"))
        );
    }

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn schedule_face_masks_boundaries() {
        let s = face_masks();
        assert_eq!(s.rate_on(date(2020, 5, 3)), Some(VatRate::STANDARD));
        assert_eq!(s.rate_on(date(2020, 5, 4)), Some(VatRate::REDUCED));
        assert_eq!(s.rate_on(date(2021, 1, 1)), Some(VatRate::REDUCED));
        assert_eq!(s.rate_on(date(2022, 6, 30)), Some(VatRate::REDUCED));
        assert_eq!(s.rate_on(date(2022, 7, 1)), Some(VatRate::STANDARD));
        assert_eq!(s.rate_on(date(2030, 12, 31)), Some(VatRate::STANDARD));
        assert_eq!(s.rate_on(date(1992, 1, 1)), Some(VatRate::STANDARD));
        assert_eq!(s.rate_on(date(1991, 12, 31)), None);
    }

    #[test]
    fn schedule_is_sorted() {
        let starts: Vec<_> = face_masks()
            .periods()
            .iter()
            .map(|p| p.valid_from)
            .collect();
        assert_eq!(
            starts,
            vec![date(1992, 1, 1), date(2020, 5, 4), date(2022, 7, 1)]
        );
    }

    #[test]
    fn schedule_allows_gaps() {
        let s = VatSchedule::new(vec![
            period(2100, date(2020, 1, 1), Some(date(2020, 1, 31))),
            period(600, date(2020, 3, 1), None),
        ])
        .unwrap();
        assert_eq!(s.rate_on(date(2020, 1, 31)), Some(VatRate::STANDARD));
        assert_eq!(s.rate_on(date(2020, 2, 1)), None);
        assert_eq!(s.rate_on(date(2020, 2, 29)), None);
        assert_eq!(s.rate_on(date(2020, 3, 1)), Some(VatRate::REDUCED));
    }

    #[test]
    fn schedule_single_day_and_closed_end() {
        let s =
            VatSchedule::new(vec![period(0, date(2024, 2, 29), Some(date(2024, 2, 29)))]).unwrap();
        assert_eq!(s.rate_on(date(2024, 2, 28)), None);
        assert_eq!(s.rate_on(date(2024, 2, 29)), Some(VatRate::ZERO));
        assert_eq!(s.rate_on(date(2024, 3, 1)), None);
    }

    #[test]
    fn schedule_constant() {
        let s = VatSchedule::constant(VatRate::INTERMEDIATE);
        assert_eq!(s.rate_on(NaiveDate::MIN), Some(VatRate::INTERMEDIATE));
        assert_eq!(s.rate_on(date(2000, 1, 1)), Some(VatRate::INTERMEDIATE));
        assert_eq!(s.rate_on(NaiveDate::MAX), Some(VatRate::INTERMEDIATE));
    }

    #[test]
    fn schedule_rejects_empty() {
        assert_eq!(VatSchedule::new(vec![]), Err(VatError::EmptySchedule));
    }

    #[test]
    fn schedule_rejects_period_ending_before_start() {
        assert_eq!(
            VatSchedule::new(vec![period(2100, date(2020, 5, 4), Some(date(2020, 5, 3)))]),
            Err(VatError::PeriodEndsBeforeStart {
                from: date(2020, 5, 4),
                until: date(2020, 5, 3)
            })
        );
    }

    #[test]
    fn schedule_rejects_overlaps() {
        // Sharing a single boundary day is an overlap, since both ends are inclusive.
        assert_eq!(
            VatSchedule::new(vec![
                period(2100, date(2020, 1, 1), Some(date(2020, 5, 4))),
                period(600, date(2020, 5, 4), None),
            ]),
            Err(VatError::OverlappingPeriods {
                first: date(2020, 1, 1),
                second: date(2020, 5, 4)
            })
        );
        assert_eq!(
            VatSchedule::new(vec![
                period(600, date(2020, 3, 1), Some(date(2020, 3, 10))),
                period(2100, date(2020, 1, 1), Some(date(2020, 12, 31))),
            ]),
            Err(VatError::OverlappingPeriods {
                first: date(2020, 1, 1),
                second: date(2020, 3, 1)
            })
        );
        assert!(matches!(
            VatSchedule::new(vec![
                period(600, date(2020, 1, 1), Some(date(2020, 1, 1))),
                period(2100, date(2020, 1, 1), Some(date(2020, 1, 1))),
            ]),
            Err(VatError::OverlappingPeriods { .. })
        ));
    }

    #[test]
    fn schedule_rejects_open_period_that_is_not_last() {
        assert_eq!(
            VatSchedule::new(vec![
                period(2100, date(2020, 1, 1), None),
                period(600, date(2021, 1, 1), Some(date(2021, 12, 31))),
            ]),
            Err(VatError::OpenPeriodNotLast {
                from: date(2020, 1, 1)
            })
        );
        assert_eq!(
            VatSchedule::new(vec![
                period(2100, date(2020, 1, 1), None),
                period(600, date(2021, 1, 1), None),
            ]),
            Err(VatError::OpenPeriodNotLast {
                from: date(2020, 1, 1)
            })
        );
        assert!(matches!(
            VatSchedule::new(vec![
                period(2100, date(2020, 1, 1), None),
                period(600, date(2020, 1, 1), None),
            ]),
            Err(VatError::OverlappingPeriods { .. })
        ));
    }

    #[test]
    fn schedule_serde_validates() {
        let s = face_masks();
        let json = serde_json::to_string(&s).unwrap();
        assert!(json.contains("\"valid_from\":\"2020-05-04\""), "{json}");
        assert_eq!(serde_json::from_str::<VatSchedule>(&json).unwrap(), s);
        assert!(serde_json::from_str::<VatSchedule>("[]").is_err());
        let overlapping = r#"[
            {"rate":2100,"valid_from":"2020-01-01","valid_until":null},
            {"rate":600,"valid_from":"2020-06-01","valid_until":null}
        ]"#;
        assert!(serde_json::from_str::<VatSchedule>(overlapping).is_err());
    }

    #[test]
    fn error_keys_and_messages() {
        let d = date(2020, 5, 4);
        let all = [
            (
                VatError::RateOutOfRange { basis_points: 1 },
                "vat-rate-out-of-range",
            ),
            (VatError::EmptySchedule, "vat-schedule-empty"),
            (
                VatError::PeriodEndsBeforeStart { from: d, until: d },
                "vat-period-ends-before-start",
            ),
            (
                VatError::OverlappingPeriods {
                    first: d,
                    second: d,
                },
                "vat-periods-overlap",
            ),
            (
                VatError::OpenPeriodNotLast { from: d },
                "vat-open-period-not-last",
            ),
        ];
        for (e, key) in all {
            assert_eq!(e.message_key(), key);
        }
        assert_eq!(
            VatError::OverlappingPeriods {
                first: date(2020, 1, 1),
                second: d
            }
            .to_string(),
            "the VAT periods starting on 2020-01-01 and on 2020-05-04 overlap"
        );
    }

    #[test]
    fn line_net_multiplies_exactly() {
        assert_eq!(line_net(Cents::new(33), 3), Ok(Cents::new(99)));
        assert_eq!(line_net(Cents::new(1999), 0), Ok(Cents::ZERO));
        assert_eq!(line_net(Cents::new(i64::MAX), 1), Ok(Cents::new(i64::MAX)));
        assert_eq!(line_net(Cents::new(i64::MAX), 2), Err(MoneyError::Overflow));
    }

    #[test]
    fn totals_empty_order() {
        let t = compute_totals(&[]).unwrap();
        assert_eq!(
            t,
            Totals {
                net: Cents::ZERO,
                vat: vec![],
                vat_total: Cents::ZERO,
                gross: Cents::ZERO,
            }
        );
    }

    #[test]
    fn totals_three_times_33_cents_at_21() {
        let t = compute_totals(&[line(33, 3, VatRate::STANDARD)]).unwrap();
        assert_eq!(t.net, Cents::new(99));
        assert_eq!(
            t.vat,
            vec![VatBreakdown {
                rate: VatRate::STANDARD,
                taxable: Cents::new(99),
                vat: Cents::new(21),
            }]
        );
        assert_eq!(t.vat_total, Cents::new(21));
        assert_eq!(t.gross, Cents::new(120));
    }

    #[test]
    fn totals_fifty_cents_at_6() {
        let t = compute_totals(&[line(50, 1, VatRate::REDUCED)]).unwrap();
        assert_eq!(t.vat_total, Cents::new(3));
        assert_eq!(t.gross, Cents::new(53));
    }

    #[test]
    fn totals_round_once_per_rate_not_per_line() {
        // Per line each 0,03 € × 21 % = 0,0063 would round to 0,01 (three
        // lines, 0,03 €); on the sum 0,09 € × 21 % = 0,0189 rounds to 0,02 €.
        let lines = [
            line(3, 1, VatRate::STANDARD),
            line(3, 1, VatRate::STANDARD),
            line(3, 1, VatRate::STANDARD),
        ];
        let t = compute_totals(&lines).unwrap();
        assert_eq!(t.net, Cents::new(9));
        assert_eq!(t.vat_total, Cents::new(2));
        assert_eq!(t.vat.len(), 1);
    }

    #[test]
    fn totals_mixed_rates_sorted_descending() {
        let lines = [
            line(1000, 2, VatRate::REDUCED),      // 20,00 → 1,20
            line(1999, 3, VatRate::STANDARD),     // 59,97 → 12,5937 → 12,59
            line(450, 1, VatRate::ZERO),          //  4,50 → 0
            line(1234, 1, VatRate::INTERMEDIATE), // 12,34 → 1,4808 → 1,48
            line(1, 1, VatRate::STANDARD),        //  0,01 joins the 21 % base
        ];
        let t = compute_totals(&lines).unwrap();
        assert_eq!(
            t.vat,
            vec![
                VatBreakdown {
                    rate: VatRate::STANDARD,
                    taxable: Cents::new(5998),
                    vat: Cents::new(1260), // 12,5958
                },
                VatBreakdown {
                    rate: VatRate::INTERMEDIATE,
                    taxable: Cents::new(1234),
                    vat: Cents::new(148),
                },
                VatBreakdown {
                    rate: VatRate::REDUCED,
                    taxable: Cents::new(2000),
                    vat: Cents::new(120),
                },
                VatBreakdown {
                    rate: VatRate::ZERO,
                    taxable: Cents::new(450),
                    vat: Cents::ZERO,
                },
            ]
        );
        assert_eq!(t.net, Cents::new(5998 + 1234 + 2000 + 450));
        assert_eq!(t.vat_total, Cents::new(1260 + 148 + 120));
        assert_eq!(t.gross, Cents::new(9682 + 1528));
    }

    #[test]
    fn totals_midpoints_round_up() {
        // 0,125 € of VAT rounds to 0,13 €.
        let t = compute_totals(&[line(125, 1, rate(1000))]).unwrap();
        assert_eq!(t.vat_total, Cents::new(13));
        // 2,50 € at 5 % = 0,125 €.
        let t = compute_totals(&[line(250, 1, rate(500))]).unwrap();
        assert_eq!(t.vat_total, Cents::new(13));
        // 0,50 € at 21 % = 0,105 €.
        let t = compute_totals(&[line(50, 1, VatRate::STANDARD)]).unwrap();
        assert_eq!(t.vat_total, Cents::new(11));
        // 0,50 € at 5,5 % = 0,0275 €.
        let t = compute_totals(&[line(50, 1, rate(550))]).unwrap();
        assert_eq!(t.vat_total, Cents::new(3));
    }

    #[test]
    fn totals_zero_quantity_keeps_the_rate_with_zero_amounts() {
        let t = compute_totals(&[line(1000, 0, VatRate::STANDARD)]).unwrap();
        assert_eq!(t.net, Cents::ZERO);
        assert_eq!(t.gross, Cents::ZERO);
        assert_eq!(t.vat.len(), 1);
    }

    #[test]
    fn totals_overflow_is_reported() {
        assert_eq!(
            compute_totals(&[line(i64::MAX, 2, VatRate::STANDARD)]),
            Err(MoneyError::Overflow)
        );
        assert_eq!(
            compute_totals(&[
                line(i64::MAX, 1, VatRate::STANDARD),
                line(1, 1, VatRate::STANDARD)
            ]),
            Err(MoneyError::Overflow)
        );
        assert_eq!(
            compute_totals(&[
                line(i64::MAX, 1, VatRate::STANDARD),
                line(1, 1, VatRate::REDUCED)
            ]),
            Err(MoneyError::Overflow)
        );
        assert_eq!(
            compute_totals(&[line(i64::MAX, 1, VatRate::STANDARD)]),
            Err(MoneyError::Overflow)
        );
    }

    #[test]
    fn totals_at_the_largest_realistic_order() {
        // The maximum price times the maximum quantity still totals exactly.
        let t = compute_totals(&[line(100_000_000_000, 1_000_000, VatRate::STANDARD)]).unwrap();
        assert_eq!(t.net, Cents::new(100_000_000_000_000_000));
        assert_eq!(t.vat_total, Cents::new(21_000_000_000_000_000));
    }

    #[test]
    fn totals_serialize() {
        let t = compute_totals(&[line(33, 3, VatRate::STANDARD)]).unwrap();
        assert_eq!(
            serde_json::to_string(&t).unwrap(),
            r#"{"net":99,"vat":[{"rate":2100,"taxable":99,"vat":21}],"vat_total":21,"gross":120}"#
        );
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn integer_vat_matches_decimal_rounding(
                taxable in -10_000_000_000_000i64..10_000_000_000_000,
                bp in 0u32..=10_000,
            ) {
                let r = rate(bp);
                let via_decimal =
                    Cents::from_decimal_rounded(Cents::new(taxable).to_decimal() * r.as_fraction());
                prop_assert_eq!(r.vat_on(Cents::new(taxable)), via_decimal);
            }

            #[test]
            fn totals_are_consistent(
                raw in proptest::collection::vec(
                    (0i64..1_000_000, 0u32..1000, prop_oneof![Just(0u32), Just(600), Just(1200), Just(2100)]),
                    0..20,
                )
            ) {
                let lines: Vec<_> = raw.iter().map(|&(p, q, bp)| line(p, q, rate(bp))).collect();
                let t = compute_totals(&lines).unwrap();
                let expected_net: i64 = raw.iter().map(|&(p, q, _)| p * i64::from(q)).sum();
                prop_assert_eq!(t.net.cents(), expected_net);
                prop_assert_eq!(t.gross.cents(), t.net.cents() + t.vat_total.cents());
                prop_assert!(t.vat.windows(2).all(|w| w[0].rate > w[1].rate));
                for b in &t.vat {
                    prop_assert_eq!(b.vat, b.rate.vat_on(b.taxable).unwrap());
                }
                // Rounding once per rate keeps the total within half a cent per rate.
                let exact: Decimal = lines
                    .iter()
                    .map(|l| Cents::new(l.unit_price.cents() * i64::from(l.quantity)).to_decimal() * l.vat_rate.as_fraction())
                    .sum();
                let diff = (t.vat_total.to_decimal() - exact).abs();
                prop_assert!(diff <= Decimal::new(5, 3) * Decimal::from(t.vat.len().max(1)));
            }
        }
    }
}
