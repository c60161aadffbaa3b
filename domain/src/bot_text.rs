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
