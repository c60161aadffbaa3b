//! What the tenants' bots say, in zh-CN and English. Placeholders in `{braces}`.

use crate::Locale;

macro_rules! bot_texts {
    ($($key:ident => $zh:literal, $en:literal;)*) => {
        /// A sentence a bot sends.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum BotText { $($key),* }

        impl BotText {
            pub const ALL: &'static [BotText] = &[$(BotText::$key),*];

            pub fn text(self, locale: Locale) -> &'static str {
                match locale {
                    Locale::ZhCn => match self { $(BotText::$key => $zh),* },
                    Locale::En => match self { $(BotText::$key => $en),* },
                }
            }
        }
    };
}

bot_texts! {
    Welcome => "👋 你好，{name}！欢迎来到「{shop}」的抽奖。", "👋 Hi {name}! Welcome to {shop}'s giveaways.";
    ButtonJoin => "🎁 参与抽奖", "🎁 Join";
    ButtonMine => "🎊 我的抽奖", "🎊 My giveaways";
    ButtonHelp => "❓ 帮助", "❓ Help";
    ButtonMenu => "⬅️ 返回菜单", "⬅️ Back to menu";
    Help => "点「🎁 参与抽奖」查看正在进行的抽奖，一键参与；开奖后中奖者会收到私信。每一次开奖都可以公开验证。", "Tap “🎁 Join” to see the open giveaways and join with one tap; winners get a message after the draw. Every draw can be verified publicly.";
    NoneOpen => "现在没有进行中的抽奖。", "No giveaways are open right now.";
    NoneJoined => "你还没有参与任何抽奖。", "You have not joined any giveaways yet.";
    StaleButton => "这个按钮已失效。", "This button is no longer valid.";
    WinnerDm => "🎉 恭喜 {name}！你在「{shop}」的抽奖「{title}」中抽中了：{prize}。你的参与编号是 #{number}。商家会尽快与你联系。", "🎉 Congratulations {name}! You won {prize} in “{title}” by {shop}. Your entry number is #{number}. The organiser will be in touch.";
    ResultPost => "🎊「{title}」开奖结果（共 {entries} 人参与）：\n{winners}\n\n中奖者已收到私信。任何人都可以验证本次开奖。", "🎊 Results of “{title}” ({entries} entries):\n{winners}\n\nWinners have been told by message. Anyone can verify this draw.";
    ButtonVerify => "🔍 验证开奖", "🔍 Verify the draw";
    OpenListTitle => "正在进行的抽奖：", "Open giveaways:";
    GiveawayCard => "🎁 {title}\n{description}\n\n奖品：\n{prizes}\n\n截止：{ends}\n已参与：{entries} 人\n公平性承诺：{commitment}", "🎁 {title}\n{description}\n\nPrizes:\n{prizes}\n\nEnds: {ends}\nEntries so far: {entries}\nFairness commitment: {commitment}";
    ButtonJoinThis => "✅ 参与", "✅ Join";
    ButtonOpenApp => "📱 在小程序中打开", "📱 Open in the app";
    MenuButtonApp => "抽奖", "Giveaways";
    Joined => "✅ 参与成功！你的编号是 #{number}（公示名 {pseudonym}）。开奖后中奖者会收到私信。", "✅ You're in! Your entry number is #{number} (shown as {pseudonym} in the public list). Winners get a message after the draw.";
    AlreadyJoined => "你已经参与过了，编号 #{number}。", "You have already joined: entry #{number}.";
    PremiumOnly => "这个抽奖只限 Telegram Premium 用户参加。", "This giveaway is for Telegram Premium users only.";
    RecentWinner => "你在过去 {days} 天内赢得过「{shop}」的抽奖，这次不能参加。", "You won one of {shop}'s giveaways in the last {days} days, so you cannot join this one.";
    NeedBoost => "还差一步：先为 {chat} 助力（Boost），然后再点参与。", "One more step: boost {chat} first, then tap Join again.";
    ButtonClaim => "✅ 领奖", "✅ Claim";
    AccountTooNew => "这个抽奖只限注册满 {days} 天的账号参加（按用户 ID 估算）。", "This giveaway is for accounts at least {days} days old (estimated from the user id).";
    PrizeCodeLine => "🎟 你的兑换码：{code}", "🎟 Your code: {code}";
    ClaimForCode => "点「✅ 领奖」即可收到兑换码。", "Press “✅ Claim” to receive your code.";
    PrizeCodeDm => "✅ 已领奖！「{title}」的奖品 {prize} 的兑换码：\n{code}", "✅ Claimed! Your code for {prize} in “{title}”:\n{code}";
    ClaimPrompt => "请在 {hours} 小时内点「✅ 领奖」，否则奖品将交给下一位候补。", "Press “✅ Claim” within {hours} hours, or the prize goes to the next reserve.";
    Claimed => "✅ 已领奖！商家会尽快与你联系。", "✅ Claimed! The organiser will be in touch.";
    ClaimTooLate => "领奖时间已过，奖品已交给下一位候补。", "The time to claim has passed; the prize goes to the next reserve.";
    InviteLink => "👥 邀请好友：{link}\n每位通过这个链接新参加的朋友为你增加 1 张奖券（最多多得 {cap} 张）。奖券越多，中奖机会越大。", "👥 Invite friends: {link}\nEach friend who joins through this link gives you one more ticket (up to {cap} more). More tickets, better chances.";
    ReferralCredited => "🎟 有朋友通过你的链接参加了「{title}」！你现在有 {tickets} 张奖券。", "🎟 A friend joined “{title}” through your link! You now have {tickets} tickets.";
    ReferralCapReached => "🎟 有朋友通过你的链接参加了「{title}」。你已有本次抽奖允许的最多奖券：{tickets} 张。", "🎟 A friend joined “{title}” through your link. You already have the most tickets this giveaway allows: {tickets}.";
    NotOpenYet => "这场抽奖还没开始。", "This giveaway has not started yet.";
    Ended => "这场抽奖已经结束。", "This giveaway has ended.";
    Cancelled => "这场抽奖已取消。", "This giveaway was cancelled.";
    Full => "参与人数已满。", "This giveaway is full.";
    NotFound => "找不到这场抽奖。", "Giveaway not found.";
    MissingMembership => "还差一步：请先加入 {chats}，然后再点一次「参与」。", "One more step: join {chats} first, then tap Join again.";
    CannotCheck => "暂时无法核验参与条件，请稍后再试。", "The join conditions cannot be checked right now; please try again in a moment.";
    CaptchaQuestion => "参与前请先回答：{a} + {b} = ？", "Before you join, a quick question: {a} + {b} = ?";
    CaptchaWrong => "不对哦，再试一次。", "Not quite; try again.";
    MineTitle => "你参与的抽奖：", "Your giveaways:";
    MineLine => "• {title} — #{number} — {status}", "• {title} — #{number} — {status}";
    StatusOpen => "进行中", "open";
    StatusClosed => "已截止，等待开奖", "closed, draw pending";
    StatusDrawnWon => "🎉 中奖：{prize}", "🎉 won: {prize}";
    StatusDrawnLost => "已开奖，未中奖", "drawn, not won";
    StatusCancelled => "已取消", "cancelled";
    StatusScheduled => "未开始", "not started";
}

/// The language to answer a Telegram user in: theirs when we speak it, else the tenant's.
pub fn locale_for(language_code: Option<&str>, tenant_default: Locale) -> Locale {
    language_code
        .and_then(Locale::from_tag)
        .unwrap_or(tenant_default)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_text_in_both_languages() {
        for t in BotText::ALL {
            assert!(!t.text(Locale::ZhCn).is_empty() && !t.text(Locale::En).is_empty());
            assert_eq!(
                t.text(Locale::ZhCn).matches('{').count(),
                t.text(Locale::En).matches('{').count(),
                "{t:?}"
            );
        }
    }

    #[test]
    fn picks_the_users_language() {
        assert_eq!(locale_for(Some("zh-hans"), Locale::En), Locale::ZhCn);
        assert_eq!(locale_for(Some("en"), Locale::ZhCn), Locale::En);
        assert_eq!(locale_for(Some("de"), Locale::ZhCn), Locale::ZhCn);
        assert_eq!(locale_for(None, Locale::En), Locale::En);
    }
}
