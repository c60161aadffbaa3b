//! The simulator also plays a drand HTTP relay (`/drand/<chain hash>/info`,
//! `/drand/<chain hash>/public/<round>`), so draws bound to a beacon can be tested
//! without the internet:
//!
//! - drand's quicknet: the rounds whose published values are public facts and known
//!   here — round 123, the vector `drand-verify` 0.6.2 ships in its tests (from
//!   `api3.drand.sh/52db9ba7…/public/123`). Other rounds are 404, as for a relay that
//!   has not seen them.
//! - the *test chain*: a key generated from a fixed seed (so a server can be configured
//!   with its public key before the simulator starts: [`TEST_PUBLIC_KEY`]), signing any
//!   round asked for, with drand's scheme `bls-unchained-g1-rfc9380` (message SHA-256 of
//!   the round as 8 big-endian bytes, hashed to G1 with the RFC 9380 suite, the key on G2).
//!
//! `POST /sim/drand {"down": true}` makes the relay answer 503 to everything (relays
//! down); `{"down": false}` brings it back.

use bls12_381::hash_to_curve::{ExpandMsgXmd, HashToCurve};
use bls12_381::{G1Affine, G1Projective, G2Affine, G2Projective, Scalar};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// drand's quicknet chain hash.
pub const QUICKNET: &str = "52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971";
const QUICKNET_ROUNDS: &[(u64, &str)] = &[(
    123,
    "b75c69d0b72a5d906e854e808ba7e2accb1542ac355ae486d591aa9d43765482e26cd02df835d3546d23c4b13e0dfc92",
)];
const DST: &[u8] = b"BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_";

/// The test chain's public key (hex), the one [`test_key`] gives; a test pins it.
pub const TEST_PUBLIC_KEY: &str = "8a4a72d83d3840957af533b1f9391eef34256cf274551bd83ad20ea20d5233d92d68a4b217a956d58fb003d5d3f68c910b8faf63d12e990ababd26af25109ebcc7a69fa58a278ac5781b505d8a3f927d6ec221b7ab70ce8951015af2494ccdf1";

/// The test chain's secret key, from a fixed seed.
fn test_key() -> Scalar {
    let mut wide = [0u8; 64];
    wide[..32].copy_from_slice(&Sha256::digest(b"tombola test beacon, not drand, seed 1"));
    wide[32..].copy_from_slice(&Sha256::digest(b"tombola test beacon, not drand, seed 2"));
    Scalar::from_bytes_wide(&wide)
}

/// The test chain's public key, compressed (96 bytes).
pub fn test_public_key() -> [u8; 96] {
    G2Affine::from(G2Projective::generator() * test_key()).to_compressed()
}

/// The test chain's hash: as `domain::beacon::Chain::test` computes it.
pub fn test_chain_hash() -> String {
    let mut h = Sha256::new();
    h.update(b"tombola/test-beacon/v1");
    h.update(test_public_key());
    hex::encode(h.finalize())
}

/// The test chain's signature of `round`.
pub fn sign(round: u64) -> [u8; 48] {
    let msg = Sha256::digest(round.to_be_bytes());
    let h = <G1Projective as HashToCurve<ExpandMsgXmd<sha2_09::Sha256>>>::hash_to_curve(msg, DST);
    G1Affine::from(h * test_key()).to_compressed()
}

/// What the relay answers for `/drand/<chain>/public/<round>`: the round's JSON, or
/// `None` (404).
pub fn round(chain: &str, round: u64) -> Option<Value> {
    let signature = if chain == QUICKNET {
        QUICKNET_ROUNDS
            .iter()
            .find(|(r, _)| *r == round)
            .map(|(_, s)| hex::decode(s).expect("hex"))?
    } else if chain == test_chain_hash() && round > 0 {
        sign(round).to_vec()
    } else {
        return None;
    };
    Some(json!({
        "round": round,
        "randomness": hex::encode(Sha256::digest(&signature)),
        "signature": hex::encode(signature),
    }))
}

/// `/drand/<chain>/info`.
pub fn info(chain: &str) -> Option<Value> {
    let (key, hash) = if chain == QUICKNET {
        ("83cf0f2896adee7eb8b5f01fcad3912212c437e0073e911fb90022d3e760183c8c4b450b6a0a6c3ac6a5776a2d1064510d1fec758c921cc22b0e17e63aaf4bcb5ed66304de9cf809bd274ca73bab4af5a6e9c76a4bc09e76eae8991ef5ece45a".to_owned(), QUICKNET.to_owned())
    } else if chain == test_chain_hash() {
        (hex::encode(test_public_key()), test_chain_hash())
    } else {
        return None;
    };
    Some(json!({
        "public_key": key,
        "period": 3,
        "genesis_time": 1_692_803_367,
        "hash": hash,
        "schemeID": "bls-unchained-g1-rfc9380",
        "metadata": {"beaconID": if chain == QUICKNET { "quicknet" } else { "tombola-test" }},
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pinned_public_key_is_the_test_keys() {
        assert_eq!(hex::encode(test_public_key()), TEST_PUBLIC_KEY);
    }

    #[test]
    fn rounds_are_served_for_known_chains_only() {
        assert!(round(QUICKNET, 123).is_some());
        assert!(round(QUICKNET, 124).is_none());
        assert!(round(&test_chain_hash(), 5).is_some());
        assert!(round("00", 5).is_none());
        assert_ne!(sign(5), sign(6));
    }
}
