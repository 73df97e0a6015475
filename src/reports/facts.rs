//! What one order adds to the stored report figures, as pure functions.
//!
//! The figures are kept per month and competent authority (authority [`ALL_AUTHORITIES`]
//! holds the total of all), so a report over any months reads a few thousand rows whatever
//! the number of orders. When an order changes, its new contribution is added and the one
//! recorded in its snapshot ([`OrderFacts`]) subtracted: the figures stay exactly what a
//! count from scratch would give.
//!
//! The sales side is computed from the order's lines, which never change while the order
//! counts as a sale (a partial acceptance moves the refused lines to a new remainder order
//! before the accepted ones are confirmed), so the lines read now also give the contribution
//! recorded earlier.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Utc};

use super::filters::Month;
use super::SALES_STATUSES;
use crate::domain::vat::VatRate;
use crate::domain::{Cents, MoneyError};

/// The authority key of the figures for all competent authorities together.
pub const ALL_AUTHORITIES: i64 = 0;

/// What became of one offer of an order to a supplier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Outcome {
    Open,
    Accepted,
    Declined,
    TimedOut,
    Withdrawn,
}

impl Outcome {
    pub const ALL: [Outcome; 5] = [
        Outcome::Open,
        Outcome::Accepted,
        Outcome::Declined,
        Outcome::TimedOut,
        Outcome::Withdrawn,
    ];

    /// From `order_assignments.outcome` (`None` while the offer is open).
    pub fn of_assignment(outcome: Option<&str>) -> Outcome {
        match outcome {
            None => Outcome::Open,
            Some("accepted") => Outcome::Accepted,
            Some("declined") => Outcome::Declined,
            Some("timed_out") => Outcome::TimedOut,
            // `withdrawn`, and anything a later version may add, is neither taken nor refused.
            Some(_) => Outcome::Withdrawn,
        }
    }

    /// The stored code: the assignment's outcome, `open` for an open offer.
    pub fn code(self) -> &'static str {
        match self {
            Outcome::Open => "open",
            Outcome::Accepted => "accepted",
            Outcome::Declined => "declined",
            Outcome::TimedOut => "timed_out",
            Outcome::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(code: &str) -> Option<Outcome> {
        Outcome::ALL.into_iter().find(|o| o.code() == code)
    }

    fn letter(self) -> char {
        match self {
            Outcome::Open => 'o',
            Outcome::Accepted => 'a',
            Outcome::Declined => 'd',
            Outcome::TimedOut => 't',
            Outcome::Withdrawn => 'w',
        }
    }

    fn of_letter(letter: &str) -> Option<Outcome> {
        Outcome::ALL
            .into_iter()
            .find(|o| letter.len() == 1 && letter.starts_with(o.letter()))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Offer {
    pub supplier_id: i64,
    pub rank: i32,
    pub outcome: Outcome,
}

/// One order as the database holds it now: what its facts are computed from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderState {
    pub order_id: i64,
    pub authority_id: i64,
    pub lot_id: i64,
    pub status: String,
    pub placed_at: NaiveDateTime,
    pub confirmed_supplier_id: Option<i64>,
    pub confirmed_at: Option<NaiveDateTime>,
    pub breach_at: Option<NaiveDateTime>,
    pub delivered_at: Option<NaiveDateTime>,
    pub delivery_due: NaiveDate,
    pub offers: Vec<Offer>,
}

/// Everything the reports need to know about one order, apart from its lines. Stored per
/// order as the snapshot its contribution is subtracted by when it changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderFacts {
    pub order_id: i64,
    pub month: Month,
    pub authority_id: i64,
    pub placed_at: NaiveDateTime,
    pub lot_id: i64,
    /// The confirmed supplier.
    pub supplier_id: Option<i64>,
    /// Counts as a sale (confirmed, and neither cancelled nor unfulfilled).
    pub in_sales: bool,
    /// Its confirmation question is settled: confirmed, unfulfilled, or flagged late.
    pub counted: bool,
    /// Whole minutes from placing to confirmation (rounded down).
    pub confirm_minutes: Option<i64>,
    /// The confirmation came after exactly `confirm_minutes`, not a fraction more: with the
    /// minutes, tells whether it came within any whole-minute limit.
    pub confirm_whole: bool,
    /// Flagged by the 24-hour sweep.
    pub flagged: bool,
    pub delivered: bool,
    /// Delivered no later than its due date (Brussels date of delivery).
    pub on_time: bool,
    /// The due date of a confirmed order not delivered yet: overdue once it has passed.
    pub open_due: Option<NaiveDate>,
    /// Sorted.
    pub offers: Vec<Offer>,
}

fn brussels_day(instant: NaiveDateTime) -> NaiveDate {
    crate::clock::brussels_date(DateTime::<Utc>::from_naive_utc_and_offset(instant, Utc))
}

impl OrderFacts {
    pub fn of(state: &OrderState) -> OrderFacts {
        // An order cancelled before anyone confirmed it says nothing about service levels.
        let cancelled_unconfirmed = state.status == "cancelled" && state.confirmed_at.is_none();
        let waited = state
            .confirmed_at
            .filter(|_| !cancelled_unconfirmed)
            .map(|at| at - state.placed_at);
        let confirm_minutes = waited.map(|w| w.num_minutes());
        let flagged = !cancelled_unconfirmed && state.breach_at.is_some();
        let delivered_at = state.delivered_at.filter(|_| !cancelled_unconfirmed);
        let open = !cancelled_unconfirmed
            && delivered_at.is_none()
            && matches!(
                state.status.as_str(),
                "confirmed" | "shipped" | "cancellation_requested"
            );
        let mut offers = state.offers.clone();
        offers.sort();
        OrderFacts {
            order_id: state.order_id,
            month: Month::of_instant(state.placed_at),
            authority_id: state.authority_id,
            placed_at: state.placed_at,
            lot_id: state.lot_id,
            supplier_id: state.confirmed_supplier_id,
            in_sales: SALES_STATUSES.contains(&state.status.as_str()),
            counted: !cancelled_unconfirmed
                && (waited.is_some() || state.status == "unfulfilled" || flagged),
            confirm_minutes,
            confirm_whole: waited
                .zip(confirm_minutes)
                .is_some_and(|(w, m)| w == Duration::minutes(m)),
            flagged,
            delivered: delivered_at.is_some(),
            on_time: delivered_at.is_some_and(|at| brussels_day(at) <= state.delivery_due),
            open_due: open.then_some(state.delivery_due),
            offers,
        }
    }

    /// Worth a look for the list of breaches whatever the limits: flagged, delivered late,
    /// or confirmed and not delivered yet. (A late confirmation nobody flagged is found by
    /// its minutes.)
    pub fn watch(&self) -> bool {
        self.flagged || (self.delivered && !self.on_time) || self.open_due.is_some()
    }

    /// The offers as `supplier:rank:outcome` items, e.g. `12:1:d 7:2:a`.
    pub fn offers_signature(&self) -> String {
        self.offers
            .iter()
            .map(|o| format!("{}:{}:{}", o.supplier_id, o.rank, o.outcome.letter()))
            .collect::<Vec<_>>()
            .join(" ")
    }

    pub fn parse_offers(signature: &str) -> Option<Vec<Offer>> {
        let mut offers = signature
            .split_whitespace()
            .map(|item| {
                let mut parts = item.split(':');
                let offer = Offer {
                    supplier_id: parts.next()?.parse().ok()?,
                    rank: parts.next()?.parse().ok()?,
                    outcome: Outcome::of_letter(parts.next()?)?,
                };
                parts.next().is_none().then_some(offer)
            })
            .collect::<Option<Vec<_>>>()?;
        offers.sort();
        Some(offers)
    }
}

/// An order's net at one VAT rate for one product.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineSum {
    pub product_id: i64,
    pub rate_basis_points: i32,
    pub quantity: i64,
    pub net: Cents,
}

/// (authority, month key, lot, confirmed supplier, VAT rate in basis points).
pub type SalesKey = (i64, i32, i64, i64, i32);
/// Orders (each counted once, on its lowest VAT rate), quantity, net cents, VAT cents
/// (rounded per order and rate, as the order documents state it).
pub type SalesFigures = [i64; 4];
/// (authority, product, VAT rate in basis points, month key).
pub type ProductKey = (i64, i64, i32, i32);
/// Quantity, net cents.
pub type ProductFigures = [i64; 2];
/// (authority, month key, supplier, rank, outcome).
pub type OfferKey = (i64, i32, i64, i32, Outcome);
/// (authority, month key).
pub type ServiceKey = (i64, i32);
/// Orders counted, confirmed, delivered, delivered on time.
pub type ServiceFigures = [i64; 4];
/// (authority, whole minutes to confirmation, month key).
pub type MinutesKey = (i64, i64, i32);
/// Orders, of which confirmed after exactly that many minutes.
pub type MinutesFigures = [i64; 2];

/// Report figures (or changes to them), keyed as the stored tables are.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rollups {
    pub sales: BTreeMap<SalesKey, SalesFigures>,
    pub products: BTreeMap<ProductKey, ProductFigures>,
    pub offers: BTreeMap<OfferKey, i64>,
    pub service: BTreeMap<ServiceKey, ServiceFigures>,
    pub minutes: BTreeMap<MinutesKey, MinutesFigures>,
}

fn bump<K: Ord, const N: usize>(map: &mut BTreeMap<K, [i64; N]>, key: K, by: [i64; N], sign: i64) {
    let entry = map.entry(key).or_insert([0; N]);
    for (slot, value) in entry.iter_mut().zip(by) {
        *slot += sign * value;
    }
}

impl Rollups {
    /// The change to the figures when an order goes from `old` (its snapshot; `None` if it
    /// had none) to `new` (`None` if it is gone). `lines` are the order's lines, needed only
    /// when either side counts as a sale.
    pub fn delta(
        old: Option<&OrderFacts>,
        new: Option<&OrderFacts>,
        lines: &[LineSum],
    ) -> Result<Rollups, MoneyError> {
        let mut delta = Rollups::default();
        delta.add_change(old, new, lines)?;
        Ok(delta)
    }

    pub fn add_change(
        &mut self,
        old: Option<&OrderFacts>,
        new: Option<&OrderFacts>,
        lines: &[LineSum],
    ) -> Result<(), MoneyError> {
        if old == new {
            return Ok(());
        }
        if let Some(old) = old {
            self.add_order(old, lines, -1)?;
        }
        if let Some(new) = new {
            self.add_order(new, lines, 1)?;
        }
        Ok(())
    }

    /// Adds (`sign` 1) or subtracts (-1) one order's contribution, under its authority and
    /// under all authorities.
    pub fn add_order(
        &mut self,
        facts: &OrderFacts,
        lines: &[LineSum],
        sign: i64,
    ) -> Result<(), MoneyError> {
        let month = facts.month.key();
        // Per VAT rate: quantity and net; VAT rounded on the rate's net, as on the order.
        let mut rates: BTreeMap<i32, (i64, Cents)> = BTreeMap::new();
        if facts.in_sales {
            for line in lines {
                let entry = rates
                    .entry(line.rate_basis_points)
                    .or_insert((0, Cents::ZERO));
                entry.0 += line.quantity;
                entry.1 = entry.1.checked_add(line.net).ok_or(MoneyError::Overflow)?;
            }
        }
        let mut sales = Vec::with_capacity(rates.len());
        for (index, (rate_bp, (quantity, net))) in rates.iter().enumerate() {
            let rate = VatRate::from_basis_points((*rate_bp).max(0) as u32)
                .map_err(|_| MoneyError::Overflow)?;
            let vat = rate.vat_on(*net)?;
            let orders = i64::from(index == 0);
            sales.push((*rate_bp, [orders, *quantity, net.cents(), vat.cents()]));
        }
        let service = [
            i64::from(facts.counted),
            i64::from(facts.confirm_minutes.is_some()),
            i64::from(facts.delivered),
            i64::from(facts.delivered && facts.on_time),
        ];
        for authority in [facts.authority_id, ALL_AUTHORITIES] {
            for (rate_bp, figures) in &sales {
                let supplier = facts.supplier_id.unwrap_or(0);
                bump(
                    &mut self.sales,
                    (authority, month, facts.lot_id, supplier, *rate_bp),
                    *figures,
                    sign,
                );
            }
            if facts.in_sales {
                for line in lines {
                    bump(
                        &mut self.products,
                        (authority, line.product_id, line.rate_basis_points, month),
                        [line.quantity, line.net.cents()],
                        sign,
                    );
                }
            }
            for offer in &facts.offers {
                *self
                    .offers
                    .entry((
                        authority,
                        month,
                        offer.supplier_id,
                        offer.rank,
                        offer.outcome,
                    ))
                    .or_insert(0) += sign;
            }
            if service != [0; 4] {
                bump(&mut self.service, (authority, month), service, sign);
            }
            if let Some(minutes) = facts.confirm_minutes {
                bump(
                    &mut self.minutes,
                    (authority, minutes, month),
                    [1, i64::from(facts.confirm_whole)],
                    sign,
                );
            }
        }
        Ok(())
    }

    /// Adds other figures to these.
    pub fn merge(&mut self, other: Rollups) {
        for (key, value) in other.sales {
            bump(&mut self.sales, key, value, 1);
        }
        for (key, value) in other.products {
            bump(&mut self.products, key, value, 1);
        }
        for (key, value) in other.offers {
            *self.offers.entry(key).or_insert(0) += value;
        }
        for (key, value) in other.service {
            bump(&mut self.service, key, value, 1);
        }
        for (key, value) in other.minutes {
            bump(&mut self.minutes, key, value, 1);
        }
    }

    /// Drops the entries that are all zero: what is left is what changes (or exists).
    pub fn prune(&mut self) {
        self.sales.retain(|_, v| v.iter().any(|x| *x != 0));
        self.products.retain(|_, v| v.iter().any(|x| *x != 0));
        self.offers.retain(|_, v| *v != 0);
        self.service.retain(|_, v| v.iter().any(|x| *x != 0));
        self.minutes.retain(|_, v| v.iter().any(|x| *x != 0));
    }

    pub fn is_empty(&self) -> bool {
        self.sales.is_empty()
            && self.products.is_empty()
            && self.offers.is_empty()
            && self.service.is_empty()
            && self.minutes.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(d: u32, h: u32, min: u32, s: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 3, d)
            .unwrap()
            .and_hms_opt(h, min, s)
            .unwrap()
    }

    fn state(status: &str) -> OrderState {
        OrderState {
            order_id: 1,
            authority_id: 3,
            lot_id: 9,
            status: status.into(),
            placed_at: at(10, 9, 0, 0),
            confirmed_supplier_id: None,
            confirmed_at: None,
            breach_at: None,
            delivered_at: None,
            delivery_due: NaiveDate::from_ymd_opt(2026, 3, 19).unwrap(),
            offers: vec![Offer {
                supplier_id: 7,
                rank: 1,
                outcome: Outcome::Open,
            }],
        }
    }

    fn confirmed(mut s: OrderState, after_minutes: i64) -> OrderState {
        s.status = "confirmed".into();
        s.confirmed_supplier_id = Some(7);
        s.confirmed_at = Some(s.placed_at + Duration::minutes(after_minutes));
        s.offers[0].outcome = Outcome::Accepted;
        s
    }

    fn line(product_id: i64, bp: i32, quantity: i64, net: i64) -> LineSum {
        LineSum {
            product_id,
            rate_basis_points: bp,
            quantity,
            net: Cents::new(net),
        }
    }

    #[test]
    fn facts_follow_the_order() {
        let placed = OrderFacts::of(&state("routed"));
        assert_eq!(placed.month, Month::new(2026, 3).unwrap());
        assert!(!placed.in_sales && !placed.counted && !placed.watch());
        assert_eq!(placed.offers_signature(), "7:1:o");

        let c = OrderFacts::of(&confirmed(state("routed"), 90));
        assert!(c.in_sales && c.counted && c.confirm_whole);
        assert_eq!(c.confirm_minutes, Some(90));
        assert_eq!(c.open_due, NaiveDate::from_ymd_opt(2026, 3, 19));
        assert!(c.watch(), "confirmed, not delivered: overdue once due");

        let mut s = confirmed(state("routed"), 90);
        s.confirmed_at = s.confirmed_at.map(|t| t + Duration::seconds(30));
        let f = OrderFacts::of(&s);
        assert_eq!((f.confirm_minutes, f.confirm_whole), (Some(90), false));

        let mut s = confirmed(state("routed"), 60);
        s.status = "delivered".into();
        // 19 March 23:30 UTC is the 20th in Brussels: one day late.
        s.delivered_at = Some(at(19, 23, 30, 0));
        let f = OrderFacts::of(&s);
        assert!(f.delivered && !f.on_time && f.watch() && f.open_due.is_none());

        let mut s = state("cancelled");
        s.breach_at = Some(at(11, 9, 0, 5));
        s.offers[0].outcome = Outcome::Withdrawn;
        let f = OrderFacts::of(&s);
        assert!(!f.counted && !f.flagged && !f.in_sales && !f.watch());
        assert_eq!(f.offers_signature(), "7:1:w");

        let mut s = state("unfulfilled");
        s.offers[0].outcome = Outcome::Declined;
        assert!(OrderFacts::of(&s).counted);
    }

    #[test]
    fn offer_signatures_round_trip() {
        let mut s = state("routed");
        s.offers = vec![
            Offer {
                supplier_id: 12,
                rank: 2,
                outcome: Outcome::Open,
            },
            Offer {
                supplier_id: 7,
                rank: 1,
                outcome: Outcome::TimedOut,
            },
        ];
        let f = OrderFacts::of(&s);
        let signature = f.offers_signature();
        assert_eq!(signature, "7:1:t 12:2:o");
        assert_eq!(OrderFacts::parse_offers(&signature), Some(f.offers));
        assert_eq!(OrderFacts::parse_offers(""), Some(vec![]));
        for bad in ["7:1", "7:1:x", "a:1:o", "7:1:o:2", "7:1:oo"] {
            assert_eq!(OrderFacts::parse_offers(bad), None, "{bad}");
        }
    }

    #[test]
    fn vat_is_rounded_per_order_and_rate_and_orders_count_once() {
        // 0.02 € at 21 % is 0.0042 → 0.00 on each order; rounding several orders' 0.06
        // together would give 0.01. The figures add what each order states.
        let f = OrderFacts::of(&confirmed(state("routed"), 60));
        let lines = [
            line(1, 2100, 1, 2),
            line(2, 600, 2, 250),
            line(3, 600, 1, 1),
        ];
        let d = Rollups::delta(None, Some(&f), &lines).unwrap();
        for authority in [3, ALL_AUTHORITIES] {
            assert_eq!(d.sales[&(authority, 202603, 9, 7, 600)], [1, 3, 251, 15]);
            assert_eq!(d.sales[&(authority, 202603, 9, 7, 2100)], [0, 1, 2, 0]);
            assert_eq!(d.products[&(authority, 2, 600, 202603)], [2, 250]);
            assert_eq!(d.service[&(authority, 202603)], [1, 1, 0, 0]);
            assert_eq!(d.minutes[&(authority, 60, 202603)], [1, 1]);
            assert_eq!(d.offers[&(authority, 202603, 7, 1, Outcome::Accepted)], 1);
        }
        assert_eq!(d.sales.len(), 4);
        assert_eq!(d.products.len(), 6);
    }

    #[test]
    fn a_change_moves_the_figures_and_nothing_else() {
        let routed = OrderFacts::of(&state("routed"));
        let lines = [line(1, 2100, 3, 3000)];
        let mut d = Rollups::delta(None, Some(&routed), &lines).unwrap();
        assert!(d.sales.is_empty(), "not a sale yet");
        assert_eq!(d.offers[&(3, 202603, 7, 1, Outcome::Open)], 1);

        // Confirmation: the open offer becomes accepted, the order a sale.
        let c = OrderFacts::of(&confirmed(state("routed"), 30));
        let mut step = Rollups::delta(Some(&routed), Some(&c), &lines).unwrap();
        step.prune();
        assert_eq!(step.offers[&(3, 202603, 7, 1, Outcome::Open)], -1);
        assert_eq!(step.offers[&(3, 202603, 7, 1, Outcome::Accepted)], 1);
        assert_eq!(step.sales[&(3, 202603, 9, 7, 2100)], [1, 3, 3000, 630]);
        d.merge(step);

        // Cancellation after confirmation: the sale goes, the service figures stay.
        let mut s = confirmed(state("routed"), 30);
        s.status = "cancelled".into();
        let cancelled = OrderFacts::of(&s);
        let mut step = Rollups::delta(Some(&c), Some(&cancelled), &lines).unwrap();
        step.prune();
        assert_eq!(
            step.sales[&(ALL_AUTHORITIES, 202603, 9, 7, 2100)],
            [-1, -3, -3000, -630]
        );
        assert!(step.service.is_empty() && step.minutes.is_empty() && step.offers.is_empty());
        d.merge(step);
        d.prune();
        assert!(d.sales.is_empty() && d.products.is_empty());
        assert_eq!(d.service[&(3, 202603)], [1, 1, 0, 0]);

        // The same facts again change nothing; a vanished order takes its figures away.
        assert!(Rollups::delta(Some(&cancelled), Some(&cancelled), &lines)
            .unwrap()
            .is_empty());
        let mut gone = Rollups::delta(Some(&cancelled), None, &lines).unwrap();
        gone.merge(d);
        gone.prune();
        assert!(gone.is_empty());
    }

    #[test]
    fn an_order_counts_under_its_authority_and_under_all() {
        let mut s = confirmed(state("routed"), 10);
        s.authority_id = 5;
        let f = OrderFacts::of(&s);
        let d = Rollups::delta(None, Some(&f), &[line(1, 0, 1, 100)]).unwrap();
        let authorities: Vec<i64> = d.service.keys().map(|k| k.0).collect();
        assert_eq!(authorities, [ALL_AUTHORITIES, 5]);
        assert_eq!(
            d.sales[&(5, 202603, 9, 7, 0)],
            d.sales[&(0, 202603, 9, 7, 0)]
        );
    }
}
