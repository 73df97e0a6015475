//! Reports for the authority and its users' council: each report a table with an SVG chart
//! beside it, and downloads as CSV and XLSX.

use std::collections::BTreeMap;

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::domain::{Cents, Language};
use crate::export::{self, Cell, Table};
use crate::parties::Role;
use crate::reports::charts::{self, Bar};
use crate::reports::queries::{self, ReportError};
use crate::reports::{self, Filters, Reports, REPORTS};
use crate::startup::State;
use crate::web::forms::translated_errors;
use crate::web::{encode, Page, WebError};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/reports", web::get().to(page))
        .route("/reports/{file}", web::get().to(download));
}

#[derive(Debug, Deserialize)]
pub struct ReportQuery {
    pub from: Option<String>,
    pub until: Option<String>,
    pub authority: Option<String>,
}

/// Loads every report (the newest [`reports::BREACH_PAGE`] breaches), or the validation
/// errors of the filters.
async fn compute(
    state: &State,
    query: &ReportQuery,
) -> Result<Result<Reports, crate::validation::ValidationErrors>, crate::db::DbError> {
    let today = state.clock.today();
    let filters = match Filters::parse(
        query.from.as_deref(),
        query.until.as_deref(),
        query.authority.as_deref(),
        today,
    ) {
        Ok(filters) => filters,
        Err(errors) => return Ok(Err(errors)),
    };
    let calendar = state.calendar.clone();
    let limit = chrono::Duration::hours(state.settings.ordering.confirmation_deadline_hours);
    state
        .pool
        .run(move |conn| {
            match queries::load(
                conn,
                &filters,
                today,
                &calendar,
                limit,
                Some(reports::BREACH_PAGE),
            ) {
                Ok(reports) => Ok(Ok(reports)),
                Err(ReportError::Invalid(errors)) => Ok(Err(errors)),
                Err(ReportError::Db(e)) => Err(e),
                Err(ReportError::Money(e)) => Err(crate::db::DbError::Task(e.to_string())),
                Err(ReportError::File(e)) => Err(crate::db::DbError::Task(e)),
            }
        })
        .await
}

fn percent(value: Decimal, language: Language) -> String {
    let number = (value * Decimal::ONE_HUNDRED)
        .round_dp(1)
        .to_string()
        .replace('.', ",");
    match language {
        Language::Fr => format!("{number}\u{a0}%"),
        Language::Nl => format!("{number}%"),
    }
}

/// A cell as people read it on the page.
pub fn display(cell: &Cell, language: Language) -> String {
    match cell {
        Cell::Text(text) => text.clone(),
        Cell::Integer(n) => n.to_string(),
        Cell::Money(cents) => cents.format(language),
        Cell::Ratio(value) => percent(*value, language),
        Cell::Decimal(value) => format!("{:.2}", value.round_dp(2)).replace('.', ","),
        Cell::Date(day) => day.format("%d/%m/%Y").to_string(),
        Cell::DateTime(at) => crate::membership::local_time(*at),
        Cell::Empty => "–".to_owned(),
    }
}

/// `links`, when given, holds one address per row for the row's heading (the breach list
/// links each order to its page).
fn table_json(
    table: &Table,
    language: Language,
    total_last: bool,
    links: Option<&[String]>,
) -> Value {
    let count = table.rows.len();
    json!({
        "headers": table.headers,
        "width": table.headers.len(),
        "rows": table.rows.iter().enumerate().map(|(index, row)| json!({
            "total": total_last && index + 1 == count,
            "href": links.and_then(|links| links.get(index)),
            "head": row.first().map(|c| display(c, language)),
            "cells": row.iter().skip(1).map(|c| display(c, language)).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })
}

fn money_bar(label: String, cents: Cents, language: Language) -> Bar {
    Bar::new(label, cents.cents(), cents.format(language))
}

const TOP_N: usize = 10;

/// The chart of each report (none for the list of breaches).
fn chart(
    reports: &Reports,
    name: &str,
    language: Language,
    t: &dyn Fn(&str) -> String,
) -> Option<String> {
    let local = |fr: &str, nl: &str| match language {
        Language::Fr => fr.to_owned(),
        Language::Nl => nl.to_owned(),
    };
    let id = format!("chart-{name}");
    let title = t(&format!("report-{name}-title"));
    let desc = t(&format!("report-{name}-chart-desc"));
    let money = |v: i64| Cents::new(v).format(language);
    Some(match name {
        "members" => {
            let bars: Vec<Bar> = reports
                .members
                .iter()
                .map(|m| {
                    Bar::new(
                        local(&m.name_fr, &m.name_nl),
                        m.members,
                        m.members.to_string(),
                    )
                })
                .collect();
            charts::horizontal_bars(&id, &title, &desc, &t("report-axis-members"), &bars)
        }
        "months" => {
            let bars: Vec<Bar> = reports
                .months
                .iter()
                .map(|m| money_bar(m.month.to_string(), m.amounts.gross_cents, language))
                .collect();
            charts::columns(
                &id,
                &title,
                &desc,
                &t("report-axis-month"),
                &t("report-axis-gross"),
                &bars,
            )
        }
        "products" => {
            let bars: Vec<Bar> = reports
                .products
                .iter()
                .map(|p| {
                    money_bar(
                        format!("{} {}", p.sku, local(&p.name_fr, &p.name_nl)),
                        p.gross_cents,
                        language,
                    )
                })
                .collect();
            let bars = charts::top_with_other(bars, TOP_N, &t("report-other"), money);
            charts::horizontal_bars(&id, &title, &desc, &t("report-axis-gross"), &bars)
        }
        "lots" => {
            let bars: Vec<Bar> = reports
                .lots
                .iter()
                .map(|l| money_bar(l.reference.clone(), l.amounts.gross_cents, language))
                .collect();
            let bars = charts::top_with_other(bars, TOP_N, &t("report-other"), money);
            charts::horizontal_bars(&id, &title, &desc, &t("report-axis-gross"), &bars)
        }
        "ranks" => {
            let bars: Vec<Bar> = reports
                .ranks
                .iter()
                .map(|r| {
                    let failed = r.outcomes.declined + r.outcomes.timed_out;
                    Bar::new(
                        format!("{} {}", t("report-col-rank"), r.rank),
                        failed,
                        format!("{failed} / {}", r.outcomes.offered),
                    )
                })
                .collect();
            charts::horizontal_bars(&id, &title, &desc, &t("report-axis-failed"), &bars)
        }
        "suppliers" => {
            let bars: Vec<Bar> = reports
                .suppliers
                .iter()
                .map(|s| money_bar(s.name.clone(), s.sales.gross_cents, language))
                .collect();
            let bars = charts::top_with_other(bars, TOP_N, &t("report-other"), money);
            charts::horizontal_bars(&id, &title, &desc, &t("report-axis-gross"), &bars)
        }
        "service" => {
            let s = &reports.service;
            let bar = |key: &str, value: Option<Decimal>| {
                let value = value.unwrap_or(Decimal::ZERO);
                // Per mille, so the bar length keeps one decimal of the percentage.
                let scaled = (value * Decimal::from(1000)).round();
                Bar::new(
                    t(key),
                    i64::try_from(scaled).unwrap_or(0),
                    percent(value, language),
                )
            };
            let bars = vec![
                bar(
                    "report-service-within-24h-share",
                    s.confirmed_within_24h_share,
                ),
                bar("report-service-on-time-share", s.delivered_on_time_share),
            ];
            // Shares are drawn against 100 %, not against the larger of the two.
            charts::horizontal_bars_against(
                &id,
                &title,
                &desc,
                &t("report-axis-share"),
                &bars,
                1000,
            )
        }
        _ => return None,
    })
}

fn query_string(filters: &Filters) -> String {
    format!(
        "from={}&until={}&authority={}",
        filters.from,
        filters.until,
        encode(filters.authority.as_deref().unwrap_or(""))
    )
}

fn sections(page: &Page<'_>, reports: &Reports) -> Vec<Value> {
    let t = |key: &str| page.t(key);
    let qs = query_string(&reports.filters);
    REPORTS
        .iter()
        .filter_map(|name| {
            let table = reports::table(reports, name, page.language, &t)?;
            let total_last = matches!(*name, "members" | "months");
            let links: Option<Vec<String>> = (*name == "breaches").then(|| {
                reports
                    .service
                    .breaches
                    .iter()
                    .map(|b| format!("/admin/orders/{}", b.order_id))
                    .collect()
            });
            Some(json!({
                "name": name,
                "title": t(&format!("report-{name}-title")),
                "note": t(&format!("report-{name}-note")),
                "chart": chart(reports, name, page.language, &t),
                "table": table_json(&table, page.language, total_last, links.as_deref()),
                "empty": table.rows.is_empty(),
                "more": (*name == "breaches"
                    && reports.service.breaches_total > reports.service.breaches.len() as i64)
                    .then(|| json!({
                        "shown": reports.service.breaches.len(),
                        "total": reports.service.breaches_total,
                    })),
                "csv": format!("/admin/reports/{name}.csv?{qs}"),
                "xlsx": format!("/admin/reports/{name}.xlsx?{qs}"),
            }))
        })
        .collect()
}

fn form_json(
    page: &Page<'_>,
    query: &ReportQuery,
    filters: Option<&Filters>,
    authorities: &[(i64, String, String, String)],
) -> Value {
    let from = filters
        .map(|f| f.from.to_string())
        .or_else(|| query.from.clone())
        .unwrap_or_default();
    let until = filters
        .map(|f| f.until.to_string())
        .or_else(|| query.until.clone())
        .unwrap_or_default();
    let selected = query.authority.clone().unwrap_or_default();
    json!({
        "from": from,
        "until": until,
        "authorities": authorities.iter().map(|(_, code, fr, nl)| json!({
            "code": code,
            "name": match page.language { Language::Fr => fr, Language::Nl => nl },
            "selected": *code == selected,
        })).collect::<Vec<_>>(),
    })
}

pub async fn page(
    request: HttpRequest,
    state: State,
    query: web::Query<ReportQuery>,
) -> Result<HttpResponse, WebError> {
    let page = Page::load(&request, &state).await?;
    page.require(Role::Admin)?;
    let query = query.into_inner();
    let result = compute(&state, &query)
        .await
        .map_err(|e| WebError::db(page.language, e))?;
    let authorities = state
        .pool
        .run(queries::authorities)
        .await
        .map_err(|e| WebError::db(page.language, e))?;
    let title = page.t("report-page-title");
    match result {
        Ok(reports) => {
            let data = json!({
                "form": form_json(&page, &query, Some(&reports.filters), &authorities),
                "errors": {},
                "sections": sections(&page, &reports),
                "workbook": format!("/admin/reports/all.xlsx?{}", query_string(&reports.filters)),
            });
            page.render("admin/reports", title, data)
        }
        Err(errors) => {
            let data = json!({
                "form": form_json(&page, &query, None, &authorities),
                "errors": translated_errors(&page, &errors),
                "sections": [],
            });
            page.render_with_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                "admin/reports",
                title,
                data,
            )
        }
    }
}

/// `/admin/reports/{report}.csv`, `/admin/reports/{report}.xlsx`, `/admin/reports/all.xlsx`.
pub async fn download(
    request: HttpRequest,
    state: State,
    file: web::Path<String>,
    query: web::Query<ReportQuery>,
) -> Result<HttpResponse, WebError> {
    let page = Page::load(&request, &state).await?;
    page.require(Role::Admin)?;
    let file = file.into_inner();
    let Some((name, extension)) = file.rsplit_once('.') else {
        return Err(WebError::not_found(page.language));
    };
    let known = REPORTS.contains(&name) || (name == "all" && extension == "xlsx");
    if !known || !matches!(extension, "csv" | "xlsx") {
        return Err(WebError::not_found(page.language));
    }
    let reports = match compute(&state, &query.into_inner())
        .await
        .map_err(|e| WebError::db(page.language, e))?
    {
        Ok(reports) => reports,
        Err(errors) => {
            let message = errors
                .errors
                .iter()
                .map(|e| format!("{}: {}", e.field, page.t(&e.code)))
                .collect::<Vec<_>>()
                .join("\n");
            return Ok(HttpResponse::UnprocessableEntity()
                .content_type("text/plain; charset=utf-8")
                .body(message));
        }
    };
    let t = |key: &str| page.t(key);
    let names: Vec<&str> = if name == "all" {
        REPORTS.to_vec()
    } else {
        vec![name]
    };
    let stem = format!(
        "centrale-{name}-{}-{}",
        reports.filters.from, reports.filters.until
    );
    // The list of breaches can be long: it is written into the file a chunk at a time,
    // straight from the database, never held whole.
    let tables: Vec<Table> = names
        .iter()
        .filter(|n| **n != "breaches")
        .filter_map(|n| reports::table(&reports, n, page.language, &t))
        .collect();
    let breaches = names.contains(&"breaches").then(|| {
        let kinds: BTreeMap<String, String> = ["confirmation", "delivery", "overdue"]
            .into_iter()
            .map(|k| (k.to_owned(), t(&format!("report-kind-{k}"))))
            .collect();
        (reports::breach_sheet(&t), kinds)
    });
    let filters = reports.filters.clone();
    drop(reports);
    let csv = extension == "csv";
    let today = state.clock.today();
    let calendar = state.calendar.clone();
    let limit = chrono::Duration::hours(state.settings.ordering.confirmation_deadline_hours);
    let body = state
        .pool
        .run(
            move |conn| -> Result<Result<Vec<u8>, String>, ReportError> {
                let mut each_breach = |push: &mut dyn FnMut(Vec<Cell>) -> Result<(), String>| {
                    let Some((_, kinds)) = &breaches else {
                        return Ok(());
                    };
                    queries::for_each_breach(
                        conn,
                        &filters,
                        today,
                        &calendar,
                        limit,
                        1000,
                        &mut |chunk| {
                            for b in &chunk {
                                let kind =
                                    kinds.get(&b.kind).map(String::as_str).unwrap_or(&b.kind);
                                push(reports::breach_row(b, kind)).map_err(ReportError::File)?;
                            }
                            Ok(())
                        },
                    )
                };
                if csv {
                    let Some(((_, headers), _)) = &breaches else {
                        return Ok(Ok(tables.first().map(Table::to_csv).unwrap_or_default()));
                    };
                    let mut file = export::CsvFile::new(headers);
                    each_breach(&mut |row| {
                        file.push(&row);
                        Ok(())
                    })?;
                    return Ok(Ok(file.finish()));
                }
                let mut book = export::XlsxFile::new();
                for table in &tables {
                    if let Err(e) = book.add_table(table) {
                        return Ok(Err(e.to_string()));
                    }
                }
                if let Some(((name, headers), _)) = &breaches {
                    if let Err(e) = book.start_sheet(name, headers) {
                        return Ok(Err(e.to_string()));
                    }
                    each_breach(&mut |row| book.push(&row).map_err(|e| e.to_string()))?;
                }
                Ok(book.finish().map_err(|e| e.to_string()))
            },
        )
        .await
        .map_err(|e| match e {
            ReportError::Db(e) => WebError::db(page.language, e),
            other => WebError::internal(page.language, other),
        })?
        .map_err(|e| WebError::internal(page.language, e))?;
    let content_type = if csv {
        export::CSV_CONTENT_TYPE
    } else {
        export::XLSX_CONTENT_TYPE
    };
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{stem}.{extension}\""),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body))
}
