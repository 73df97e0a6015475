//! Membership: an institution applies, the purchasing authority reviews and approves or
//! rejects, and the named buyers activate their accounts. Every step that changes something
//! writes its emails to the outbox and its audit record in the same transaction.

pub mod queries;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::json;

use crate::audit;
use crate::auth::tokens::{self, Purpose};
use crate::auth::Principal;
use crate::clock::brussels_offset;
use crate::config::Settings;
use crate::db::parties::{self as q, UserRow};
use crate::db::schema::{institutions, users};
use crate::db::{reference, Conn};
use crate::domain::{Email, Language};
use crate::error::ServiceError;
use crate::mail::{MailTemplates, OutgoingEmail};
use crate::parties::{self, InstitutionInput, Role, UserInput};
use crate::validation::ValidationErrors;
use crate::with_conn;

pub const MAX_BUYERS: usize = 10;

pub struct BuyerInput<'a> {
    pub name: &'a str,
    pub email: &'a str,
}

pub struct ApplicationInput<'a> {
    pub institution: InstitutionInput<'a>,
    pub contact_name: &'a str,
    pub contact_email: &'a str,
    pub buyers: Vec<BuyerInput<'a>>,
}

/// What the services need besides the connection.
pub struct Context<'a> {
    pub now: NaiveDateTime,
    pub mail: &'a MailTemplates,
    pub settings: &'a Settings,
}

fn conflict(code: &'static str, message: &str) -> ServiceError {
    ServiceError::Conflict {
        code,
        message: message.to_owned(),
    }
}

/// A date and time as people in Brussels read it: "14/03/2026 09:30".
pub fn local_time(utc: NaiveDateTime) -> String {
    let local = utc + brussels_offset(utc.and_utc());
    local.format("%d/%m/%Y %H:%M").to_string()
}

/// Records an application: the institution (pending), its buyers (invited, no password yet),
/// the acknowledgement to the applicant and the notification to the authority.
pub fn apply(
    conn: &mut Conn,
    ctx: &Context<'_>,
    input: &ApplicationInput<'_>,
) -> Result<i64, ServiceError> {
    let mut errors = ValidationErrors::new();
    let contact_name = errors.require_text("contact_name", input.contact_name, 200);
    let contact_email = errors.check("contact_email", Email::parse(input.contact_email));
    if input.buyers.is_empty() {
        errors.add(
            "buyers",
            "buyers-required",
            "name at least one person who will order",
        );
    }
    if input.buyers.len() > MAX_BUYERS {
        errors.add(
            "buyers",
            "buyers-too-many",
            format!("at most {MAX_BUYERS} buyers"),
        );
    }
    let mut buyer_emails: Vec<String> = Vec::new();
    for (index, buyer) in input.buyers.iter().enumerate() {
        errors.require_text(&format!("buyers[{index}].name"), buyer.name, 200);
        if let Some(email) =
            errors.check(&format!("buyers[{index}].email"), Email::parse(buyer.email))
        {
            let lowered = email.as_str().to_lowercase();
            if buyer_emails.contains(&lowered) {
                errors.add(
                    &format!("buyers[{index}].email"),
                    "email-repeated",
                    "this person is already named above",
                );
            } else if q::user_by_email(conn, &lowered)?.is_some() {
                errors.add(
                    &format!("buyers[{index}].email"),
                    "email-taken",
                    "an account with this email address exists already",
                );
            }
            buyer_emails.push(lowered);
        }
    }
    if let Ok(number) = crate::domain::EnterpriseNumber::parse(input.institution.enterprise_number)
    {
        if q::institution_by_enterprise_number(conn, number.as_str())?.is_some() {
            errors.add(
                "enterprise_number",
                "enterprise-number-taken",
                "an institution with this enterprise number is already a member or has applied",
            );
        }
    }
    // Collect the institution's own field errors too, so the applicant sees every problem
    // at once rather than one round trip per field.
    let pending = InstitutionInput {
        status: "pending",
        ..input.institution.clone()
    };
    let institution_errors = parties::validate_institution(conn, &pending)?;
    for error in institution_errors.errors {
        if errors.for_field(&error.field).is_none() {
            errors.errors.push(error);
        }
    }
    errors.into_result()?;
    let (Some(contact_name), Some(contact_email)) = (contact_name, contact_email) else {
        return Err(ServiceError::NotFound("contact"));
    };
    conn.transaction(|conn| {
        let id = parties::register_institution(conn, ctx.now, &pending)?;
        with_conn!(conn, |c| diesel::update(institutions::table.find(id))
            .set((
                institutions::contact_name.eq(&contact_name),
                institutions::contact_email.eq(contact_email.as_str()),
            ))
            .execute(c))
        .map_err(crate::db::DbError::from)?;
        for buyer in &input.buyers {
            parties::create_user(
                conn,
                ctx.now,
                &UserInput {
                    email: buyer.email,
                    name: buyer.name,
                    role: Role::Institution,
                    institution_id: Some(id),
                    supplier_id: None,
                    language: pending.language,
                    password: None,
                },
            )?;
        }
        let language = Language::parse(pending.language).unwrap_or_default();
        let number = crate::domain::EnterpriseNumber::parse(pending.enterprise_number)
            .map(|n| n.formatted())
            .unwrap_or_default();
        let authority = reference::authority_by_code(conn, pending.authority_code)?
            .map(|a| (a.name_fr, a.name_nl))
            .unwrap_or_default();
        ctx.mail.enqueue(
            conn,
            ctx.now,
            &OutgoingEmail {
                template: "membership-received",
                language,
                to_address: contact_email.as_str(),
                to_name: &contact_name,
                data: &json!({
                    "name": contact_name,
                    "institution": pending.name.trim(),
                    "enterprise_number": number,
                }),
            },
        )?;
        let review_url = format!(
            "{}/admin/memberships/{id}",
            ctx.settings.server.base_url.trim_end_matches('/')
        );
        let mut recipients: Vec<(String, String, Language)> = vec![(
            ctx.settings.mail.authority_address.clone(),
            String::new(),
            Language::Fr,
        )];
        for admin in q::users_with_role(conn, "admin")?
            .into_iter()
            .filter(|u| u.status == "active")
        {
            recipients.push((
                admin.email,
                admin.name,
                Language::parse(&admin.language).unwrap_or_default(),
            ));
        }
        for (address, name, admin_language) in recipients {
            let authority_name = match admin_language {
                Language::Fr => &authority.0,
                Language::Nl => &authority.1,
            };
            ctx.mail.enqueue(
                conn,
                ctx.now,
                &OutgoingEmail {
                    template: "membership-submitted",
                    language: admin_language,
                    to_address: &address,
                    to_name: &name,
                    data: &json!({
                        "institution": pending.name.trim(),
                        "enterprise_number": number,
                        "authority": authority_name,
                        "name": contact_name,
                        "email": contact_email.as_str(),
                        "review_url": review_url,
                    }),
                },
            )?;
        }
        Ok(id)
    })
}

fn institution_status(conn: &mut Conn, id: i64) -> Result<q::InstitutionRow, ServiceError> {
    q::institution(conn, id)?.ok_or(ServiceError::NotFound("institution"))
}

fn set_status(
    conn: &mut Conn,
    now: NaiveDateTime,
    id: i64,
    status: &str,
    decided_by: Option<i64>,
    reason: Option<&str>,
    decision: bool,
) -> Result<(), ServiceError> {
    with_conn!(conn, |c| {
        let target = diesel::update(institutions::table.find(id));
        if decision {
            target
                .set((
                    institutions::status.eq(status),
                    institutions::updated_at.eq(now),
                    institutions::decided_at.eq(Some(now)),
                    institutions::decided_by.eq(decided_by),
                    institutions::decision_reason.eq(reason),
                ))
                .execute(c)
        } else {
            target
                .set((
                    institutions::status.eq(status),
                    institutions::updated_at.eq(now),
                ))
                .execute(c)
        }
    })
    .map_err(crate::db::DbError::from)?;
    Ok(())
}

/// Sends one invited user the single-use link to choose a password.
fn send_activation(
    conn: &mut Conn,
    ctx: &Context<'_>,
    user: &UserRow,
    institution_name: &str,
) -> Result<(), ServiceError> {
    let (raw, expires_at) = tokens::issue(conn, ctx.now, user.id, Purpose::Activation)?;
    let link = format!(
        "{}/activate/{raw}",
        ctx.settings.server.base_url.trim_end_matches('/')
    );
    ctx.mail.enqueue(
        conn,
        ctx.now,
        &OutgoingEmail {
            template: "account-activation",
            language: Language::parse(&user.language).unwrap_or_default(),
            to_address: &user.email,
            to_name: &user.name,
            data: &json!({
                "name": user.name,
                "email": user.email,
                "institution": institution_name,
                "link": link,
                "expires": local_time(expires_at),
            }),
        },
    )?;
    Ok(())
}

/// Approves a pending application: the institution becomes active and each named buyer gets
/// an activation link.
pub fn approve(
    conn: &mut Conn,
    ctx: &Context<'_>,
    actor: &Principal,
    id: i64,
) -> Result<(), ServiceError> {
    conn.transaction(|conn| {
        let institution = institution_status(conn, id)?;
        if institution.status != "pending" {
            return Err(conflict(
                "membership-not-pending",
                "only a pending application can be approved",
            ));
        }
        set_status(conn, ctx.now, id, "active", actor.user_id, None, true)?;
        let invited: Vec<UserRow> = q::users_of_institution(conn, id)?
            .into_iter()
            .filter(|u| u.status == "invited")
            .collect();
        for user in &invited {
            send_activation(conn, ctx, user, &institution.name)?;
        }
        audit::record(
            conn,
            ctx.now,
            actor,
            "membership.approved",
            "institution",
            Some(id),
            json!({ "before": "pending", "after": "active", "activation_links": invited.len() }),
        )?;
        Ok(())
    })
}

pub const MAX_REASON_CHARS: usize = 2000;

/// Rejects a pending application with a reason the applicant receives by email.
pub fn reject(
    conn: &mut Conn,
    ctx: &Context<'_>,
    actor: &Principal,
    id: i64,
    reason: &str,
) -> Result<(), ServiceError> {
    let mut errors = ValidationErrors::new();
    let reason = errors.require_text("reason", reason, MAX_REASON_CHARS);
    errors.into_result()?;
    let reason = reason.unwrap_or_default();
    conn.transaction(|conn| {
        let institution = institution_status(conn, id)?;
        if institution.status != "pending" {
            return Err(conflict(
                "membership-not-pending",
                "only a pending application can be rejected",
            ));
        }
        set_status(
            conn,
            ctx.now,
            id,
            "rejected",
            actor.user_id,
            Some(&reason),
            true,
        )?;
        with_conn!(conn, |c| diesel::update(
            users::table.filter(users::institution_id.eq(id))
        )
        .set((users::status.eq("disabled"), users::updated_at.eq(ctx.now)))
        .execute(c))
        .map_err(crate::db::DbError::from)?;
        if !institution.contact_email.is_empty() {
            ctx.mail.enqueue(
                conn,
                ctx.now,
                &OutgoingEmail {
                    template: "membership-rejected",
                    language: Language::parse(&institution.language).unwrap_or_default(),
                    to_address: &institution.contact_email,
                    to_name: &institution.contact_name,
                    data: &json!({
                        "name": institution.contact_name,
                        "institution": institution.name,
                        "reason": reason,
                    }),
                },
            )?;
        }
        audit::record(
            conn,
            ctx.now,
            actor,
            "membership.rejected",
            "institution",
            Some(id),
            json!({ "before": "pending", "after": "rejected", "reason": reason }),
        )?;
        Ok(())
    })
}

/// Suspends an active institution: its users can no longer sign in or order.
pub fn suspend(
    conn: &mut Conn,
    ctx: &Context<'_>,
    actor: &Principal,
    id: i64,
    reason: &str,
) -> Result<(), ServiceError> {
    change_activity(
        conn,
        ctx,
        actor,
        id,
        "active",
        "suspended",
        "institution.suspended",
        reason,
    )
}

pub fn reactivate(
    conn: &mut Conn,
    ctx: &Context<'_>,
    actor: &Principal,
    id: i64,
) -> Result<(), ServiceError> {
    change_activity(
        conn,
        ctx,
        actor,
        id,
        "suspended",
        "active",
        "institution.reactivated",
        "",
    )
}

#[allow(clippy::too_many_arguments)]
fn change_activity(
    conn: &mut Conn,
    ctx: &Context<'_>,
    actor: &Principal,
    id: i64,
    from: &str,
    to: &str,
    action: &str,
    reason: &str,
) -> Result<(), ServiceError> {
    conn.transaction(|conn| {
        let institution = institution_status(conn, id)?;
        if institution.status != from {
            return Err(conflict(
                "institution-status",
                &format!("the institution is {}, not {from}", institution.status),
            ));
        }
        set_status(conn, ctx.now, id, to, actor.user_id, None, false)?;
        audit::record(
            conn,
            ctx.now,
            actor,
            action,
            "institution",
            Some(id),
            json!({ "before": from, "after": to, "reason": reason.trim() }),
        )?;
        Ok(())
    })
}

/// Adds a buyer to an institution; once the institution is active the person receives an
/// activation link at once, otherwise when the application is approved.
pub fn add_user(
    conn: &mut Conn,
    ctx: &Context<'_>,
    actor: &Principal,
    institution_id: i64,
    name: &str,
    email: &str,
    language: Option<&str>,
) -> Result<i64, ServiceError> {
    conn.transaction(|conn| {
        let institution = institution_status(conn, institution_id)?;
        if institution.status == "rejected" {
            return Err(conflict(
                "institution-status",
                "the application was rejected",
            ));
        }
        let user_id = parties::create_user(
            conn,
            ctx.now,
            &UserInput {
                email,
                name,
                role: Role::Institution,
                institution_id: Some(institution_id),
                supplier_id: None,
                language: language.unwrap_or(&institution.language),
                password: None,
            },
        )?;
        if institution.status == "active" || institution.status == "suspended" {
            let user = q::user(conn, user_id)?.ok_or(ServiceError::NotFound("user"))?;
            send_activation(conn, ctx, &user, &institution.name)?;
        }
        audit::record(
            conn,
            ctx.now,
            actor,
            "institution.user_added",
            "institution",
            Some(institution_id),
            json!({ "user_id": user_id, "email": email.trim() }),
        )?;
        Ok(user_id)
    })
}
