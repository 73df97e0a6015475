//! The life of an order, as a state machine that every change of status
//! must go through, so that no code path can, say, cancel a shipped order or
//! offer an order to two suppliers at once.
//!
//! ```text
//! Placed                --Route-->               Routed
//! Placed                --Exhaust-->             Unfulfilled
//! Placed, Routed        --Cancel-->              Cancelled
//! Routed                --Accept-->              Confirmed
//! Routed                --Decline, Expire-->     Placed
//! Confirmed             --RequestCancellation--> CancellationRequested
//! CancellationRequested --AcceptCancellation-->  Cancelled
//! CancellationRequested --RefuseCancellation-->  Confirmed
//! Confirmed,
//! CancellationRequested --Ship-->                Shipped
//! Confirmed, Shipped    --Deliver-->             Delivered
//! ```
//!
//! Delivered, Unfulfilled and Cancelled are final; every pair not listed is
//! refused.

use serde::{Deserialize, Serialize};

use crate::domain::ids::SupplierId;
use crate::domain::rank::Rank;

#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Recorded and waiting to be offered to the next supplier of the
    /// cascade. Brief: the order leaves it as soon as routing has decided.
    Placed,
    /// Offered to one supplier, whose answer is awaited until its response
    /// deadline.
    Routed,
    /// A supplier accepted the order.
    Confirmed,
    Shipped,
    Delivered,
    /// Every supplier of the cascade was skipped, declined or timed out.
    Unfulfilled,
    /// Cancelled by the institution before confirmation, or after the
    /// supplier accepted its cancellation request.
    Cancelled,
    /// The institution asked to cancel a confirmed order; the supplier, who
    /// may already have committed costs, decides.
    CancellationRequested,
}

impl OrderStatus {
    pub const ALL: [OrderStatus; 8] = [
        OrderStatus::Placed,
        OrderStatus::Routed,
        OrderStatus::Confirmed,
        OrderStatus::Shipped,
        OrderStatus::Delivered,
        OrderStatus::Unfulfilled,
        OrderStatus::Cancelled,
        OrderStatus::CancellationRequested,
    ];

    /// Stable identifier, the same as the serialised form, for storage.
    pub fn code(self) -> &'static str {
        match self {
            OrderStatus::Placed => "placed",
            OrderStatus::Routed => "routed",
            OrderStatus::Confirmed => "confirmed",
            OrderStatus::Shipped => "shipped",
            OrderStatus::Delivered => "delivered",
            OrderStatus::Unfulfilled => "unfulfilled",
            OrderStatus::Cancelled => "cancelled",
            OrderStatus::CancellationRequested => "cancellation_requested",
        }
    }

    /// The inverse of [`OrderStatus::code`]; exact match only, since codes
    /// come from storage, not from people.
    pub fn parse(code: &str) -> Option<OrderStatus> {
        OrderStatus::ALL
            .into_iter()
            .find(|status| status.code() == code)
    }

    /// No event is accepted any more.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            OrderStatus::Delivered | OrderStatus::Unfulfilled | OrderStatus::Cancelled
        )
    }

    /// Still needs someone to act: the complement of [`OrderStatus::is_final`].
    pub fn is_open(self) -> bool {
        !self.is_final()
    }

    /// Completes "an order that is …" in error messages.
    fn describe(self) -> &'static str {
        match self {
            OrderStatus::Placed => "not offered to any supplier",
            OrderStatus::Routed => "waiting for a supplier's answer",
            OrderStatus::Confirmed => "confirmed",
            OrderStatus::Shipped => "shipped",
            OrderStatus::Delivered => "delivered",
            OrderStatus::Unfulfilled => "unfulfilled",
            OrderStatus::Cancelled => "cancelled",
            OrderStatus::CancellationRequested => "waiting for a cancellation decision",
        }
    }
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum OrderEvent {
    /// Routing offered the order to this cascade supplier.
    Route {
        supplier: SupplierId,
        rank: Rank,
    },
    /// The supplier the order is offered to accepted it.
    Accept,
    /// The supplier the order is offered to declined it.
    Decline,
    /// The supplier's response deadline passed without an answer.
    Expire,
    /// Routing found no supplier left in the cascade.
    Exhaust,
    /// The institution cancelled before any supplier confirmed.
    Cancel,
    /// The institution asked to cancel a confirmed order.
    RequestCancellation,
    AcceptCancellation,
    RefuseCancellation,
    Ship,
    Deliver,
}

/// Every event name, with the phrase completing "an order that is … cannot …".
const EVENT_ACTIONS: [(&str, &str); 11] = [
    ("route", "be offered to a supplier"),
    ("accept", "be accepted"),
    ("decline", "be declined"),
    ("expire", "time out"),
    ("exhaust", "be marked unfulfilled"),
    ("cancel", "be cancelled"),
    ("request_cancellation", "receive a cancellation request"),
    ("accept_cancellation", "have its cancellation accepted"),
    ("refuse_cancellation", "have its cancellation refused"),
    ("ship", "be shipped"),
    ("deliver", "be delivered"),
];

impl OrderEvent {
    /// Stable snake_case name, as kept in [`IllegalTransition::event`].
    pub fn name(&self) -> &'static str {
        match self {
            OrderEvent::Route { .. } => "route",
            OrderEvent::Accept => "accept",
            OrderEvent::Decline => "decline",
            OrderEvent::Expire => "expire",
            OrderEvent::Exhaust => "exhaust",
            OrderEvent::Cancel => "cancel",
            OrderEvent::RequestCancellation => "request_cancellation",
            OrderEvent::AcceptCancellation => "accept_cancellation",
            OrderEvent::RefuseCancellation => "refuse_cancellation",
            OrderEvent::Ship => "ship",
            OrderEvent::Deliver => "deliver",
        }
    }
}

fn action(event: &str) -> &'static str {
    EVENT_ACTIONS
        .iter()
        .find(|(name, _)| *name == event)
        .map_or("receive this event", |(_, action)| *action)
}

/// An event that the order's current status does not allow. Usually a race
/// (a supplier answering an offer that already expired) or a stale page.
#[derive(Copy, Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("an order that is {} cannot {}", .from.describe(), action(.event))]
pub struct IllegalTransition {
    pub from: OrderStatus,
    /// The refused event's [`OrderEvent::name`].
    pub event: &'static str,
}

impl IllegalTransition {
    pub fn message_key(&self) -> &'static str {
        "order-illegal-transition"
    }
}

/// The status an order in `from` moves to on `event`.
pub fn transition(from: OrderStatus, event: &OrderEvent) -> Result<OrderStatus, IllegalTransition> {
    use OrderEvent as E;
    use OrderStatus as S;
    let to = match (from, event) {
        (S::Placed, E::Route { .. }) => S::Routed,
        (S::Placed, E::Exhaust) => S::Unfulfilled,
        (S::Routed, E::Accept) => S::Confirmed,
        // Back to choosing: the caller routes to the next candidate or, if
        // none is left, exhausts. Routed → Routed is refused so that the
        // reason the previous supplier was left is always recorded.
        (S::Routed, E::Decline | E::Expire) => S::Placed,
        // Before confirmation nobody has committed anything yet, so the
        // institution may cancel outright.
        (S::Placed | S::Routed, E::Cancel) => S::Cancelled,
        (S::Confirmed, E::RequestCancellation) => S::CancellationRequested,
        (S::CancellationRequested, E::AcceptCancellation) => S::Cancelled,
        (S::CancellationRequested, E::RefuseCancellation) => S::Confirmed,
        // Shipping while a cancellation is pending settles it: goods on the
        // road can no longer be cancelled, only returned.
        (S::Confirmed | S::CancellationRequested, E::Ship) => S::Shipped,
        // A supplier delivering in person may never record the shipment.
        (S::Shipped | S::Confirmed, E::Deliver) => S::Delivered,
        _ => {
            return Err(IllegalTransition {
                from,
                event: event.name(),
            });
        }
    };
    Ok(to)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::{BTreeSet, HashSet, VecDeque};

    fn all_events() -> [OrderEvent; 11] {
        [
            OrderEvent::Route {
                supplier: SupplierId(7),
                rank: Rank::new(2).expect("valid rank"),
            },
            OrderEvent::Accept,
            OrderEvent::Decline,
            OrderEvent::Expire,
            OrderEvent::Exhaust,
            OrderEvent::Cancel,
            OrderEvent::RequestCancellation,
            OrderEvent::AcceptCancellation,
            OrderEvent::RefuseCancellation,
            OrderEvent::Ship,
            OrderEvent::Deliver,
        ]
    }

    /// The whole specification: every allowed (from, event) and its target.
    /// Anything missing here must be refused.
    const LEGAL: [(OrderStatus, &str, OrderStatus); 14] = {
        use OrderStatus::*;
        [
            (Placed, "route", Routed),
            (Placed, "exhaust", Unfulfilled),
            (Placed, "cancel", Cancelled),
            (Routed, "accept", Confirmed),
            (Routed, "decline", Placed),
            (Routed, "expire", Placed),
            (Routed, "cancel", Cancelled),
            (Confirmed, "request_cancellation", CancellationRequested),
            (Confirmed, "ship", Shipped),
            (Confirmed, "deliver", Delivered),
            (CancellationRequested, "accept_cancellation", Cancelled),
            (CancellationRequested, "refuse_cancellation", Confirmed),
            (CancellationRequested, "ship", Shipped),
            (Shipped, "deliver", Delivered),
        ]
    };

    fn expected(from: OrderStatus, event: &str) -> Option<OrderStatus> {
        LEGAL
            .iter()
            .find(|(f, e, _)| *f == from && *e == event)
            .map(|(_, _, to)| *to)
    }

    #[test]
    fn every_state_event_pair_matches_the_table() {
        let mut checked = 0;
        for from in OrderStatus::ALL {
            for event in all_events() {
                let result = transition(from, &event);
                match expected(from, event.name()) {
                    Some(to) => assert_eq!(result, Ok(to), "{from:?} {event:?}"),
                    None => assert_eq!(
                        result,
                        Err(IllegalTransition {
                            from,
                            event: event.name()
                        }),
                        "{from:?} {event:?}"
                    ),
                }
                checked += 1;
            }
        }
        assert_eq!(checked, 8 * 11);
    }

    #[test]
    fn legal_table_has_no_duplicates_and_only_known_names() {
        let pairs: HashSet<_> = LEGAL.iter().map(|(f, e, _)| (*f, *e)).collect();
        assert_eq!(pairs.len(), LEGAL.len());
        let names: HashSet<_> = all_events().iter().map(OrderEvent::name).collect();
        assert!(LEGAL.iter().all(|(_, e, _)| names.contains(e)));
    }

    #[test]
    fn route_carries_no_weight_on_the_outcome() {
        for supplier in [SupplierId(1), SupplierId(-3), SupplierId(i64::MAX)] {
            for rank in 1..=5 {
                let event = OrderEvent::Route {
                    supplier,
                    rank: Rank::new(rank).expect("valid rank"),
                };
                assert_eq!(
                    transition(OrderStatus::Placed, &event),
                    Ok(OrderStatus::Routed)
                );
                assert!(transition(OrderStatus::Routed, &event).is_err());
            }
        }
    }

    #[test]
    fn routed_cannot_be_routed_again() {
        let error = transition(OrderStatus::Routed, &all_events()[0]).expect_err("illegal");
        assert_eq!(error.from, OrderStatus::Routed);
        assert_eq!(error.event, "route");
        assert_eq!(
            error.to_string(),
            "an order that is waiting for a supplier's answer cannot be offered to a supplier"
        );
    }

    #[test]
    fn final_states_accept_nothing() {
        for from in OrderStatus::ALL.into_iter().filter(|s| s.is_final()) {
            for event in all_events() {
                assert!(transition(from, &event).is_err(), "{from:?} {event:?}");
            }
        }
    }

    #[test]
    fn open_states_have_a_way_out() {
        for from in OrderStatus::ALL.into_iter().filter(|s| s.is_open()) {
            assert!(
                all_events().iter().any(|e| transition(from, e).is_ok()),
                "{from:?}"
            );
        }
    }

    fn reachable_from(start: OrderStatus) -> BTreeSet<&'static str> {
        let mut seen = BTreeSet::from([start.code()]);
        let mut queue = VecDeque::from([start]);
        while let Some(state) = queue.pop_front() {
            for event in all_events() {
                if let Ok(next) = transition(state, &event) {
                    if seen.insert(next.code()) {
                        queue.push_back(next);
                    }
                }
            }
        }
        seen
    }

    #[test]
    fn every_state_is_reachable_from_placed() {
        assert_eq!(
            reachable_from(OrderStatus::Placed).len(),
            OrderStatus::ALL.len()
        );
    }

    #[test]
    fn every_open_state_can_still_end() {
        for from in OrderStatus::ALL.into_iter().filter(|s| s.is_open()) {
            let reachable = reachable_from(from);
            assert!(
                OrderStatus::ALL
                    .iter()
                    .any(|s| s.is_final() && reachable.contains(s.code())),
                "{from:?}"
            );
        }
    }

    #[test]
    fn shipped_can_never_be_cancelled() {
        let reachable = reachable_from(OrderStatus::Shipped);
        assert!(!reachable.contains("cancelled"));
        assert!(!reachable.contains("cancellation_requested"));
        assert_eq!(reachable, BTreeSet::from(["shipped", "delivered"]));
    }

    #[test]
    fn confirmed_cannot_go_back_to_routing() {
        let reachable = reachable_from(OrderStatus::Confirmed);
        for status in ["placed", "routed", "unfulfilled"] {
            assert!(!reachable.contains(status), "{status}");
        }
    }

    #[test]
    fn final_and_open_partition_the_states() {
        let finals: Vec<_> = OrderStatus::ALL
            .into_iter()
            .filter(|s| s.is_final())
            .collect();
        assert_eq!(
            finals,
            vec![
                OrderStatus::Delivered,
                OrderStatus::Unfulfilled,
                OrderStatus::Cancelled
            ]
        );
        for status in OrderStatus::ALL {
            assert_ne!(status.is_final(), status.is_open(), "{status:?}");
        }
    }

    #[test]
    fn codes_round_trip_and_match_serde_names() {
        let codes: HashSet<_> = OrderStatus::ALL.iter().map(|s| s.code()).collect();
        assert_eq!(codes.len(), OrderStatus::ALL.len());
        for status in OrderStatus::ALL {
            assert_eq!(OrderStatus::parse(status.code()), Some(status));
            assert_eq!(status.code(), snake_case(&format!("{status:?}")));
        }
    }

    #[test]
    fn event_names_match_variant_names() {
        for event in all_events() {
            let debug = format!("{event:?}");
            let variant = debug.split([' ', '{']).next().expect("a variant name");
            assert_eq!(event.name(), snake_case(variant));
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

    #[test]
    fn parse_rejects_anything_but_exact_codes() {
        for input in [
            "",
            "Placed",
            "PLACED",
            " placed",
            "placed ",
            "cancellation-requested",
            "cancellationrequested",
            "open",
            "unknown",
        ] {
            assert_eq!(OrderStatus::parse(input), None, "{input:?}");
        }
    }

    #[test]
    fn messages_in_english() {
        let cases = [
            (
                OrderStatus::Confirmed,
                OrderEvent::Decline,
                "an order that is confirmed cannot be declined",
            ),
            (
                OrderStatus::Confirmed,
                OrderEvent::Cancel,
                "an order that is confirmed cannot be cancelled",
            ),
            (
                OrderStatus::Shipped,
                OrderEvent::RequestCancellation,
                "an order that is shipped cannot receive a cancellation request",
            ),
            (
                OrderStatus::Placed,
                OrderEvent::Accept,
                "an order that is not offered to any supplier cannot be accepted",
            ),
            (
                OrderStatus::Delivered,
                OrderEvent::Expire,
                "an order that is delivered cannot time out",
            ),
            (
                OrderStatus::Routed,
                OrderEvent::Exhaust,
                "an order that is waiting for a supplier's answer cannot be marked unfulfilled",
            ),
            (
                OrderStatus::CancellationRequested,
                OrderEvent::Deliver,
                "an order that is waiting for a cancellation decision cannot be delivered",
            ),
            (
                OrderStatus::Unfulfilled,
                OrderEvent::AcceptCancellation,
                "an order that is unfulfilled cannot have its cancellation accepted",
            ),
            (
                OrderStatus::Cancelled,
                OrderEvent::RefuseCancellation,
                "an order that is cancelled cannot have its cancellation refused",
            ),
            (
                OrderStatus::Delivered,
                OrderEvent::Ship,
                "an order that is delivered cannot be shipped",
            ),
        ];
        for (from, event, message) in cases {
            let error = transition(from, &event).expect_err("illegal");
            assert_eq!(error.to_string(), message);
            assert_eq!(error.message_key(), "order-illegal-transition");
        }
    }

    #[test]
    fn every_event_has_its_own_phrase() {
        let phrases: HashSet<_> = all_events().iter().map(|e| action(e.name())).collect();
        assert_eq!(phrases.len(), 11);
        assert!(!phrases.contains("receive this event"));
        let unknown = IllegalTransition {
            from: OrderStatus::Placed,
            event: "teleport",
        };
        assert_eq!(
            unknown.to_string(),
            "an order that is not offered to any supplier cannot receive this event"
        );
    }

    fn event_strategy() -> impl Strategy<Value = OrderEvent> {
        (0usize..11).prop_map(|i| all_events()[i])
    }

    proptest! {
        /// Whatever the events, in any order, the invariants hold step by step.
        #[test]
        fn random_event_sequences_keep_invariants(events in proptest::collection::vec(event_strategy(), 0..40)) {
            let mut status = OrderStatus::Placed;
            let mut shipped = false;
            for event in &events {
                match transition(status, event) {
                    Ok(next) => {
                        prop_assert!(status.is_open());
                        if next == OrderStatus::Confirmed {
                            prop_assert!(matches!(
                                (status, event),
                                (OrderStatus::Routed, OrderEvent::Accept)
                                    | (OrderStatus::CancellationRequested, OrderEvent::RefuseCancellation)
                            ));
                        }
                        if next == OrderStatus::Routed {
                            prop_assert_eq!(status, OrderStatus::Placed);
                        }
                        shipped |= next == OrderStatus::Shipped;
                        if shipped {
                            prop_assert!(matches!(next, OrderStatus::Shipped | OrderStatus::Delivered));
                        }
                        status = next;
                    }
                    Err(error) => {
                        prop_assert_eq!(error.from, status);
                        prop_assert_eq!(error.event, event.name());
                    }
                }
            }
        }
    }
}
