//! Opaque public ids: what reaches a browser or a Telegram button instead of a row id.

use rand::Rng;

const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyz23456789";

/// A random id of 16 characters from a 33-letter alphabet without look-alikes (~80 bits).
pub fn new_public_id() -> String {
    let mut rng = rand::rng();
    (0..16)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn ids_are_distinct_and_well_formed() {
        let a = super::new_public_id();
        let b = super::new_public_id();
        assert_ne!(a, b);
        assert_eq!(a.len(), 16);
        assert!(a.bytes().all(|c| super::ALPHABET.contains(&c)));
    }
}
