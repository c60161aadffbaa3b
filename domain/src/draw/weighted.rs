//! Ticket-weighted sampling without replacement (draw protocol v2): each pick is an entry
//! chosen with probability proportional to its tickets among the entries not yet picked.
//!
//! A pick draws one uniform integer `x` in `0..T` (T: the tickets left) from the ChaCha20
//! stream seeded with `R`, by rejection (no modulo bias), and takes the entry whose
//! ticket range holds `x`, entries laid out by number: entry 1 owns `0..t1`, entry 2
//! `t1..t1+t2`, and so on; the picked entry's tickets then leave the layout. A Fenwick
//! tree finds the range in `O(log n)`. Integers only: every verifier gets the same picks.

use super::{Hash32, below};
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;

/// Entry numbers in ticket-weighted order, produced lazily.
pub struct WeightedSampler {
    rng: ChaCha20Rng,
    /// Tickets left per entry, 1-based (index 0 unused).
    tickets: Vec<u64>,
    /// Fenwick tree over `tickets`.
    tree: Vec<u64>,
    left: u64,
}

impl WeightedSampler {
    /// `tickets[i]` is entry `i + 1`'s ticket count.
    pub fn new(r: &Hash32, tickets: &[u32]) -> WeightedSampler {
        let n = tickets.len();
        let mut own = vec![0u64; n + 1];
        let mut tree = vec![0u64; n + 1];
        for (i, &t) in tickets.iter().enumerate() {
            own[i + 1] = u64::from(t);
            tree[i + 1] = u64::from(t);
        }
        // Linear-time Fenwick build: each node passes its sum to its parent.
        for i in 1..=n {
            let parent = i + (i & i.wrapping_neg());
            if parent <= n {
                tree[parent] += tree[i];
            }
        }
        WeightedSampler {
            rng: ChaCha20Rng::from_seed(r.0),
            left: own.iter().sum(),
            tickets: own,
            tree,
        }
    }

    /// The entry whose ticket range holds `x` (`x < self.left`).
    fn holder(&self, mut x: u64) -> usize {
        let n = self.tree.len() - 1;
        let (mut at, mut step) = (0usize, n.checked_next_power_of_two().unwrap_or(0));
        while step > 0 {
            let next = at + step;
            if next <= n && self.tree[next] <= x {
                x -= self.tree[next];
                at = next;
            }
            step /= 2;
        }
        at + 1
    }

    fn remove(&mut self, entry: usize) {
        let t = std::mem::take(&mut self.tickets[entry]);
        self.left -= t;
        let mut i = entry;
        while i < self.tree.len() {
            self.tree[i] -= t;
            i += i & i.wrapping_neg();
        }
    }
}

impl Iterator for WeightedSampler {
    /// An entry number, 1-based.
    type Item = u32;

    fn next(&mut self) -> Option<u32> {
        if self.left == 0 {
            return None;
        }
        let x = below(&mut self.rng, self.left);
        let entry = self.holder(x);
        self.remove(entry);
        Some(entry as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    fn seed(round: u32, at: usize) -> Hash32 {
        let mut s = [0u8; 32];
        s[at..at + 4].copy_from_slice(&round.to_le_bytes());
        Hash32(s)
    }

    #[test]
    fn known_answer() {
        // Pinned: a change here changes every v2 draw, so it must be deliberate. Checked
        // with scripts/draw/recompute.py, an independent implementation in Python.
        let picks: Vec<u32> = WeightedSampler::new(&Hash32([7; 32]), &[1, 5, 1, 3, 1]).collect();
        assert_eq!(picks, [3, 2, 4, 1, 5]);
    }

    #[test]
    fn first_picks_follow_the_tickets() {
        // Tickets 1, 2, 3, 4 (10 in all) over 40,000 fixed seeds: entry i comes first
        // with probability i/10. Chi-square with 3 degrees of freedom: 25 lies beyond its
        // 0.9999 quantile (≈ 21.1), so a fair sampler fails with odds of about 1 in
        // 70,000; the seeds are fixed, so the outcome is repeatable.
        let weights = [1u32, 2, 3, 4];
        let rounds = 40_000u32;
        let mut first = [0u64; 4];
        for round in 0..rounds {
            let pick = WeightedSampler::new(&seed(round, 0), &weights)
                .next()
                .unwrap();
            first[(pick - 1) as usize] += 1;
        }
        let chi2: f64 = first
            .iter()
            .zip(weights)
            .map(|(&o, w)| {
                let e = f64::from(rounds) * f64::from(w) / 10.0;
                (o as f64 - e).powi(2) / e
            })
            .sum();
        assert!(chi2 < 25.0, "chi-square {chi2:.1} for {first:?}");

        // The second pick, given the first: after entry 4 (4 tickets) leaves, entry i
        // follows with probability w_i / 6 (2 degrees of freedom, 0.9999 quantile ≈ 18.4).
        let mut second = [0u64; 3];
        let mut total = 0u64;
        for round in 0..rounds {
            let mut s = WeightedSampler::new(&seed(round, 8), &weights);
            if s.next() == Some(4) {
                second[(s.next().unwrap() - 1) as usize] += 1;
                total += 1;
            }
        }
        let chi2: f64 = second
            .iter()
            .zip(&weights[..3])
            .map(|(&o, &w)| {
                let e = total as f64 * f64::from(w) / 6.0;
                (o as f64 - e).powi(2) / e
            })
            .sum();
        assert!(chi2 < 25.0, "chi-square {chi2:.1} for {second:?}");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        #[test]
        fn a_full_run_is_a_permutation_and_deterministic(
            seed in any::<[u8; 32]>(),
            tickets in proptest::collection::vec(1u32..20, 0..200),
        ) {
            let r = Hash32(seed);
            let a: Vec<u32> = WeightedSampler::new(&r, &tickets).collect();
            let b: Vec<u32> = WeightedSampler::new(&r, &tickets).collect();
            prop_assert_eq!(&a, &b);
            let set: BTreeSet<u32> = a.iter().copied().collect();
            prop_assert_eq!(set.len(), a.len());
            prop_assert_eq!(set, (1..=tickets.len() as u32).collect::<BTreeSet<_>>());
        }

        #[test]
        fn find_matches_a_linear_scan(
            tickets in proptest::collection::vec(1u32..9, 1..60),
            at in any::<u64>(),
        ) {
            let s = WeightedSampler::new(&Hash32([0; 32]), &tickets);
            let total: u64 = tickets.iter().map(|&t| u64::from(t)).sum();
            let x = at % total;
            let mut acc = 0u64;
            let expected = tickets.iter().position(|&t| { acc += u64::from(t); x < acc }).unwrap() + 1;
            prop_assert_eq!(s.holder(x), expected);
        }
    }
}
