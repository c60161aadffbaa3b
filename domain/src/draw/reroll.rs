//! Rerolls: a winner replaced after the draw — not reachable, prize not claimed in time,
//! or by the organiser's hand with a reason. The draw itself is never redone: the
//! replacement is always the first reserve not used yet, in the published order, and
//! every reroll is published after the result (the first result stays as it was). A
//! verifier replays them: each replaced entry must be a winner at that moment and each
//! replacement the next reserve.

use serde::{Deserialize, Serialize};

/// Why a winner was replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RerollReason {
    /// Did not press "Claim" before the deadline.
    Unclaimed,
    /// Could not be told: blocked the bot or never started it.
    Unreachable,
    /// The organiser replaced them, with the reason in `note`.
    Manual,
}

/// One published reroll, in the order they happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reroll {
    /// The winner's entry number that lost its prize.
    pub replaced: u32,
    /// The reserve's entry number that took it.
    pub replacement: u32,
    pub reason: RerollReason,
    /// The organiser's words for a manual reroll.
    #[serde(default)]
    pub note: String,
    /// When, RFC 3339.
    pub at: String,
}

/// Why a list of rerolls does not follow the rules.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RerollError {
    #[error("entry {0} is not a winner at that point")]
    NotAWinner(u32),
    #[error("no reserve is left")]
    NoReserveLeft,
    #[error("entry {got} replaced a winner, but the next reserve was {expected}")]
    NotNextReserve { expected: u32, got: u32 },
}

/// The winners after `rerolls`, each in its prize's place; the reserves still unused.
pub fn apply(
    winners: &[u32],
    reserves: &[u32],
    rerolls: &[Reroll],
) -> Result<(Vec<u32>, Vec<u32>), RerollError> {
    let mut now = winners.to_vec();
    let mut left = reserves.iter().copied();
    for r in rerolls {
        let at = now
            .iter()
            .position(|w| *w == r.replaced)
            .ok_or(RerollError::NotAWinner(r.replaced))?;
        let next = left.next().ok_or(RerollError::NoReserveLeft)?;
        if next != r.replacement {
            return Err(RerollError::NotNextReserve {
                expected: next,
                got: r.replacement,
            });
        }
        now[at] = next;
    }
    Ok((now, left.collect()))
}

/// The next reroll of `replaced` (a winner now) by the rules, or why there is none.
pub fn next(
    winners: &[u32],
    reserves: &[u32],
    done: &[Reroll],
    replaced: u32,
    reason: RerollReason,
    note: String,
    at: String,
) -> Result<Reroll, RerollError> {
    let (now, left) = apply(winners, reserves, done)?;
    if !now.contains(&replaced) {
        return Err(RerollError::NotAWinner(replaced));
    }
    let replacement = *left.first().ok_or(RerollError::NoReserveLeft)?;
    Ok(Reroll {
        replaced,
        replacement,
        reason,
        note,
        at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn manual(replaced: u32, replacement: u32) -> Reroll {
        Reroll {
            replaced,
            replacement,
            reason: RerollReason::Manual,
            note: "no answer".into(),
            at: "2026-12-03T00:00:00Z".into(),
        }
    }

    #[test]
    fn reserves_step_in_by_order_and_in_place() {
        let (w, r) = ([7, 3, 9], [4, 1]);
        let a = next(
            &w,
            &r,
            &[],
            3,
            RerollReason::Unclaimed,
            String::new(),
            "t".into(),
        )
        .unwrap();
        assert_eq!((a.replaced, a.replacement), (3, 4));
        // The replacement can itself be replaced, by the next reserve.
        let b = next(
            &w,
            &r,
            std::slice::from_ref(&a),
            4,
            RerollReason::Manual,
            "x".into(),
            "t".into(),
        )
        .unwrap();
        assert_eq!((b.replaced, b.replacement), (4, 1));
        let both = [a, b];
        assert_eq!(apply(&w, &r, &both), Ok((vec![7, 1, 9], vec![])));
        assert_eq!(
            next(
                &w,
                &r,
                &both,
                7,
                RerollReason::Manual,
                String::new(),
                "t".into()
            ),
            Err(RerollError::NoReserveLeft)
        );
        assert_eq!(
            next(
                &w,
                &r,
                &[],
                4,
                RerollReason::Manual,
                String::new(),
                "t".into()
            ),
            Err(RerollError::NotAWinner(4))
        );
    }

    #[test]
    fn a_published_reroll_out_of_order_is_caught() {
        let (w, r) = ([7, 3], [4, 1]);
        assert_eq!(
            apply(&w, &r, &[manual(3, 1)]),
            Err(RerollError::NotNextReserve {
                expected: 4,
                got: 1
            })
        );
        assert_eq!(
            apply(&w, &r, &[manual(5, 4)]),
            Err(RerollError::NotAWinner(5))
        );
        assert_eq!(
            apply(&w, &[], &[manual(3, 4)]),
            Err(RerollError::NoReserveLeft)
        );
    }

    proptest! {
        #[test]
        fn rerolls_keep_winners_distinct_and_use_reserves_in_order(
            picks in proptest::sample::subsequence((1u32..200).collect::<Vec<_>>(), 2..40),
            split in 1usize..20,
            choices in proptest::collection::vec(any::<prop::sample::Index>(), 0..20),
        ) {
            let split = split.min(picks.len() - 1);
            let (w, r) = picks.split_at(split);
            let mut done: Vec<Reroll> = Vec::new();
            for c in choices {
                let (now, _) = apply(w, r, &done).unwrap();
                match next(w, r, &done, *c.get(&now), RerollReason::Manual, String::new(), "t".into()) {
                    Ok(x) => done.push(x),
                    Err(e) => { prop_assert_eq!(e, RerollError::NoReserveLeft); break; }
                }
            }
            let (now, left) = apply(w, r, &done).unwrap();
            prop_assert_eq!(now.len(), w.len());
            let mut all: Vec<u32> = now.clone();
            all.sort_unstable();
            all.dedup();
            prop_assert_eq!(all.len(), w.len());
            let used: Vec<u32> = done.iter().map(|d| d.replacement).collect();
            prop_assert_eq!(&used[..], &r[..used.len()]);
            prop_assert_eq!(&left[..], &r[used.len()..]);
        }
    }
}
