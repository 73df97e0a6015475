//! Checkout in two steps. [`prepare`] reads and checks everything an order needs — the
//! institution, the requested products with their prices, each lot's cascade and the supplier
//! the order goes to — without writing; [`record`] then writes the orders in one short
//! transaction. On SQLite only one transaction writes at a time, so whatever can be read or
//! decided beforehand stays out of it.

use std::collections::{BTreeMap, HashMap};

use chrono::{NaiveDate, NaiveDateTime};
use serde_json::json;

use super::routing::{cascade_candidates, skipped_json};
use super::view::{address_label, OrderParts, OrderView};
use super::{conflict, new_checkout_id, notify, OrderingContext, PlaceOrder};
use super::{MAX_BUYER_REFERENCE, MAX_LINES};
use crate::auth::Principal;
use crate::catalogue::cache::{Published, RoutingTables};
use crate::catalogue::{self, Orderability, ProductView};
use crate::db::catalogue::{self as cq, CascadeEntryRow, LotRow, OfferRow, SupplierBrief};
use crate::db::orders::{self as q, NewAssignment, NewOrder, NewOrderEvent, NewOrderLine};
use crate::db::parties::{self, DeliveryAddressRow, InstitutionRow};
use crate::db::{Conn, DbError};
use crate::domain::order_state::{transition, OrderEvent, OrderStatus};
use crate::domain::routing::{next_candidate, Decision};
use crate::domain::QuantityRule;
use crate::error::ServiceError;
use crate::validation::ValidationErrors;

/// A checkout checked and routed, ready to be written.
pub struct PreparedCheckout {
    institution: InstitutionRow,
    address: DeliveryAddressRow,
    buyer_reference: Option<String>,
    recipient: Option<(String, String)>,
    checkout_id: String,
    delivery_due: NaiveDate,
    orders: Vec<PreparedOrder>,
}

/// One order of the checkout: the lines of one lot, and where they go.
struct PreparedOrder {
    lot: LotRow,
    lines: Vec<PreparedLine>,
    displayed_net: i64,
    decision: Decision,
    /// The supplier offered the order, if any.
    supplier: Option<SupplierBrief>,
}

struct PreparedLine {
    product: ProductView,
    quantity: u32,
    /// What the institution saw in the catalogue.
    displayed_price: i64,
    /// The price of the supplier the order goes to.
    price: i64,
}

/// What a checkout reads of the catalogue: the requested products (by SKU) with whether their
/// lot takes orders, the lots, their cascades, the cascades' suppliers and the products'
/// offers. Taken from the in-memory snapshot while it is current, read from the database
/// otherwise; the same rows either way.
struct CheckoutCatalogue {
    products: BTreeMap<String, (ProductView, Orderability)>,
    lots: HashMap<i64, LotRow>,
    cascades: HashMap<i64, Vec<CascadeEntryRow>>,
    suppliers: HashMap<i64, SupplierBrief>,
    /// Every supplier's offer, by product.
    offers: HashMap<i64, Vec<OfferRow>>,
}

impl CheckoutCatalogue {
    fn from_snapshot(published: &Published, skus: &[String]) -> CheckoutCatalogue {
        let products: BTreeMap<String, (ProductView, Orderability)> = skus
            .iter()
            .filter_map(|sku| {
                let (product, open) = published.orderable(sku)?;
                Some((sku.clone(), (product.clone(), open)))
            })
            .collect();
        let tables = &published.routing;
        let mut lots = HashMap::new();
        let mut cascades = HashMap::new();
        let mut suppliers = HashMap::new();
        let mut offers = HashMap::new();
        for (product, _) in products.values() {
            let lot = product.lot_id;
            if let Some(row) = tables.lots.get(&lot) {
                lots.insert(lot, row.clone());
            }
            let entries = tables.cascades.get(&lot).cloned().unwrap_or_default();
            for entry in &entries {
                if let Some(supplier) = tables.suppliers.get(&entry.supplier_id) {
                    suppliers.insert(supplier.id, supplier.clone());
                }
            }
            cascades.insert(lot, entries);
            if let Some(of_product) = tables.offers.get(&product.id) {
                offers.insert(product.id, of_product.clone());
            }
        }
        CheckoutCatalogue {
            products,
            lots,
            cascades,
            suppliers,
            offers,
        }
    }

    fn read(
        conn: &mut Conn,
        today: NaiveDate,
        skus: &[String],
    ) -> Result<CheckoutCatalogue, DbError> {
        let products: BTreeMap<String, (ProductView, Orderability)> =
            catalogue::products_by_sku(conn, today, skus)?
                .into_iter()
                .map(|(product, open)| (product.sku.clone(), (product, open)))
                .collect();
        let mut lot_ids: Vec<i64> = products.values().map(|(p, _)| p.lot_id).collect();
        lot_ids.sort_unstable();
        lot_ids.dedup();
        let product_ids: Vec<i64> = products.values().map(|(p, _)| p.id).collect();
        let RoutingTables {
            lots,
            cascades,
            suppliers,
            offers,
        } = RoutingTables::read(conn, &lot_ids, &product_ids)?;
        Ok(CheckoutCatalogue {
            products,
            lots,
            cascades,
            suppliers,
            offers,
        })
    }
}

fn offer_of(
    offers: &HashMap<i64, Vec<OfferRow>>,
    product: i64,
    supplier: i64,
) -> Option<&OfferRow> {
    offers
        .get(&product)?
        .iter()
        .find(|offer| offer.supplier_id == supplier)
}

/// Checks a checkout and decides each order's supplier, reading only. The validation errors
/// and their order are those of the checkout form and the API.
pub fn prepare(
    conn: &mut Conn,
    ctx: &OrderingContext<'_>,
    actor: &Principal,
    input: &PlaceOrder,
) -> Result<PreparedCheckout, ServiceError> {
    let mut errors = ValidationErrors::new();
    let institution = parties::institution(conn, input.institution_id)?
        .ok_or(ServiceError::NotFound("institution"))?;
    if institution.status != "active" {
        return Err(conflict(
            "institution-not-active",
            "the institution's membership is not active",
        ));
    }
    let address = parties::delivery_addresses_of(conn, institution.id)?
        .into_iter()
        .find(|a| a.id == input.delivery_address_id && a.active);
    if address.is_none() {
        errors.add(
            "delivery_address",
            "delivery-address-unknown",
            "choose one of the institution's delivery addresses",
        );
    }
    let buyer_reference = input
        .buyer_reference
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_owned);
    if let Some(reference) = &buyer_reference {
        if reference.chars().count() > MAX_BUYER_REFERENCE
            || reference.chars().any(char::is_control)
        {
            errors.add(
                "buyer_reference",
                "buyer-reference-invalid",
                format!("at most {MAX_BUYER_REFERENCE} characters, on one line"),
            );
        }
    }
    if input.lines.is_empty() {
        errors.add(
            "lines",
            "order-empty",
            "an order needs at least one product",
        );
    }
    if input.lines.len() > MAX_LINES {
        errors.add(
            "lines",
            "order-too-many-lines",
            format!("at most {MAX_LINES} lines per order"),
        );
    }
    let today = ctx.today();
    let skus: Vec<String> = input
        .lines
        .iter()
        .map(|l| l.sku.trim().to_uppercase())
        .collect();
    let mut wanted = skus.clone();
    wanted.sort_unstable();
    wanted.dedup();
    let source = match ctx.catalogue.current(conn, today)? {
        Some(published) => CheckoutCatalogue::from_snapshot(&published, &wanted),
        None => CheckoutCatalogue::read(conn, today, &wanted)?,
    };
    let CheckoutCatalogue {
        products: by_sku,
        mut lots,
        cascades,
        suppliers,
        offers,
    } = source;
    let mut chosen: Vec<(&ProductView, u32)> = Vec::new();
    for (index, (line, sku)) in input.lines.iter().zip(&skus).enumerate() {
        let field = |part: &str| format!("lines[{index}].{part}");
        let Some((product, orderability)) = by_sku.get(sku.as_str()) else {
            // A product of a lot closed meanwhile is no longer in the published catalogue;
            // say so rather than calling it unknown.
            if lot_closed_for(conn, sku)? {
                errors.add(
                    &field("sku"),
                    "lot-closed",
                    format!("the contract of {sku} is closed and takes no more orders"),
                );
                continue;
            }
            errors.add(
                &field("sku"),
                "product-unknown",
                format!("no product {sku} in the published catalogue"),
            );
            continue;
        };
        if *orderability != Orderability::Open {
            let (code, why) = match orderability {
                Orderability::NotYetValid => ("lot-not-yet-valid", "is not in force yet"),
                Orderability::Expired => ("lot-expired", "has expired"),
                _ => ("lot-closed", "is closed"),
            };
            errors.add(
                &field("sku"),
                code,
                format!("the contract of {sku} {why} and takes no orders"),
            );
            continue;
        }
        if chosen.iter().any(|(p, _)| p.id == product.id) {
            errors.add(
                &field("sku"),
                "product-repeated",
                format!("{sku} appears twice: give one line with the total quantity"),
            );
            continue;
        }
        if product.offer.is_none() || product.vat_rate.is_none() {
            errors.add(
                &field("sku"),
                "product-unavailable",
                format!("{sku} is currently unavailable from every supplier of its contract"),
            );
            continue;
        }
        let rule = QuantityRule::new(product.min_quantity, product.order_multiple)
            .unwrap_or(QuantityRule::ANY);
        let quantity = match u32::try_from(line.quantity) {
            Ok(q) => q,
            Err(_) => {
                errors.add(
                    &field("quantity"),
                    "quantity-zero",
                    "the quantity must be a positive whole number",
                );
                continue;
            }
        };
        if let Err(error) = rule.check(quantity) {
            errors.add(
                &field("quantity"),
                error.message_key(),
                format!("{sku}: {error}"),
            );
            continue;
        }
        chosen.push((product, quantity));
    }
    errors.into_result()?;
    let address = address.ok_or(ServiceError::NotFound("delivery address"))?;

    let mut by_lot: BTreeMap<i64, Vec<(&ProductView, u32)>> = BTreeMap::new();
    for (product, quantity) in chosen {
        by_lot
            .entry(product.lot_id)
            .or_default()
            .push((product, quantity));
    }
    let mut orders = Vec::with_capacity(by_lot.len());
    for (lot_id, lines) in by_lot {
        let lot = lots.remove(&lot_id).ok_or(ServiceError::NotFound("lot"))?;
        let product_ids: Vec<i64> = lines.iter().map(|(p, _)| p.id).collect();
        // A new order has no past attempts: the first able supplier of the cascade gets it.
        let candidates = cascade_candidates(
            cascades.get(&lot_id).map(Vec::as_slice).unwrap_or(&[]),
            &product_ids,
            today,
            |supplier| {
                suppliers
                    .get(&supplier)
                    .is_some_and(|s| s.status == "active")
            },
            |product, supplier| {
                offer_of(&offers, product, supplier).map(|o| (o.available, o.unavailable_until))
            },
        );
        let decision = next_candidate(&candidates, &[]);
        let supplier = match &decision {
            Decision::Offer { supplier, .. } => suppliers.get(&supplier.0).cloned(),
            Decision::Unfulfilled { .. } => None,
        };
        let lines: Vec<PreparedLine> = lines
            .into_iter()
            .map(|(product, quantity)| {
                let displayed_price = product
                    .offer
                    .as_ref()
                    .map(|o| o.unit_price.cents())
                    .unwrap_or(0);
                let price = supplier
                    .as_ref()
                    .and_then(|s| offer_of(&offers, product.id, s.id))
                    .map(|o| o.price_cents)
                    .unwrap_or(displayed_price);
                PreparedLine {
                    product: product.clone(),
                    quantity,
                    displayed_price,
                    price,
                }
            })
            .collect();
        let displayed_net = lines
            .iter()
            .map(|l| l.displayed_price * i64::from(l.quantity))
            .sum();
        orders.push(PreparedOrder {
            lot,
            lines,
            displayed_net,
            decision,
            supplier,
        });
    }
    let recipient = notify::recipient_for(conn, actor.user_id, &institution)?;
    Ok(PreparedCheckout {
        institution,
        address,
        buyer_reference,
        recipient,
        checkout_id: new_checkout_id(),
        delivery_due: ctx
            .calendar
            .add_working_days(today, ctx.settings.ordering.delivery_working_days),
        orders,
    })
}

/// Writes a prepared checkout inside the caller's transaction: each order offered to its
/// supplier (or reported unfulfilled), with its lines, events, emails and webhooks. `finish`
/// runs on the new orders just before the supplier feed is touched, which comes last because
/// on SQLite the feed counter's row lock makes every writer of the feed wait until this one
/// commits (PostgreSQL has no counter, see `db::orders::next_feed_seq`).
pub fn record<T>(
    conn: &mut Conn,
    ctx: &OrderingContext<'_>,
    actor: &Principal,
    checkout: &PreparedCheckout,
    finish: impl FnOnce(&mut Conn, &[OrderView]) -> Result<T, ServiceError>,
) -> Result<T, ServiceError> {
    let now = ctx.now.naive_utc();
    let deadline = crate::domain::routing::response_deadline(ctx.now, ctx.window()).naive_utc();
    let mut views = Vec::with_capacity(checkout.orders.len());
    let mut offers = Vec::new();
    let address = address_label(&checkout.address);
    let ids = q::new_order_ids(conn, checkout.orders.len())?;
    for (prepared, id) in checkout.orders.iter().zip(ids) {
        let reference = format!("CMD-{id:06}");
        let (routed, step) = route(&prepared.decision, now, deadline)?;
        let order = q::insert_order(
            conn,
            &NewOrder {
                id: Some(id),
                reference: &reference,
                checkout_id: &checkout.checkout_id,
                institution_id: checkout.institution.id,
                lot_id: prepared.lot.id,
                placed_by_user_id: actor.user_id,
                placed_by_client_id: actor.api_client_id,
                delivery_address_id: checkout.address.id,
                buyer_reference: checkout.buyer_reference.as_deref(),
                language: &checkout.institution.language,
                status: routed.status.code(),
                delivery_due: checkout.delivery_due,
                displayed_net_cents: prepared.displayed_net,
                placed_at: now,
                updated_at: now,
                current_supplier_id: routed.supplier_id,
                current_rank: routed.rank,
                response_deadline: routed.response_deadline,
                notified_at: routed.notified_at,
            },
        )?;
        let lines = q::insert_lines(
            conn,
            &prepared
                .lines
                .iter()
                .map(|line| {
                    let product = &line.product;
                    NewOrderLine {
                        order_id: id,
                        product_id: product.id,
                        sku: &product.sku,
                        name_fr: &product.name.fr,
                        name_nl: &product.name.nl,
                        unit_code: &product.unit_code,
                        quantity: line.quantity as i32,
                        vat_rate_basis_points: product
                            .vat_rate
                            .map(|r| r.basis_points() as i32)
                            .unwrap_or(0),
                        unit_price_cents: line.price,
                        displayed_unit_price_cents: line.displayed_price,
                    }
                })
                .collect::<Vec<_>>(),
        )?;
        let placed_details = json!({
            "lines": prepared.lines.len(),
            "displayed_net_cents": prepared.displayed_net,
        })
        .to_string();
        let events = q::insert_events(
            conn,
            &[
                NewOrderEvent {
                    order_id: id,
                    occurred_at: now,
                    kind: "placed",
                    from_status: None,
                    to_status: OrderStatus::Placed.code(),
                    supplier_id: None,
                    rank: None,
                    actor_label: &actor.label,
                    reason: None,
                    details: &placed_details,
                },
                NewOrderEvent {
                    order_id: id,
                    occurred_at: now,
                    kind: step.kind,
                    from_status: Some(OrderStatus::Placed.code()),
                    to_status: step.next.code(),
                    supplier_id: step.supplier_id,
                    rank: step.rank,
                    actor_label: &actor.label,
                    reason: step.reason,
                    details: &step.details,
                },
            ],
        )?;
        let view = OrderView::assemble(OrderParts {
            order,
            lines,
            events,
            lot: Some(&prepared.lot),
            institution: Some(&checkout.institution.name),
            delivery_address: address.clone(),
            current_supplier: prepared.supplier.as_ref().map(|s| s.name.clone()),
            confirmed_supplier: None,
        });
        let recipient = checkout.recipient.as_ref();
        // The acknowledgement shows the order as it was placed, at the catalogue's prices.
        let mut emails: Vec<_> = notify::received_email(ctx, &as_placed(&view), recipient)?
            .into_iter()
            .collect();
        if matches!(prepared.decision, Decision::Unfulfilled { .. }) {
            emails.extend(notify::unfulfilled_emails(
                ctx,
                &as_placed(&view),
                recipient,
            )?);
        }
        crate::mail::enqueue_ready(conn, now, &emails)?;
        if let Decision::Offer { supplier, rank, .. } = &prepared.decision {
            crate::webhooks::enqueue(
                conn,
                now,
                supplier.0,
                "order.assigned",
                Some(id),
                json!({
                    "order_id": id,
                    "reference": view.order.reference,
                    "cascade_rank": rank.get(),
                    "response_deadline": deadline.and_utc(),
                }),
            )?;
            offers.push(NewAssignment {
                order_id: id,
                supplier_id: supplier.0,
                rank: i32::from(rank.get()),
                offered_at: now,
                deadline,
                feed_seq: 0,
            });
        }
        views.push(view);
    }
    let finished = finish(conn, &views)?;
    if !offers.is_empty() {
        let first = q::take_feed_seqs(conn, offers.len() as i64)?;
        for (offer, seq) in offers.iter_mut().zip(first..) {
            offer.feed_seq = seq;
        }
        q::insert_assignments(conn, &offers)?;
    }
    Ok(finished)
}

/// Where routing sent a new order, as its history records it.
struct RoutingStep {
    kind: &'static str,
    next: OrderStatus,
    supplier_id: Option<i64>,
    rank: Option<i32>,
    reason: Option<&'static str>,
    details: String,
}

/// The columns of a new order that routing decides.
struct Routed {
    status: OrderStatus,
    supplier_id: Option<i64>,
    rank: Option<i32>,
    response_deadline: Option<NaiveDateTime>,
    /// An order no supplier can take is notified at once.
    notified_at: Option<NaiveDateTime>,
}

/// Applies the routing decision to an order just placed: the state it is stored in, and the
/// step its history records.
fn route(
    decision: &Decision,
    now: NaiveDateTime,
    deadline: NaiveDateTime,
) -> Result<(Routed, RoutingStep), ServiceError> {
    let placed = OrderStatus::Placed;
    let illegal = |e: crate::domain::order_state::IllegalTransition| {
        conflict("order-illegal-transition", e.to_string())
    };
    match decision {
        Decision::Offer {
            supplier,
            rank,
            skipped,
        } => {
            let next = transition(
                placed,
                &OrderEvent::Route {
                    supplier: *supplier,
                    rank: *rank,
                },
            )
            .map_err(illegal)?;
            let rank = i32::from(rank.get());
            let routed = Routed {
                status: next,
                supplier_id: Some(supplier.0),
                rank: Some(rank),
                response_deadline: Some(deadline),
                notified_at: None,
            };
            let details =
                json!({ "deadline": deadline, "skipped": skipped_json(skipped) }).to_string();
            let step = RoutingStep {
                kind: "offered",
                next,
                supplier_id: Some(supplier.0),
                rank: Some(rank),
                reason: None,
                details,
            };
            Ok((routed, step))
        }
        Decision::Unfulfilled { skipped } => {
            let next = transition(placed, &OrderEvent::Exhaust).map_err(illegal)?;
            let routed = Routed {
                status: next,
                supplier_id: None,
                rank: None,
                response_deadline: None,
                notified_at: Some(now),
            };
            let step = RoutingStep {
                kind: "unfulfilled",
                next,
                supplier_id: None,
                rank: None,
                reason: Some("no supplier of the cascade can take the order"),
                details: json!({ "skipped": skipped_json(skipped) }).to_string(),
            };
            Ok((routed, step))
        }
    }
}

/// The order as it stood when placed, before routing repriced it: what the acknowledgement
/// and the unfulfilled notice show.
fn as_placed(view: &OrderView) -> OrderView {
    let mut lines = view.lines.clone();
    for line in &mut lines {
        line.unit_price_cents = line.displayed_unit_price_cents;
    }
    let mut placed = view.clone();
    placed.totals = super::view::totals_of(&lines);
    placed.lines = lines;
    placed
}

/// Whether `sku` is a product of a lot that is no longer published (closed, or back to draft).
fn lot_closed_for(conn: &mut Conn, sku: &str) -> Result<bool, DbError> {
    let Some(product) = cq::product_by_sku(conn, sku)? else {
        return Ok(false);
    };
    Ok(cq::lot_by_id(conn, product.lot_id)?.is_some_and(|lot| lot.status != "published"))
}
