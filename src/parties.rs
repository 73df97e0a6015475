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
