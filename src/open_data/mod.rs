//! Open data: lots, cascade awards and call-off orders as an OCDS 1.1 release package,
//! published without personal data at `GET /api/v1/open-data/ocds`.
//!
//! [`mapping`] turns our data into releases (pure), [`queries`] reads what is published,
//! [`ocds`] holds the standard's types and their exact JSON form.

pub mod mapping;
pub mod ocds;
pub mod queries;

use chrono::{NaiveDate, NaiveDateTime, Utc};
use serde::Deserialize;

use crate::db::{Conn, DbError};
use crate::validation::ValidationErrors;
use mapping::{Entity, Publication};
use ocds::{Links, Publisher, ReleasePackage, LOTS_EXTENSION, TECHNIQUES_EXTENSION};

/// The `[open_data]` settings.
#[derive(Clone, Debug, Deserialize)]
#[serde(default)]
pub struct OpenDataSettings {
    /// The OCDS prefix of every ocid; register one with the Open Contracting Partnership
    /// (`ocds-xxxxxx`) before publishing for real.
    pub ocid_prefix: String,
    /// The purchasing authority, buyer and procuring entity of the framework agreements.
    pub authority_name: String,
    /// Its enterprise number (10 digits).
    pub authority_enterprise_number: String,
    /// The publisher's own page; the shop's address when unset.
    pub publisher_uri: Option<String>,
    /// The licence of the data (a URI).
    pub license: Option<String>,
}

impl Default for OpenDataSettings {
    fn default() -> Self {
        OpenDataSettings {
            ocid_prefix: "ocds-centrale".into(),
            authority_name: "Centrale d'achat / Aankoopcentrale".into(),
            authority_enterprise_number: "0000000097".into(),
            publisher_uri: None,
            license: Some("https://creativecommons.org/publicdomain/zero/1.0/".into()),
        }
    }
}

impl OpenDataSettings {
    pub fn publication(&self) -> Publication {
        Publication {
            ocid_prefix: self.ocid_prefix.clone(),
            authority: Entity {
                enterprise_number: self.authority_enterprise_number.clone(),
                name: self.authority_name.clone(),
            },
        }
    }
}

pub const DEFAULT_PAGE_SIZE: u32 = 100;
pub const MAX_PAGE_SIZE: u32 = 1000;
/// Far beyond any real data set; keeps the offset inside what every backend accepts.
pub const MAX_PAGE: u32 = 1_000_000;

/// Which slice of the data set a request asks for: releases changed on or after `since`,
/// lots first then orders, each by id, `limit` per page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    pub since: Option<NaiveDate>,
    pub page: u32,
    pub limit: u32,
}

impl PageRequest {
    /// Reads the query parameters, all of them text so every mistake gets a field message.
    pub fn parse(
        since: Option<&str>,
        page: Option<&str>,
        limit: Option<&str>,
    ) -> Result<PageRequest, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let since = match since.map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(text) => match NaiveDate::parse_from_str(text, "%Y-%m-%d") {
                Ok(date) => Some(date),
                Err(_) => {
                    errors.add(
                        "since",
                        "date-invalid",
                        "a date as YYYY-MM-DD, e.g. 2026-01-31",
                    );
                    None
                }
            },
        };
        let mut number = |field: &str, value: Option<&str>, default: u32, max: u32| -> u32 {
            match value.map(str::trim).filter(|s| !s.is_empty()) {
                None => default,
                Some(text) => match text.parse::<u32>() {
                    Ok(n) if (1..=max).contains(&n) => n,
                    _ => {
                        errors.add(
                            field,
                            "out-of-range",
                            format!("a whole number from 1 to {max}"),
                        );
                        default
                    }
                },
            }
        };
        let page = number("page", page, 1, MAX_PAGE);
        let limit = number("limit", limit, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE);
        errors.into_result()?;
        Ok(PageRequest { since, page, limit })
    }

    pub fn offset(&self) -> i64 {
        i64::from(self.page - 1) * i64::from(self.limit)
    }

    pub fn since_time(&self) -> Option<NaiveDateTime> {
        self.since.and_then(|d| d.and_hms_opt(0, 0, 0))
    }

    /// The query string of this request, with `page` replaced.
    pub fn query_for_page(&self, page: u32) -> String {
        let mut query = format!("page={page}&limit={}", self.limit);
        if let Some(since) = self.since {
            query.push_str(&format!("&since={since}"));
        }
        query
    }
}

/// One page of the package, ready to serialise.
pub fn load_package(
    conn: &mut Conn,
    settings: &OpenDataSettings,
    endpoint: &str,
    request: &PageRequest,
    now: chrono::DateTime<Utc>,
) -> Result<ReleasePackage, DbError> {
    let publication = settings.publication();
    let page = queries::page(conn, request)?;
    let mut releases: Vec<_> = page
        .lots
        .iter()
        .map(|lot| mapping::lot_release(&publication, lot))
        .collect();
    releases.extend(
        page.orders
            .iter()
            .filter_map(|order| mapping::order_release(&publication, order)),
    );
    let base = endpoint.split('?').next().unwrap_or(endpoint);
    let has_next = request.offset() + i64::from(request.limit) < page.total;
    Ok(ReleasePackage {
        uri: format!("{base}?{}", request.query_for_page(request.page)),
        version: "1.1",
        extensions: vec![LOTS_EXTENSION, TECHNIQUES_EXTENSION],
        // Generated on demand: the standard asks for the date of the last change instead.
        published_date: page.last_change.map(|t| t.and_utc()).unwrap_or(now),
        publisher: Publisher {
            name: settings.authority_name.clone(),
            uri: settings.publisher_uri.clone(),
        },
        license: settings.license.clone(),
        publication_policy: None,
        releases,
        links: has_next.then(|| Links {
            next: format!("{base}?{}", request.query_for_page(request.page + 1)),
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_requests_default_and_bound() {
        assert_eq!(
            PageRequest::parse(None, None, None).unwrap(),
            PageRequest {
                since: None,
                page: 1,
                limit: DEFAULT_PAGE_SIZE
            }
        );
        let request = PageRequest::parse(Some("2026-03-01"), Some("3"), Some("20")).unwrap();
        assert_eq!(request.offset(), 40);
        assert_eq!(
            request.query_for_page(4),
            "page=4&limit=20&since=2026-03-01"
        );
        for (since, page, limit, field) in [
            (Some("yesterday"), None, None, "since"),
            (Some("2026-02-30"), None, None, "since"),
            (None, Some("0"), None, "page"),
            (None, Some("-1"), None, "page"),
            (None, Some("99999999999999"), None, "page"),
            (None, Some("1.5"), None, "page"),
            (None, None, Some("0"), "limit"),
            (None, None, Some("1001"), "limit"),
        ] {
            let errors = PageRequest::parse(since, page, limit).unwrap_err();
            assert!(
                errors.for_field(field).is_some(),
                "{since:?} {page:?} {limit:?}"
            );
        }
        let last = PageRequest::parse(None, Some("1000000"), Some("1000")).unwrap();
        assert_eq!(last.offset(), 999_999_000);
    }
}
