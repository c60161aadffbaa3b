//! Public randomness nobody knows in advance: the drand beacon's "quicknet" chain. Every
//! 3 seconds the League of Entropy's threshold network signs the round number with one
//! BLS12-381 key (scheme `bls-unchained-g1-rfc9380`: the message is SHA-256 of the round
//! as 8 big-endian bytes, the signature a G1 point, the key a G2 point). A round's
//! signature exists only once enough members have signed it, at its time; anyone checks
//! it against the chain's public key (with `drand-verify`, pure Rust, so this also runs
//! in the browser).
//!
//! Tests and machines without the internet use a *test chain*: a locally generated key,
//! named in the published facts and marked "test beacon" wherever a draw is shown; a
//! production server refuses it.
//!
//! Pure: no I/O. Fetching rounds is the server's (`backend::beacon`).

use drand_verify::{G2PubkeyRfc, Pubkey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// A beacon chain: what identifies it and when its rounds come.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chain {
    /// The chain hash drand names it by (SHA-256 of its parameters).
    pub hash: [u8; 32],
    /// The group's public key, a compressed G2 point.
    pub public_key: [u8; 96],
    /// Unix time of round 1.
    pub genesis: i64,
    /// Seconds between rounds.
    pub period: i64,
    /// A locally generated chain (tests), never a public one.
    pub test: bool,
}

/// drand's quicknet, from its `/info` (<https://api.drand.sh/52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971/info>).
pub const QUICKNET: Chain = Chain {
    hash: hex("52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971"),
    public_key: hex(
        "83cf0f2896adee7eb8b5f01fcad3912212c437e0073e911fb90022d3e760183c8c4b450b6a0a6c3ac6a5776a2d1064510d1fec758c921cc22b0e17e63aaf4bcb5ed66304de9cf809bd274ca73bab4af5a6e9c76a4bc09e76eae8991ef5ece45a",
    ),
    genesis: 1_692_803_367,
    period: 3,
    test: false,
};

/// How long after a giveaway's end the round its draw uses is published. The entries
/// freeze and `E` is computed within about a second of the end (the scheduler runs every
/// second), and the server's clock may be a few seconds off drand's; 30 seconds (ten
/// quicknet rounds) leaves room for both, so the round's signature cannot exist while
/// the list can still change — and costs a winner only half a minute.
pub const ROUND_MARGIN_SECS: i64 = 30;

/// A test chain's public key from its hex form (96 bytes, a compressed G2 point).
pub fn parse_key(hex_key: &str) -> Result<[u8; 96], BeaconError> {
    hex::decode(hex_key.trim())
        .ok()
        .and_then(|k| <[u8; 96]>::try_from(k).ok())
        .ok_or(BeaconError::BadKey)
}

/// Why a beacon round was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum BeaconError {
    #[error("the beacon chain is not one this verifier knows")]
    UnknownChain,
    #[error("the beacon's public key is not a valid point")]
    BadKey,
    #[error("the beacon signature is not valid for this round and chain")]
    BadSignature,
}

impl Chain {
    /// A test chain for the public key `key` (hash: SHA-256 of a label and the key, so it
    /// can never be mistaken for a drand chain).
    pub fn test(public_key: [u8; 96]) -> Chain {
        let mut h = Sha256::new();
        h.update(b"tombola/test-beacon/v1");
        h.update(public_key);
        Chain {
            hash: h.finalize().into(),
            public_key,
            genesis: QUICKNET.genesis,
            period: QUICKNET.period,
            test: true,
        }
    }

    /// The first round whose signature is published no earlier than `unix`.
    pub fn round_at(&self, unix: i64) -> u64 {
        if unix <= self.genesis {
            return 1;
        }
        let since = unix - self.genesis;
        // Round r is published at genesis + (r - 1) * period: round up.
        (since.div_euclid(self.period) + i64::from(since % self.period != 0) + 1) as u64
    }

    /// The round a draw ending at `ends_at` (Unix seconds) is bound to: the first one
    /// published [`ROUND_MARGIN_SECS`] after the end.
    pub fn round_for_end(&self, ends_at: i64) -> u64 {
        self.round_at(ends_at + ROUND_MARGIN_SECS)
    }

    /// Whether the public key is a point of the curve (a test chain's key comes from
    /// configuration).
    pub fn check_key(&self) -> Result<(), BeaconError> {
        G2PubkeyRfc::from_fixed(self.public_key)
            .map(|_| ())
            .map_err(|_| BeaconError::BadKey)
    }

    /// When round `round` is published (Unix seconds).
    pub fn time_of(&self, round: u64) -> i64 {
        self.genesis + (round.max(1) as i64 - 1) * self.period
    }

    /// Checks `signature` for `round` against this chain's key.
    pub fn verify(&self, round: u64, signature: &[u8]) -> Result<(), BeaconError> {
        let key = G2PubkeyRfc::from_fixed(self.public_key).map_err(|_| BeaconError::BadKey)?;
        match key.verify(round, b"", signature) {
            Ok(true) => Ok(()),
            _ => Err(BeaconError::BadSignature),
        }
    }
}

/// The chain a draw names: quicknet by its hash, or a test chain by its key.
pub fn chain_for(hash: &[u8; 32], test_key: Option<&[u8; 96]>) -> Result<Chain, BeaconError> {
    if *hash == QUICKNET.hash && test_key.is_none() {
        return Ok(QUICKNET);
    }
    match test_key {
        Some(key) if Chain::test(*key).hash == *hash => Ok(Chain::test(*key)),
        _ => Err(BeaconError::UnknownChain),
    }
}

const fn nibble(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        _ => panic!("not lower-case hex"),
    }
}

/// `N` bytes from `2N` lower-case hex digits, at compile time.
const fn hex<const N: usize>(s: &str) -> [u8; N] {
    let b = s.as_bytes();
    assert!(b.len() == 2 * N, "wrong length");
    let mut out = [0u8; N];
    let mut i = 0;
    while i < N {
        out[i] = nibble(b[2 * i]) << 4 | nibble(b[2 * i + 1]);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Quicknet round 123, the vector `drand-verify` 0.6.2 ships in its own tests
    /// (`src/verify.rs`, from
    /// <https://api3.drand.sh/52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971/public/123>).
    pub const ROUND_123: &str = "b75c69d0b72a5d906e854e808ba7e2accb1542ac355ae486d591aa9d43765482e26cd02df835d3546d23c4b13e0dfc92";

    #[test]
    fn a_real_quicknet_round_verifies_and_one_bit_does_not() {
        let sig = hex::decode(ROUND_123).unwrap();
        assert_eq!(QUICKNET.verify(123, &sig), Ok(()));
        assert_eq!(QUICKNET.verify(124, &sig), Err(BeaconError::BadSignature));
        for bit in [0usize, 7, 100, 383] {
            let mut flipped = sig.clone();
            flipped[bit / 8] ^= 1 << (bit % 8);
            assert!(QUICKNET.verify(123, &flipped).is_err(), "bit {bit}");
        }
        let mut key = QUICKNET.public_key;
        key[95] ^= 1;
        let other = Chain {
            public_key: key,
            ..QUICKNET
        };
        assert!(other.verify(123, &sig).is_err());
    }

    #[test]
    fn rounds_and_times() {
        let q = QUICKNET;
        assert_eq!(q.round_at(q.genesis - 100), 1);
        assert_eq!(q.round_at(q.genesis), 1);
        assert_eq!(q.round_at(q.genesis + 1), 2);
        assert_eq!(q.round_at(q.genesis + 3), 2);
        assert_eq!(q.round_at(q.genesis + 4), 3);
        for r in [1u64, 2, 123, 40_000_000] {
            assert_eq!(q.round_at(q.time_of(r)), r);
            assert!(q.time_of(q.round_at(q.time_of(r) + 1)) > q.time_of(r));
        }
    }

    #[test]
    fn chains_are_named_by_hash() {
        assert_eq!(chain_for(&QUICKNET.hash, None), Ok(QUICKNET));
        let t = Chain::test([7; 96]);
        assert!(t.test);
        assert_ne!(t.hash, QUICKNET.hash);
        assert_eq!(chain_for(&t.hash, Some(&[7; 96])), Ok(t));
        assert_eq!(
            chain_for(&QUICKNET.hash, Some(&[7; 96])),
            Err(BeaconError::UnknownChain),
            "a test key cannot pass for quicknet"
        );
        assert_eq!(chain_for(&[1; 32], None), Err(BeaconError::UnknownChain));
        assert_eq!(QUICKNET.check_key(), Ok(()));
        assert_eq!(Chain::test([7; 96]).check_key(), Err(BeaconError::BadKey));
        assert_eq!(parse_key(&hex::encode([7u8; 96])), Ok([7; 96]));
        assert_eq!(parse_key("abcd"), Err(BeaconError::BadKey));
    }
}
