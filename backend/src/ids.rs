//! Row ids that cross modules, as types: a tenant's id is never a bot's. They never
//! leave the server (browsers and Telegram buttons see [`PublicId`]s). Foundation: imports
//! nothing of this crate.

use domain::PublicId;
use domain::ids::{PUBLIC_ID_ALPHABET, PUBLIC_ID_LEN};
use rand::Rng;
use sea_orm::DeriveValueType;

macro_rules! row_id {
    ($(#[$meta:meta])* $name:ident($inner:ty)) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, DeriveValueType)]
        pub struct $name(pub $inner);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

row_id!(
    /// A tenant (a shop, a creator, a community).
    TenantId(i32)
);
row_id!(
    /// One of a tenant's bots.
    BotId(i32)
);
row_id!(
    /// A giveaway.
    GiveawayId(i32)
);
row_id!(
    /// A dashboard account.
    AccountId(i32)
);

/// A new random public id (16 characters from a 33-letter alphabet, ~80 bits).
pub fn new_public_id() -> PublicId {
    let mut rng = rand::rng();
    let mut indexes = [0u8; PUBLIC_ID_LEN];
    for i in &mut indexes {
        *i = rng.random_range(0..PUBLIC_ID_ALPHABET.len() as u8);
    }
    PublicId::from_indexes(indexes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_distinct_and_well_formed() {
        let a = new_public_id();
        let b = new_public_id();
        assert_ne!(a, b);
        assert_eq!(a.as_str().len(), 16);
        assert!(a.as_str().bytes().all(|c| PUBLIC_ID_ALPHABET.contains(&c)));
        assert_eq!(PublicId::parse(a.as_str()), Some(a.clone()), "parses back");
    }
}
