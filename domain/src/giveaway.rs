//! A giveaway's life and the rules of what may change when.
//!
//! ```text
//! draft ──publish──▶ scheduled ──start time──▶ open ──end time──▶ closed ──draw──▶ drawn
//!   │                    │                       │
//!   └──────cancel────────┴─────────cancel────────┘──▶ cancelled
//! ```
//! (publishing after the start time goes straight to `open`.)
//!
//! Edit rules — nothing may change an outcome once people can rely on it:
//! - draft: everything.
//! - scheduled: everything except the bot; the start and end may move (still start < end,
//!   end in the future); the commitment is already public, the seed stays.
//! - open: title, description and the end time (later only, never earlier: people
//!   joined expecting it); not prizes, winner counts, conditions, cap or bot.
//! - closed, drawn, cancelled: nothing.

use crate::ValidationError;
use serde::{Deserialize, Serialize};

pub mod account_age;
pub mod codes;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(
    feature = "sea-orm",
    derive(sea_orm::EnumIter, sea_orm::DeriveActiveEnum)
)]
#[cfg_attr(feature = "sea-orm", sea_orm(rs_type = "String", db_type = "Text"))]
#[serde(rename_all = "snake_case")]
pub enum Status {
    #[cfg_attr(feature = "sea-orm", sea_orm(string_value = "draft"))]
    Draft,
    #[cfg_attr(feature = "sea-orm", sea_orm(string_value = "scheduled"))]
    Scheduled,
    #[cfg_attr(feature = "sea-orm", sea_orm(string_value = "open"))]
    Open,
    #[cfg_attr(feature = "sea-orm", sea_orm(string_value = "closed"))]
    Closed,
    #[cfg_attr(feature = "sea-orm", sea_orm(string_value = "drawn"))]
    Drawn,
    #[cfg_attr(feature = "sea-orm", sea_orm(string_value = "cancelled"))]
    Cancelled,
}

impl Status {
    pub const ALL: [Status; 6] = [
        Status::Draft,
        Status::Scheduled,
        Status::Open,
        Status::Closed,
        Status::Drawn,
        Status::Cancelled,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::Scheduled => "scheduled",
            Status::Open => "open",
            Status::Closed => "closed",
            Status::Drawn => "drawn",
            Status::Cancelled => "cancelled",
        }
    }

    pub fn from_code(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|x| x.code() == s)
    }

    /// Counts against the plan's "open giveaways" limit.
    pub fn is_live(self) -> bool {
        matches!(self, Status::Scheduled | Status::Open)
    }

    /// Whether an event moves a giveaway from this state, and where to.
    pub fn on(self, event: Event) -> Option<Status> {
        use Event as E;
        use Status as S;
        match (self, event) {
            (S::Draft, E::Publish { started: false }) => Some(S::Scheduled),
            (S::Draft, E::Publish { started: true }) => Some(S::Open),
            (S::Scheduled, E::StartTime) => Some(S::Open),
            (S::Open, E::EndTime) => Some(S::Closed),
            (S::Closed, E::Draw) => Some(S::Drawn),
            (S::Draft | S::Scheduled | S::Open, E::Cancel) => Some(S::Cancelled),
            _ => None,
        }
    }

    /// Which fields may be edited in this state.
    pub fn editable(self) -> Editable {
        match self {
            Status::Draft => Editable::ALL,
            Status::Scheduled => Editable {
                bot: false,
                ..Editable::ALL
            },
            Status::Open => Editable {
                text: true,
                end_later: true,
                ..Editable::NONE
            },
            _ => Editable::NONE,
        }
    }
}

/// What moves a giveaway.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// The tenant publishes; `started` when the start time has already passed.
    Publish {
        started: bool,
    },
    StartTime,
    EndTime,
    Draw,
    Cancel,
}

/// The groups of fields the edit rules speak about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Editable {
    /// Title and description.
    pub text: bool,
    /// Prizes, winner and reserve counts, conditions, entry cap.
    pub rules: bool,
    /// Start and end, freely.
    pub schedule: bool,
    /// Only a later end.
    pub end_later: bool,
    /// Which bot runs it.
    pub bot: bool,
}

impl Editable {
    pub const ALL: Editable = Editable {
        text: true,
        rules: true,
        schedule: true,
        end_later: true,
        bot: true,
    };
    pub const NONE: Editable = Editable {
        text: false,
        rules: false,
        schedule: false,
        end_later: false,
        bot: false,
    };

    pub fn anything(self) -> bool {
        self != Editable::NONE
    }
}

/// A prize and how many winners get it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prize {
    pub name: String,
    pub winners: u32,
}

/// Limits on a giveaway's fields.
pub const MAX_TITLE: usize = 120;
pub const MAX_DESCRIPTION: usize = 2000;
pub const MAX_PRIZES: usize = 20;
pub const MAX_PRIZE_NAME: usize = 100;
pub const MAX_WINNERS: u32 = 1000;
pub const MAX_RESERVES: u32 = 100;
pub const MAX_CONDITIONS: usize = 5;

/// Assigns drawn winners (in pick order) to prizes (in list order).
pub fn assign_prizes<'a>(prizes: &'a [Prize], winners: &[u32]) -> Vec<(u32, &'a str)> {
    prize_places(prizes, winners)
        .into_iter()
        .map(|(w, i)| (w, prizes[i].name.as_str()))
        .collect()
}

/// The place in the prize list of winner `number`, if `winners` has them.
pub fn prize_place(prizes: &[Prize], winners: &[u32], number: u32) -> Option<usize> {
    prize_places(prizes, winners)
        .into_iter()
        .find(|(n, _)| *n == number)
        .map(|(_, p)| p)
}

/// Like [`assign_prizes`], with each winner's place in the prize list (what prize codes
/// are uploaded for).
pub fn prize_places(prizes: &[Prize], winners: &[u32]) -> Vec<(u32, usize)> {
    let mut out = Vec::with_capacity(winners.len());
    let mut picks = winners.iter();
    for (i, p) in prizes.iter().enumerate() {
        for _ in 0..p.winners {
            match picks.next() {
                Some(&w) => out.push((w, i)),
                None => return out,
            }
        }
    }
    out
}

crate::coded::coded! {
    /// How an entrant joined.
    pub enum Via {
        /// A Join button in a chat with the bot.
        Button = "button",
        /// A `t.me/<bot>?start=g_<id>` link.
        Link = "link",
        /// The giveaway's Mini App page.
        MiniApp = "mini_app",
    }
}

/// Callback data and deep-link payloads: short, prefixed, and checked on the way in.
/// A giveaway's public id is 1–24 characters of `[A-Za-z0-9_-]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Callback {
    /// Show one giveaway.
    Show(String),
    /// Join one giveaway.
    Join(String),
    /// An answer to the giveaway's captcha question.
    Captcha(String, u8),
    /// A winner claims their prize.
    Claim(String),
}

impl Callback {
    pub fn encode(&self) -> String {
        match self {
            Callback::Show(id) => format!("g:{id}"),
            Callback::Join(id) => format!("j:{id}"),
            Callback::Captcha(id, n) => format!("k:{id}:{n}"),
            Callback::Claim(id) => format!("c:{id}"),
        }
    }

    pub fn decode(data: &str) -> Option<Callback> {
        let (kind, id) = data.split_once(':')?;
        if kind == "k" {
            let (id, n) = id.split_once(':')?;
            return (public_id_ok(id) && n.len() <= 3)
                .then(|| n.parse().ok())
                .flatten()
                .map(|n| Callback::Captcha(id.to_owned(), n));
        }
        if !public_id_ok(id) {
            return None;
        }
        match kind {
            "g" => Some(Callback::Show(id.to_owned())),
            "j" => Some(Callback::Join(id.to_owned())),
            "c" => Some(Callback::Claim(id.to_owned())),
            _ => None,
        }
    }
}

/// A question a person answers with one tap — "a + b = ?" with three choices — derived
/// from a keyed hash of (giveaway, user), so checking an answer needs no stored state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Captcha {
    pub a: u8,
    pub b: u8,
    pub choices: [u8; 3],
}

impl Captcha {
    pub fn from_bytes(h: [u8; 8]) -> Captcha {
        let a = 2 + h[0] % 8;
        let b = 1 + h[1] % 9;
        let answer = a + b;
        let up = answer + 1 + h[2] % 3;
        let down = answer - 1 - h[3] % 2;
        let mut choices = [answer, up, down];
        choices.rotate_left(usize::from(h[4] % 3));
        Captcha { a, b, choices }
    }

    pub fn answer(&self) -> u8 {
        self.a + self.b
    }
}

/// The `/start` payload of a `t.me/<bot>?start=g_<id>` link.
pub fn deep_link_payload(public_id: &str) -> String {
    format!("g_{public_id}")
}

/// Reads a `/start` payload back into a giveaway id.
pub fn parse_deep_link(payload: &str) -> Option<&str> {
    payload.strip_prefix("g_").filter(|id| public_id_ok(id))
}

/// The longest claim window, in hours (30 days).
pub const MAX_CLAIM_HOURS: u32 = 720;

/// The longest look-back of "no recent winners", in days.
pub const MAX_PAST_WINNER_DAYS: u32 = 3650;

/// The most days of "minimum account age".
pub const MAX_ACCOUNT_DAYS: u32 = account_age::MAX_DAYS;

/// The most extra tickets a giveaway may let boosts earn one entrant.
pub const MAX_BOOST_TICKETS: u32 = 10;

/// The chat whose boosts count, as typed (`@name`, `t.me/name` or an id); empty: none.
pub fn parse_boost_chat(text: &str) -> Result<Option<String>, ValidationError> {
    let mut chats = parse_conditions(text)?;
    match chats.len() {
        0 => Ok(None),
        1 => Ok(chats.pop()),
        _ => Err(ValidationError::InvalidChat),
    }
}

/// The most extra tickets a giveaway may let referrals earn one entrant.
pub const MAX_REFERRAL_CAP: u32 = 100;

/// An entrant's invite link payload, `r_<public id>_<entry number>` (at most 36 of the
/// 64 characters Telegram allows after `?start=`).
pub fn referral_payload(public_id: &str, number: u32) -> String {
    format!("r_{public_id}_{number}")
}

/// Reads [`referral_payload`] back: the giveaway's public id and the inviter's number.
pub fn parse_referral_link(payload: &str) -> Option<(&str, u32)> {
    let (id, number) = payload.strip_prefix("r_")?.rsplit_once('_')?;
    let number: u32 = number
        .parse()
        .ok()
        .filter(|n| *n >= 1 && !number.starts_with('0'))?;
    public_id_ok(id).then_some((id, number))
}

/// An entry's tickets: one, plus one per friend who joined through its link, up to `cap`.
pub fn tickets_for(referrals: u32, cap: u32) -> u32 {
    1 + referrals.min(cap)
}

fn public_id_ok(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 24
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

fn forbidden(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200B}'..='\u{200F}' | '\u{FEFF}')
}

/// One line of text: whitespace collapsed, required, at most `max` characters, no
/// control or bidi-override characters.
pub fn clean_line(raw: &str, max: usize) -> Result<String, ValidationError> {
    let s = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    if s.is_empty() {
        return Err(ValidationError::Required);
    }
    if s.chars().count() > max {
        return Err(ValidationError::TooLong);
    }
    if s.chars().any(|c| c.is_control() || forbidden(c)) {
        return Err(ValidationError::ForbiddenCharacters);
    }
    Ok(s)
}

/// Free text (may be empty): line breaks kept (as `\n`), at most `max` characters.
pub fn clean_text(raw: &str, max: usize) -> Result<String, ValidationError> {
    let s = raw.replace("\r\n", "\n").trim().to_owned();
    if s.chars().count() > max {
        return Err(ValidationError::TooLong);
    }
    if s.chars()
        .any(|c| (c.is_control() && c != '\n') || forbidden(c))
    {
        return Err(ValidationError::ForbiddenCharacters);
    }
    Ok(s)
}

/// A whole number in `min..=max`; empty is `None`.
pub fn parse_count(raw: &str, min: u32, max: u32) -> Result<Option<u32>, ValidationError> {
    let s = raw.trim();
    if s.is_empty() {
        return Ok(None);
    }
    match s.parse::<u32>() {
        Ok(n) if (min..=max).contains(&n) => Ok(Some(n)),
        _ => Err(ValidationError::InvalidNumber),
    }
}

/// Prizes, one per line: `name × n`, `name x n`, `name * n`, or just `name` (one winner).
pub fn parse_prizes(text: &str) -> Result<Vec<Prize>, ValidationError> {
    let mut prizes = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let split = ['×', 'x', 'X', '*', '＊']
            .iter()
            .filter_map(|sep| line.rsplit_once(*sep))
            .find(|(_, n)| !n.trim().is_empty() && n.trim().bytes().all(|b| b.is_ascii_digit()));
        let (name, winners) = match split {
            Some((name, n)) => (
                name,
                n.trim()
                    .parse::<u32>()
                    .ok()
                    .filter(|n| (1..=MAX_WINNERS).contains(n))
                    .ok_or(ValidationError::InvalidNumber)?,
            ),
            None => (line, 1),
        };
        let name = clean_line(name, MAX_PRIZE_NAME).map_err(|e| match e {
            ValidationError::Required => ValidationError::InvalidPrizeLine,
            e => e,
        })?;
        prizes.push(Prize { name, winners });
    }
    if prizes.is_empty() {
        return Err(ValidationError::Required);
    }
    if prizes.len() > MAX_PRIZES || total_winners(&prizes) > MAX_WINNERS {
        return Err(ValidationError::TooMany);
    }
    Ok(prizes)
}

/// The text form of prizes, as [`parse_prizes`] reads it.
pub fn prizes_text(prizes: &[Prize]) -> String {
    prizes
        .iter()
        .map(|p| format!("{} × {}", p.name, p.winners))
        .collect::<Vec<_>>()
        .join("\n")
}

pub fn total_winners(prizes: &[Prize]) -> u32 {
    prizes.iter().map(|p| p.winners).sum()
}

/// Join conditions, one chat per line: `@public_name` (5–32 letters, digits, `_`) or a
/// numeric chat id (`-100…`). `t.me/name` links are accepted and read as `@name`.
pub fn parse_conditions(text: &str) -> Result<Vec<String>, ValidationError> {
    let mut out: Vec<String> = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let name = line
            .trim_start_matches("https://")
            .trim_start_matches("http://")
            .trim_start_matches("t.me/")
            .trim_start_matches('@');
        let chat = if let Some(id) = line.strip_prefix('-') {
            if id.is_empty() || id.len() > 18 || !id.bytes().all(|b| b.is_ascii_digit()) {
                return Err(ValidationError::InvalidChat);
            }
            line.to_owned()
        } else if (5..=32).contains(&name.len())
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
            && name.as_bytes()[0].is_ascii_alphabetic()
        {
            format!("@{name}")
        } else {
            return Err(ValidationError::InvalidChat);
        };
        if !out.contains(&chat) {
            out.push(chat);
        }
    }
    if out.len() > MAX_CONDITIONS {
        return Err(ValidationError::TooMany);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn referral_links_round_trip_and_refuse_junk() {
        let p = referral_payload("Ab_c-9", 42);
        assert_eq!(p, "r_Ab_c-9_42");
        assert_eq!(parse_referral_link(&p), Some(("Ab_c-9", 42)));
        assert!(referral_payload(&"x".repeat(24), u32::MAX).len() <= 64);
        for bad in [
            "r_",
            "r_abc",
            "r_abc_",
            "r_abc_0",
            "r_abc_01",
            "r_abc_-1",
            "r__1",
            "g_abc_1",
            "r_a b_1",
            "r_abc_99999999999",
        ] {
            assert_eq!(parse_referral_link(bad), None, "{bad}");
        }
        assert_eq!(parse_deep_link("r_abc_1"), None);
        assert_eq!(
            (
                tickets_for(0, 5),
                tickets_for(3, 5),
                tickets_for(9, 5),
                tickets_for(4, 0)
            ),
            (1, 4, 6, 1)
        );
    }

    #[test]
    fn the_life_of_a_giveaway() {
        use Event as E;
        use Status as S;
        assert_eq!(
            S::Draft.on(E::Publish { started: false }),
            Some(S::Scheduled)
        );
        assert_eq!(S::Draft.on(E::Publish { started: true }), Some(S::Open));
        assert_eq!(S::Scheduled.on(E::StartTime), Some(S::Open));
        assert_eq!(S::Open.on(E::EndTime), Some(S::Closed));
        assert_eq!(S::Closed.on(E::Draw), Some(S::Drawn));
        for s in [S::Draft, S::Scheduled, S::Open] {
            assert_eq!(s.on(E::Cancel), Some(S::Cancelled));
        }
        // Nothing undoes a close, a draw or a cancel; nothing draws twice.
        for s in [S::Closed, S::Drawn, S::Cancelled] {
            assert_eq!(s.on(E::Cancel), None);
            assert!(!s.editable().anything());
        }
        assert_eq!(S::Drawn.on(E::Draw), None);
        assert_eq!(S::Open.on(E::Publish { started: true }), None);
        for s in S::ALL {
            assert_eq!(S::from_code(s.code()), Some(s));
        }
    }

    #[test]
    fn open_giveaways_only_take_words_and_a_later_end() {
        let e = Status::Open.editable();
        assert!(e.text && e.end_later);
        assert!(!e.rules && !e.schedule && !e.bot);
        assert!(!Status::Scheduled.editable().bot);
        assert!(Status::Scheduled.editable().rules);
    }

    #[test]
    fn prizes_go_to_winners_in_pick_order() {
        let prizes = vec![
            Prize {
                name: "iPhone".into(),
                winners: 1,
            },
            Prize {
                name: "红包".into(),
                winners: 2,
            },
        ];
        assert_eq!(
            assign_prizes(&prizes, &[9, 4, 7]),
            [(9, "iPhone"), (4, "红包"), (7, "红包")]
        );
        assert_eq!(assign_prizes(&prizes, &[9]), [(9, "iPhone")]);
    }

    #[test]
    fn captcha_has_one_right_answer_among_three() {
        for seed in 0u8..=255 {
            let c = Captcha::from_bytes([
                seed,
                seed.wrapping_mul(7),
                seed / 3,
                seed,
                seed / 5,
                0,
                0,
                0,
            ]);
            let mut sorted = c.choices;
            sorted.sort_unstable();
            assert!(sorted[0] < sorted[1] && sorted[1] < sorted[2], "{c:?}");
            assert_eq!(c.choices.iter().filter(|&&x| x == c.answer()).count(), 1);
        }
    }

    #[test]
    fn callback_data_round_trips_and_refuses_junk() {
        for c in [
            Callback::Show("abc_12-X".into()),
            Callback::Join("Zz9".into()),
            Callback::Captcha("abc".into(), 17),
            Callback::Claim("abc".into()),
        ] {
            assert_eq!(Callback::decode(&c.encode()), Some(c.clone()));
            assert!(c.encode().len() <= 64);
        }
        for junk in [
            "",
            "g:",
            "x:abc",
            "g:a b",
            "j:../x",
            "k:abc",
            "k:abc:x",
            "k:abc:1000",
            &format!("g:{}", "a".repeat(25)),
        ] {
            assert_eq!(Callback::decode(junk), None, "{junk}");
        }
        assert_eq!(parse_deep_link(&deep_link_payload("abc")), Some("abc"));
        assert_eq!(parse_deep_link("g_"), None);
        assert_eq!(parse_deep_link("x_abc"), None);
    }

    #[test]
    fn prize_lines_in_the_forms_people_type() {
        let p = parse_prizes("iPhone 15 × 1\n  50 元红包 x 10 \n\nT-shirt\nBox * 2").unwrap();
        assert_eq!(
            p.iter()
                .map(|p| (p.name.as_str(), p.winners))
                .collect::<Vec<_>>(),
            [
                ("iPhone 15", 1),
                ("50 元红包", 10),
                ("T-shirt", 1),
                ("Box", 2)
            ]
        );
        assert_eq!(parse_prizes(&prizes_text(&p)).unwrap(), p);
        assert_eq!(parse_prizes(" \n"), Err(ValidationError::Required));
        assert_eq!(parse_prizes("Car × 0"), Err(ValidationError::InvalidNumber));
        assert_eq!(
            parse_prizes("Car × 1001"),
            Err(ValidationError::InvalidNumber)
        );
        assert_eq!(parse_prizes("× 3"), Err(ValidationError::InvalidPrizeLine));
        assert_eq!(
            parse_prizes("a\u{202E}b"),
            Err(ValidationError::ForbiddenCharacters)
        );
        assert_eq!(
            parse_prizes(&"x\n".repeat(21)),
            Err(ValidationError::TooMany)
        );
        assert_eq!(
            parse_prizes("A × 600\nB × 600"),
            Err(ValidationError::TooMany)
        );
    }

    #[test]
    fn conditions_are_public_names_or_chat_ids() {
        assert_eq!(
            parse_conditions("@shop_news\nhttps://t.me/club_chat\n-1001234567890\n@shop_news")
                .unwrap(),
            ["@shop_news", "@club_chat", "-1001234567890"]
        );
        for bad in ["@abc", "@1abcde", "-", "-12a", "@a b c d e", "shop news"] {
            assert_eq!(
                parse_conditions(bad),
                Err(ValidationError::InvalidChat),
                "{bad}"
            );
        }
        assert_eq!(parse_conditions(""), Ok(vec![]));
        let six = (0..6).map(|i| format!("@channel{i}\n")).collect::<String>();
        assert_eq!(parse_conditions(&six), Err(ValidationError::TooMany));
    }

    #[test]
    fn text_fields() {
        assert_eq!(clean_line("  Big   draw ", 20).unwrap(), "Big draw");
        assert_eq!(clean_line("", 20), Err(ValidationError::Required));
        assert_eq!(
            clean_line(&"长".repeat(21), 20),
            Err(ValidationError::TooLong)
        );
        assert_eq!(
            clean_line("a\0b", 20),
            Err(ValidationError::ForbiddenCharacters)
        );
        assert_eq!(
            clean_text("line 1\r\nline 2", 50).unwrap(),
            "line 1\nline 2"
        );
        assert_eq!(clean_text("", 50).unwrap(), "");
        assert_eq!(
            clean_text("a\u{200B}", 50),
            Err(ValidationError::ForbiddenCharacters)
        );
        assert_eq!(parse_count(" 7 ", 1, 10), Ok(Some(7)));
        assert_eq!(parse_count("", 1, 10), Ok(None));
        for bad in ["0", "11", "-1", "1e3", "٣"] {
            assert_eq!(
                parse_count(bad, 1, 10),
                Err(ValidationError::InvalidNumber),
                "{bad}"
            );
        }
    }
}
