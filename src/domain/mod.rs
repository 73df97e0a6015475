//! The shop's domain vocabulary: validated values and pure rules, free of
//! I/O so that every rule can be tested in isolation.

pub mod cascade;
pub mod email;
pub mod enterprise_number;
pub mod ids;
pub mod language;
pub mod money;
pub mod order_state;
pub mod quantity;
pub mod rank;
pub mod routing;
pub mod sku;
pub mod vat;
pub mod working_days;

pub use cascade::{current_candidate, Cascade, CascadeEntry, CascadeError, OfferView};
pub use email::{Email, EmailError};
pub use enterprise_number::{EnterpriseNumber, EnterpriseNumberError};
pub use ids::{
    AuthorityId, CategoryId, InstitutionId, LotId, OrderId, ProductId, SupplierId, UserId,
};
pub use language::{Language, UnknownLanguage};
pub use money::{Cents, MoneyError, MAX_PRICE};
pub use quantity::{QuantityError, QuantityRule, MAX_QUANTITY};
pub use rank::{Rank, RankError, MAX_CASCADE_SIZE};
pub use sku::{Sku, SkuError};
pub use vat::{
    compute_totals, line_net, PricedLine, Totals, VatBreakdown, VatError, VatPeriod, VatRate,
    VatSchedule,
};

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    /// Message keys are looked up in the translation files; a duplicate or
    /// a badly formed key would show a raw key to a person.
    #[test]
    fn message_keys_are_unique_and_kebab_case() {
        let d = chrono::NaiveDate::MIN;
        let keys = [
            EnterpriseNumberError::Empty.message_key(),
            EnterpriseNumberError::InvalidCharacter('x').message_key(),
            EnterpriseNumberError::WrongLength { digits: 1 }.message_key(),
            EnterpriseNumberError::InvalidFirstDigit.message_key(),
            EnterpriseNumberError::ChecksumMismatch.message_key(),
            EmailError::Empty.message_key(),
            EmailError::TooLong.message_key(),
            EmailError::Invalid.message_key(),
            UnknownLanguage(String::new()).message_key(),
            RankError::OutOfRange(0).message_key(),
            RankError::NotANumber.message_key(),
            MoneyError::Empty.message_key(),
            MoneyError::Invalid.message_key(),
            MoneyError::Negative.message_key(),
            MoneyError::TooManyDecimals.message_key(),
            MoneyError::Ambiguous.message_key(),
            MoneyError::TooLarge.message_key(),
            MoneyError::Overflow.message_key(),
            VatError::RateOutOfRange { basis_points: 0 }.message_key(),
            VatError::EmptySchedule.message_key(),
            VatError::PeriodEndsBeforeStart { from: d, until: d }.message_key(),
            VatError::OverlappingPeriods {
                first: d,
                second: d,
            }
            .message_key(),
            VatError::OpenPeriodNotLast { from: d }.message_key(),
            CascadeError::Full.message_key(),
            CascadeError::DuplicateRank(Rank::FIRST).message_key(),
            CascadeError::DuplicateSupplier(SupplierId(1)).message_key(),
            QuantityError::Zero.message_key(),
            QuantityError::BelowMinimum { minimum: 1 }.message_key(),
            QuantityError::NotAMultiple {
                multiple: 1,
                lower: None,
                higher: 1,
            }
            .message_key(),
            QuantityError::TooLarge { maximum: 1 }.message_key(),
            QuantityError::InvalidRule {
                min: 0,
                multiple: 0,
            }
            .message_key(),
            SkuError::Empty.message_key(),
            SkuError::TooLong { length: 0 }.message_key(),
            SkuError::InvalidCharacter('x').message_key(),
        ];
        let unique: HashSet<_> = keys.iter().collect();
        assert_eq!(unique.len(), keys.len());
        for key in keys {
            assert!(
                key.split('-')
                    .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_lowercase())),
                "{key}"
            );
        }
    }
}
