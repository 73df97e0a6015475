//! Typed identifiers.
//!
//! Every table key gets its own type so that a supplier id can never be
//! passed where a lot id is expected; the compiler catches what a code
//! review would miss.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! typed_ids {
    ($($(#[$meta:meta])* $name:ident),+ $(,)?) => {
        $(
            $(#[$meta])*
            #[derive(
                Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
            )]
            #[serde(transparent)]
            pub struct $name(pub i64);

            impl $name {
                pub const fn get(self) -> i64 {
                    self.0
                }
            }

            impl fmt::Display for $name {
                fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    write!(f, "{}", self.0)
                }
            }

            impl From<i64> for $name {
                fn from(value: i64) -> Self {
                    Self(value)
                }
            }

            impl From<$name> for i64 {
                fn from(value: $name) -> Self {
                    value.0
                }
            }
        )+
    };
}

typed_ids! {
    /// A company holding a place in one or more lot cascades.
    SupplierId,
    /// A lot of a framework contract.
    LotId,
    /// A catalogue product offered by a supplier within a lot.
    ProductId,
    /// A public institution that places orders.
    InstitutionId,
    /// A person who signs in.
    UserId,
    /// A catalogue category.
    CategoryId,
    /// An order placed by an institution.
    OrderId,
    /// The contracting authority that awarded a framework contract.
    AuthorityId,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{BTreeSet, HashSet};

    #[test]
    fn display_prints_the_bare_number() {
        assert_eq!(SupplierId(42).to_string(), "42");
        assert_eq!(LotId(-7).to_string(), "-7");
        assert_eq!(ProductId(0).to_string(), "0");
        assert_eq!(InstitutionId(i64::MAX).to_string(), i64::MAX.to_string());
        assert_eq!(UserId(1).to_string(), "1");
        assert_eq!(CategoryId(2).to_string(), "2");
        assert_eq!(OrderId(3).to_string(), "3");
        assert_eq!(AuthorityId(4).to_string(), "4");
    }

    #[test]
    fn serializes_as_a_plain_number() {
        assert_eq!(serde_json::to_string(&OrderId(123)).unwrap(), "123");
        assert_eq!(serde_json::to_string(&AuthorityId(-1)).unwrap(), "-1");
    }

    #[test]
    fn deserializes_from_a_plain_number() {
        let id: LotId = serde_json::from_str("99").unwrap();
        assert_eq!(id, LotId(99));
        assert!(serde_json::from_str::<LotId>("\"99\"").is_err());
        assert!(serde_json::from_str::<LotId>("1.5").is_err());
    }

    #[test]
    fn round_trips_through_json_inside_a_struct() {
        #[derive(Serialize, Deserialize, PartialEq, Debug)]
        struct Row {
            supplier: SupplierId,
            lot: LotId,
        }
        let row = Row {
            supplier: SupplierId(5),
            lot: LotId(6),
        };
        let json = serde_json::to_string(&row).unwrap();
        assert_eq!(json, r#"{"supplier":5,"lot":6}"#);
        assert_eq!(serde_json::from_str::<Row>(&json).unwrap(), row);
    }

    #[test]
    fn conversions_to_and_from_i64() {
        assert_eq!(SupplierId::from(8).get(), 8);
        assert_eq!(i64::from(UserId(9)), 9);
        assert_eq!(CategoryId(10).get(), 10);
    }

    #[test]
    fn ordering_follows_the_number() {
        assert!(ProductId(1) < ProductId(2));
        let sorted: Vec<_> = BTreeSet::from([OrderId(3), OrderId(1), OrderId(2)])
            .into_iter()
            .collect();
        assert_eq!(sorted, vec![OrderId(1), OrderId(2), OrderId(3)]);
    }

    #[test]
    fn usable_as_hash_keys() {
        let set: HashSet<_> = [InstitutionId(1), InstitutionId(1), InstitutionId(2)].into();
        assert_eq!(set.len(), 2);
    }
}
