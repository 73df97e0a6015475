//! Order quantity rules. Suppliers sell some products only from a minimum
//! quantity and in whole packs (a box of 50 masks, a pallet of 40 reams).

use serde::{Deserialize, Serialize};

/// Above this, a quantity is a typing mistake rather than an order.
pub const MAX_QUANTITY: u32 = 1_000_000;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuantityError {
    #[error("the quantity must be at least 1")]
    Zero,
    #[error("the smallest quantity you can order is {minimum}")]
    BelowMinimum { minimum: u32 },
    #[error("this product is sold in multiples of {multiple}; order {} instead", suggestion(*.lower, *.higher))]
    NotAMultiple {
        multiple: u32,
        lower: Option<u32>,
        higher: u32,
    },
    #[error("the quantity cannot exceed {maximum}")]
    TooLarge { maximum: u32 },
    #[error("invalid quantity rule: minimum {min} in multiples of {multiple}")]
    InvalidRule { min: u32, multiple: u32 },
}

fn suggestion(lower: Option<u32>, higher: u32) -> String {
    match lower {
        Some(lower) => format!("{lower} or {higher}"),
        None => higher.to_string(),
    }
}

impl QuantityError {
    pub fn message_key(&self) -> &'static str {
        match self {
            Self::Zero => "quantity-zero",
            Self::BelowMinimum { .. } => "quantity-below-minimum",
            Self::NotAMultiple { .. } => "quantity-not-multiple",
            Self::TooLarge { .. } => "quantity-too-large",
            Self::InvalidRule { .. } => "quantity-rule-invalid",
        }
    }
}

/// A quantity is valid when it is at least `min` and a multiple of
/// `multiple`. The minimum need not itself be a multiple: minimum 3 in packs
/// of 2 allows 4, 6, 8…
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "RawQuantityRule")]
pub struct QuantityRule {
    min: u32,
    multiple: u32,
}

#[derive(Deserialize)]
struct RawQuantityRule {
    min: u32,
    multiple: u32,
}

impl TryFrom<RawQuantityRule> for QuantityRule {
    type Error = QuantityError;

    fn try_from(raw: RawQuantityRule) -> Result<Self, Self::Error> {
        QuantityRule::new(raw.min, raw.multiple)
    }
}

impl Default for QuantityRule {
    fn default() -> Self {
        QuantityRule::ANY
    }
}

impl QuantityRule {
    /// Any quantity from 1.
    pub const ANY: QuantityRule = QuantityRule {
        min: 1,
        multiple: 1,
    };

    /// Refuses rules no quantity can satisfy.
    pub fn new(min: u32, multiple: u32) -> Result<QuantityRule, QuantityError> {
        let invalid = QuantityError::InvalidRule { min, multiple };
        if min == 0 || multiple == 0 {
            return Err(invalid);
        }
        let rule = QuantityRule { min, multiple };
        match rule.round_up_unbounded(min) {
            Some(smallest) if smallest <= MAX_QUANTITY => Ok(rule),
            _ => Err(invalid),
        }
    }

    pub const fn min(&self) -> u32 {
        self.min
    }

    pub const fn multiple(&self) -> u32 {
        self.multiple
    }

    /// The quantity to pre-fill in an order form.
    pub fn smallest_valid(&self) -> u32 {
        // `new` guarantees this fits under MAX_QUANTITY.
        self.round_up_unbounded(self.min).unwrap_or(MAX_QUANTITY)
    }

    pub fn largest_valid(&self) -> u32 {
        MAX_QUANTITY / self.multiple * self.multiple
    }

    pub fn is_valid(&self, quantity: u32) -> bool {
        self.check(quantity).is_ok()
    }

    pub fn check(&self, quantity: u32) -> Result<(), QuantityError> {
        if quantity == 0 {
            return Err(QuantityError::Zero);
        }
        let largest = self.largest_valid();
        if quantity > largest {
            return Err(QuantityError::TooLarge { maximum: largest });
        }
        if quantity < self.min {
            return Err(QuantityError::BelowMinimum {
                minimum: self.smallest_valid(),
            });
        }
        if !quantity.is_multiple_of(self.multiple) {
            let below = quantity / self.multiple * self.multiple;
            return Err(QuantityError::NotAMultiple {
                multiple: self.multiple,
                lower: (below >= self.min).then_some(below),
                // quantity <= largest, a multiple, so the next multiple up
                // is at most largest.
                higher: below + self.multiple,
            });
        }
        Ok(())
    }

    /// The smallest valid quantity at or above `quantity`, to correct a
    /// basket line without asking; `None` above the largest valid one.
    pub fn round_up(&self, quantity: u32) -> Option<u32> {
        self.round_up_unbounded(quantity.max(self.min))
            .filter(|&q| q <= self.largest_valid())
    }

    fn round_up_unbounded(&self, quantity: u32) -> Option<u32> {
        quantity.checked_next_multiple_of(self.multiple)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(min: u32, multiple: u32) -> QuantityRule {
        QuantityRule::new(min, multiple).unwrap()
    }

    #[test]
    fn any_accepts_every_quantity_from_one() {
        let r = QuantityRule::ANY;
        assert_eq!(QuantityRule::default(), r);
        for q in [1, 2, 3, 99, 1000, MAX_QUANTITY] {
            assert_eq!(r.check(q), Ok(()), "{q}");
        }
        assert_eq!(r.smallest_valid(), 1);
        assert_eq!(r.largest_valid(), MAX_QUANTITY);
    }

    #[test]
    fn new_rejects_zero_values() {
        assert_eq!(
            QuantityRule::new(0, 1),
            Err(QuantityError::InvalidRule {
                min: 0,
                multiple: 1
            })
        );
        assert_eq!(
            QuantityRule::new(1, 0),
            Err(QuantityError::InvalidRule {
                min: 1,
                multiple: 0
            })
        );
        assert!(QuantityRule::new(0, 0).is_err());
    }

    #[test]
    fn new_rejects_rules_without_a_valid_quantity() {
        assert!(QuantityRule::new(MAX_QUANTITY + 1, 1).is_err());
        assert!(QuantityRule::new(1, MAX_QUANTITY + 1).is_err());
        assert!(QuantityRule::new(999_999, 6).is_err());
        assert!(QuantityRule::new(999_999, 4).is_ok());
        assert!(QuantityRule::new(u32::MAX, 1).is_err());
        assert!(QuantityRule::new(u32::MAX - 1, 1000).is_err());
        assert!(QuantityRule::new(MAX_QUANTITY, 1).is_ok());
        assert!(QuantityRule::new(1, MAX_QUANTITY).is_ok());
        assert!(QuantityRule::new(999_999, 1000).is_ok());
    }

    #[test]
    fn accessors() {
        let r = rule(10, 5);
        assert_eq!(r.min(), 10);
        assert_eq!(r.multiple(), 5);
    }

    #[test]
    fn min_ten_multiple_five() {
        let r = rule(10, 5);
        assert_eq!(r.smallest_valid(), 10);
        for q in [10, 15, 20, 100, 1_000_000] {
            assert_eq!(r.check(q), Ok(()), "{q}");
        }
        assert_eq!(r.check(0), Err(QuantityError::Zero));
        assert_eq!(r.check(5), Err(QuantityError::BelowMinimum { minimum: 10 }));
        assert_eq!(r.check(9), Err(QuantityError::BelowMinimum { minimum: 10 }));
        assert_eq!(
            r.check(12),
            Err(QuantityError::NotAMultiple {
                multiple: 5,
                lower: Some(10),
                higher: 15
            })
        );
        assert_eq!(
            r.check(19),
            Err(QuantityError::NotAMultiple {
                multiple: 5,
                lower: Some(15),
                higher: 20
            })
        );
    }

    #[test]
    fn min_three_multiple_two() {
        let r = rule(3, 2);
        assert_eq!(r.smallest_valid(), 4);
        assert_eq!(r.check(1), Err(QuantityError::BelowMinimum { minimum: 4 }));
        assert_eq!(r.check(2), Err(QuantityError::BelowMinimum { minimum: 4 }));
        assert_eq!(
            r.check(3),
            Err(QuantityError::NotAMultiple {
                multiple: 2,
                lower: None,
                higher: 4
            })
        );
        assert_eq!(r.check(4), Ok(()));
        assert_eq!(
            r.check(5),
            Err(QuantityError::NotAMultiple {
                multiple: 2,
                lower: Some(4),
                higher: 6
            })
        );
        assert_eq!(r.check(6), Ok(()));
    }

    #[test]
    fn minimum_only() {
        let r = rule(25, 1);
        assert_eq!(
            r.check(24),
            Err(QuantityError::BelowMinimum { minimum: 25 })
        );
        assert_eq!(r.check(25), Ok(()));
        assert_eq!(r.check(26), Ok(()));
    }

    #[test]
    fn multiple_only() {
        let r = rule(1, 12);
        assert_eq!(r.smallest_valid(), 12);
        assert_eq!(
            r.check(1),
            Err(QuantityError::NotAMultiple {
                multiple: 12,
                lower: None,
                higher: 12
            })
        );
        assert_eq!(
            r.check(11),
            Err(QuantityError::NotAMultiple {
                multiple: 12,
                lower: None,
                higher: 12
            })
        );
        assert_eq!(r.check(24), Ok(()));
    }

    #[test]
    fn too_large_uses_the_largest_valid_quantity() {
        assert_eq!(
            QuantityRule::ANY.check(MAX_QUANTITY + 1),
            Err(QuantityError::TooLarge {
                maximum: MAX_QUANTITY
            })
        );
        assert_eq!(
            QuantityRule::ANY.check(u32::MAX),
            Err(QuantityError::TooLarge {
                maximum: MAX_QUANTITY
            })
        );
        let r = rule(1, 7);
        assert_eq!(r.largest_valid(), 999_999);
        assert_eq!(r.check(999_999), Ok(()));
        assert_eq!(
            r.check(1_000_000),
            Err(QuantityError::TooLarge { maximum: 999_999 })
        );
        assert_eq!(
            r.check(999_998),
            Err(QuantityError::NotAMultiple {
                multiple: 7,
                lower: Some(999_992),
                higher: 999_999
            })
        );
    }

    #[test]
    fn round_up() {
        let r = rule(3, 2);
        assert_eq!(r.round_up(0), Some(4));
        assert_eq!(r.round_up(1), Some(4));
        assert_eq!(r.round_up(4), Some(4));
        assert_eq!(r.round_up(5), Some(6));
        assert_eq!(r.round_up(MAX_QUANTITY), Some(MAX_QUANTITY));
        assert_eq!(r.round_up(MAX_QUANTITY + 1), None);
        assert_eq!(r.round_up(u32::MAX), None);
        assert_eq!(rule(1, 7).round_up(999_999), Some(999_999));
        assert_eq!(rule(1, 7).round_up(1_000_000), None);
    }

    #[test]
    fn is_valid() {
        let r = rule(10, 5);
        assert!(r.is_valid(10));
        assert!(!r.is_valid(11));
        assert!(!r.is_valid(0));
    }

    #[test]
    fn serde_validates() {
        let r = rule(10, 5);
        let json = serde_json::to_string(&r).unwrap();
        assert_eq!(json, r#"{"min":10,"multiple":5}"#);
        assert_eq!(serde_json::from_str::<QuantityRule>(&json).unwrap(), r);
        assert!(serde_json::from_str::<QuantityRule>(r#"{"min":0,"multiple":5}"#).is_err());
        assert!(serde_json::from_str::<QuantityRule>(r#"{"min":1,"multiple":0}"#).is_err());
        assert!(serde_json::from_str::<QuantityRule>(r#"{"min":1}"#).is_err());
    }

    #[test]
    fn messages_and_keys() {
        let cases = [
            (
                QuantityError::Zero,
                "quantity-zero",
                "the quantity must be at least 1",
            ),
            (
                QuantityError::BelowMinimum { minimum: 4 },
                "quantity-below-minimum",
                "the smallest quantity you can order is 4",
            ),
            (
                QuantityError::NotAMultiple {
                    multiple: 5,
                    lower: Some(10),
                    higher: 15,
                },
                "quantity-not-multiple",
                "this product is sold in multiples of 5; order 10 or 15 instead",
            ),
            (
                QuantityError::NotAMultiple {
                    multiple: 2,
                    lower: None,
                    higher: 4,
                },
                "quantity-not-multiple",
                "this product is sold in multiples of 2; order 4 instead",
            ),
            (
                QuantityError::TooLarge { maximum: 1_000_000 },
                "quantity-too-large",
                "the quantity cannot exceed 1000000",
            ),
            (
                QuantityError::InvalidRule {
                    min: 0,
                    multiple: 1,
                },
                "quantity-rule-invalid",
                "invalid quantity rule: minimum 0 in multiples of 1",
            ),
        ];
        for (e, key, message) in cases {
            assert_eq!(e.message_key(), key);
            assert_eq!(e.to_string(), message);
        }
    }

    /// Compares `check` against the definition for every small rule.
    #[test]
    fn exhaustive_small_rules() {
        for min in 1..=12 {
            for multiple in 1..=12 {
                let r = rule(min, multiple);
                let valid = |q: u32| q >= min && q.is_multiple_of(multiple);
                let smallest = (1..).find(|&q| valid(q)).unwrap();
                assert_eq!(r.smallest_valid(), smallest);
                for q in 0..=60 {
                    let result = r.check(q);
                    assert_eq!(result.is_ok(), q > 0 && valid(q), "{min} {multiple} {q}");
                    if let Err(QuantityError::NotAMultiple { lower, higher, .. }) = result {
                        assert!(valid(higher) && higher > q);
                        assert!(((q + 1)..higher).all(|x| !valid(x)));
                        match lower {
                            Some(l) => {
                                assert!(valid(l) && l < q);
                                assert!(((l + 1)..q).all(|x| !valid(x)));
                            }
                            None => assert!((1..q).all(|x| !valid(x))),
                        }
                    }
                    if let Err(QuantityError::BelowMinimum { minimum }) = result {
                        assert!(q < min);
                        assert_eq!(minimum, smallest);
                    }
                    assert_eq!(r.round_up(q), (q..).find(|&x| valid(x)));
                }
            }
        }
    }
}
