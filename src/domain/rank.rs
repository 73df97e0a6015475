//! Position of a supplier in a lot's cascade. The framework contract awards
//! each lot to at most five suppliers, ranked; an order goes to the best
//! ranked one that can deliver.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

pub const MAX_CASCADE_SIZE: usize = 5;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RankError {
    #[error("a rank goes from 1 to {MAX_CASCADE_SIZE}, {0} is out of range")]
    OutOfRange(i64),
    #[error("a rank is a whole number from 1 to {MAX_CASCADE_SIZE}")]
    NotANumber,
}

impl RankError {
    pub fn message_key(&self) -> &'static str {
        match self {
            Self::OutOfRange(_) => "rank-out-of-range",
            Self::NotANumber => "rank-not-a-number",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct Rank(u8);

impl Rank {
    pub const FIRST: Rank = Rank(1);
    pub const MAX: Rank = Rank(MAX_CASCADE_SIZE as u8);

    pub fn new(value: u8) -> Result<Rank, RankError> {
        if (1..=Self::MAX.0).contains(&value) {
            Ok(Rank(value))
        } else {
            Err(RankError::OutOfRange(i64::from(value)))
        }
    }

    pub const fn get(self) -> u8 {
        self.0
    }

    /// Zero-based position, for indexing arrays laid out by rank.
    pub const fn index(self) -> usize {
        self.0 as usize - 1
    }

    pub fn all() -> impl DoubleEndedIterator<Item = Rank> + ExactSizeIterator + Clone {
        (1..=Self::MAX.0).map(Rank)
    }

    pub fn next(self) -> Option<Rank> {
        (self < Self::MAX).then(|| Rank(self.0 + 1))
    }

    pub fn previous(self) -> Option<Rank> {
        (self > Self::FIRST).then(|| Rank(self.0 - 1))
    }
}

impl fmt::Display for Rank {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl TryFrom<u8> for Rank {
    type Error = RankError;

    fn try_from(value: u8) -> Result<Self, Self::Error> {
        Rank::new(value)
    }
}

impl TryFrom<i64> for Rank {
    type Error = RankError;

    fn try_from(value: i64) -> Result<Self, Self::Error> {
        u8::try_from(value)
            .map_err(|_| RankError::OutOfRange(value))
            .and_then(Rank::new)
    }
}

impl From<Rank> for u8 {
    fn from(value: Rank) -> Self {
        value.0
    }
}

impl FromStr for Rank {
    type Err = RankError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let value: i64 = s.trim().parse().map_err(|_| RankError::NotANumber)?;
        Rank::try_from(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_one_to_five() {
        for v in 1..=5u8 {
            assert_eq!(Rank::new(v).unwrap().get(), v);
        }
    }

    #[test]
    fn rejects_zero_and_above_five() {
        assert_eq!(Rank::new(0), Err(RankError::OutOfRange(0)));
        assert_eq!(Rank::new(6), Err(RankError::OutOfRange(6)));
        assert_eq!(Rank::new(255), Err(RankError::OutOfRange(255)));
    }

    #[test]
    fn constants() {
        assert_eq!(MAX_CASCADE_SIZE, 5);
        assert_eq!(Rank::MAX.get(), 5);
        assert_eq!(Rank::FIRST.get(), 1);
        assert_eq!(Rank::MAX.get() as usize, MAX_CASCADE_SIZE);
    }

    #[test]
    fn all_iterates_in_order() {
        let all: Vec<u8> = Rank::all().map(Rank::get).collect();
        assert_eq!(all, vec![1, 2, 3, 4, 5]);
        assert_eq!(Rank::all().len(), MAX_CASCADE_SIZE);
        assert_eq!(Rank::all().next_back(), Some(Rank::MAX));
    }

    #[test]
    fn next_and_previous() {
        assert_eq!(Rank::FIRST.next(), Some(Rank::new(2).unwrap()));
        assert_eq!(Rank::new(4).unwrap().next(), Some(Rank::MAX));
        assert_eq!(Rank::MAX.next(), None);
        assert_eq!(Rank::FIRST.previous(), None);
        assert_eq!(Rank::MAX.previous(), Some(Rank::new(4).unwrap()));
        let chain: Vec<u8> = std::iter::successors(Some(Rank::FIRST), |r| r.next())
            .map(Rank::get)
            .collect();
        assert_eq!(chain, vec![1, 2, 3, 4, 5]);
    }

    #[test]
    fn index_is_zero_based() {
        assert_eq!(Rank::FIRST.index(), 0);
        assert_eq!(Rank::MAX.index(), 4);
    }

    #[test]
    fn ordering_puts_best_first() {
        let mut ranks = [Rank::MAX, Rank::FIRST, Rank::new(3).unwrap()];
        ranks.sort();
        assert_eq!(
            ranks.iter().map(|r| r.get()).collect::<Vec<_>>(),
            vec![1, 3, 5]
        );
    }

    #[test]
    fn display_and_parse() {
        assert_eq!(Rank::new(3).unwrap().to_string(), "3");
        assert_eq!(" 2 ".parse::<Rank>(), Ok(Rank::new(2).unwrap()));
        assert_eq!("0".parse::<Rank>(), Err(RankError::OutOfRange(0)));
        assert_eq!("-1".parse::<Rank>(), Err(RankError::OutOfRange(-1)));
        assert_eq!("300".parse::<Rank>(), Err(RankError::OutOfRange(300)));
        assert_eq!("x".parse::<Rank>(), Err(RankError::NotANumber));
        assert_eq!("".parse::<Rank>(), Err(RankError::NotANumber));
        assert_eq!("1.0".parse::<Rank>(), Err(RankError::NotANumber));
    }

    #[test]
    fn conversions() {
        assert_eq!(Rank::try_from(3u8).unwrap().get(), 3);
        assert_eq!(Rank::try_from(4i64).unwrap().get(), 4);
        assert_eq!(Rank::try_from(-4i64), Err(RankError::OutOfRange(-4)));
        assert_eq!(Rank::try_from(1000i64), Err(RankError::OutOfRange(1000)));
        assert_eq!(u8::from(Rank::MAX), 5);
    }

    #[test]
    fn serde_is_a_plain_number_validated_on_read() {
        assert_eq!(serde_json::to_string(&Rank::new(2).unwrap()).unwrap(), "2");
        assert_eq!(serde_json::from_str::<Rank>("5").unwrap(), Rank::MAX);
        assert!(serde_json::from_str::<Rank>("0").is_err());
        assert!(serde_json::from_str::<Rank>("6").is_err());
        assert!(serde_json::from_str::<Rank>("-1").is_err());
        assert!(serde_json::from_str::<Rank>("\"1\"").is_err());
    }

    #[test]
    fn error_message_and_key() {
        let e = RankError::OutOfRange(7);
        assert_eq!(e.message_key(), "rank-out-of-range");
        assert_eq!(e.to_string(), "a rank goes from 1 to 5, 7 is out of range");
        assert_eq!(RankError::NotANumber.message_key(), "rank-not-a-number");
        assert_eq!(
            RankError::NotANumber.to_string(),
            "a rank is a whole number from 1 to 5"
        );
    }
}
