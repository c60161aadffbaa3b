//! Plans: what a tenant may have at once. The operator puts each tenant on a plan; the
//! services enforce its limits where a tenant would cross them.

use serde::{Deserialize, Serialize};

/// A plan's limits. Each is "at most this many".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanLimits {
    /// Connected bots (enabled or disabled; removing one frees its place).
    pub bots: u32,
    /// Giveaways scheduled or open at the same time.
    pub open_giveaways: u32,
    /// Entries in one giveaway.
    pub entries_per_giveaway: u32,
}

impl PlanLimits {
    /// The limit of `what`.
    pub fn get(self, what: PlanResource) -> u32 {
        match what {
            PlanResource::Bots => self.bots,
            PlanResource::OpenGiveaways => self.open_giveaways,
            PlanResource::Entries => self.entries_per_giveaway,
        }
    }
}

/// The plans a tenant can be on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[cfg_attr(
    feature = "sea-orm",
    derive(sea_orm::EnumIter, sea_orm::DeriveActiveEnum)
)]
#[cfg_attr(feature = "sea-orm", sea_orm(rs_type = "String", db_type = "Text"))]
pub enum Plan {
    /// Where every new tenant starts.
    #[default]
    #[cfg_attr(feature = "sea-orm", sea_orm(string_value = "starter"))]
    Starter,
    #[cfg_attr(feature = "sea-orm", sea_orm(string_value = "pro"))]
    Pro,
    #[cfg_attr(feature = "sea-orm", sea_orm(string_value = "business"))]
    Business,
}

crate::coded::coded! {
    /// What a plan limits (and what a refusal at a limit is about).
    pub enum PlanResource {
        /// Connected bots.
        Bots = "bots",
        /// Giveaways scheduled or open at once.
        OpenGiveaways = "open_giveaways",
        /// Entries in one giveaway.
        Entries = "entries",
    }
}

impl Plan {
    pub const ALL: [Plan; 3] = [Plan::Starter, Plan::Pro, Plan::Business];

    /// The code stored in the database and sent in forms.
    pub fn code(self) -> &'static str {
        match self {
            Plan::Starter => "starter",
            Plan::Pro => "pro",
            Plan::Business => "business",
        }
    }

    pub fn from_code(code: &str) -> Option<Plan> {
        Plan::ALL.into_iter().find(|p| p.code() == code)
    }

    pub fn limits(self) -> PlanLimits {
        match self {
            Plan::Starter => PlanLimits {
                bots: 2,
                open_giveaways: 3,
                entries_per_giveaway: 5_000,
            },
            Plan::Pro => PlanLimits {
                bots: 10,
                open_giveaways: 30,
                entries_per_giveaway: 100_000,
            },
            Plan::Business => PlanLimits {
                bots: 100,
                open_giveaways: 300,
                entries_per_giveaway: 2_000_000,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_unknown_codes_are_refused() {
        for p in Plan::ALL {
            assert_eq!(Plan::from_code(p.code()), Some(p));
        }
        assert_eq!(Plan::from_code("Starter"), None);
        assert_eq!(Plan::from_code(""), None);
    }

    #[test]
    fn bigger_plans_allow_more_of_everything() {
        for w in Plan::ALL.windows(2) {
            let (a, b) = (w[0].limits(), w[1].limits());
            assert!(a.bots < b.bots);
            assert!(a.open_giveaways < b.open_giveaways);
            assert!(a.entries_per_giveaway < b.entries_per_giveaway);
        }
    }
}
