//! The audit trail page: every change by admins and API clients, filtered, paged, and
//! downloadable as CSV or XLSX.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::audit::{self, AuditEvent, AuditFilter};
use crate::export::{self, Cell, Table};
use crate::membership::local_time;
use crate::parties::Role;
use crate::startup::State;
use crate::web::{encode, Page, WebError};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/audit", web::get().to(list))
        .route("/audit.csv", web::get().to(csv))
        .route("/audit.xlsx", web::get().to(xlsx));
}

const PER_PAGE: i64 = 50;
/// A download is the whole filtered trail, up to this many events.
const EXPORT_LIMIT: i64 = 100_000;

#[derive(Debug, Default, Deserialize)]
pub struct AuditQuery {
    actor: Option<String>,
    action: Option<String>,
    subject_type: Option<String>,
    from: Option<String>,
    until: Option<String>,
    page: Option<String>,
}

/// The filter, the page number, and the fields whose dates could not be read.
fn parse(query: &AuditQuery) -> (AuditFilter, i64, Vec<&'static str>) {
    let text = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let mut bad = Vec::new();
    let mut date = |field: &'static str, v: &Option<String>| {
        let raw = text(v)?;
        let parsed = chrono::NaiveDate::parse_from_str(&raw, "%Y-%m-%d").ok();
        if parsed.is_none() {
            bad.push(field);
        }
        parsed
    };
    let from = date("from", &query.from);
    let until = date("until", &query.until);
    let filter = AuditFilter {
        actor: text(&query.actor),
        action: text(&query.action),
        subject_type: text(&query.subject_type),
        from,
        until,
    };
    let page = text(&query.page)
        .and_then(|p| p.parse::<i64>().ok())
        .filter(|p| (1..=1_000_000).contains(p))
        .unwrap_or(1);
    (filter, page, bad)
}

/// The filter as a query string, for paging links and downloads.
fn filter_query(filter: &AuditFilter) -> String {
    let mut parts = Vec::new();
    let mut push = |key: &str, value: Option<String>| {
        if let Some(value) = value {
            parts.push(format!("{key}={}", encode(&value)));
        }
    };
    push("actor", filter.actor.clone());
    push("action", filter.action.clone());
    push("subject_type", filter.subject_type.clone());
    push("from", filter.from.map(|d| d.to_string()));
    push("until", filter.until.map(|d| d.to_string()));
    parts.join("&")
}

fn with_query(path: &str, query: &str, page: Option<i64>) -> String {
    let mut parts: Vec<String> = Vec::new();
    if !query.is_empty() {
        parts.push(query.to_owned());
    }
    if let Some(page) = page {
        parts.push(format!("page={page}"));
    }
    if parts.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{}", parts.join("&"))
    }
}

fn event_json(page: &Page<'_>, e: &AuditEvent) -> Value {
    json!({
        "when": local_time(e.occurred_at),
        "who": e.actor_label,
        "action": e.action,
        "action_label": super::suppliers::action_label(page, &e.action),
        "subject_type": e.subject_type,
        "subject_id": e.subject_id,
        "subject_href": audit::subject_href(&e.subject_type, e.subject_id),
        "details": audit::pretty_details(&e.details),
    })
}

pub async fn list(
    request: HttpRequest,
    state: State,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, WebError> {
    let page = Page::load(&request, &state).await?;
    page.require(Role::Admin)?;
    let (filter, number, bad_dates) = parse(&query);
    let searched = filter.clone();
    let offset = (number - 1) * PER_PAGE;
    let ((events, total), (actions, subjects)) = state
        .pool
        .run(move |conn| {
            Ok::<_, crate::db::DbError>((
                audit::search(conn, &searched, offset, PER_PAGE)?,
                audit::known_kinds(conn)?,
            ))
        })
        .await
        .map_err(|e| WebError::db(page.language, e))?;
    let pages = ((total + PER_PAGE - 1) / PER_PAGE).max(1);
    let query_string = filter_query(&filter);
    let mut errors = serde_json::Map::new();
    for field in bad_dates {
        errors.insert(field.into(), json!(page.t("audit-date-invalid")));
    }
    let raw = query.into_inner();
    let data = json!({
        "rows": events.iter().map(|e| event_json(&page, e)).collect::<Vec<_>>(),
        "total": total,
        "page": number,
        "pages": pages,
        "previous": (number > 1).then(|| with_query("/admin/audit", &query_string, Some(number - 1))),
        "next": (number < pages).then(|| with_query("/admin/audit", &query_string, Some(number + 1))),
        "csv": with_query("/admin/audit.csv", &query_string, None),
        "xlsx": with_query("/admin/audit.xlsx", &query_string, None),
        "values": {
            "actor": filter.actor,
            "from": raw.from.unwrap_or_default(),
            "until": raw.until.unwrap_or_default(),
        },
        "errors": Value::Object(errors),
        "actions": actions.iter().map(|a| json!({"code": a, "label": super::suppliers::action_label(&page, a), "selected": filter.action.as_deref() == Some(a.as_str())})).collect::<Vec<_>>(),
        "subjects": subjects.iter().map(|s| json!({"code": s, "selected": filter.subject_type.as_deref() == Some(s.as_str())})).collect::<Vec<_>>(),
    });
    page.render("admin/audit", page.t("admin-audit-title"), data)
}

/// The filtered trail as one table, for both downloads.
async fn table(page: &Page<'_>, state: &State, query: &AuditQuery) -> Result<Table, WebError> {
    let (filter, _, _) = parse(query);
    let (events, _) = state
        .pool
        .run(move |conn| audit::search(conn, &filter, 0, EXPORT_LIMIT))
        .await
        .map_err(|e| WebError::db(page.language, e))?;
    let mut table = Table::new(
        page.t("admin-audit-title"),
        [
            "audit-column-when",
            "audit-column-actor",
            "audit-column-action",
            "audit-column-subject-type",
            "audit-column-subject-id",
            "audit-column-details",
        ]
        .iter()
        .map(|key| page.t(key))
        .collect(),
    );
    for e in events {
        table.push(vec![
            Cell::DateTime(e.occurred_at),
            Cell::Text(e.actor_label),
            Cell::Text(e.action),
            Cell::Text(e.subject_type),
            e.subject_id.map(Cell::Integer).unwrap_or(Cell::Empty),
            Cell::Text(e.details),
        ]);
    }
    Ok(table)
}

fn download(content_type: &str, filename: &str, body: Vec<u8>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{filename}\""),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body)
}

pub async fn csv(
    request: HttpRequest,
    state: State,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, WebError> {
    let page = Page::load(&request, &state).await?;
    page.require(Role::Admin)?;
    let table = table(&page, &state, &query).await?;
    Ok(download(
        export::CSV_CONTENT_TYPE,
        "audit.csv",
        table.to_csv(),
    ))
}

pub async fn xlsx(
    request: HttpRequest,
    state: State,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, WebError> {
    let page = Page::load(&request, &state).await?;
    page.require(Role::Admin)?;
    let table = table(&page, &state, &query).await?;
    let bytes = export::to_xlsx(&[&table]).map_err(|e| WebError::internal(page.language, e))?;
    Ok(download(export::XLSX_CONTENT_TYPE, "audit.xlsx", bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_keep_the_filter_and_ignore_blanks() {
        let query = AuditQuery {
            actor: Some(" anne ".into()),
            action: Some("".into()),
            from: Some("2026-03-01".into()),
            until: Some("31/03/2026".into()),
            page: Some("3".into()),
            ..AuditQuery::default()
        };
        let (filter, page, bad) = parse(&query);
        assert_eq!(filter.actor.as_deref(), Some("anne"));
        assert_eq!(filter.action, None);
        assert_eq!(filter.from, chrono::NaiveDate::from_ymd_opt(2026, 3, 1));
        assert_eq!(filter.until, None);
        assert_eq!(bad, vec!["until"]);
        assert_eq!(page, 3);
        assert_eq!(filter_query(&filter), "actor=anne&from=2026-03-01");
        assert_eq!(
            with_query("/admin/audit", &filter_query(&filter), Some(2)),
            "/admin/audit?actor=anne&from=2026-03-01&page=2"
        );
        assert_eq!(with_query("/admin/audit.csv", "", None), "/admin/audit.csv");
    }

    #[test]
    fn a_bad_page_number_means_the_first_page() {
        for raw in ["0", "-1", "x", ""] {
            let query = AuditQuery {
                page: Some(raw.into()),
                ..AuditQuery::default()
            };
            assert_eq!(parse(&query).1, 1, "{raw}");
        }
    }
}
