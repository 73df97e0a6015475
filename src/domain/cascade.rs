//! A lot's cascade: the suppliers awarded the lot, in the order in which
//! orders must be offered to them.

use crate::domain::ids::SupplierId;
use crate::domain::rank::{Rank, MAX_CASCADE_SIZE};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CascadeError {
    #[error("a cascade has at most {MAX_CASCADE_SIZE} suppliers")]
    Full,
    #[error("rank {0} is already taken in this cascade")]
    DuplicateRank(Rank),
    #[error("supplier {0} is already in this cascade")]
    DuplicateSupplier(SupplierId),
}

impl CascadeError {
    pub fn message_key(&self) -> &'static str {
        match self {
            Self::Full => "cascade-full",
            Self::DuplicateRank(_) => "cascade-duplicate-rank",
            Self::DuplicateSupplier(_) => "cascade-duplicate-supplier",
        }
    }
}

/// `active` is the supplier's standing within this lot (for instance
/// suspended after a contractual penalty), separate from whether the
/// supplier's account as a whole is active.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CascadeEntry {
    pub rank: Rank,
    pub supplier: SupplierId,
    pub active: bool,
}

/// Sorted by rank, with distinct ranks and suppliers. Ranks need not be
/// contiguous: when a supplier leaves, the others keep the rank they were
/// awarded.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Vec<CascadeEntry>", into = "Vec<CascadeEntry>")]
pub struct Cascade {
    entries: Vec<CascadeEntry>,
}

impl Cascade {
    pub fn new(entries: Vec<CascadeEntry>) -> Result<Cascade, CascadeError> {
        if entries.len() > MAX_CASCADE_SIZE {
            return Err(CascadeError::Full);
        }
        let mut cascade = Cascade {
            entries: Vec::with_capacity(entries.len()),
        };
        for entry in entries {
            cascade.add(entry)?;
        }
        Ok(cascade)
    }

    /// Ranks 1, 2, 3… in the order given, all active.
    pub fn from_ranked_suppliers(suppliers: &[SupplierId]) -> Result<Cascade, CascadeError> {
        if suppliers.len() > MAX_CASCADE_SIZE {
            return Err(CascadeError::Full);
        }
        let entries = Rank::all()
            .zip(suppliers)
            .map(|(rank, &supplier)| CascadeEntry {
                rank,
                supplier,
                active: true,
            })
            .collect();
        Cascade::new(entries)
    }

    pub fn entries(&self) -> &[CascadeEntry] {
        &self.entries
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn is_full(&self) -> bool {
        self.entries.len() >= MAX_CASCADE_SIZE
    }

    pub fn rank_of(&self, supplier: SupplierId) -> Option<Rank> {
        self.entry_of(supplier).map(|e| e.rank)
    }

    pub fn entry_of(&self, supplier: SupplierId) -> Option<&CascadeEntry> {
        self.entries.iter().find(|e| e.supplier == supplier)
    }

    pub fn supplier_at(&self, rank: Rank) -> Option<&CascadeEntry> {
        self.entries.iter().find(|e| e.rank == rank)
    }

    pub fn contains(&self, supplier: SupplierId) -> bool {
        self.entry_of(supplier).is_some()
    }

    pub fn add(&mut self, entry: CascadeEntry) -> Result<(), CascadeError> {
        if self.is_full() {
            return Err(CascadeError::Full);
        }
        if self.supplier_at(entry.rank).is_some() {
            return Err(CascadeError::DuplicateRank(entry.rank));
        }
        if self.contains(entry.supplier) {
            return Err(CascadeError::DuplicateSupplier(entry.supplier));
        }
        let position = self.entries.partition_point(|e| e.rank < entry.rank);
        self.entries.insert(position, entry);
        Ok(())
    }

    /// Removes the supplier and returns its entry; the other suppliers keep
    /// their ranks.
    pub fn remove(&mut self, supplier: SupplierId) -> Option<CascadeEntry> {
        let position = self.entries.iter().position(|e| e.supplier == supplier)?;
        Some(self.entries.remove(position))
    }

    /// Returns false when the supplier is not in the cascade.
    pub fn set_active(&mut self, supplier: SupplierId, active: bool) -> bool {
        match self.entries.iter_mut().find(|e| e.supplier == supplier) {
            Some(entry) => {
                entry.active = active;
                true
            }
            None => false,
        }
    }

    /// Lowest rank not yet taken, where a newly added supplier would go.
    pub fn next_free_rank(&self) -> Option<Rank> {
        Rank::all().find(|&rank| self.supplier_at(rank).is_none())
    }
}

impl TryFrom<Vec<CascadeEntry>> for Cascade {
    type Error = CascadeError;

    fn try_from(value: Vec<CascadeEntry>) -> Result<Self, Self::Error> {
        Cascade::new(value)
    }
}

impl From<Cascade> for Vec<CascadeEntry> {
    fn from(value: Cascade) -> Self {
        value.entries
    }
}

/// What the catalogue knows about one supplier's offer for a product.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfferView {
    pub supplier: SupplierId,
    pub supplier_active: bool,
    pub available: bool,
}

/// The supplier an order placed now would go to: the best ranked one that
/// is active in the lot, has an active account, and offers the product as
/// available. Offers from suppliers outside the cascade are ignored.
pub fn current_candidate(cascade: &Cascade, offers: &[OfferView]) -> Option<(Rank, SupplierId)> {
    cascade
        .entries()
        .iter()
        .filter(|entry| entry.active)
        .find(|entry| {
            offers
                .iter()
                .any(|o| o.supplier == entry.supplier && o.supplier_active && o.available)
        })
        .map(|entry| (entry.rank, entry.supplier))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(n: u8) -> Rank {
        Rank::new(n).unwrap()
    }

    fn s(n: i64) -> SupplierId {
        SupplierId(n)
    }

    fn entry(rank: u8, supplier: i64) -> CascadeEntry {
        CascadeEntry {
            rank: r(rank),
            supplier: s(supplier),
            active: true,
        }
    }

    fn offer(supplier: i64, supplier_active: bool, available: bool) -> OfferView {
        OfferView {
            supplier: s(supplier),
            supplier_active,
            available,
        }
    }

    fn ranks(c: &Cascade) -> Vec<u8> {
        c.entries().iter().map(|e| e.rank.get()).collect()
    }

    #[test]
    fn new_sorts_by_rank() {
        let c = Cascade::new(vec![entry(3, 30), entry(1, 10), entry(2, 20)]).unwrap();
        assert_eq!(ranks(&c), vec![1, 2, 3]);
        assert_eq!(c.len(), 3);
        assert!(!c.is_empty());
    }

    #[test]
    fn new_empty_is_fine() {
        let c = Cascade::new(vec![]).unwrap();
        assert!(c.is_empty());
        assert_eq!(c, Cascade::default());
        assert_eq!(c.next_free_rank(), Some(Rank::FIRST));
    }

    #[test]
    fn new_allows_gaps_in_ranks() {
        let c = Cascade::new(vec![entry(5, 50), entry(2, 20)]).unwrap();
        assert_eq!(ranks(&c), vec![2, 5]);
        assert_eq!(c.next_free_rank(), Some(r(1)));
    }

    #[test]
    fn new_rejects_more_than_five() {
        let six: Vec<_> = (1..=5)
            .map(|i| entry(i, i64::from(i)))
            .chain([entry(1, 99)])
            .collect();
        assert_eq!(Cascade::new(six), Err(CascadeError::Full));
    }

    #[test]
    fn new_rejects_duplicate_rank() {
        assert_eq!(
            Cascade::new(vec![entry(1, 10), entry(1, 20)]),
            Err(CascadeError::DuplicateRank(r(1)))
        );
    }

    #[test]
    fn new_rejects_duplicate_supplier() {
        assert_eq!(
            Cascade::new(vec![entry(1, 10), entry(2, 10)]),
            Err(CascadeError::DuplicateSupplier(s(10)))
        );
    }

    #[test]
    fn from_ranked_suppliers_numbers_in_order() {
        let c = Cascade::from_ranked_suppliers(&[s(7), s(3), s(9)]).unwrap();
        assert_eq!(c.rank_of(s(7)), Some(r(1)));
        assert_eq!(c.rank_of(s(3)), Some(r(2)));
        assert_eq!(c.rank_of(s(9)), Some(r(3)));
        assert!(c.entries().iter().all(|e| e.active));
        assert_eq!(c.next_free_rank(), Some(r(4)));
    }

    #[test]
    fn from_ranked_suppliers_limits() {
        assert!(Cascade::from_ranked_suppliers(&[]).unwrap().is_empty());
        let five: Vec<_> = (1..=5).map(s).collect();
        let c = Cascade::from_ranked_suppliers(&five).unwrap();
        assert!(c.is_full());
        assert_eq!(c.next_free_rank(), None);
        let six: Vec<_> = (1..=6).map(s).collect();
        assert_eq!(
            Cascade::from_ranked_suppliers(&six),
            Err(CascadeError::Full)
        );
        assert_eq!(
            Cascade::from_ranked_suppliers(&[s(1), s(2), s(1)]),
            Err(CascadeError::DuplicateSupplier(s(1)))
        );
    }

    #[test]
    fn lookups() {
        let c = Cascade::new(vec![entry(2, 20), entry(4, 40)]).unwrap();
        assert_eq!(c.rank_of(s(20)), Some(r(2)));
        assert_eq!(c.rank_of(s(99)), None);
        assert_eq!(c.supplier_at(r(4)).map(|e| e.supplier), Some(s(40)));
        assert_eq!(c.supplier_at(r(1)), None);
        assert!(c.contains(s(40)));
        assert!(!c.contains(s(41)));
        assert_eq!(c.entry_of(s(20)), Some(&entry(2, 20)));
    }

    #[test]
    fn add_keeps_order_and_checks() {
        let mut c = Cascade::default();
        c.add(entry(3, 30)).unwrap();
        c.add(entry(1, 10)).unwrap();
        c.add(entry(5, 50)).unwrap();
        c.add(entry(2, 20)).unwrap();
        assert_eq!(ranks(&c), vec![1, 2, 3, 5]);
        assert_eq!(c.add(entry(2, 99)), Err(CascadeError::DuplicateRank(r(2))));
        assert_eq!(
            c.add(entry(4, 30)),
            Err(CascadeError::DuplicateSupplier(s(30)))
        );
        assert_eq!(c.len(), 4);
        c.add(entry(4, 40)).unwrap();
        assert_eq!(ranks(&c), vec![1, 2, 3, 4, 5]);
        assert_eq!(c.add(entry(1, 60)), Err(CascadeError::Full));
        assert_eq!(c.len(), 5);
    }

    #[test]
    fn full_is_reported_before_duplicates() {
        let mut c = Cascade::from_ranked_suppliers(&[s(1), s(2), s(3), s(4), s(5)]).unwrap();
        assert_eq!(c.add(entry(1, 1)), Err(CascadeError::Full));
    }

    #[test]
    fn remove_keeps_other_ranks() {
        let mut c = Cascade::from_ranked_suppliers(&[s(1), s(2), s(3)]).unwrap();
        assert_eq!(c.remove(s(2)), Some(entry(2, 2)));
        assert_eq!(ranks(&c), vec![1, 3]);
        assert_eq!(c.rank_of(s(3)), Some(r(3)));
        assert_eq!(c.next_free_rank(), Some(r(2)));
        assert_eq!(c.remove(s(2)), None);
        assert_eq!(c.remove(s(99)), None);
        c.add(entry(2, 22)).unwrap();
        assert_eq!(ranks(&c), vec![1, 2, 3]);
    }

    #[test]
    fn remove_from_full_makes_room() {
        let mut c = Cascade::from_ranked_suppliers(&[s(1), s(2), s(3), s(4), s(5)]).unwrap();
        c.remove(s(1));
        assert!(!c.is_full());
        assert_eq!(c.next_free_rank(), Some(r(1)));
        c.add(entry(1, 6)).unwrap();
        assert_eq!(c.supplier_at(r(1)).map(|e| e.supplier), Some(s(6)));
    }

    #[test]
    fn set_active_toggles_one_entry() {
        let mut c = Cascade::from_ranked_suppliers(&[s(1), s(2)]).unwrap();
        assert!(c.set_active(s(2), false));
        assert!(!c.entry_of(s(2)).unwrap().active);
        assert!(c.entry_of(s(1)).unwrap().active);
        assert!(!c.set_active(s(3), false));
    }

    #[test]
    fn serde_is_a_validated_list() {
        let c = Cascade::from_ranked_suppliers(&[s(4), s(8)]).unwrap();
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(
            json,
            r#"[{"rank":1,"supplier":4,"active":true},{"rank":2,"supplier":8,"active":true}]"#
        );
        assert_eq!(serde_json::from_str::<Cascade>(&json).unwrap(), c);
        let unsorted =
            r#"[{"rank":2,"supplier":8,"active":true},{"rank":1,"supplier":4,"active":true}]"#;
        assert_eq!(serde_json::from_str::<Cascade>(unsorted).unwrap(), c);
        let dup =
            r#"[{"rank":1,"supplier":4,"active":true},{"rank":1,"supplier":8,"active":true}]"#;
        assert!(serde_json::from_str::<Cascade>(dup).is_err());
        let bad_rank = r#"[{"rank":6,"supplier":4,"active":true}]"#;
        assert!(serde_json::from_str::<Cascade>(bad_rank).is_err());
    }

    #[test]
    fn error_keys_and_messages() {
        assert_eq!(CascadeError::Full.message_key(), "cascade-full");
        assert_eq!(
            CascadeError::DuplicateRank(r(2)).message_key(),
            "cascade-duplicate-rank"
        );
        assert_eq!(
            CascadeError::DuplicateSupplier(s(3)).message_key(),
            "cascade-duplicate-supplier"
        );
        assert_eq!(
            CascadeError::Full.to_string(),
            "a cascade has at most 5 suppliers"
        );
        assert_eq!(
            CascadeError::DuplicateRank(r(2)).to_string(),
            "rank 2 is already taken in this cascade"
        );
        assert_eq!(
            CascadeError::DuplicateSupplier(s(3)).to_string(),
            "supplier 3 is already in this cascade"
        );
    }

    #[test]
    fn candidate_is_first_rank_when_all_is_well() {
        let c = Cascade::from_ranked_suppliers(&[s(1), s(2), s(3)]).unwrap();
        let offers = [
            offer(3, true, true),
            offer(2, true, true),
            offer(1, true, true),
        ];
        assert_eq!(current_candidate(&c, &offers), Some((r(1), s(1))));
    }

    #[test]
    fn candidate_skips_each_kind_of_unavailability() {
        let mut c = Cascade::from_ranked_suppliers(&[s(1), s(2), s(3), s(4), s(5)]).unwrap();
        c.set_active(s(1), false);
        let offers = [
            offer(1, true, true),  // suspended in the lot
            offer(2, false, true), // account inactive
            offer(3, true, false), // product unavailable
            // supplier 4 has no offer
            offer(5, true, true),
        ];
        assert_eq!(current_candidate(&c, &offers), Some((r(5), s(5))));
    }

    #[test]
    fn candidate_none_cases() {
        let c = Cascade::from_ranked_suppliers(&[s(1), s(2)]).unwrap();
        assert_eq!(current_candidate(&c, &[]), None);
        assert_eq!(
            current_candidate(&Cascade::default(), &[offer(1, true, true)]),
            None
        );
        assert_eq!(
            current_candidate(&c, &[offer(1, false, true), offer(2, true, false)]),
            None
        );
    }

    #[test]
    fn candidate_ignores_suppliers_outside_the_cascade() {
        let c = Cascade::from_ranked_suppliers(&[s(1)]).unwrap();
        assert_eq!(current_candidate(&c, &[offer(9, true, true)]), None);
    }

    #[test]
    fn candidate_uses_rank_not_insertion_or_offer_order() {
        let c = Cascade::new(vec![entry(4, 40), entry(2, 20)]).unwrap();
        let offers = [offer(40, true, true), offer(20, true, true)];
        assert_eq!(current_candidate(&c, &offers), Some((r(2), s(20))));
    }

    #[test]
    fn candidate_accepts_any_good_offer_among_several_of_one_supplier() {
        let c = Cascade::from_ranked_suppliers(&[s(1)]).unwrap();
        let offers = [offer(1, true, false), offer(1, true, true)];
        assert_eq!(current_candidate(&c, &offers), Some((r(1), s(1))));
    }

    /// Each cascade slot can be: empty, or an entry that is active or not,
    /// combined with no offer or an offer with each combination of flags.
    #[test]
    fn candidate_exhaustive_over_small_cascades() {
        #[derive(Clone, Copy)]
        enum Slot {
            Empty,
            Taken {
                active: bool,
                offer: Option<(bool, bool)>,
            },
        }
        let mut states = vec![Slot::Empty];
        for active in [false, true] {
            states.push(Slot::Taken {
                active,
                offer: None,
            });
            for sa in [false, true] {
                for av in [false, true] {
                    states.push(Slot::Taken {
                        active,
                        offer: Some((sa, av)),
                    });
                }
            }
        }
        let n = states.len();
        let mut checked = 0;
        for code in 0..n.pow(MAX_CASCADE_SIZE as u32) {
            let slots: Vec<Slot> = (0..MAX_CASCADE_SIZE)
                .map(|i| states[code / n.pow(i as u32) % n])
                .collect();
            let mut entries = Vec::new();
            let mut offers = vec![offer(999, true, true)];
            let mut expected = None;
            for (i, slot) in slots.iter().enumerate() {
                let Slot::Taken { active, offer: o } = *slot else {
                    continue;
                };
                let rank = Rank::all().nth(i).unwrap();
                // Supplier ids deliberately run against rank order.
                let supplier = s(100 - i as i64);
                entries.push(CascadeEntry {
                    rank,
                    supplier,
                    active,
                });
                if let Some((sa, av)) = o {
                    offers.insert(0, offer(supplier.0, sa, av));
                }
                if expected.is_none() && active && o == Some((true, true)) {
                    expected = Some((rank, supplier));
                }
            }
            entries.reverse();
            let cascade = Cascade::new(entries).unwrap();
            assert_eq!(current_candidate(&cascade, &offers), expected);
            checked += 1;
        }
        assert_eq!(checked, 11usize.pow(5));
    }
}

// --- Back office: the authority rewriting a lot's cascade as a whole.

/// One line of a cascade the authority proposes: who, at which rank, and whether the
/// supplier takes this lot's orders.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProposedEntry {
    pub rank: i64,
    pub supplier: SupplierId,
    pub active: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CascadePlanError {
    #[error("a cascade has at most {MAX_CASCADE_SIZE} suppliers")]
    Full,
    #[error("supplier {0} appears twice in the cascade")]
    DuplicateSupplier(SupplierId),
    #[error("ranks must run 1, 2, 3… without gaps or repeats")]
    RanksNotContiguous,
    #[error("supplier {0} is not active and cannot join a cascade")]
    InactiveSupplier(SupplierId),
    #[error("supplier {0} is unknown")]
    UnknownSupplier(SupplierId),
}

impl CascadePlanError {
    pub fn message_key(&self) -> &'static str {
        match self {
            Self::Full => "cascade-full",
            Self::DuplicateSupplier(_) => "cascade-duplicate-supplier",
            Self::RanksNotContiguous => "bo-cascade-ranks-not-contiguous",
            Self::InactiveSupplier(_) => "bo-cascade-supplier-inactive",
            Self::UnknownSupplier(_) => "bo-cascade-supplier-unknown",
        }
    }
}

/// What the authority knows about a supplier when it plans a cascade.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum SupplierStanding {
    Active,
    Suspended,
    Unknown,
}

/// Checks a whole proposed cascade against the current one: at most five suppliers, each
/// once, ranks 1..n without gaps, and only suppliers with an active account may *join*
/// (one already in the cascade keeps its place while suspended, so a suspension does not
/// silently reorder a lot).
pub fn plan_cascade(
    current: &Cascade,
    proposed: &[ProposedEntry],
    standing: impl Fn(SupplierId) -> SupplierStanding,
) -> Result<Cascade, CascadePlanError> {
    if proposed.len() > MAX_CASCADE_SIZE {
        return Err(CascadePlanError::Full);
    }
    let mut sorted = proposed.to_vec();
    sorted.sort_by_key(|e| e.rank);
    for (index, entry) in sorted.iter().enumerate() {
        if entry.rank != index as i64 + 1 {
            return Err(CascadePlanError::RanksNotContiguous);
        }
        if sorted[..index].iter().any(|e| e.supplier == entry.supplier) {
            return Err(CascadePlanError::DuplicateSupplier(entry.supplier));
        }
        match standing(entry.supplier) {
            SupplierStanding::Unknown => {
                return Err(CascadePlanError::UnknownSupplier(entry.supplier))
            }
            SupplierStanding::Suspended if !current.contains(entry.supplier) => {
                return Err(CascadePlanError::InactiveSupplier(entry.supplier))
            }
            _ => {}
        }
    }
    let entries = sorted
        .iter()
        .zip(Rank::all())
        .map(|(e, rank)| CascadeEntry {
            rank,
            supplier: e.supplier,
            active: e.active,
        })
        .collect();
    Cascade::new(entries).map_err(|_| CascadePlanError::RanksNotContiguous)
}

/// The current cascade as a proposal, ranks renumbered 1..n in their present order (a
/// cascade left with gaps by an earlier removal closes them at its next change).
pub fn as_proposal(current: &Cascade) -> Vec<ProposedEntry> {
    current
        .entries()
        .iter()
        .enumerate()
        .map(|(index, e)| ProposedEntry {
            rank: index as i64 + 1,
            supplier: e.supplier,
            active: e.active,
        })
        .collect()
}

/// The cascade with `supplier` appended after the last rank.
pub fn proposal_with_added(current: &Cascade, supplier: SupplierId) -> Vec<ProposedEntry> {
    let mut proposal = as_proposal(current);
    proposal.push(ProposedEntry {
        rank: proposal.len() as i64 + 1,
        supplier,
        active: true,
    });
    proposal
}

/// The cascade with `supplier` swapped with its neighbour above (`up`) or below; `None`
/// when it is not in the cascade or already at that end.
pub fn proposal_with_move(
    current: &Cascade,
    supplier: SupplierId,
    up: bool,
) -> Option<Vec<ProposedEntry>> {
    let mut proposal = as_proposal(current);
    let index = proposal.iter().position(|e| e.supplier == supplier)?;
    let other = if up {
        index.checked_sub(1)?
    } else {
        Some(index + 1).filter(|&i| i < proposal.len())?
    };
    let (a, b) = (proposal[index], proposal[other]);
    proposal[index] = ProposedEntry { rank: a.rank, ..b };
    proposal[other] = ProposedEntry { rank: b.rank, ..a };
    Some(proposal)
}

/// The cascade with `supplier` switched on or off for this lot; `None` when it is not in it.
pub fn proposal_with_active(
    current: &Cascade,
    supplier: SupplierId,
    active: bool,
) -> Option<Vec<ProposedEntry>> {
    let mut proposal = as_proposal(current);
    let entry = proposal.iter_mut().find(|e| e.supplier == supplier)?;
    entry.active = active;
    Some(proposal)
}

#[cfg(test)]
mod plan_tests {
    use super::*;

    fn s(n: i64) -> SupplierId {
        SupplierId(n)
    }

    fn p(rank: i64, supplier: i64, active: bool) -> ProposedEntry {
        ProposedEntry {
            rank,
            supplier: s(supplier),
            active,
        }
    }

    fn all_active(_: SupplierId) -> SupplierStanding {
        SupplierStanding::Active
    }

    fn order(c: &Cascade) -> Vec<(u8, i64, bool)> {
        c.entries()
            .iter()
            .map(|e| (e.rank.get(), e.supplier.0, e.active))
            .collect()
    }

    fn current(suppliers: &[i64]) -> Cascade {
        Cascade::from_ranked_suppliers(&suppliers.iter().map(|&n| s(n)).collect::<Vec<_>>())
            .unwrap()
    }

    #[test]
    fn accepts_contiguous_ranks_in_any_order() {
        let plan = plan_cascade(
            &Cascade::default(),
            &[p(2, 20, false), p(1, 10, true), p(3, 30, true)],
            all_active,
        )
        .unwrap();
        assert_eq!(
            order(&plan),
            vec![(1, 10, true), (2, 20, false), (3, 30, true)]
        );
        assert!(plan_cascade(&current(&[1]), &[], all_active)
            .unwrap()
            .is_empty());
    }

    #[test]
    fn refuses_six_suppliers() {
        let six: Vec<_> = (1..=6).map(|i| p(i, i * 10, true)).collect();
        assert_eq!(
            plan_cascade(&Cascade::default(), &six, all_active),
            Err(CascadePlanError::Full)
        );
        let five: Vec<_> = (1..=5).map(|i| p(i, i * 10, true)).collect();
        assert_eq!(
            plan_cascade(&Cascade::default(), &five, all_active)
                .unwrap()
                .len(),
            5
        );
    }

    #[test]
    fn refuses_gaps_repeats_and_ranks_out_of_range() {
        for bad in [
            vec![p(1, 10, true), p(3, 30, true)],
            vec![p(2, 10, true)],
            vec![p(1, 10, true), p(1, 20, true)],
            vec![p(0, 10, true), p(1, 20, true)],
            vec![p(-1, 10, true)],
        ] {
            assert_eq!(
                plan_cascade(&Cascade::default(), &bad, all_active),
                Err(CascadePlanError::RanksNotContiguous),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn refuses_a_supplier_twice() {
        assert_eq!(
            plan_cascade(
                &Cascade::default(),
                &[p(1, 10, true), p(2, 10, false)],
                all_active
            ),
            Err(CascadePlanError::DuplicateSupplier(s(10)))
        );
    }

    #[test]
    fn only_active_suppliers_join_but_suspended_members_stay() {
        let standing = |id: SupplierId| match id.0 {
            20 => SupplierStanding::Suspended,
            99 => SupplierStanding::Unknown,
            _ => SupplierStanding::Active,
        };
        assert_eq!(
            plan_cascade(&current(&[10]), &[p(1, 10, true), p(2, 20, true)], standing),
            Err(CascadePlanError::InactiveSupplier(s(20)))
        );
        assert!(plan_cascade(
            &current(&[10, 20]),
            &[p(1, 20, true), p(2, 10, true)],
            standing
        )
        .is_ok());
        assert_eq!(
            plan_cascade(&current(&[]), &[p(1, 99, true)], standing),
            Err(CascadePlanError::UnknownSupplier(s(99)))
        );
    }

    #[test]
    fn moves_swap_neighbours_and_stop_at_the_ends() {
        let c = current(&[10, 20, 30]);
        let up = proposal_with_move(&c, s(30), true).unwrap();
        assert_eq!(
            order(&plan_cascade(&c, &up, all_active).unwrap()),
            vec![(1, 10, true), (2, 30, true), (3, 20, true)]
        );
        let down = proposal_with_move(&c, s(10), false).unwrap();
        assert_eq!(
            order(&plan_cascade(&c, &down, all_active).unwrap()),
            vec![(1, 20, true), (2, 10, true), (3, 30, true)]
        );
        assert!(proposal_with_move(&c, s(10), true).is_none());
        assert!(proposal_with_move(&c, s(30), false).is_none());
        assert!(proposal_with_move(&c, s(99), true).is_none());
    }

    #[test]
    fn adding_appends_and_closes_gaps() {
        let gappy = Cascade::new(vec![
            CascadeEntry {
                rank: Rank::new(2).unwrap(),
                supplier: s(20),
                active: true,
            },
            CascadeEntry {
                rank: Rank::new(5).unwrap(),
                supplier: s(50),
                active: false,
            },
        ])
        .unwrap();
        let added = proposal_with_added(&gappy, s(60));
        assert_eq!(
            order(&plan_cascade(&gappy, &added, all_active).unwrap()),
            vec![(1, 20, true), (2, 50, false), (3, 60, true)]
        );
        let full = current(&[1, 2, 3, 4, 5]);
        assert_eq!(
            plan_cascade(&full, &proposal_with_added(&full, s(6)), all_active),
            Err(CascadePlanError::Full)
        );
    }

    #[test]
    fn deactivating_keeps_the_rank() {
        let c = current(&[10, 20]);
        let off = proposal_with_active(&c, s(10), false).unwrap();
        assert_eq!(
            order(&plan_cascade(&c, &off, all_active).unwrap()),
            vec![(1, 10, false), (2, 20, true)]
        );
        assert!(proposal_with_active(&c, s(99), false).is_none());
    }
}
