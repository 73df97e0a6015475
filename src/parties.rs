//! The parties of the shop: suppliers, institutions and their user accounts, created only
//! from validated input.

use chrono::NaiveDateTime;

use crate::auth::password;
use crate::db::parties as q;
use crate::db::{reference, Conn};
use crate::domain::{Email, EnterpriseNumber, Language};
use crate::error::ServiceError;
use crate::validation::ValidationErrors;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Admin,
    Institution,
    Supplier,
}

impl Role {
    pub fn code(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Institution => "institution",
            Role::Supplier => "supplier",
        }
    }

    pub fn parse(code: &str) -> Option<Role> {
        match code {
            "admin" => Some(Role::Admin),
            "institution" => Some(Role::Institution),
            "supplier" => Some(Role::Supplier),
            _ => None,
        }
    }
}

fn unique_or(
    field: &str,
    code: &str,
    message: &str,
) -> impl FnOnce(crate::db::DbError) -> ServiceError {
    let (field, code, message) = (field.to_owned(), code.to_owned(), message.to_owned());
    move |error| {
        if error.is_unique_violation() {
            ServiceError::Invalid(ValidationErrors::single(&field, &code, message))
        } else {
            error.into()
        }
    }
}

pub struct SupplierInput<'a> {
    pub enterprise_number: &'a str,
    pub name: &'a str,
    pub email: &'a str,
    pub language: &'a str,
}

pub fn register_supplier(
    conn: &mut Conn,
    now: NaiveDateTime,
    input: &SupplierInput<'_>,
) -> Result<i64, ServiceError> {
    let mut errors = ValidationErrors::new();
    let number = errors.check(
        "enterprise_number",
        EnterpriseNumber::parse(input.enterprise_number),
    );
    let name = errors.require_text("name", input.name, 200);
    let email = errors.check("email", Email::parse(input.email));
    let language = language_field(&mut errors, input.language);
    errors.into_result()?;
    let (Some(number), Some(name), Some(email), Some(language)) = (number, name, email, language)
    else {
        return Err(ServiceError::NotFound("supplier fields"));
    };
    q::insert_supplier(
        conn,
        &q::NewSupplier {
            enterprise_number: number.as_str(),
            name: &name,
            email: email.as_str(),
            language: language.code(),
            status: "active",
            created_at: now,
            updated_at: now,
        },
    )
    .map_err(unique_or(
        "enterprise_number",
        "enterprise-number-taken",
        "a supplier with this enterprise number is already registered",
    ))
}

fn language_field(errors: &mut ValidationErrors, code: &str) -> Option<Language> {
    match Language::parse(code) {
        Some(language) if matches!(code.trim(), "fr" | "nl") => Some(language),
        _ => {
            errors.add("language", "language-invalid", "the language is fr or nl");
            None
        }
    }
}

#[derive(Debug, Clone)]
pub struct AddressInput<'a> {
    pub label: &'a str,
    pub street: &'a str,
    pub postcode: &'a str,
    pub city: &'a str,
}

fn check_postcode(errors: &mut ValidationErrors, field: &str, postcode: &str) {
    let postcode = postcode.trim();
    if postcode.len() != 4
        || !postcode.chars().all(|c| c.is_ascii_digit())
        || postcode.starts_with('0')
    {
        errors.add(
            field,
            "postcode-invalid",
            "a Belgian postcode has four digits (1000 to 9999)",
        );
    }
}

#[derive(Debug, Clone)]
pub struct InstitutionInput<'a> {
    pub enterprise_number: &'a str,
    pub name: &'a str,
    pub authority_code: &'a str,
    pub sector: &'a str,
    pub language: &'a str,
    pub billing: AddressInput<'a>,
    pub delivery: Vec<AddressInput<'a>>,
    pub status: &'a str,
}

/// Every problem with an institution's fields, without writing anything.
pub fn validate_institution(
    conn: &mut Conn,
    input: &InstitutionInput<'_>,
) -> Result<ValidationErrors, ServiceError> {
    let mut errors = ValidationErrors::new();
    errors.check(
        "enterprise_number",
        EnterpriseNumber::parse(input.enterprise_number),
    );
    errors.require_text("name", input.name, 200);
    language_field(&mut errors, input.language);
    if reference::authority_by_code(conn, input.authority_code)?.is_none() {
        errors.add(
            "competent_authority",
            "authority-unknown",
            "choose a competent authority from the list",
        );
    }
    if !reference::sectors(conn)?
        .iter()
        .any(|s| s.code == input.sector)
    {
        errors.add("sector", "sector-unknown", "choose a sector from the list");
    }
    errors.require_text("billing_street", input.billing.street, 200);
    errors.require_text("billing_city", input.billing.city, 100);
    check_postcode(&mut errors, "billing_postcode", input.billing.postcode);
    if input.delivery.is_empty() {
        errors.add(
            "delivery",
            "delivery-required",
            "give at least one delivery address",
        );
    }
    for (index, address) in input.delivery.iter().enumerate() {
        errors.require_text(&format!("delivery[{index}].street"), address.street, 200);
        errors.require_text(&format!("delivery[{index}].city"), address.city, 100);
        check_postcode(
            &mut errors,
            &format!("delivery[{index}].postcode"),
            address.postcode,
        );
    }
    if !matches!(
        input.status,
        "pending" | "active" | "suspended" | "rejected"
    ) {
        errors.add("status", "institution-status-invalid", "unknown status");
    }
    Ok(errors)
}

pub fn register_institution(
    conn: &mut Conn,
    now: NaiveDateTime,
    input: &InstitutionInput<'_>,
) -> Result<i64, ServiceError> {
    validate_institution(conn, input)?.into_result()?;
    let (Ok(number), Some(language), Some(authority)) = (
        EnterpriseNumber::parse(input.enterprise_number),
        Language::parse(input.language),
        reference::authority_by_code(conn, input.authority_code)?,
    ) else {
        return Err(ServiceError::NotFound("institution fields"));
    };
    let name = input.name.trim().to_owned();
    conn.transaction(|conn| {
        let id = q::insert_institution(
            conn,
            &q::NewInstitution {
                enterprise_number: number.as_str(),
                name: &name,
                competent_authority_id: authority.id,
                sector: input.sector,
                language: language.code(),
                billing_street: input.billing.street.trim(),
                billing_postcode: input.billing.postcode.trim(),
                billing_city: input.billing.city.trim(),
                status: input.status,
                created_at: now,
                updated_at: now,
            },
        )
        .map_err(unique_or(
            "enterprise_number",
            "enterprise-number-taken",
            "an institution with this enterprise number is already registered",
        ))?;
        for address in &input.delivery {
            q::insert_delivery_address(
                conn,
                &q::NewDeliveryAddress {
                    institution_id: id,
                    label: address.label.trim(),
                    street: address.street.trim(),
                    postcode: address.postcode.trim(),
                    city: address.city.trim(),
                    active: true,
                },
            )?;
        }
        Ok(id)
    })
}

pub struct UserInput<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub role: Role,
    pub institution_id: Option<i64>,
    pub supplier_id: Option<i64>,
    pub language: &'a str,
    /// With a password the account is active at once; without, it waits for activation.
    pub password: Option<Credential<'a>>,
}

#[derive(Debug, Clone, Copy)]
pub enum Credential<'a> {
    Password(&'a str),
    /// An argon2 hash made earlier, for loading many accounts that share one password.
    Hash(&'a str),
}

/// Creates an account. Hashing is deliberately slow: call from blocking context.
pub fn create_user(
    conn: &mut Conn,
    now: NaiveDateTime,
    input: &UserInput<'_>,
) -> Result<i64, ServiceError> {
    let mut errors = ValidationErrors::new();
    let email = errors.check("email", Email::parse(input.email));
    let name = errors.require_text("name", input.name, 200);
    let language = language_field(&mut errors, input.language);
    if let Some(Credential::Password(password)) = input.password {
        errors.check("password", password::check_strength(password));
    }
    let bound_correctly = match input.role {
        Role::Admin => input.institution_id.is_none() && input.supplier_id.is_none(),
        Role::Institution => input.institution_id.is_some() && input.supplier_id.is_none(),
        Role::Supplier => input.supplier_id.is_some() && input.institution_id.is_none(),
    };
    if !bound_correctly {
        errors.add("role", "role-binding", "an institution user belongs to one institution, a supplier user to one supplier, an admin to neither");
    }
    errors.into_result()?;
    let (Some(email), Some(name), Some(language)) = (email, name, language) else {
        return Err(ServiceError::NotFound("user fields"));
    };
    let hash = match input.password {
        Some(Credential::Password(plain)) => Some(password::hash(plain)?),
        Some(Credential::Hash(hash)) => Some(hash.to_owned()),
        None => None,
    };
    q::insert_user(
        conn,
        &q::NewUser {
            email: email.as_str(),
            name: &name,
            role: input.role.code(),
            institution_id: input.institution_id,
            supplier_id: input.supplier_id,
            language: language.code(),
            password_hash: hash.as_deref(),
            status: if hash.is_some() { "active" } else { "invited" },
            created_at: now,
            updated_at: now,
        },
    )
    .map_err(unique_or(
        "email",
        "email-taken",
        "an account with this email address exists already",
    ))
}

// --- Supplier admin

/// The fields of a supplier an admin may change after creation (the enterprise number is
/// the supplier's identity and never changes).
#[derive(Debug, Clone, Copy)]
pub struct SupplierEdit<'a> {
    pub name: &'a str,
    pub email: &'a str,
    pub language: &'a str,
}

/// Parsed supplier details, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupplierDetails {
    pub name: String,
    pub email: Email,
    pub language: Language,
}

impl SupplierDetails {
    fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "name": self.name,
            "email": self.email.as_str(),
            "language": self.language.code(),
        })
    }
}

/// Every problem with the editable fields, or the parsed details.
pub fn parse_supplier_edit(
    errors: &mut ValidationErrors,
    input: &SupplierEdit<'_>,
) -> Option<SupplierDetails> {
    let name = errors.require_text("name", input.name, 200);
    let email = errors.check("email", Email::parse(input.email));
    let language = language_field(errors, input.language);
    Some(SupplierDetails {
        name: name?,
        email: email?,
        language: language?,
    })
}

pub const SUPPLIER_NUMBER_TAKEN: &str = "supplier-enterprise-number-taken";

fn number_taken() -> ServiceError {
    ServiceError::Invalid(ValidationErrors::single(
        "enterprise_number",
        SUPPLIER_NUMBER_TAKEN,
        "a supplier with this enterprise number is already registered",
    ))
}

/// Creates an active supplier for an admin, audited with what was stored.
pub fn create_supplier(
    conn: &mut Conn,
    now: NaiveDateTime,
    actor: &crate::auth::Principal,
    input: &SupplierInput<'_>,
) -> Result<i64, ServiceError> {
    let mut errors = ValidationErrors::new();
    let number = errors.check(
        "enterprise_number",
        EnterpriseNumber::parse(input.enterprise_number),
    );
    let details = parse_supplier_edit(
        &mut errors,
        &SupplierEdit {
            name: input.name,
            email: input.email,
            language: input.language,
        },
    );
    errors.into_result()?;
    let (Some(number), Some(details)) = (number, details) else {
        return Err(ServiceError::NotFound("supplier fields"));
    };
    conn.transaction(|conn| {
        if q::supplier_by_enterprise_number(conn, number.as_str())?.is_some() {
            return Err(number_taken());
        }
        let id = q::insert_supplier(
            conn,
            &q::NewSupplier {
                enterprise_number: number.as_str(),
                name: &details.name,
                email: details.email.as_str(),
                language: details.language.code(),
                status: "active",
                created_at: now,
                updated_at: now,
            },
        )
        .map_err(|error| {
            if error.is_unique_violation() {
                number_taken()
            } else {
                error.into()
            }
        })?;
        let mut after = details.to_json();
        after["enterprise_number"] = number.as_str().into();
        after["status"] = "active".into();
        crate::audit::record(
            conn,
            now,
            actor,
            "supplier.created",
            "supplier",
            Some(id),
            serde_json::json!({ "after": after }),
        )?;
        Ok(id)
    })
}

/// Changes a supplier's name, order email and language; audited with before and after
/// (nothing is recorded when nothing changed).
pub fn update_supplier(
    conn: &mut Conn,
    now: NaiveDateTime,
    actor: &crate::auth::Principal,
    id: i64,
    input: &SupplierEdit<'_>,
) -> Result<(), ServiceError> {
    let mut errors = ValidationErrors::new();
    let details = parse_supplier_edit(&mut errors, input);
    errors.into_result()?;
    let Some(details) = details else {
        return Err(ServiceError::NotFound("supplier fields"));
    };
    conn.transaction(|conn| {
        let current = q::supplier(conn, id)?.ok_or(ServiceError::NotFound("supplier"))?;
        let before = serde_json::json!({
            "name": current.name,
            "email": current.email,
            "language": current.language,
        });
        let after = details.to_json();
        if before == after {
            return Ok(());
        }
        q::update_supplier_details(
            conn,
            id,
            &details.name,
            details.email.as_str(),
            details.language.code(),
            now,
        )?;
        crate::audit::record(
            conn,
            now,
            actor,
            "supplier.updated",
            "supplier",
            Some(id),
            serde_json::json!({ "before": before, "after": after }),
        )?;
        Ok(())
    })
}

/// Suspends a supplier: routing skips it from the next order on, and its users and API
/// clients are refused from their next request.
pub fn suspend_supplier(
    conn: &mut Conn,
    now: NaiveDateTime,
    actor: &crate::auth::Principal,
    id: i64,
    reason: &str,
) -> Result<(), ServiceError> {
    change_supplier_status(
        conn,
        now,
        actor,
        id,
        "active",
        "suspended",
        "supplier.suspended",
        reason,
    )
}

pub fn reactivate_supplier(
    conn: &mut Conn,
    now: NaiveDateTime,
    actor: &crate::auth::Principal,
    id: i64,
) -> Result<(), ServiceError> {
    change_supplier_status(
        conn,
        now,
        actor,
        id,
        "suspended",
        "active",
        "supplier.reactivated",
        "",
    )
}

#[allow(clippy::too_many_arguments)]
fn change_supplier_status(
    conn: &mut Conn,
    now: NaiveDateTime,
    actor: &crate::auth::Principal,
    id: i64,
    from: &str,
    to: &str,
    action: &str,
    reason: &str,
) -> Result<(), ServiceError> {
    conn.transaction(|conn| {
        let current = q::supplier(conn, id)?.ok_or(ServiceError::NotFound("supplier"))?;
        if !q::set_supplier_status(conn, id, from, to, now)? {
            return Err(ServiceError::Conflict {
                code: "supplier-status-conflict",
                message: format!("the supplier is {}, not {from}", current.status),
            });
        }
        crate::audit::record(
            conn,
            now,
            actor,
            action,
            "supplier",
            Some(id),
            serde_json::json!({
                "before": { "status": from },
                "after": { "status": to },
                "reason": reason.trim(),
            }),
        )?;
        Ok(())
    })
}

#[cfg(test)]
mod supplier_admin_tests {
    use super::*;

    fn parse(name: &str, email: &str, language: &str) -> Result<SupplierDetails, Vec<String>> {
        let mut errors = ValidationErrors::new();
        let details = parse_supplier_edit(
            &mut errors,
            &SupplierEdit {
                name,
                email,
                language,
            },
        );
        if errors.is_empty() {
            Ok(details.expect("details when no error"))
        } else {
            Err(errors.errors.into_iter().map(|e| e.field).collect())
        }
    }

    #[test]
    fn valid_details_are_trimmed_and_parsed() {
        let details = parse("  Medisupply  ", "orders@medisupply.be", "nl").unwrap();
        assert_eq!(details.name, "Medisupply");
        assert_eq!(details.email.as_str(), "orders@medisupply.be");
        assert_eq!(details.language, Language::Nl);
        assert_eq!(
            details.to_json(),
            serde_json::json!({"name": "Medisupply", "email": "orders@medisupply.be", "language": "nl"})
        );
    }

    #[test]
    fn every_bad_field_is_named() {
        assert_eq!(
            parse("", "not an email", "de").unwrap_err(),
            vec!["name", "email", "language"]
        );
        assert_eq!(parse("X", "a@b.be", "").unwrap_err(), vec!["language"]);
        assert_eq!(parse(" ", "a@b.be", "fr").unwrap_err(), vec!["name"]);
    }

    #[test]
    fn an_overlong_name_is_refused() {
        assert!(parse(&"x".repeat(201), "a@b.be", "fr").is_err());
        assert!(parse(&"x".repeat(200), "a@b.be", "fr").is_ok());
    }
}

/// A supplier with the cascade places it holds and its API clients, for the back office.
#[derive(Debug, Clone)]
pub struct SupplierOverview {
    pub supplier: q::SupplierAdminRow,
    pub places: Vec<q::CascadePlace>,
    pub clients: Vec<crate::db::api_clients::ApiClientRow>,
}

pub fn supplier_overview(
    conn: &mut Conn,
    id: i64,
) -> Result<Option<SupplierOverview>, crate::db::DbError> {
    let Some(supplier) = q::supplier_for_admin(conn, id)? else {
        return Ok(None);
    };
    Ok(Some(SupplierOverview {
        supplier,
        places: q::cascade_places(conn, Some(id))?,
        clients: crate::db::api_clients::for_supplier(conn, id)?,
    }))
}

/// One line of the suppliers list: the supplier, its places, and its clients not revoked.
#[derive(Debug, Clone)]
pub struct SupplierListLine {
    pub supplier: q::SupplierAdminRow,
    pub places: Vec<q::CascadePlace>,
    pub active_clients: i64,
}

pub fn supplier_list(conn: &mut Conn) -> Result<Vec<SupplierListLine>, crate::db::DbError> {
    let suppliers = q::suppliers_for_admin(conn)?;
    let places = q::cascade_places(conn, None)?;
    let counts: std::collections::HashMap<i64, i64> =
        q::active_client_counts(conn)?.into_iter().collect();
    Ok(suppliers
        .into_iter()
        .map(|supplier| SupplierListLine {
            places: places
                .iter()
                .filter(|p| p.supplier_id == supplier.id)
                .cloned()
                .collect(),
            active_clients: counts.get(&supplier.id).copied().unwrap_or(0),
            supplier,
        })
        .collect())
}
