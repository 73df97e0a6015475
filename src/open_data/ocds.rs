//! The subset of the Open Contracting Data Standard 1.1 we publish, with the lots and
//! techniques extensions. Field names follow the standard (camelCase); empty optional fields
//! are left out rather than sent as `null`, as the OCDS guidance recommends.

use std::io;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Serialize, Serializer};

use crate::domain::Cents;

/// The extension.json files of the extensions our releases use, as the package lists them.
pub const LOTS_EXTENSION: &str =
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_lots_extension/master/extension.json";
pub const TECHNIQUES_EXTENSION: &str =
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_techniques_extension/master/extension.json";

/// The organisation identifier scheme of the Belgian Crossroads Bank for Enterprises
/// (org-id.guide), under which every party is identified by its enterprise number.
pub const KBO_SCHEME: &str = "BE-BCE_KBO";

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReleasePackage {
    pub uri: String,
    pub version: &'static str,
    pub extensions: Vec<&'static str>,
    pub published_date: DateTime<Utc>,
    pub publisher: Publisher,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub license: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub publication_policy: Option<String>,
    pub releases: Vec<Release>,
    /// Pagination as the OCDS API guidance describes it; the package schema leaves room for
    /// it (no `additionalProperties: false`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub links: Option<Links>,
}

impl ReleasePackage {
    /// The package as JSON text, amounts written as exact decimals.
    ///
    /// Always serialise the package through here: [`Amount`] relies on [`ExactAmounts`] to
    /// print cents as euros, and a plain `serde_json::to_vec` would print the cents.
    pub fn to_json(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(16 * 1024);
        let mut serializer = serde_json::Serializer::with_formatter(&mut out, ExactAmounts);
        // Serialising plain structs into a Vec cannot fail: no map has non-string keys.
        self.serialize(&mut serializer)
            .expect("an OCDS package always serialises");
        out
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Publisher {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Links {
    pub next: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Release {
    pub ocid: String,
    pub id: String,
    pub date: DateTime<Utc>,
    pub tag: Vec<&'static str>,
    pub initiation_type: &'static str,
    pub language: &'static str,
    pub parties: Vec<Organization>,
    pub buyer: OrganizationReference,
    pub tender: Tender,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub awards: Vec<Award>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub contracts: Vec<Contract>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub related_processes: Vec<RelatedProcess>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Identifier {
    pub scheme: &'static str,
    pub id: String,
    #[serde(rename = "legalName")]
    pub legal_name: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Organization {
    pub id: String,
    pub name: String,
    pub identifier: Identifier,
    pub roles: Vec<&'static str>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrganizationReference {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Period {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_date: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_date: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Tender {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(rename = "title_nl", skip_serializing_if = "Option::is_none")]
    pub title_nl: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(rename = "description_nl", skip_serializing_if = "Option::is_none")]
    pub description_nl: Option<String>,
    pub status: &'static str,
    pub procuring_entity: OrganizationReference,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub main_procurement_category: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub procurement_method: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub procurement_method_details: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<Item>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contract_period: Option<Period>,
    pub techniques: Techniques,
    /// Call-offs only: whether the call-off reopened competition among the framework's
    /// suppliers (techniques extension).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub competitive: Option<bool>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub lots: Vec<Lot>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Techniques {
    pub has_framework_agreement: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub framework_agreement: Option<FrameworkAgreement>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FrameworkAgreement {
    pub method: &'static str,
    pub maximum_participants: u32,
    pub period: Period,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Lot {
    pub id: String,
    pub title: String,
    #[serde(rename = "title_nl")]
    pub title_nl: String,
    pub status: &'static str,
    pub contract_period: Period,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Award {
    pub id: String,
    pub title: String,
    #[serde(rename = "title_nl")]
    pub title_nl: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(rename = "description_nl", skip_serializing_if = "Option::is_none")]
    pub description_nl: Option<String>,
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
    pub suppliers: Vec<OrganizationReference>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<Item>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contract_period: Option<Period>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub related_lots: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Contract {
    pub id: String,
    #[serde(rename = "awardID")]
    pub award_id: String,
    pub status: &'static str,
    pub value: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date_signed: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period: Option<Period>,
    pub items: Vec<Item>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Item {
    pub id: String,
    pub description: String,
    #[serde(rename = "description_nl")]
    pub description_nl: String,
    pub quantity: i64,
    pub unit: Unit,
}

#[derive(Debug, Clone, Serialize)]
pub struct Unit {
    pub scheme: &'static str,
    pub id: String,
    pub value: Value,
}

#[derive(Debug, Clone, Serialize)]
pub struct RelatedProcess {
    pub id: String,
    pub relationship: Vec<&'static str>,
    pub title: String,
    pub scheme: &'static str,
    pub identifier: String,
}

/// An amount of money, always in euro.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Value {
    pub amount: Amount,
    pub currency: &'static str,
}

impl Value {
    pub fn eur(cents: Cents) -> Value {
        Value {
            amount: Amount(cents),
            currency: "EUR",
        }
    }
}

/// Euro cents that reach the JSON text as a number with exactly two decimals (`12.50`),
/// never through a float: they travel as an `i128` (no other field of the package is one)
/// and [`ExactAmounts`] writes that as a decimal with scale 2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Amount(pub Cents);

impl Serialize for Amount {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_i128(i128::from(self.0.cents()))
    }
}

/// JSON formatter printing the `i128` of an [`Amount`] as euros with two decimals.
struct ExactAmounts;

impl serde_json::ser::Formatter for ExactAmounts {
    fn write_i128<W: ?Sized + io::Write>(&mut self, writer: &mut W, value: i128) -> io::Result<()> {
        write!(writer, "{}", Decimal::from_i128_with_scale(value, 2))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json_of(value: &Value) -> String {
        let mut out = Vec::new();
        let mut serializer = serde_json::Serializer::with_formatter(&mut out, ExactAmounts);
        value.serialize(&mut serializer).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn amounts_keep_two_decimals_exactly() {
        assert_eq!(
            json_of(&Value::eur(Cents::new(1250))),
            r#"{"amount":12.50,"currency":"EUR"}"#
        );
        assert_eq!(
            json_of(&Value::eur(Cents::new(7))),
            r#"{"amount":0.07,"currency":"EUR"}"#
        );
        assert_eq!(
            json_of(&Value::eur(Cents::new(0))),
            r#"{"amount":0.00,"currency":"EUR"}"#
        );
        // Far beyond what a double holds exactly.
        assert_eq!(
            json_of(&Value::eur(Cents::new(9_007_199_254_740_993))),
            r#"{"amount":90071992547409.93,"currency":"EUR"}"#
        );
        assert_eq!(
            json_of(&Value::eur(Cents::new(-105))),
            r#"{"amount":-1.05,"currency":"EUR"}"#
        );
    }

    #[test]
    fn exact_amounts_are_still_json_numbers() {
        let text = json_of(&Value::eur(Cents::new(123_456)));
        let parsed: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert!(parsed["amount"].is_number());
        assert_eq!(parsed["amount"].as_f64(), Some(1234.56));
    }
}
