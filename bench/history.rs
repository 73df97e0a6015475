//! The order history: orders placed over the past months by the generated institutions, each
//! taken through the steps the shop itself would have recorded (offered, declined or timed
//! out, accepted, shipped, delivered; cancelled; unfulfilled; flagged for the 24-hour rule),
//! with the same assignments, events and order fields.

use chrono::{Datelike, Duration, NaiveDateTime, Weekday};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::Rng;
use serde_json::json;

use centrale::domain::working_days::BelgianCalendar;

use crate::catalogue::{vat_basis_points, InstitutionPlan, LotPlan, Reference};
use crate::generate::Params;
use crate::rows::{Assignment, Event, Order, OrderLine};

/// The supplier's answer window the shop is configured with (minutes).
pub const WINDOW_MINUTES: i64 = 240;
const CARRIERS: [&str; 4] = ["bpost", "DPD", "PostNL", "own fleet"];

#[derive(Default)]
pub struct Chunk {
    pub orders: Vec<Order>,
    pub lines: Vec<OrderLine>,
    pub assignments: Vec<Assignment>,
    pub events: Vec<Event>,
}

pub struct History<'a> {
    reference: &'a Reference,
    placed: Vec<NaiveDateTime>,
    next: usize,
    end: NaiveDateTime,
    calendar: BelgianCalendar,
    lot_weights: Vec<u32>,
    pub next_line: i64,
    pub next_assignment: i64,
    pub next_event: i64,
    pub feed_seq: i64,
}

fn hex(rng: &mut StdRng, bytes: usize) -> String {
    (0..bytes)
        .map(|_| format!("{:02x}", rng.gen::<u8>()))
        .collect()
}

fn minutes(rng: &mut StdRng, from: i64, to: i64) -> Duration {
    Duration::minutes(rng.gen_range(from..to))
}

/// Orders fall on working days mostly, in office hours (UTC).
fn placing_times(params: &Params, rng: &mut StdRng) -> (Vec<NaiveDateTime>, NaiveDateTime) {
    let end_day = params.anchor - Duration::days(2);
    let start_day = end_day - Duration::days(i64::from(params.months) * 365 / 12);
    let span = (end_day - start_day).num_days();
    let mut times = Vec::with_capacity(params.orders);
    while times.len() < params.orders {
        let day = start_day + Duration::days(rng.gen_range(0..span));
        if matches!(day.weekday(), Weekday::Sat | Weekday::Sun) && rng.gen_bool(0.85) {
            continue;
        }
        let seconds = rng.gen_range(6 * 3600..17 * 3600);
        times.push(day.and_hms_opt(0, 0, 0).unwrap_or_default() + Duration::seconds(seconds));
    }
    times.sort_unstable();
    (times, end_day.and_hms_opt(0, 0, 0).unwrap_or_default())
}

enum Fate {
    Accepted,
    Declined,
    TimedOut,
    Breached,
    Cancelled,
    Unfulfilled,
}

impl<'a> History<'a> {
    pub fn new(params: &Params, reference: &'a Reference, rng: &mut StdRng) -> History<'a> {
        let (placed, end) = placing_times(params, rng);
        History {
            reference,
            placed,
            next: 0,
            end,
            calendar: BelgianCalendar::new(std::iter::empty()),
            lot_weights: reference.lot_plans.iter().map(|l| l.popularity).collect(),
            next_line: 1,
            next_assignment: 1,
            next_event: 1,
            feed_seq: 0,
        }
    }

    /// The next `n` orders with everything written alongside them, or `None` when done.
    pub fn chunk(&mut self, n: usize, rng: &mut StdRng) -> Option<Chunk> {
        if self.next >= self.placed.len() {
            return None;
        }
        let mut chunk = Chunk::default();
        let last = (self.next + n).min(self.placed.len());
        let total_weight: u32 = self.lot_weights.iter().sum();
        let reference: &'a Reference = self.reference;
        while self.next < last {
            let id = self.next as i64 + 1;
            let placed_at = self.placed[self.next];
            self.next += 1;
            let institution = reference
                .institution_plans
                .choose(rng)
                .expect("institutions");
            let mut pick = rng.gen_range(0..total_weight);
            let mut lot_index = 0;
            for (i, w) in self.lot_weights.iter().enumerate() {
                if pick < *w {
                    lot_index = i;
                    break;
                }
                pick -= w;
            }
            let lot = &reference.lot_plans[lot_index];
            self.order(&mut chunk, id, placed_at, institution, lot, rng);
        }
        Some(chunk)
    }

    #[allow(clippy::too_many_arguments)]
    fn event(
        &mut self,
        chunk: &mut Chunk,
        order_id: i64,
        at: NaiveDateTime,
        kind: &str,
        from: Option<&str>,
        to: &str,
        supplier: Option<(i64, i32)>,
        actor: &str,
        reason: Option<&str>,
        details: String,
    ) {
        chunk.events.push(Event {
            id: self.next_event,
            order_id,
            occurred_at: at,
            kind: kind.into(),
            from_status: from.map(Into::into),
            to_status: to.into(),
            supplier_id: supplier.map(|s| s.0),
            rank: supplier.map(|s| s.1),
            actor_label: actor.into(),
            reason: reason.map(Into::into),
            details,
        });
        self.next_event += 1;
    }

    #[allow(clippy::too_many_arguments)]
    fn offer(
        &mut self,
        chunk: &mut Chunk,
        order_id: i64,
        at: NaiveDateTime,
        supplier: i64,
        rank: i32,
        actor: &str,
    ) -> usize {
        let deadline = at + Duration::minutes(WINDOW_MINUTES);
        chunk.assignments.push(Assignment {
            id: self.next_assignment,
            order_id,
            supplier_id: supplier,
            rank,
            offered_at: at,
            deadline,
            outcome: None,
            answered_at: None,
            reason: None,
            feed_seq: 0,
            supplier_reference: None,
        });
        self.next_assignment += 1;
        self.event(
            chunk,
            order_id,
            at,
            "offered",
            Some("placed"),
            "routed",
            Some((supplier, rank)),
            actor,
            None,
            json!({ "deadline": deadline, "skipped": [] }).to_string(),
        );
        chunk.assignments.len() - 1
    }

    fn close(
        &mut self,
        chunk: &mut Chunk,
        index: usize,
        outcome: &str,
        at: NaiveDateTime,
        reason: Option<&str>,
    ) {
        self.feed_seq += 1;
        let a = &mut chunk.assignments[index];
        a.outcome = Some(outcome.into());
        a.answered_at = Some(at);
        a.reason = reason.map(Into::into);
        a.feed_seq = self.feed_seq;
    }

    fn order(
        &mut self,
        chunk: &mut Chunk,
        id: i64,
        placed_at: NaiveDateTime,
        institution: &InstitutionPlan,
        lot: &LotPlan,
        rng: &mut StdRng,
    ) {
        let day = centrale::clock::brussels_date(placed_at.and_utc());
        let count = *[1usize, 2, 2, 3, 3, 4].choose(rng).unwrap_or(&2);
        let products: Vec<_> = lot
            .products
            .choose_multiple(rng, count.min(lot.products.len()))
            .collect();
        let quantities: Vec<i32> = products
            .iter()
            .map(|p| {
                if p.unit_code == "HUR" {
                    rng.gen_range(4..40)
                } else {
                    p.order_multiple * rng.gen_range(1..9)
                }
            })
            .collect();
        let displayed: i64 = products
            .iter()
            .zip(&quantities)
            .map(|(p, q)| p.prices[0] * i64::from(*q))
            .sum();
        let via_api = rng.gen_bool(0.3);
        let actor = if via_api {
            institution.client_label.clone()
        } else {
            institution.user_label.clone()
        };
        let roll: f64 = rng.gen();
        let fate = match roll {
            r if r < 0.005 => Fate::Unfulfilled,
            r if r < 0.025 => Fate::Cancelled,
            r if r < 0.075 => Fate::Declined,
            r if r < 0.095 => Fate::TimedOut,
            r if r < 0.10 => Fate::Breached,
            _ => Fate::Accepted,
        };
        self.event(
            chunk,
            id,
            placed_at,
            "placed",
            None,
            "placed",
            None,
            &actor,
            None,
            json!({ "lines": count, "displayed_net_cents": displayed }).to_string(),
        );
        let mut order = Order {
            id,
            reference: format!("CMD-{id:06}"),
            checkout_id: hex(rng, 12),
            institution_id: institution.id,
            lot_id: lot.id,
            placed_by_user_id: (!via_api).then_some(institution.user_id),
            placed_by_client_id: via_api.then_some(institution.client_row_id),
            delivery_address_id: *institution.address_ids.choose(rng).unwrap_or(&1),
            buyer_reference: rng
                .gen_bool(0.4)
                .then(|| format!("BC-{}-{}", day.year(), id % 100_000)),
            language: institution.language.into(),
            status: "placed".into(),
            current_supplier_id: None,
            current_rank: None,
            response_deadline: None,
            confirmed_supplier_id: None,
            confirmed_rank: None,
            confirmed_at: None,
            expected_delivery: None,
            delivery_due: self.calendar.add_working_days(day, 7),
            displayed_net_cents: displayed,
            placed_at,
            updated_at: placed_at,
            notified_at: None,
            breach_at: None,
            shipped_at: None,
            delivered_at: None,
            carrier: None,
            tracking: None,
            parent_order_id: None,
        };
        let reference: &'a Reference = self.reference;
        let labels = &reference.supplier_labels;
        let mut t = placed_at;
        let mut accepted_rank: Option<usize> = None;
        let first = self.offer(chunk, id, t, lot.cascade[0], 1, &actor);
        match fate {
            Fate::Accepted => {
                t += minutes(rng, 10, 180);
                self.close(chunk, first, "accepted", t, None);
                accepted_rank = Some(0);
            }
            Fate::Declined | Fate::TimedOut | Fate::Breached => {
                let (outcome, reason, who) = match fate {
                    Fate::Declined => {
                        t += minutes(rng, 15, 180);
                        (
                            "declined",
                            "out of stock",
                            labels[lot.cascade[0] as usize].clone(),
                        )
                    }
                    Fate::TimedOut => {
                        t += Duration::minutes(WINDOW_MINUTES);
                        (
                            "timed_out",
                            "no answer before the deadline",
                            "system".to_owned(),
                        )
                    }
                    _ => {
                        // The worker was stopped for maintenance: the sweep that took the
                        // order back ran a day late and flagged it for the 24-hour rule.
                        t += Duration::hours(26);
                        (
                            "timed_out",
                            "no answer before the deadline",
                            "system".to_owned(),
                        )
                    }
                };
                self.close(chunk, first, outcome, t, Some(reason));
                self.event(
                    chunk,
                    id,
                    t,
                    outcome,
                    Some("routed"),
                    "placed",
                    Some((lot.cascade[0], 1)),
                    &who,
                    Some(reason),
                    "{}".into(),
                );
                let second = self.offer(chunk, id, t, lot.cascade[1], 2, &who);
                if matches!(fate, Fate::Breached) {
                    order.breach_at = Some(t);
                    self.event(
                        chunk,
                        id,
                        t,
                        "breach",
                        Some("routed"),
                        "routed",
                        Some((lot.cascade[1], 2)),
                        "system",
                        Some("not confirmed within the promised time"),
                        "{}".into(),
                    );
                }
                t += minutes(rng, 10, 180);
                self.close(chunk, second, "accepted", t, None);
                accepted_rank = Some(1);
            }
            Fate::Cancelled => {
                t += minutes(rng, 10, 120);
                self.close(
                    chunk,
                    first,
                    "withdrawn",
                    t,
                    Some("cancelled by the institution"),
                );
                self.event(
                    chunk,
                    id,
                    t,
                    "cancelled",
                    Some("routed"),
                    "cancelled",
                    Some((lot.cascade[0], 1)),
                    &actor,
                    None,
                    "{}".into(),
                );
                order.status = "cancelled".into();
            }
            Fate::Unfulfilled => {
                let mut index = first;
                for rank in 0..lot.cascade.len() {
                    if rank > 0 {
                        index = self.offer(
                            chunk,
                            id,
                            t,
                            lot.cascade[rank],
                            rank as i32 + 1,
                            &labels[lot.cascade[rank - 1] as usize].clone(),
                        );
                    }
                    t += minutes(rng, 15, 120);
                    let who = labels[lot.cascade[rank] as usize].clone();
                    self.close(chunk, index, "declined", t, Some("out of stock"));
                    self.event(
                        chunk,
                        id,
                        t,
                        "declined",
                        Some("routed"),
                        "placed",
                        Some((lot.cascade[rank], rank as i32 + 1)),
                        &who,
                        Some("out of stock"),
                        "{}".into(),
                    );
                }
                self.event(
                    chunk,
                    id,
                    t,
                    "unfulfilled",
                    Some("placed"),
                    "unfulfilled",
                    None,
                    "system",
                    Some("no supplier of the cascade can take the order"),
                    json!({ "skipped": [] }).to_string(),
                );
                order.status = "unfulfilled".into();
                order.notified_at = Some(t);
            }
        }
        let price_rank = accepted_rank.unwrap_or(0);
        for (product, quantity) in products.iter().zip(&quantities) {
            chunk.lines.push(OrderLine {
                id: self.next_line,
                order_id: id,
                product_id: product.id,
                sku: product.sku.clone(),
                name_fr: product.name_fr.clone(),
                name_nl: product.name_nl.clone(),
                unit_code: product.unit_code.clone(),
                quantity: *quantity,
                vat_rate_basis_points: vat_basis_points(&product.vat_class, day),
                unit_price_cents: product.prices[price_rank],
                displayed_unit_price_cents: product.prices[0],
            });
            self.next_line += 1;
        }
        if let Some(rank) = accepted_rank {
            let supplier = lot.cascade[rank];
            let who = labels[supplier as usize].clone();
            let accepted_day = centrale::clock::brussels_date(t.and_utc());
            let expected = (accepted_day + Duration::days(rng.gen_range(1..6)))
                .min(order.delivery_due)
                .max(accepted_day);
            self.event(
                chunk,
                id,
                t,
                "accepted",
                Some("routed"),
                "confirmed",
                Some((supplier, rank as i32 + 1)),
                &who,
                None,
                json!({ "expected_delivery": expected }).to_string(),
            );
            order.status = "confirmed".into();
            order.confirmed_supplier_id = Some(supplier);
            order.confirmed_rank = Some(rank as i32 + 1);
            order.confirmed_at = Some(t);
            order.expected_delivery = Some(expected);
            order.notified_at = Some(t);
            let shipped_on = (expected - Duration::days(1)).max(accepted_day);
            let shipped_at = shipped_on.and_hms_opt(12, 0, 0).unwrap_or_default().max(t);
            let delivered_at = expected
                .and_hms_opt(12, 0, 0)
                .unwrap_or_default()
                .max(shipped_at);
            let accepted_index = chunk.assignments.len() - 1;
            if shipped_at < self.end {
                let carrier = *CARRIERS.choose(rng).unwrap_or(&"bpost");
                let tracking = format!("CD{id:09}BE");
                self.event(
                    chunk,
                    id,
                    shipped_at,
                    "shipped",
                    Some("confirmed"),
                    "shipped",
                    Some((supplier, rank as i32 + 1)),
                    &who,
                    None,
                    json!({ "date": shipped_on, "carrier": carrier, "tracking": tracking })
                        .to_string(),
                );
                order.status = "shipped".into();
                order.shipped_at = Some(shipped_at);
                order.carrier = Some(carrier.into());
                order.tracking = Some(tracking);
                t = shipped_at;
                self.feed_seq += 1;
                chunk.assignments[accepted_index].feed_seq = self.feed_seq;
                if delivered_at < self.end {
                    self.event(
                        chunk,
                        id,
                        delivered_at,
                        "delivered",
                        Some("shipped"),
                        "delivered",
                        Some((supplier, rank as i32 + 1)),
                        &who,
                        None,
                        json!({ "date": expected }).to_string(),
                    );
                    order.status = "delivered".into();
                    order.delivered_at = Some(delivered_at);
                    t = delivered_at;
                    self.feed_seq += 1;
                    chunk.assignments[accepted_index].feed_seq = self.feed_seq;
                }
            }
        }
        order.updated_at = t;
        chunk.orders.push(order);
    }
}
