//! Why a request was refused, as types the services return and the dashboard translates:
//! which form field was wrong ([`Field`]) and what already exists or is locked
//! ([`Conflict`]). Their codes are what crosses the wire.

use crate::coded::coded;

coded! {
    /// A field of a form or request that a validation error is about.
    pub enum Field {
        Email = "email",
        Password = "password",
        Company = "company",
        TimeZone = "time_zone",
        BotLocale = "bot_locale",
        Language = "language",
        Token = "token",
        Mode = "mode",
        Plan = "plan",
        Reason = "reason",
        Title = "title",
        Description = "description",
        Prizes = "prizes",
        Reserves = "reserves",
        StartsAt = "starts_at",
        EndsAt = "ends_at",
        Bot = "bot",
        Conditions = "conditions",
        MaxEntries = "max_entries",
        RerollNumber = "number",
        RerollReason = "reroll_reason",
        ClaimHours = "claim_hours",
        ReferralCap = "referral_cap",
        PastWinnerDays = "past_winner_days",
        BoostChat = "boost_chat",
        BoostTicketsCap = "boost_tickets_cap",
        Chat = "chat",
        Codes = "codes",
        CodePrize = "code_prize",
        MinAccountDays = "min_account_days",
    }
}

coded! {
    /// What stands in the way of a change.
    pub enum Conflict {
        /// An account with this e-mail exists.
        Email = "email",
        /// The tenant already connected this bot.
        Bot = "bot",
        /// Another tenant connected this bot.
        BotElsewhere = "bot_elsewhere",
        /// The user already joined (a concurrent join won).
        Entry = "entry",
        /// The giveaway is not in a state that allows this.
        GiveawayState = "giveaway_state",
        /// Prizes, winners, conditions, cap and captcha are fixed from opening on.
        GiveawayRulesLocked = "giveaway_rules_locked",
        /// The bot is fixed from publication on.
        GiveawayBotLocked = "giveaway_bot_locked",
        /// The schedule is fixed (an open giveaway's end may only move later).
        GiveawayScheduleLocked = "giveaway_schedule_locked",
        /// Every reserve has already stepped in: no winner can be replaced.
        NoReserveLeft = "no_reserve_left",
        /// The prizes have codes uploaded: remove the unused ones before changing them.
        PrizeCodes = "prize_codes",
    }
}

impl Conflict {
    /// A giveaway's state or edit rules refuse the change.
    pub fn is_giveaway_lock(self) -> bool {
        matches!(
            self,
            Conflict::GiveawayState
                | Conflict::GiveawayRulesLocked
                | Conflict::GiveawayBotLocked
                | Conflict::GiveawayScheduleLocked
        )
    }
}
