//! Who is acting: a signed-in person (session) or an API client (bearer token). Both carry
//! the same role and binding, so authorisation rules are written once.

use serde::Serialize;

use crate::parties::Role;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Principal {
    #[serde(serialize_with = "role_code")]
    pub role: Role,
    pub user_id: Option<i64>,
    pub api_client_id: Option<i64>,
    pub institution_id: Option<i64>,
    pub supplier_id: Option<i64>,
    /// How the actor appears in the audit log ("Anne Dupont <anne@…>", "api-client:abc").
    pub label: String,
}

fn role_code<S: serde::Serializer>(role: &Role, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(role.code())
}

impl Principal {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// The institution this principal acts for, if it is an institution user or client.
    pub fn institution(&self) -> Option<i64> {
        match self.role {
            Role::Institution => self.institution_id,
            _ => None,
        }
    }

    pub fn supplier(&self) -> Option<i64> {
        match self.role {
            Role::Supplier => self.supplier_id,
            _ => None,
        }
    }

    /// The command line and background jobs act as the system, with no user behind them.
    pub fn system(label: &str) -> Principal {
        Principal {
            role: Role::Admin,
            user_id: None,
            api_client_id: None,
            institution_id: None,
            supplier_id: None,
            label: label.to_owned(),
        }
    }
}
