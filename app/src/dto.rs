//! Wire types between the server functions and the pages. No secrets, no row ids.

use domain::Locale;
use serde::{Deserialize, Serialize};

/// The logged-in account, as the dashboard shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentUser {
    pub email: String,
    pub tenant_name: String,
    pub is_operator: bool,
    /// `Some(reason)` (possibly empty) when the operator suspended the tenant.
    #[serde(default)]
    pub suspended: Option<String>,
}

/// A tenant's settings and the choices the form offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettingsDto {
    pub company: String,
    pub time_zone: String,
    pub bot_locale: Locale,
    pub time_zones: Vec<String>,
}

/// The operator's view of the platform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorOverview {
    pub signup_enabled: bool,
    pub tenants: u64,
}

/// A bot on the Bots page. Never the token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BotDto {
    pub id: String,
    pub username: String,
    pub enabled: bool,
    pub mode: domain::BotMode,
    pub status: domain::BotStatus,
    pub status_reason: Option<domain::StatusReason>,
    pub webhook_url: Option<String>,
}

/// The Bots page: the tenant's bots and what its plan and the platform allow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BotsDto {
    pub bots: Vec<BotDto>,
    /// The plan's bot limit.
    pub max_bots: u32,
    /// Whether the platform has a public https address (so a bot can run by webhook).
    pub webhooks_possible: bool,
}

/// A tenant in the operator's console.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantDto {
    pub id: String,
    pub name: String,
    pub plan: domain::Plan,
    pub bots: u64,
    pub giveaways: u64,
    pub entries: u64,
    /// RFC 3339, UTC: when one of its bots last received an update.
    pub last_activity: Option<String>,
    pub errors_24h: u64,
    /// `Some(reason)` (possibly empty) when suspended.
    pub suspended: Option<String>,
    /// RFC 3339, UTC.
    pub created_at: String,
}

/// A giveaway in the dashboard. Times are shown in the tenant's time zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GiveawayDto {
    pub id: String,
    pub title: String,
    pub description: String,
    /// Prizes as the form writes them ("name × n" per line).
    pub prizes_text: String,
    pub prizes: Vec<domain::giveaway::Prize>,
    pub reserves: u32,
    /// `YYYY-MM-DDTHH:MM` in the tenant's time zone (what the form's inputs take).
    pub starts_at_local: String,
    pub ends_at_local: String,
    /// RFC 3339, UTC (for "time left").
    pub ends_at: String,
    pub time_zone: String,
    pub status: domain::giveaway::Status,
    pub editable: domain::giveaway::Editable,
    pub bot: Option<String>,
    pub bot_username: Option<String>,
    pub conditions_text: String,
    pub max_entries: Option<u32>,
    pub captcha: bool,
    /// Extra tickets referrals may earn one entrant; 0: no invite links.
    pub referral_cap: u32,
    pub premium_only: bool,
    pub past_winner_days: u32,
    /// Minimum account age in days, estimated from the user id; 0: off.
    pub min_account_days: u32,
    pub boost_chat: Option<String>,
    pub boost_required: bool,
    pub boost_tickets_cap: u32,
    /// Hours a winner has to claim; 0: no claiming.
    pub claim_hours: u32,
    pub entries: u32,
    pub commitment: String,
    pub entries_hash: Option<String>,
    pub seed: Option<String>,
    /// Entry numbers with the prize each won, in pick order.
    pub winners: Vec<(u32, String)>,
    pub reserve_winners: Vec<u32>,
    pub skipped: Vec<u32>,
    /// Winners replaced since the draw, in order (the winners above are as they stand).
    pub rerolls: Vec<domain::draw::Reroll>,
    /// The beacon round the draw is bound to (v3), whether it is a test chain's, and when
    /// the round comes, in the tenant's time zone.
    pub beacon: Option<(u64, bool, String)>,
    /// With a claim window: each current winner's number, whether they claimed, and
    /// their deadline in the tenant's time zone.
    pub claims: Vec<(u32, bool, String)>,
    pub notices: Option<NoticeProgressDto>,
    /// Seconds until the end, from the server's (scheduler's) clock; negative when past.
    pub secs_left: i64,
}

/// A giveaway's prize codes with what the upload form needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrizeCodesDto {
    /// The prizes' names, in list order (codes are uploaded per place).
    pub prizes: Vec<String>,
    /// Codes may be added (not cancelled).
    pub open: bool,
    pub codes: Vec<PrizeCodeDto>,
}

/// A prize code as its tenant sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrizeCodeDto {
    pub prize: String,
    pub code: String,
    /// The winner's entry number it went to.
    pub number: Option<u32>,
    /// When, in the tenant's time zone.
    pub given_at: Option<String>,
    /// That winner pressed "Claim".
    pub claimed: bool,
}

/// How the winners' notices stand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct NoticeProgressDto {
    pub sent: u64,
    pub pending: u64,
    pub failed: u64,
    pub reasons: Vec<(String, u64)>,
}

/// One page of a giveaway's entries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntriesPageDto {
    pub rows: Vec<EntryDto>,
    pub total: u64,
    pub page: u64,
    pub per_page: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryDto {
    pub number: u32,
    pub pseudonym: String,
    pub name: String,
    pub username: Option<String>,
    pub via: domain::giveaway::Via,
    /// `YYYY-MM-DD HH:MM` in the tenant's time zone.
    pub joined_at: String,
    /// Its chances in the draw.
    pub tickets: u32,
    /// Friends who joined through its invite link.
    pub referrals: u32,
}

/// What the giveaway form needs besides the giveaway: the tenant's bots.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BotChoice {
    pub id: String,
    pub username: String,
}

/// Everything public about a giveaway, for the verify page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicRecordDto {
    pub id: String,
    pub title: String,
    pub status: domain::giveaway::Status,
    pub commitment: String,
    pub prizes: Vec<domain::giveaway::Prize>,
    pub entry_list: Option<String>,
    pub published: Option<domain::draw::Published>,
    /// E, from the close on.
    pub entries_hash: Option<String>,
    /// The beacon round the draw is bound to (v3): round and whether a test chain's.
    pub beacon: Option<(u64, bool)>,
}

/// The Usage page for one bot.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UsageDto {
    /// The tenant's bots: (id, @username).
    pub bots: Vec<(String, String)>,
    /// The bot shown (none when the tenant has no bot yet).
    pub bot: Option<String>,
    /// "hour", "day" or "month".
    pub range: String,
    /// The shown bot's mode (none when the tenant has no bot yet).
    pub mode: Option<domain::BotMode>,
    /// Bucket labels (UTC), oldest first, and calls per bucket by outcome
    /// (ok, 4xx, 429, 5xx, network).
    pub labels: Vec<String>,
    pub counts: Vec<[u64; 5]>,
    /// Method → calls by outcome over the range.
    pub by_method: Vec<(String, [u64; 5])>,
    pub webhook_pending: Option<i32>,
    pub webhook_last_error: Option<String>,
    /// RFC 3339, UTC.
    pub webhook_checked_at: Option<String>,
    pub inbox_pending: u64,
    pub inbox_lag_secs: f64,
    pub outbox_pending: u64,
    pub outbox_oldest_secs: f64,
    /// ("YYYY-MM-DD", entries) for the last 30 days (UTC).
    pub entries_per_day: Vec<(String, u64)>,
    /// getUpdates calls in the last whole minute.
    pub polls_last_minute: u64,
}

/// One membership condition on a Mini App page and whether the user meets it now
/// (`None`: Telegram could not be asked).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MiniConditionDto {
    pub chat: String,
    pub met: Option<bool>,
}

/// A giveaway's Mini App page, for the user who opened it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MiniGiveawayDto {
    pub id: String,
    pub title: String,
    pub description: String,
    pub prizes: Vec<domain::giveaway::Prize>,
    pub secs_left: i64,
    pub entries: u32,
    pub status: domain::giveaway::Status,
    pub commitment: String,
    pub conditions: Vec<MiniConditionDto>,
    /// `(a, b, choices)` of the captcha "a + b = ?", when this user must answer it.
    pub captcha: Option<(u8, u8, [u8; 3])>,
    /// The user's entry: number and pseudonym.
    pub entry: Option<(u32, String)>,
    /// Drawn: each winner's number and prize.
    pub winners: Vec<(u32, String)>,
    pub bot_username: String,
    /// The language of the user who opened the page (theirs, else the bot's).
    pub locale: Locale,
}

/// How a join from the Mini App ended, in the user's language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MiniJoinDto {
    pub joined: bool,
    pub text: String,
}

/// A giveaway on a bot's Mini App page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MiniOfferDto {
    pub id: String,
    pub title: String,
    pub entries: u32,
    pub secs_left: i64,
}

/// One of the user's entries on a bot's Mini App page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MiniEntryDto {
    pub id: String,
    pub title: String,
    pub number: u32,
    pub status: domain::giveaway::Status,
    pub prize: Option<String>,
}

/// A bot's Mini App page (what its menu button opens).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MiniBotDto {
    pub shop: String,
    pub open: Vec<MiniOfferDto>,
    pub mine: Vec<MiniEntryDto>,
    pub locale: Locale,
}
