use crate::ids::{BotId, GiveawayId, TenantId};
use domain::PublicId;
use domain::giveaway::Status;
use sea_orm::entity::prelude::*;

#[derive(Clone, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "giveaways")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: GiveawayId,
    #[sea_orm(unique)]
    pub public_id: PublicId,
    pub tenant_id: TenantId,
    pub bot_id: Option<BotId>,
    pub title: String,
    pub description: String,
    /// JSON: `[{"name": …, "winners": n}]`
    pub prizes: String,
    pub reserves: i32,
    pub starts_at: DateTimeUtc,
    pub ends_at: DateTimeUtc,
    /// JSON: the chats an entrant must be a member of.
    pub conditions: String,
    pub max_entries: Option<i32>,
    /// Joining asks a small question first.
    pub captcha: bool,
    pub status: Status,
    /// The draw's secret seed, sealed like bot tokens until it is revealed.
    pub seed_sealed: String,
    pub commitment: String,
    pub entries_hash: Option<String>,
    /// JSON `domain::draw::Outcome`, once drawn.
    pub result: Option<String>,
    pub entries_count: i32,
    pub announce_chat_id: Option<i64>,
    pub announce_message_id: Option<i64>,
    pub published_at: Option<DateTimeUtc>,
    pub closed_at: Option<DateTimeUtc>,
    pub drawn_at: Option<DateTimeUtc>,
    pub cancelled_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// A scheduler holds the row until then while it closes or draws it.
    pub claimed_until: Option<DateTimeUtc>,
    /// The `domain::draw::Protocol` its commitment was made for (1 before 2026-12-03).
    pub draw_protocol: i16,
    /// The most extra tickets an entrant earns by friends joining through their link;
    /// 0: no referrals.
    pub referral_cap: i32,
    /// Only Telegram Premium users may join.
    pub premium_only: bool,
    /// Users who won any of this tenant's giveaways in this many days may not join (0: off).
    pub past_winner_days: i32,
    /// A chat (`@name` or id) whose boosts count: a condition and/or extra tickets.
    pub boost_chat: Option<String>,
    /// Joining needs a boost of `boost_chat` (checked at the join and again at the draw).
    pub boost_required: bool,
    /// Extra tickets, one per boost of `boost_chat`, at most this many.
    pub boost_tickets_cap: i32,
    /// JSON `Vec<domain::draw::Reroll>`: winners replaced since the draw, in order.
    pub rerolls: Option<String>,
    /// Hours a winner has to press "Claim" before the next reserve takes the prize
    /// (0: no claiming).
    pub claim_hours: i32,
    /// Entrants' accounts must be estimated at least this many days old (0: off).
    pub min_account_days: i32,
    /// Draw protocol v3: the beacon chain's hash (hex) and the round the draw waits for,
    /// both covered by the commitment.
    pub beacon_chain: Option<String>,
    pub beacon_round: Option<i64>,
    /// A test chain's public key (hex); absent for drand's chains.
    pub beacon_test_key: Option<String>,
    /// The round's signature (hex), once fetched and checked for the draw.
    pub beacon_signature: Option<String>,
}

/// The JSON columns, read back. A value that does not parse reads as empty.
impl Model {
    pub fn prizes(&self) -> Vec<domain::giveaway::Prize> {
        serde_json::from_str(&self.prizes).unwrap_or_default()
    }

    pub fn conditions(&self) -> Vec<String> {
        serde_json::from_str(&self.conditions).unwrap_or_default()
    }

    /// The draw's rules; a number this build does not know reads as an error, so a
    /// draw is never run or published by the wrong rules.
    pub fn protocol(&self) -> Result<domain::draw::Protocol, domain::draw::DrawError> {
        let n = u8::try_from(self.draw_protocol).unwrap_or(u8::MAX);
        domain::draw::Protocol::try_from(n)
    }

    /// The rerolls since the draw (none while there are none).
    pub fn rerolls(&self) -> Vec<domain::draw::Reroll> {
        self.rerolls
            .as_deref()
            .and_then(|r| serde_json::from_str(r).ok())
            .unwrap_or_default()
    }

    /// The winners as they stand, after the rerolls (the reserves still unused); the
    /// first result is [`Model::outcome`].
    pub fn current_outcome(&self) -> Option<domain::draw::Outcome> {
        let mut o = self.outcome()?;
        if let Ok((winners, reserves)) =
            domain::draw::reroll::apply(&o.winners, &o.reserves, &self.rerolls())
        {
            o.winners = winners;
            o.reserves = reserves;
        }
        Some(o)
    }

    /// The beacon round this giveaway's draw is bound to (v3), with its signature once
    /// the draw used it (empty before).
    pub fn beacon(&self) -> Option<domain::draw::BeaconRound> {
        let chain = domain::draw::Hash32::from_hex(self.beacon_chain.as_deref()?).ok()?;
        Some(domain::draw::BeaconRound {
            chain,
            round: u64::try_from(self.beacon_round?).ok()?,
            signature: self.beacon_signature.clone().unwrap_or_default(),
            test_key: self.beacon_test_key.clone(),
        })
    }

    /// The draw's outcome, once drawn.
    pub fn outcome(&self) -> Option<domain::draw::Outcome> {
        self.result
            .as_deref()
            .and_then(|r| serde_json::from_str(r).ok())
    }
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The sealed seed stays out of logs.
        f.debug_struct("Giveaway")
            .field("id", &self.id)
            .field("tenant_id", &self.tenant_id)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::tenants::Entity",
        from = "Column::TenantId",
        to = "super::tenants::Column::Id",
        on_delete = "Cascade"
    )]
    Tenant,
    #[sea_orm(
        belongs_to = "super::bots::Entity",
        from = "Column::BotId",
        to = "super::bots::Column::Id",
        on_delete = "SetNull"
    )]
    Bot,
}

impl Related<super::bots::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Bot.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
