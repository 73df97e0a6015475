//! Order emails, written to the outbox in the transaction that causes them: received,
//! confirmed, unfulfilled (institution and authority), 24-hour breach (authority), cancelled.

use serde_json::{json, Value};

use super::view::{self, line_total, OrderView};
use super::OrderingContext;
use crate::db::parties::{self, InstitutionRow};
use crate::db::Conn;
use crate::domain::Language;
use crate::error::ServiceError;
use crate::mail::{OutgoingEmail, ReadyEmail};
use crate::membership::local_time;

fn format_date(date: chrono::NaiveDate) -> String {
    date.format("%d/%m/%Y").to_string()
}

/// The data every order email shares, formatted in `language`.
fn order_data(
    ctx: &OrderingContext<'_>,
    order: &OrderView,
    language: Language,
    for_authority: bool,
) -> Value {
    let money = |c: crate::domain::Cents| c.format(language);
    let url = if for_authority {
        ctx.url(&format!("/admin/orders/{}", order.order.id))
    } else {
        ctx.url(&format!("/orders/{}", order.order.id))
    };
    json!({
        "order": {
            "reference": order.order.reference,
            "institution": order.institution,
            "lot_title": order.lot_title(language),
            "url": url,
            "placed_at": local_time(order.order.placed_at),
            "delivery_address": order.delivery_address,
            "buyer_reference": order.order.buyer_reference.clone().unwrap_or_default(),
            "delivery_due": format_date(order.order.delivery_due),
        },
        "lines": order.lines.iter().map(|l| json!({
            "sku": l.sku,
            "name": match language { Language::Fr => &l.name_fr, Language::Nl => &l.name_nl },
            "quantity": l.quantity,
            "unit_code": l.unit_code,
            "unit_price": money(crate::domain::Cents::new(l.unit_price_cents)),
            "line_total": money(line_total(l)),
        })).collect::<Vec<_>>(),
        "totals": {
            "net": money(order.totals.net),
            "vat": order.totals.vat.iter().map(|v| json!({
                "rate": v.rate.format(language),
                "taxable": money(v.taxable),
                "amount": money(v.vat),
            })).collect::<Vec<_>>(),
            "vat_total": money(order.totals.vat_total),
            "gross": money(order.totals.gross),
        },
        "recipient_name": "",
    })
}

/// Who at the institution hears about an order: the person who placed it, or (for orders
/// placed by an API client) the institution's contact, else its first active buyer.
pub fn institution_recipient(
    conn: &mut Conn,
    placed_by_user_id: Option<i64>,
    institution_id: i64,
) -> Result<Option<(String, String)>, ServiceError> {
    if let Some(user) = placing_user(conn, placed_by_user_id)? {
        return Ok(Some(user));
    }
    let institution = parties::institution(conn, institution_id)?;
    contact_or_active_user(conn, institution.as_ref(), institution_id)
}

/// [`institution_recipient`] for an institution already read.
pub fn recipient_for(
    conn: &mut Conn,
    placed_by_user_id: Option<i64>,
    institution: &InstitutionRow,
) -> Result<Option<(String, String)>, ServiceError> {
    if let Some(user) = placing_user(conn, placed_by_user_id)? {
        return Ok(Some(user));
    }
    contact_or_active_user(conn, Some(institution), institution.id)
}

fn placing_user(
    conn: &mut Conn,
    user_id: Option<i64>,
) -> Result<Option<(String, String)>, ServiceError> {
    let Some(user_id) = user_id else {
        return Ok(None);
    };
    Ok(parties::user(conn, user_id)?.map(|user| (user.email, user.name)))
}

fn contact_or_active_user(
    conn: &mut Conn,
    institution: Option<&InstitutionRow>,
    institution_id: i64,
) -> Result<Option<(String, String)>, ServiceError> {
    if let Some(institution) = institution {
        if !institution.contact_email.is_empty() {
            return Ok(Some((
                institution.contact_email.clone(),
                institution.contact_name.clone(),
            )));
        }
    }
    Ok(parties::users_of_institution(conn, institution_id)?
        .into_iter()
        .find(|u| u.status == "active")
        .map(|u| (u.email, u.name)))
}

fn recipient_of(
    conn: &mut Conn,
    order: &OrderView,
) -> Result<Option<(String, String)>, ServiceError> {
    institution_recipient(
        conn,
        order.order.placed_by_user_id,
        order.order.institution_id,
    )
}

fn load(conn: &mut Conn, order_id: i64) -> Result<OrderView, ServiceError> {
    view::load(conn, order_id)?.ok_or(ServiceError::NotFound("order"))
}

fn ready(
    ctx: &OrderingContext<'_>,
    template: &str,
    language: Language,
    to: &(String, String),
    mut data: Value,
) -> Result<ReadyEmail, ServiceError> {
    data["recipient_name"] = Value::String(to.1.clone());
    Ok(ctx.mail.prepare(&OutgoingEmail {
        template,
        language,
        to_address: &to.0,
        to_name: &to.1,
        data: &data,
    })?)
}

fn to_institution(
    ctx: &OrderingContext<'_>,
    order: &OrderView,
    to: Option<&(String, String)>,
    template: &str,
    extra: Value,
) -> Result<Option<ReadyEmail>, ServiceError> {
    let Some(to) = to else {
        tracing::warn!(
            order = order.order.id,
            "no address to tell the institution about its order"
        );
        return Ok(None);
    };
    let language = order.language();
    let mut data = order_data(ctx, order, language, false);
    merge(&mut data, extra);
    ready(ctx, template, language, to, data).map(Some)
}

fn to_authority(
    ctx: &OrderingContext<'_>,
    order: &OrderView,
    template: &str,
    extra: Value,
) -> Result<ReadyEmail, ServiceError> {
    let to = (ctx.settings.mail.authority_address.clone(), String::new());
    let mut data = order_data(ctx, order, Language::Fr, true);
    merge(&mut data, extra);
    ready(ctx, template, Language::Fr, &to, data)
}

fn merge(data: &mut Value, extra: Value) {
    if let (Value::Object(target), Value::Object(source)) = (data, extra) {
        target.extend(source);
    }
}

fn queue(
    conn: &mut Conn,
    ctx: &OrderingContext<'_>,
    emails: impl IntoIterator<Item = ReadyEmail>,
) -> Result<(), ServiceError> {
    let emails: Vec<ReadyEmail> = emails.into_iter().collect();
    crate::mail::enqueue_ready(conn, ctx.now.naive_utc(), &emails)?;
    Ok(())
}

/// The institution's acknowledgement of a new order, to `to`.
pub fn received_email(
    ctx: &OrderingContext<'_>,
    order: &OrderView,
    to: Option<&(String, String)>,
) -> Result<Option<ReadyEmail>, ServiceError> {
    to_institution(ctx, order, to, "order-received", json!({}))
}

/// No supplier can take the order: the institution (`to`) and the authority are told.
pub fn unfulfilled_emails(
    ctx: &OrderingContext<'_>,
    order: &OrderView,
    to: Option<&(String, String)>,
) -> Result<Vec<ReadyEmail>, ServiceError> {
    let institution = to_institution(
        ctx,
        order,
        to,
        "order-unfulfilled",
        json!({ "for_authority": false }),
    )?;
    let authority = to_authority(
        ctx,
        order,
        "order-unfulfilled",
        json!({ "for_authority": true }),
    )?;
    Ok(institution.into_iter().chain([authority]).collect())
}

/// The authority's alert about an order past the 24-hour promise.
pub fn breach_email(
    ctx: &OrderingContext<'_>,
    order: &OrderView,
) -> Result<ReadyEmail, ServiceError> {
    let extra = json!({
        "supplier": order.current_supplier.clone().unwrap_or_default(),
        "rank": order.order.current_rank.map(|r| r.to_string()).unwrap_or_default(),
        "deadline": order.order.response_deadline.map(local_time).unwrap_or_default(),
    });
    to_authority(ctx, order, "order-breach", extra)
}

pub fn order_received(
    conn: &mut Conn,
    ctx: &OrderingContext<'_>,
    order_id: i64,
) -> Result<(), ServiceError> {
    let order = load(conn, order_id)?;
    let to = recipient_of(conn, &order)?;
    queue(conn, ctx, received_email(ctx, &order, to.as_ref())?)
}

pub fn order_confirmed(
    conn: &mut Conn,
    ctx: &OrderingContext<'_>,
    order_id: i64,
) -> Result<(), ServiceError> {
    let order = load(conn, order_id)?;
    let language = order.language();
    let extra = json!({
        "supplier": order.confirmed_supplier.clone().unwrap_or_default(),
        "expected_delivery": order.order.expected_delivery.map(format_date).unwrap_or_default(),
        "price_changed": order.price_changed(),
        "displayed_net": order.displayed_net.format(language),
    });
    let to = recipient_of(conn, &order)?;
    queue(
        conn,
        ctx,
        to_institution(ctx, &order, to.as_ref(), "order-confirmed", extra)?,
    )
}

pub fn order_unfulfilled(
    conn: &mut Conn,
    ctx: &OrderingContext<'_>,
    order_id: i64,
) -> Result<(), ServiceError> {
    let order = load(conn, order_id)?;
    let to = recipient_of(conn, &order)?;
    queue(conn, ctx, unfulfilled_emails(ctx, &order, to.as_ref())?)
}

pub fn order_breach(
    conn: &mut Conn,
    ctx: &OrderingContext<'_>,
    order_id: i64,
) -> Result<(), ServiceError> {
    let order = load(conn, order_id)?;
    queue(conn, ctx, [breach_email(ctx, &order)?])
}

pub fn order_cancelled(
    conn: &mut Conn,
    ctx: &OrderingContext<'_>,
    order_id: i64,
    requested: bool,
) -> Result<(), ServiceError> {
    let order = load(conn, order_id)?;
    let extra = json!({
        "requested": requested,
        "supplier": order.confirmed_supplier.clone().unwrap_or_default(),
    });
    let to = recipient_of(conn, &order)?;
    queue(
        conn,
        ctx,
        to_institution(ctx, &order, to.as_ref(), "order-cancelled", extra)?,
    )
}

pub fn order_cancellation_answered(
    conn: &mut Conn,
    ctx: &OrderingContext<'_>,
    order_id: i64,
    accepted: bool,
) -> Result<(), ServiceError> {
    let order = load(conn, order_id)?;
    let extra = json!({
        "requested": false,
        "supplier": order.confirmed_supplier.clone().unwrap_or_default(),
    });
    let template = if accepted {
        "order-cancelled"
    } else {
        "order-cancellation-refused"
    };
    let to = recipient_of(conn, &order)?;
    queue(
        conn,
        ctx,
        to_institution(ctx, &order, to.as_ref(), template, extra)?,
    )
}
