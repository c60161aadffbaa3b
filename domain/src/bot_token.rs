//! The bot token a tenant pastes from @BotFather.

use std::fmt;

/// Why a pasted token was refused before any call to Telegram.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BotTokenError {
    #[error("empty")]
    Empty,
    #[error("not of the form <bot id>:<35 characters>")]
    Shape,
}

/// `<bot id digits>:<35 characters of A-Z a-z 0-9 _ ->`. Never `Serialize`; `Debug`
/// and `Display` hide everything but the bot id.
#[derive(Clone, PartialEq, Eq)]
pub struct BotToken(String);

impl BotToken {
    pub const SECRET_LEN: usize = 35;

    /// Checks the shape. Surrounding white space (a careless paste) is trimmed.
    pub fn parse(raw: &str) -> Result<BotToken, BotTokenError> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(BotTokenError::Empty);
        }
        let (id, secret) = s.split_once(':').ok_or(BotTokenError::Shape)?;
        let id_ok = !id.is_empty()
            && id.len() <= 20
            && id.bytes().all(|b| b.is_ascii_digit())
            && !id.starts_with('0');
        let secret_ok = secret.len() == Self::SECRET_LEN
            && secret
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if !(id_ok && secret_ok) || id.parse::<u64>().is_err() {
            return Err(BotTokenError::Shape);
        }
        Ok(BotToken(s.to_owned()))
    }

    /// The bot's Telegram user id, the part before the colon.
    pub fn bot_id(&self) -> u64 {
        self.0
            .split(':')
            .next()
            .and_then(|id| id.parse().ok())
            .unwrap_or_default()
    }

    /// The token itself, for the Bot API client and the cipher. Handle with care.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for BotToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BotToken({}:[redacted])", self.bot_id())
    }
}

impl fmt::Display for BotToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:[redacted]", self.bot_id())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0";

    #[test]
    fn accepts_botfather_tokens() {
        let t = BotToken::parse(&format!("  {GOOD}\n")).unwrap();
        assert_eq!(t.expose(), GOOD);
        assert_eq!(t.bot_id(), 123456789);
        assert!(
            BotToken::parse("12345678901234:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsa-_").is_ok(),
            "ids grow past 10 digits"
        );
    }

    #[test]
    fn refuses_other_shapes() {
        assert_eq!(BotToken::parse(" "), Err(BotTokenError::Empty));
        for bad in [
            "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0",
            "123456789AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0",
            "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw",
            "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0x",
            "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsa w0",
            "12a456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0",
            ":AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0",
            "0123:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0",
            "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw０",
            "99999999999999999999999:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0",
        ] {
            assert_eq!(BotToken::parse(bad), Err(BotTokenError::Shape), "{bad}");
        }
    }

    #[test]
    fn never_prints_the_secret() {
        let t = BotToken::parse(GOOD).unwrap();
        assert_eq!(format!("{t:?}"), "BotToken(123456789:[redacted])");
        assert_eq!(t.to_string(), "123456789:[redacted]");
        assert!(!format!("{t:?}{t}").contains("AAHd"));
    }
}
