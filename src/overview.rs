//! The purchasing authority's overview: every institution, supplier and lot whatever its
//! status (pending applications, draft and closed lots included), for admin tools.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use serde::Serialize;

use crate::catalogue::Bilingual;
use crate::db::parties::SupplierRow;
use crate::db::{catalogue as lots_q, parties as parties_q, reference, Conn, DbResult};

#[derive(Debug, Clone, Serialize)]
pub struct InstitutionSummary {
    pub id: i64,
    pub enterprise_number: String,
    pub name: String,
    pub competent_authority: String,
    pub sector: String,
    pub language: String,
    pub status: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Serialize)]
pub struct CascadeMember {
    pub rank: i32,
    pub supplier_id: i64,
    pub active: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct LotSummary {
    pub id: i64,
    pub reference: String,
    pub category: String,
    pub kind: String,
    pub title: Bilingual,
    pub status: String,
    pub valid_from: NaiveDate,
    pub valid_until: NaiveDate,
    /// Ranked suppliers, rank 1 first.
    pub cascade: Vec<CascadeMember>,
}

pub fn institutions(conn: &mut Conn) -> DbResult<Vec<InstitutionSummary>> {
    Ok(parties_q::institutions_with_authority(conn)?
        .into_iter()
        .map(|(row, authority)| InstitutionSummary {
            id: row.id,
            enterprise_number: row.enterprise_number,
            name: row.name,
            competent_authority: authority,
            sector: row.sector,
            language: row.language,
            status: row.status,
            created_at: row.created_at,
        })
        .collect())
}

pub fn suppliers(conn: &mut Conn) -> DbResult<Vec<SupplierRow>> {
    parties_q::suppliers(conn)
}

pub fn lots(conn: &mut Conn) -> DbResult<Vec<LotSummary>> {
    let lots = lots_q::all_lots(conn)?;
    let ids: Vec<i64> = lots.iter().map(|lot| lot.id).collect();
    let mut cascades: HashMap<i64, Vec<CascadeMember>> = HashMap::new();
    // Ordered by lot, then rank.
    for entry in lots_q::cascades_of(conn, &ids)? {
        cascades
            .entry(entry.lot_id)
            .or_default()
            .push(CascadeMember {
                rank: entry.rank,
                supplier_id: entry.supplier_id,
                active: entry.active,
            });
    }
    let categories: HashMap<i64, String> = reference::categories(conn)?
        .into_iter()
        .map(|category| (category.id, category.code))
        .collect();
    Ok(lots
        .into_iter()
        .map(|lot| LotSummary {
            cascade: cascades.remove(&lot.id).unwrap_or_default(),
            category: categories
                .get(&lot.category_id)
                .cloned()
                .unwrap_or_default(),
            id: lot.id,
            reference: lot.reference,
            kind: lot.kind,
            title: Bilingual::new(lot.title_fr, lot.title_nl),
            status: lot.status,
            valid_from: lot.valid_from,
            valid_until: lot.valid_until,
        })
        .collect())
}
