//! The provably fair draw (ARCHITECTURE.md, "Provably fair draw"), as pure functions so
//! the server, the verify page (this code compiled to wasm) and the `verify` CLI run
//! exactly the same steps.
//!
//! 1. At publication a secret 32-byte seed `S` is drawn and the commitment
//!    `C = SHA-256("tombola/draw/v1" ‖ S)` is published.
//! 2. Each entry has a number (join order, from 1) and a pseudonym.
//! 3. At the draw the entry list is frozen and published as canonical text (one line
//!    `<number> <pseudonym>\n` per entry, by number); `E = SHA-256(that text)`;
//!    `R = SHA-256(S ‖ E)`; a ChaCha20 stream seeded with `R` shuffles the entries by a
//!    partial Fisher–Yates (only as far as needed). Picks are taken in that order; a pick
//!    whose entrant no longer meets the join conditions is skipped (and published as
//!    skipped); the first eligible picks win, in prize order, then the reserves.
//! 4. `S` is revealed. Anyone can check `C` against `S`, `E` against the list, and
//!    recompute the picks.
//!
//! Protocol v2 (giveaways created from 2026-12-03 on; [`Protocol`]) differs in three
//! places: the commitment's prefix is `tombola/draw/v2`; each list line carries the
//! entry's ticket count, `<number> <pseudonym> <tickets>`; and the picks are ticket-
//! weighted without replacement ([`WeightedSampler`]) instead of a uniform shuffle. A v1
//! giveaway keeps verifying by v1's rules: the version is in its published facts, and its
//! commitment (made before anyone joined) names it.
//!
//! Protocol v3 binds the draw to a public randomness beacon ([`crate::beacon`]), so that
//! not even whoever holds `S` can try entry lists before the draw: at publication the
//! giveaway names a future round of a beacon chain, and the commitment covers it,
//! `C = SHA-256("tombola/draw/v3" ‖ S ‖ chain hash ‖ round as 8 big-endian bytes)`; at the
//! end the list freezes and `E` is published; the draw waits for that round; then
//! `R = SHA-256(S ‖ E ‖ the round's signature)`. Lists and picks are v2's. The round and
//! its signature are published with the result, and the verifier checks the signature
//! against the chain's public key before recomputing.

pub mod reroll;
mod weighted;
pub use reroll::{Reroll, RerollReason};
pub use weighted::WeightedSampler;

use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::{RngCore, SeedableRng};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;

/// The rules a draw follows, fixed when its giveaway is created (the commitment names
/// them). Published as the number `1` or `2`; facts without it are v1's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(into = "u8", try_from = "u8")]
pub enum Protocol {
    /// One chance per entry: a uniform shuffle; lines `<number> <pseudonym>`.
    #[default]
    V1,
    /// Ticket-weighted picks; lines `<number> <pseudonym> <tickets>`.
    V2,
    /// v2 bound to a beacon round: the round's signature is part of `R`.
    V3,
}

impl Protocol {
    /// What new giveaways use.
    pub const CURRENT: Protocol = Protocol::V2;

    pub fn number(self) -> u8 {
        match self {
            Protocol::V1 => 1,
            Protocol::V2 => 2,
            Protocol::V3 => 3,
        }
    }

    /// Domain separation for the commitment.
    pub fn commitment_prefix(self) -> &'static [u8] {
        match self {
            Protocol::V1 => b"tombola/draw/v1",
            Protocol::V2 => b"tombola/draw/v2",
            Protocol::V3 => b"tombola/draw/v3",
        }
    }
}

impl From<Protocol> for u8 {
    fn from(p: Protocol) -> u8 {
        p.number()
    }
}

impl TryFrom<u8> for Protocol {
    type Error = DrawError;
    fn try_from(n: u8) -> Result<Protocol, DrawError> {
        match n {
            1 => Ok(Protocol::V1),
            2 => Ok(Protocol::V2),
            3 => Ok(Protocol::V3),
            other => Err(DrawError::UnknownProtocol { version: other }),
        }
    }
}

/// The most tickets one entry may hold (v2).
pub const MAX_TICKETS: u32 = 1_000_000;

/// The longest pseudonym an entry may carry.
pub const MAX_PSEUDONYM: usize = 32;

/// A 32-byte value shown as 64 lower-case hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct Hash32(pub [u8; 32]);

impl Hash32 {
    pub fn to_hex(&self) -> String {
        self.0.iter().fold(String::with_capacity(64), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
    }

    pub fn from_hex(s: &str) -> Result<Hash32, DrawError> {
        let s = s.trim();
        if s.len() != 64 || !s.is_ascii() {
            return Err(DrawError::BadHex);
        }
        let mut out = [0u8; 32];
        for (i, chunk) in s.as_bytes().chunks(2).enumerate() {
            let hex = std::str::from_utf8(chunk).map_err(|_| DrawError::BadHex)?;
            out[i] = u8::from_str_radix(hex, 16).map_err(|_| DrawError::BadHex)?;
        }
        Ok(Hash32(out))
    }
}

impl std::fmt::Debug for Hash32 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.to_hex())
    }
}

impl From<Hash32> for String {
    fn from(h: Hash32) -> String {
        h.to_hex()
    }
}

impl TryFrom<String> for Hash32 {
    type Error = DrawError;
    fn try_from(s: String) -> Result<Hash32, DrawError> {
        Hash32::from_hex(&s)
    }
}

/// Why a draw or its verification could not go on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum DrawError {
    #[error("not 64 hexadecimal digits")]
    BadHex,
    #[error("line {line}: not \"<number> <pseudonym>\"")]
    BadLine { line: usize },
    #[error("line {line}: entry numbers must be 1, 2, 3, … in order")]
    BadNumber { line: usize },
    #[error(
        "pseudonym of entry {number} is empty, too long or has characters other than letters, digits, '-' and '_'"
    )]
    BadPseudonym { number: u32 },
    #[error("skipped entry {number} is not in the list")]
    UnknownSkipped { number: u32 },
    #[error("line {line}: the ticket count must be a whole number from 1 to 1000000")]
    BadTickets { line: usize },
    #[error("draw protocol {version} is not known to this verifier")]
    UnknownProtocol { version: u8 },
    #[error("a protocol 3 draw must name its beacon round")]
    MissingBeacon,
}

/// One entry as published: its number, pseudonym and (v2) tickets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub number: u32,
    pub pseudonym: String,
    /// Its chances: 1, plus what referrals and boosts added (always 1 under v1).
    pub tickets: u32,
}

fn pseudonym_ok(p: &str) -> bool {
    !p.is_empty()
        && p.len() <= MAX_PSEUDONYM
        && p.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The commitment published before anyone joins: SHA-256(prefix of the protocol ‖ S).
pub fn commitment(protocol: Protocol, seed: &Hash32) -> Hash32 {
    let mut h = Sha256::new();
    h.update(protocol.commitment_prefix());
    h.update(seed.0);
    Hash32(h.finalize().into())
}

/// The canonical text of an entry list: `<number> <pseudonym>\n` per entry (v1), or
/// `<number> <pseudonym> <tickets>\n` (v2).
pub fn canonical_list(entries: &[Entry], protocol: Protocol) -> String {
    let mut s = String::with_capacity(entries.len() * 18);
    for e in entries {
        let _ = match protocol {
            Protocol::V1 => writeln!(s, "{} {}", e.number, e.pseudonym),
            Protocol::V2 | Protocol::V3 => {
                writeln!(s, "{} {} {}", e.number, e.pseudonym, e.tickets)
            }
        };
    }
    s
}

/// Reads a published list back, checking it is canonical: numbers 1..=n in order,
/// valid pseudonyms, (v2) ticket counts in `1..=MAX_TICKETS` without leading zeros,
/// `\n` line ends (a final empty line is allowed).
pub fn parse_list(text: &str, protocol: Protocol) -> Result<Vec<Entry>, DrawError> {
    let mut out = Vec::new();
    for (i, line) in text.split_terminator('\n').enumerate() {
        let line_no = i + 1;
        let (line, tickets) = match protocol {
            Protocol::V1 => (line, 1),
            Protocol::V2 | Protocol::V3 => {
                let (rest, t) = line
                    .rsplit_once(' ')
                    .ok_or(DrawError::BadLine { line: line_no })?;
                let tickets = t
                    .parse::<u32>()
                    .ok()
                    .filter(|n| (1..=MAX_TICKETS).contains(n) && n.to_string() == t)
                    .ok_or(DrawError::BadTickets { line: line_no })?;
                (rest, tickets)
            }
        };
        let (n, p) = line
            .split_once(' ')
            .ok_or(DrawError::BadLine { line: line_no })?;
        let number: u32 = n
            .parse()
            .map_err(|_| DrawError::BadLine { line: line_no })?;
        if number as usize != line_no || n.starts_with('0') {
            return Err(DrawError::BadNumber { line: line_no });
        }
        if !pseudonym_ok(p) {
            return Err(DrawError::BadPseudonym { number });
        }
        out.push(Entry {
            number,
            pseudonym: p.to_owned(),
            tickets,
        });
    }
    Ok(out)
}

/// `E`: the hash of the frozen entry list's canonical text.
pub fn entries_hash(canonical: &str) -> Hash32 {
    Hash32(Sha256::digest(canonical.as_bytes()).into())
}

/// The v3 commitment: SHA-256("tombola/draw/v3" ‖ S ‖ chain hash ‖ round, 8 bytes
/// big-endian). It names the beacon round the draw will use before anyone joins.
pub fn commitment_bound(seed: &Hash32, chain: &Hash32, round: u64) -> Hash32 {
    let mut h = Sha256::new();
    h.update(Protocol::V3.commitment_prefix());
    h.update(seed.0);
    h.update(chain.0);
    h.update(round.to_be_bytes());
    Hash32(h.finalize().into())
}

/// v3's `R = SHA-256(S ‖ E ‖ beacon signature)`.
pub fn draw_seed_with_beacon(seed: &Hash32, entries_hash: &Hash32, signature: &[u8]) -> Hash32 {
    let mut h = Sha256::new();
    h.update(seed.0);
    h.update(entries_hash.0);
    h.update(signature);
    Hash32(h.finalize().into())
}

/// The beacon round a v3 draw used, as published with its result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BeaconRound {
    /// The chain's hash (quicknet's, or a test chain's).
    pub chain: Hash32,
    pub round: u64,
    /// The round's BLS signature, hex.
    pub signature: String,
    /// A test chain's public key, hex (absent for drand's chains).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_key: Option<String>,
}

impl BeaconRound {
    /// The chain it names (checked: quicknet, or a test chain whose key it carries).
    pub fn chain(&self) -> Result<crate::beacon::Chain, crate::beacon::BeaconError> {
        let key = self
            .test_key
            .as_deref()
            .map(crate::beacon::parse_key)
            .transpose()?;
        crate::beacon::chain_for(&self.chain.0, key.as_ref())
    }

    /// Whether it names a test chain (a locally generated key, not drand's).
    pub fn is_test(&self) -> bool {
        self.chain().is_ok_and(|c| c.test)
    }

    /// The signature's bytes (empty when it is not hex).
    pub fn signature_bytes(&self) -> Vec<u8> {
        hex::decode(&self.signature).unwrap_or_default()
    }

    /// Whether the signature is the chain's for this round.
    pub fn check(&self) -> Result<(), crate::beacon::BeaconError> {
        self.chain()?.verify(self.round, &self.signature_bytes())
    }
}

/// `R = SHA-256(S ‖ E)`: the seed of the sampler.
pub fn draw_seed(seed: &Hash32, entries_hash: &Hash32) -> Hash32 {
    let mut h = Sha256::new();
    h.update(seed.0);
    h.update(entries_hash.0);
    Hash32(h.finalize().into())
}

/// Entry numbers in a uniformly random order, produced lazily: a partial Fisher–Yates
/// over `1..=n` driven by a ChaCha20 stream, keeping only the swapped positions (memory
/// grows with the picks taken, not with `n`).
pub struct Sampler {
    rng: ChaCha20Rng,
    n: u64,
    next: u64,
    swapped: HashMap<u64, u64>,
}

impl Sampler {
    pub fn new(r: &Hash32, n: u32) -> Sampler {
        Sampler {
            rng: ChaCha20Rng::from_seed(r.0),
            n: u64::from(n),
            next: 0,
            swapped: HashMap::new(),
        }
    }
}

/// A uniform integer in `0..bound` (`bound > 0`) from the stream, by rejection: no
/// modulo bias.
fn below(rng: &mut ChaCha20Rng, bound: u64) -> u64 {
    let zone = u64::MAX - (u64::MAX % bound + 1) % bound;
    loop {
        let x = rng.next_u64();
        if x <= zone {
            return x % bound;
        }
    }
}

impl Iterator for Sampler {
    /// An entry number, 1-based.
    type Item = u32;

    fn next(&mut self) -> Option<u32> {
        if self.next >= self.n {
            return None;
        }
        let i = self.next;
        let j = i + below(&mut self.rng, self.n - i);
        let at = |m: &HashMap<u64, u64>, k: u64| *m.get(&k).unwrap_or(&k);
        let (vi, vj) = (at(&self.swapped, i), at(&self.swapped, j));
        self.swapped.insert(j, vi);
        self.swapped.remove(&i);
        self.next += 1;
        Some(vj as u32 + 1)
    }
}

/// The outcome of a draw: winners in prize order, then reserves, and the picks that were
/// skipped because their entrant no longer met the conditions, each in pick order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Outcome {
    pub winners: Vec<u32>,
    pub reserves: Vec<u32>,
    pub skipped: Vec<u32>,
}

/// A draw in progress, for callers whose eligibility check is asynchronous (the server
/// asks Telegram): take a pick, check it, record the answer, until no pick is needed.
pub struct Drawing {
    sampler: Picks,
    winners: u32,
    reserves: u32,
    out: Outcome,
}

/// Where a drawing's picks come from.
enum Picks {
    Uniform(Sampler),
    Weighted(WeightedSampler),
}

impl Drawing {
    /// A v1 draw over entries `1..=n`.
    pub fn new(r: &Hash32, n: u32, winners: u32, reserves: u32) -> Drawing {
        Drawing {
            sampler: Picks::Uniform(Sampler::new(r, n)),
            winners,
            reserves,
            out: Outcome::default(),
        }
    }

    /// A v2 draw: `tickets[i]` is entry `i + 1`'s ticket count.
    pub fn weighted(r: &Hash32, tickets: &[u32], winners: u32, reserves: u32) -> Drawing {
        Drawing {
            sampler: Picks::Weighted(WeightedSampler::new(r, tickets)),
            winners,
            reserves,
            out: Outcome::default(),
        }
    }

    /// The draw of `protocol` over `entries` (tickets read only under v2).
    pub fn for_entries(
        protocol: Protocol,
        r: &Hash32,
        entries: &[Entry],
        winners: u32,
        reserves: u32,
    ) -> Drawing {
        match protocol {
            Protocol::V1 => Drawing::new(r, entries.len() as u32, winners, reserves),
            Protocol::V2 | Protocol::V3 => {
                let tickets: Vec<u32> = entries.iter().map(|e| e.tickets).collect();
                Drawing::weighted(r, &tickets, winners, reserves)
            }
        }
    }

    /// The next entry number to check, or `None` when the draw is complete.
    pub fn next_pick(&mut self) -> Option<u32> {
        if self.out.winners.len() as u32 == self.winners
            && self.out.reserves.len() as u32 == self.reserves
        {
            return None;
        }
        match &mut self.sampler {
            Picks::Uniform(s) => s.next(),
            Picks::Weighted(s) => s.next(),
        }
    }

    /// Records whether the pick's entrant still meets the conditions.
    pub fn record(&mut self, pick: u32, eligible: bool) {
        if !eligible {
            self.out.skipped.push(pick);
        } else if (self.out.winners.len() as u32) < self.winners {
            self.out.winners.push(pick);
        } else {
            self.out.reserves.push(pick);
        }
    }

    pub fn finish(self) -> Outcome {
        self.out
    }
}

/// Draws `winners` then `reserves` entry numbers from `n` entries, asking `eligible`
/// about each pick in order. Stops when enough are found or the entries run out.
pub fn draw(
    r: &Hash32,
    n: u32,
    winners: u32,
    reserves: u32,
    eligible: impl FnMut(u32) -> bool,
) -> Outcome {
    Drawing::new(r, n, winners, reserves).run(eligible)
}

impl Drawing {
    /// Runs the drawing to its end, asking `eligible` about each pick in order.
    pub fn run(mut self, mut eligible: impl FnMut(u32) -> bool) -> Outcome {
        while let Some(pick) = self.next_pick() {
            let ok = eligible(pick);
            self.record(pick, ok);
        }
        self.finish()
    }
}

/// Everything published about a drawn giveaway, enough to check it offline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Published {
    /// The rules it was drawn by (absent in v1's facts).
    #[serde(default)]
    pub protocol: Protocol,
    /// The revealed seed `S`.
    pub seed: Hash32,
    /// The commitment `C` shown since publication.
    pub commitment: Hash32,
    /// `E`, published at close.
    pub entries_hash: Hash32,
    pub winners_wanted: u32,
    pub reserves_wanted: u32,
    /// Picks skipped for failing the conditions at draw time.
    pub skipped: Vec<u32>,
    /// The announced result.
    pub winners: Vec<u32>,
    pub reserves: Vec<u32>,
    /// Winners replaced since, in order (absent: none).
    #[serde(default)]
    pub rerolls: Vec<Reroll>,
    /// v3: the beacon round whose signature went into `R`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub beacon: Option<BeaconRound>,
}

impl Published {
    /// The commitment these facts should have been published with.
    pub fn expected_commitment(&self) -> Result<Hash32, DrawError> {
        match self.protocol {
            Protocol::V3 => {
                let b = self.beacon.as_ref().ok_or(DrawError::MissingBeacon)?;
                Ok(commitment_bound(&self.seed, &b.chain, b.round))
            }
            p => Ok(commitment(p, &self.seed)),
        }
    }

    /// The sampler's seed `R` under these facts' protocol.
    pub fn draw_seed(&self) -> Result<Hash32, DrawError> {
        match self.protocol {
            Protocol::V3 => {
                let b = self.beacon.as_ref().ok_or(DrawError::MissingBeacon)?;
                Ok(draw_seed_with_beacon(
                    &self.seed,
                    &self.entries_hash,
                    &b.signature_bytes(),
                ))
            }
            _ => Ok(draw_seed(&self.seed, &self.entries_hash)),
        }
    }
}

/// One check of a verification, for the page and the CLI to show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    pub what: CheckKind,
    pub ok: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CheckKind {
    /// SHA-256("tombola/draw/v<protocol>" ‖ S) equals the commitment.
    Commitment,
    /// SHA-256(entry list) equals E.
    EntriesHash,
    /// Recomputing the picks gives the announced winners and reserves.
    Winners,
    /// Each reroll replaced a winner of that moment by the next reserve (only shown
    /// when there are rerolls).
    Rerolls,
    /// v3: the beacon round's signature is the chain's (checked against its public key).
    Beacon,
}

/// Recomputes a draw from the published list text and facts. Each check is reported;
/// the draw is verified when all pass.
pub fn verify(list_text: &str, p: &Published) -> Result<Vec<Check>, DrawError> {
    let entries = parse_list(list_text, p.protocol)?;
    let n = entries.len() as u32;
    let skipped: BTreeSet<u32> = p.skipped.iter().copied().collect();
    if let Some(&bad) = skipped.iter().find(|&&s| s == 0 || s > n) {
        return Err(DrawError::UnknownSkipped { number: bad });
    }
    let canonical = canonical_list(&entries, p.protocol);
    let e = entries_hash(&canonical);
    let r = p.draw_seed()?;
    let again = Drawing::for_entries(
        p.protocol,
        &r,
        &entries,
        p.winners_wanted,
        p.reserves_wanted,
    )
    .run(|pick| !skipped.contains(&pick));
    let mut checks = vec![
        Check {
            what: CheckKind::Commitment,
            ok: p.expected_commitment()? == p.commitment,
        },
        Check {
            what: CheckKind::EntriesHash,
            ok: e == p.entries_hash && canonical == list_text,
        },
        Check {
            what: CheckKind::Winners,
            ok: again.winners == p.winners
                && again.reserves == p.reserves
                && again.skipped == p.skipped,
        },
    ];
    if let Some(b) = p.beacon.as_ref().filter(|_| p.protocol == Protocol::V3) {
        // First: a draw whose randomness is not the beacon's is not verified, whatever
        // else matches.
        checks.insert(
            0,
            Check {
                what: CheckKind::Beacon,
                ok: b.check().is_ok(),
            },
        );
    }
    if !p.rerolls.is_empty() {
        checks.push(Check {
            what: CheckKind::Rerolls,
            ok: reroll::apply(&p.winners, &p.reserves, &p.rerolls).is_ok(),
        });
    }
    Ok(checks)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn h(byte: u8) -> Hash32 {
        Hash32([byte; 32])
    }

    fn entries(n: u32) -> Vec<Entry> {
        (1..=n)
            .map(|number| Entry {
                number,
                pseudonym: format!("p{number:x}"),
                tickets: 1,
            })
            .collect()
    }

    #[test]
    fn known_answer() {
        // Pinned values: any change to the protocol shows up here (and breaks every
        // published verification), so it must be deliberate.
        // The hashes were checked with Python's hashlib.
        let s = h(7);
        assert_eq!(
            commitment(Protocol::V1, &s).to_hex(),
            "1304ed7326ce6b9027794a4da4ad33e1625a9c73a051b7e041b1d8cee0613bd2"
        );
        let list = canonical_list(&entries(3), Protocol::V1);
        assert_eq!(list, "1 p1\n2 p2\n3 p3\n");
        let e = entries_hash(&list);
        assert_eq!(
            e.to_hex(),
            "0d686625c35bfe84ead4d2b3396ffb5a07480b8910273a6c41e3211b4e4f287b"
        );
        let r = draw_seed(&s, &e);
        assert_eq!(
            r.to_hex(),
            "37349e84a39ad4bf97fd296793b3e6208de7716c49d7a6f01c4b540c03290bcc"
        );
        assert_eq!(
            Sampler::new(&r, 10).collect::<Vec<_>>(),
            [2, 6, 9, 8, 10, 4, 3, 5, 1, 7]
        );
    }

    #[test]
    fn hex_round_trips_and_refuses_junk() {
        let x = Hash32([0xab; 32]);
        assert_eq!(Hash32::from_hex(&x.to_hex()), Ok(x));
        assert_eq!(Hash32::from_hex(&x.to_hex().to_uppercase()), Ok(x));
        assert_eq!(Hash32::from_hex("ab"), Err(DrawError::BadHex));
        assert_eq!(Hash32::from_hex(&"zz".repeat(32)), Err(DrawError::BadHex));
        assert_eq!(Hash32::from_hex(&"é".repeat(32)), Err(DrawError::BadHex));
    }

    #[test]
    fn lists_must_be_canonical() {
        assert_eq!(parse_list("", Protocol::V1), Ok(vec![]));
        assert_eq!(parse_list("1 a\n2 b\n", Protocol::V1).unwrap().len(), 2);
        assert_eq!(
            parse_list("1 a\n3 b\n", Protocol::V1),
            Err(DrawError::BadNumber { line: 2 })
        );
        assert_eq!(
            parse_list("01 a\n", Protocol::V1),
            Err(DrawError::BadNumber { line: 1 })
        );
        assert_eq!(
            parse_list("1 a b\n", Protocol::V1),
            Err(DrawError::BadPseudonym { number: 1 })
        );
        assert_eq!(
            parse_list("1\n", Protocol::V1),
            Err(DrawError::BadLine { line: 1 })
        );
        assert_eq!(
            parse_list("x a\n", Protocol::V1),
            Err(DrawError::BadLine { line: 1 })
        );
        assert!(parse_list(&format!("1 {}\n", "a".repeat(33)), Protocol::V1).is_err());
    }

    #[test]
    fn a_fair_draw_verifies_and_any_change_is_caught() {
        let s = h(1);
        let list = canonical_list(&entries(60), Protocol::V1);
        let e = entries_hash(&list);
        let ineligible: Vec<u32> = (1..=60).filter(|p| p % 4 == 0).collect();
        let out = draw(&draw_seed(&s, &e), 60, 5, 2, |p| !ineligible.contains(&p));
        let published = Published {
            protocol: Protocol::V1,
            seed: s,
            commitment: commitment(Protocol::V1, &s),
            entries_hash: e,
            winners_wanted: 5,
            reserves_wanted: 2,
            skipped: out.skipped.clone(),
            winners: out.winners.clone(),
            reserves: out.reserves.clone(),
            rerolls: vec![],
            beacon: None,
        };
        let all_ok = |checks: Vec<Check>| checks.iter().all(|c| c.ok);
        assert!(all_ok(verify(&list, &published).unwrap()));

        // One pseudonym changed in the downloaded list.
        let tampered = list.replacen("2 p2\n", "2 p99\n", 1);
        let checks = verify(&tampered, &published).unwrap();
        assert!(!checks[1].ok && !all_ok(checks));
        // Another seed than the committed one.
        let other = Published {
            seed: h(2),
            ..published.clone()
        };
        assert!(!verify(&list, &other).unwrap()[0].ok);
        // Announced winners that the seed does not give.
        let mut wrong = published.clone();
        wrong.winners.swap(0, 1);
        assert!(!verify(&list, &wrong).unwrap()[2].ok);
        // A skipped pick hidden from the published facts.
        assert!(!published.skipped.is_empty(), "this seed skips someone");
        let mut hidden = published.clone();
        hidden.skipped.clear();
        assert!(!verify(&list, &hidden).unwrap()[2].ok);
    }

    #[test]
    fn the_draw_uses_every_entry_at_most_once_even_when_few_are_eligible() {
        let out = draw(&h(3), 10, 3, 5, |p| p % 2 == 0);
        assert_eq!(out.winners.len() + out.reserves.len(), 5);
        assert_eq!(out.skipped.len(), 5);
        assert!(out.winners.iter().chain(&out.reserves).all(|p| p % 2 == 0));
        let empty = draw(&h(3), 0, 3, 1, |_| true);
        assert_eq!(empty, Outcome::default());
    }

    #[test]
    fn every_entry_is_equally_likely_to_win() {
        // 10 entries, 3 winners, 30,000 seeds: each entry should win about 9,000 times.
        // Chi-square with 9 degrees of freedom; 40 is beyond the 0.999 99 quantile
        // (≈ 35.6 at 0.9999), so a fair sampler fails this with odds below 1 in 10^5,
        // and the seeds are fixed, so the test is repeatable.
        let (n, k, rounds) = (10u32, 3u32, 30_000u32);
        let mut wins = vec![0u64; n as usize];
        for round in 0..rounds {
            let mut seed = [0u8; 32];
            seed[..4].copy_from_slice(&round.to_le_bytes());
            for w in draw(&Hash32(seed), n, k, 0, |_| true).winners {
                wins[(w - 1) as usize] += 1;
            }
        }
        let expected = f64::from(rounds * k) / f64::from(n);
        let chi2: f64 = wins
            .iter()
            .map(|&o| (o as f64 - expected).powi(2) / expected)
            .sum();
        assert!(chi2 < 40.0, "chi-square {chi2:.1} for {wins:?}");

        // And the first pick's position is uniform too (the order matters for prizes).
        let mut first = vec![0u64; n as usize];
        for round in 0..rounds {
            let mut seed = [0u8; 32];
            seed[4..8].copy_from_slice(&round.to_le_bytes());
            first[(Sampler::new(&Hash32(seed), n).next().unwrap() - 1) as usize] += 1;
        }
        let expected = f64::from(rounds) / f64::from(n);
        let chi2: f64 = first
            .iter()
            .map(|&o| (o as f64 - expected).powi(2) / expected)
            .sum();
        assert!(chi2 < 40.0, "chi-square {chi2:.1} for {first:?}");
    }

    fn ticketed(tickets: &[u32]) -> Vec<Entry> {
        tickets
            .iter()
            .zip(1..)
            .map(|(&tickets, number)| Entry {
                number,
                pseudonym: format!("p{number:x}"),
                tickets,
            })
            .collect()
    }

    fn publish_v2(s: Hash32, list: &[Entry], winners: u32, reserves: u32) -> (String, Published) {
        let text = canonical_list(list, Protocol::V2);
        let e = entries_hash(&text);
        let out = Drawing::for_entries(Protocol::V2, &draw_seed(&s, &e), list, winners, reserves)
            .run(|p| p != 2);
        let published = Published {
            protocol: Protocol::V2,
            seed: s,
            commitment: commitment(Protocol::V2, &s),
            entries_hash: e,
            winners_wanted: winners,
            reserves_wanted: reserves,
            skipped: out.skipped,
            winners: out.winners,
            reserves: out.reserves,
            rerolls: vec![],
            beacon: None,
        };
        (text, published)
    }

    #[test]
    fn v2_lists_carry_tickets_and_are_canonical() {
        let list = ticketed(&[1, 3, 12]);
        let text = canonical_list(&list, Protocol::V2);
        assert_eq!(text, "1 p1 1\n2 p2 3\n3 p3 12\n");
        assert_eq!(parse_list(&text, Protocol::V2), Ok(list));
        for (bad, err) in [
            ("1 a\n", DrawError::BadTickets { line: 1 }),
            ("1 a 0\n", DrawError::BadTickets { line: 1 }),
            ("1 a 01\n", DrawError::BadTickets { line: 1 }),
            ("1 a +1\n", DrawError::BadTickets { line: 1 }),
            ("1 a 1000001\n", DrawError::BadTickets { line: 1 }),
            ("1 a 1\n2 b\n", DrawError::BadTickets { line: 2 }),
            ("1 a b 2\n", DrawError::BadPseudonym { number: 1 }),
            ("2 a 1\n", DrawError::BadNumber { line: 1 }),
        ] {
            assert_eq!(parse_list(bad, Protocol::V2), Err(err), "{bad:?}");
        }
    }

    #[test]
    fn v2_known_answer_and_commitment() {
        // Pinned like v1's: a change breaks every published v2 verification. The hashes
        // were checked with Python's hashlib, the picks with scripts/draw/recompute.py
        // (an independent implementation over the `cryptography` package's ChaCha20).
        let s = h(7);
        assert_eq!(
            commitment(Protocol::V2, &s).to_hex(),
            "bb93e17d7bc6edbcb9d2c3f1dd670ec3be5d96ba3970ce6b3831800ea2c0fd9c"
        );
        assert_ne!(commitment(Protocol::V2, &s), commitment(Protocol::V1, &s));
        let text = canonical_list(&ticketed(&[1, 5, 1, 3]), Protocol::V2);
        let e = entries_hash(&text);
        assert_eq!(
            e.to_hex(),
            "4651ac31a01bfea313938ac3ad7df05a77b77449215e22f5608103486fca27db"
        );
        let picks = Drawing::for_entries(
            Protocol::V2,
            &draw_seed(&s, &e),
            &ticketed(&[1, 5, 1, 3]),
            2,
            1,
        )
        .run(|_| true);
        assert_eq!((picks.winners, picks.reserves), (vec![2, 4], vec![3]));
    }

    #[test]
    fn rerolls_are_checked_when_published() {
        let list = ticketed(&[1, 2, 3, 1, 1, 2]);
        let (text, mut p) = publish_v2(h(5), &list, 2, 2);
        assert_eq!(
            verify(&text, &p).unwrap().len(),
            3,
            "no rerolls, no fourth check"
        );
        let r = reroll::next(
            &p.winners,
            &p.reserves,
            &[],
            p.winners[1],
            RerollReason::Unclaimed,
            String::new(),
            "2026-12-03T00:00:00Z".into(),
        )
        .unwrap();
        p.rerolls.push(r);
        let checks = verify(&text, &p).unwrap();
        assert_eq!(checks.len(), 4);
        assert!(checks.iter().all(|c| c.ok), "{checks:?}");
        // The second reserve claimed to step in first: ✗ on the rerolls.
        p.rerolls[0].replacement = p.reserves[1];
        let checks = verify(&text, &p).unwrap();
        assert!(checks[3].what == CheckKind::Rerolls && !checks[3].ok);
        assert!(checks[..3].iter().all(|c| c.ok));
    }

    #[test]
    fn a_v2_draw_verifies_and_any_change_is_caught() {
        let list = ticketed(&(1..=40).map(|i| 1 + i % 4).collect::<Vec<_>>());
        let (text, published) = publish_v2(h(4), &list, 4, 2);
        let all_ok = |checks: Vec<Check>| checks.iter().all(|c| c.ok);
        assert!(all_ok(verify(&text, &published).unwrap()));
        // A ticket count raised in the list: E no longer matches.
        let raised = text.replacen("5 p5 2\n", "5 p5 9\n", 1);
        assert_ne!(raised, text);
        assert!(!verify(&raised, &published).unwrap()[1].ok);
        // The same facts read by v1's rules: the list does not parse as v1's.
        let downgraded = Published {
            protocol: Protocol::V1,
            ..published.clone()
        };
        assert!(verify(&text, &downgraded).is_err());
        // And a v1 list under a v2 label fails: lines lack tickets.
        assert!(verify("1 a\n", &published).is_err());
        // The published facts round-trip with the protocol as a number.
        let json = serde_json::to_value(&published).unwrap();
        assert_eq!(json["protocol"], 2);
        let mut old = json.clone();
        old.as_object_mut().unwrap().remove("protocol");
        let v1: Published = serde_json::from_value(old).unwrap();
        assert_eq!(
            v1.protocol,
            Protocol::V1,
            "v1's facts have no protocol field"
        );
        let mut unknown = json;
        unknown["protocol"] = 9.into();
        assert!(serde_json::from_value::<Published>(unknown).is_err());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        #[test]
        fn v2_picks_are_distinct_reserves_disjoint_and_verify(
            seed in any::<[u8; 32]>(),
            tickets in proptest::collection::vec(1u32..30, 1..150),
            winners in 0u32..20,
            reserves in 0u32..10,
        ) {
            let list = ticketed(&tickets);
            let (text, p) = publish_v2(Hash32(seed), &list, winners, reserves);
            let (again_text, again) = publish_v2(Hash32(seed), &list, winners, reserves);
            prop_assert_eq!(&text, &again_text);
            prop_assert_eq!(&p, &again);
            let all: Vec<u32> = p.winners.iter().chain(&p.reserves).chain(&p.skipped).copied().collect();
            let set: BTreeSet<u32> = all.iter().copied().collect();
            prop_assert_eq!(set.len(), all.len(), "no entry picked twice");
            prop_assert!(p.reserves.iter().all(|r| !p.winners.contains(r)));
            prop_assert!(!p.winners.contains(&2) && !p.reserves.contains(&2));
            let eligible = tickets.len() as u32 - u32::from(tickets.len() >= 2);
            prop_assert_eq!(p.winners.len() as u32, winners.min(eligible));
            prop_assert!(verify(&text, &p).unwrap().iter().all(|c| c.ok));
        }

        #[test]
        fn picks_are_distinct_in_range_and_deterministic(
            seed in any::<[u8; 32]>(),
            n in 0u32..500,
            winners in 0u32..50,
            reserves in 0u32..20,
            skip_mod in 2u32..9,
        ) {
            let r = Hash32(seed);
            let eligible = |p: u32| !p.is_multiple_of(skip_mod);
            let a = draw(&r, n, winners, reserves, eligible);
            let b = draw(&r, n, winners, reserves, eligible);
            prop_assert_eq!(&a, &b);
            let all: Vec<u32> = a.winners.iter().chain(&a.reserves).chain(&a.skipped).copied().collect();
            let set: BTreeSet<u32> = all.iter().copied().collect();
            prop_assert_eq!(set.len(), all.len(), "no entry picked twice");
            prop_assert!(all.iter().all(|&p| (1..=n).contains(&p)));
            // Reserves are disjoint from winners, and every pick was eligible.
            prop_assert!(a.reserves.iter().all(|r| !a.winners.contains(r)));
            prop_assert!(a.winners.iter().chain(&a.reserves).all(|&p| eligible(p)));
            prop_assert!(a.skipped.iter().all(|&p| !eligible(p)));
            // As many as asked for, unless the eligible entries ran out.
            let eligible_total = (1..=n).filter(|&p| eligible(p)).count() as u32;
            prop_assert_eq!(a.winners.len() as u32, winners.min(eligible_total));
            prop_assert_eq!(
                a.reserves.len() as u32,
                reserves.min(eligible_total.saturating_sub(winners))
            );
        }

        #[test]
        fn the_full_shuffle_is_a_permutation(seed in any::<[u8; 32]>(), n in 0u32..300) {
            let mut all: Vec<u32> = Sampler::new(&Hash32(seed), n).collect();
            all.sort_unstable();
            prop_assert_eq!(all, (1..=n).collect::<Vec<_>>());
        }

        #[test]
        fn published_draws_verify(seed in any::<[u8; 32]>(), n in 1u32..200, winners in 1u32..10) {
            let s = Hash32(seed);
            let list = canonical_list(&entries(n), Protocol::V1);
            let e = entries_hash(&list);
            let out = draw(&draw_seed(&s, &e), n, winners, 1, |p| p != 1);
            let p = Published {
                protocol: Protocol::V1,
                seed: s,
                commitment: commitment(Protocol::V1, &s),
                entries_hash: e,
                winners_wanted: winners,
                reserves_wanted: 1,
                skipped: out.skipped,
                winners: out.winners,
                reserves: out.reserves,
                rerolls: vec![],
                beacon: None,
            };
            prop_assert!(verify(&list, &p).unwrap().iter().all(|c| c.ok));
        }

        #[test]
        fn beacon_bound_draws_verify_and_their_parts_cannot_be_swapped(
            seed in any::<[u8; 32]>(),
            tickets in proptest::collection::vec(1u32..6, 1..80),
            winners in 1u32..6,
            flip in 0usize..384,
        ) {
            let (p, text) = v3_draw(Hash32(seed), &tickets, winners);
            let checks = verify(&text, &p).unwrap();
            prop_assert_eq!(checks[0].what, CheckKind::Beacon);
            prop_assert!(checks.iter().all(|c| c.ok));
            // One bit of the signature: not the beacon's any more.
            let mut sig = hex::decode(&p.beacon.as_ref().unwrap().signature).unwrap();
            sig[flip / 8] ^= 1 << (flip % 8);
            let mut forged = p.clone();
            forged.beacon.as_mut().unwrap().signature = hex::encode(&sig);
            prop_assert!(!verify(&text, &forged).unwrap()[0].ok);
            // Another round than the committed one (its own valid signature or not).
            let mut moved = p.clone();
            moved.beacon.as_mut().unwrap().round += 1;
            let checks = verify(&text, &moved).unwrap();
            prop_assert!(!checks[0].ok && !checks[1].ok);
        }
    }

    /// Quicknet round 123 (the vector `drand-verify` ships; see `crate::beacon`).
    const ROUND_123: &str = "b75c69d0b72a5d906e854e808ba7e2accb1542ac355ae486d591aa9d43765482e26cd02df835d3546d23c4b13e0dfc92";

    /// A v3 draw of entries with these tickets on quicknet's round 123: facts and list.
    fn v3_draw(s: Hash32, tickets: &[u32], winners: u32) -> (Published, String) {
        let list = ticketed(tickets);
        let text = canonical_list(&list, Protocol::V3);
        let e = entries_hash(&text);
        let chain = Hash32(crate::beacon::QUICKNET.hash);
        let sig = hex::decode(ROUND_123).unwrap();
        let r = draw_seed_with_beacon(&s, &e, &sig);
        let out = Drawing::for_entries(Protocol::V3, &r, &list, winners, 1).run(|_| true);
        let p = Published {
            protocol: Protocol::V3,
            seed: s,
            commitment: commitment_bound(&s, &chain, 123),
            entries_hash: e,
            winners_wanted: winners,
            reserves_wanted: 1,
            skipped: out.skipped,
            winners: out.winners,
            reserves: out.reserves,
            rerolls: vec![],
            beacon: Some(BeaconRound {
                chain,
                round: 123,
                signature: ROUND_123.to_owned(),
                test_key: None,
            }),
        };
        (p, text)
    }

    #[test]
    fn a_beacon_bound_draw_checks_the_round_first() {
        let (p, text) = v3_draw(h(3), &[1, 2, 3, 1, 1, 4, 2, 1], 3);
        let checks = verify(&text, &p).unwrap();
        assert_eq!(
            checks.iter().map(|c| (c.what, c.ok)).collect::<Vec<_>>(),
            vec![
                (CheckKind::Beacon, true),
                (CheckKind::Commitment, true),
                (CheckKind::EntriesHash, true),
                (CheckKind::Winners, true),
            ]
        );
        // The same seed and list without the beacon (v2) give other winners' seed: R
        // depends on the signature.
        let e = entries_hash(&text);
        assert_ne!(draw_seed(&h(3), &e), p.draw_seed().unwrap());
        // v3 facts without their beacon cannot be checked.
        let bare = Published {
            beacon: None,
            ..p.clone()
        };
        assert_eq!(verify(&text, &bare), Err(DrawError::MissingBeacon));
        // A test chain's key cannot make its round pass for quicknet's.
        let mut test = p.clone();
        test.beacon.as_mut().unwrap().test_key = Some(hex::encode([7u8; 96]));
        assert!(!verify(&text, &test).unwrap()[0].ok);
        // The facts survive JSON (the draw.json download) unchanged.
        let json = serde_json::to_string(&p).unwrap();
        assert!(json.contains("\"round\":123"), "{json}");
        assert_eq!(serde_json::from_str::<Published>(&json).unwrap(), p);
    }
}
