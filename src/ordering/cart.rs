//! The cart of a signed-in institution user, kept in the database.

use chrono::NaiveDateTime;

use crate::catalogue::{self, CatalogueFilter, ProductView};
use crate::db::orders as q;
use crate::db::{Conn, DbError};
use crate::domain::QuantityRule;
use crate::error::ServiceError;
use crate::validation::ValidationErrors;

#[derive(Debug, Clone)]
pub struct CartLine {
    pub product: ProductView,
    pub lot_title: crate::catalogue::Bilingual,
    pub quantity: u32,
}

/// Puts `quantity` of the product in the cart (replacing what was there), if the quantity
/// respects the product's minimum and multiple; 0 removes it.
pub fn set_quantity(
    conn: &mut Conn,
    now: NaiveDateTime,
    today: chrono::NaiveDate,
    user_id: i64,
    sku: &str,
    quantity: i64,
) -> Result<(), ServiceError> {
    let product = catalogue::product(conn, today, sku)?
        .map(|(_, p)| p)
        .ok_or(ServiceError::NotFound("product"))?;
    if quantity == 0 {
        q::remove_from_cart(conn, user_id, product.id)?;
        return Ok(());
    }
    let rule = QuantityRule::new(product.min_quantity, product.order_multiple)
        .unwrap_or(QuantityRule::ANY);
    let checked = u32::try_from(quantity)
        .map_err(|_| crate::domain::quantity::QuantityError::Zero)
        .and_then(|q| rule.check(q).map(|_| q));
    let mut errors = ValidationErrors::new();
    let quantity = errors.check("quantity", checked);
    errors.into_result()?;
    let quantity = quantity.unwrap_or(product.min_quantity);
    q::set_cart_quantity(conn, user_id, product.id, quantity as i32, now)?;
    Ok(())
}

/// The cart's lines with today's catalogue data; products no longer published drop out.
pub fn lines(
    conn: &mut Conn,
    today: chrono::NaiveDate,
    user_id: i64,
) -> Result<Vec<CartLine>, DbError> {
    let rows = q::cart_of(conn, user_id)?
        .into_iter()
        .map(|r| (r.product_id, r.quantity))
        .collect();
    lines_for(conn, today, rows)
}

/// Cart lines for `(product_id, quantity)` pairs, with today's catalogue data.
pub fn lines_for(
    conn: &mut Conn,
    today: chrono::NaiveDate,
    rows: Vec<(i64, i32)>,
) -> Result<Vec<CartLine>, DbError> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let catalogue = catalogue::load(conn, today, &CatalogueFilter::default())?;
    let mut out = Vec::new();
    for (product_id, quantity) in rows {
        let mut found = false;
        for lot in &catalogue.lots {
            if let Some(product) = lot.products.iter().find(|p| p.id == product_id) {
                found = true;
                out.push(CartLine {
                    product: product.clone(),
                    lot_title: lot.title.clone(),
                    quantity: quantity.max(0) as u32,
                });
            }
        }
        if !found {
            // Kept, without a price, so checkout can say why it is refused instead of the
            // line silently disappearing.
            if let Some(line) = closed_lot_line(conn, product_id, quantity)? {
                out.push(line);
            }
        }
    }
    Ok(out)
}

/// A cart line for an active product whose lot was closed after it went into the cart.
fn closed_lot_line(
    conn: &mut Conn,
    product_id: i64,
    quantity: i32,
) -> Result<Option<CartLine>, DbError> {
    use crate::db::catalogue as cq;
    let Some(p) = cq::product_by_id(conn, product_id)? else {
        return Ok(None);
    };
    let Some(lot) = cq::lot_by_id(conn, p.lot_id)? else {
        return Ok(None);
    };
    if !p.active || lot.status != "closed" {
        return Ok(None);
    }
    Ok(Some(CartLine {
        product: ProductView {
            id: p.id,
            sku: p.sku,
            lot_id: p.lot_id,
            lot_reference: lot.reference,
            name: catalogue::Bilingual::new(p.name_fr, p.name_nl),
            description: catalogue::Bilingual::new(p.description_fr, p.description_nl),
            packaging: catalogue::Bilingual::new(p.packaging_fr, p.packaging_nl),
            unit_code: p.unit_code,
            standards: catalogue::split_standards(&p.standards),
            vat_rate: None,
            min_quantity: p.min_quantity.max(1) as u32,
            order_multiple: p.order_multiple.max(1) as u32,
            offer: None,
        },
        lot_title: catalogue::Bilingual::new(lot.title_fr, lot.title_nl),
        quantity: quantity.max(0) as u32,
    }))
}
