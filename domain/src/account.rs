//! Validated account input. Each type can only be built through `parse`, so a value that
//! reaches a service has already passed the rules below.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Why a piece of input was refused. Stable codes: the UI translates them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum ValidationError {
    #[error("required")]
    Required,
    #[error("too long")]
    TooLong,
    #[error("too short")]
    TooShort,
    #[error("invalid email address")]
    InvalidEmail,
    #[error("contains characters that are not allowed")]
    ForbiddenCharacters,
    #[error("unknown time zone")]
    UnknownTimeZone,
    #[error("unsupported language")]
    UnsupportedLanguage,
    #[error("not a bot token")]
    InvalidBotToken,
    #[error("the token belongs to a different bot")]
    DifferentBot,
    #[error("webhooks need the platform's public https address")]
    WebhookNeedsHttps,
    #[error("unknown plan")]
    UnknownPlan,
    #[error("not a whole number in range")]
    InvalidNumber,
    #[error("not a date and time")]
    InvalidDateTime,
    #[error("the end must come after the start")]
    EndBeforeStart,
    #[error("in the past")]
    InPast,
    #[error("not a channel or group (@name or -100… id)")]
    InvalidChat,
    #[error("too many")]
    TooMany,
    #[error("fewer than the winners")]
    CapBelowWinners,
    #[error("lines must look like \"prize × number\"")]
    InvalidPrizeLine,
}

/// An e-mail address, trimmed and lower-cased (accounts are found case-insensitively).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    /// RFC 5321 limits a path to 254 characters.
    pub const MAX_LEN: usize = 254;

    pub fn parse(raw: &str) -> Result<Email, ValidationError> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(ValidationError::Required);
        }
        if s.len() > Self::MAX_LEN {
            return Err(ValidationError::TooLong);
        }
        let (local, domain) = s.rsplit_once('@').ok_or(ValidationError::InvalidEmail)?;
        let ok_char = |c: char| !c.is_whitespace() && !c.is_control() && c != '@';
        if local.is_empty()
            || local.len() > 64
            || domain.len() < 3
            || !domain.contains('.')
            || domain.starts_with('.')
            || domain.ends_with('.')
            || domain.contains("..")
            || !local.chars().all(ok_char)
            || !domain
                .chars()
                .all(|c| ok_char(c) && !matches!(c, '<' | '>' | '(' | ')' | ',' | ';' | '"'))
        {
            return Err(ValidationError::InvalidEmail);
        }
        Ok(Email(s.to_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Addresses are personal data: keep them out of debug logs.
        let domain = self.0.rsplit_once('@').map_or("", |(_, d)| d);
        write!(f, "Email(***@{domain})")
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A password as typed. Never `Serialize`, redacted in `Debug`, dropped after hashing.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    /// OWASP ASVS: at least 8 characters.
    pub const MIN_CHARS: usize = 8;
    /// Long enough for any passphrase, short enough that hashing it cannot be used to tire the server.
    pub const MAX_BYTES: usize = 1024;

    pub fn parse(raw: &str) -> Result<Password, ValidationError> {
        if raw.is_empty() {
            return Err(ValidationError::Required);
        }
        if raw.len() > Self::MAX_BYTES {
            return Err(ValidationError::TooLong);
        }
        if raw.chars().count() < Self::MIN_CHARS {
            return Err(ValidationError::TooShort);
        }
        if raw.chars().any(|c| c.is_control()) {
            return Err(ValidationError::ForbiddenCharacters);
        }
        Ok(Password(raw.to_owned()))
    }

    /// For login: any non-empty password of bounded size is checked against the hash,
    /// so the rules of the day never lock out an older password.
    pub fn for_login(raw: &str) -> Result<Password, ValidationError> {
        if raw.is_empty() {
            return Err(ValidationError::Required);
        }
        if raw.len() > Self::MAX_BYTES {
            return Err(ValidationError::TooLong);
        }
        Ok(Password(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password([redacted])")
    }
}

/// A tenant's company or display name, shown in the top bar and to the operator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisplayName(String);

impl DisplayName {
    pub const MAX_CHARS: usize = 80;

    pub fn parse(raw: &str) -> Result<DisplayName, ValidationError> {
        // Collapse runs of whitespace so "  Acme   Shop " and "Acme Shop" are one name.
        let s = raw.split_whitespace().collect::<Vec<_>>().join(" ");
        if s.is_empty() {
            return Err(ValidationError::Required);
        }
        if s.chars().count() > Self::MAX_CHARS {
            return Err(ValidationError::TooLong);
        }
        // Control and bidi-override characters make names render deceptively.
        if s.chars().any(|c| {
            c.is_control()
                || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200B}'..='\u{200F}' | '\u{FEFF}')
        }) {
            return Err(ValidationError::ForbiddenCharacters);
        }
        Ok(DisplayName(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_is_normalised_and_checked() {
        assert_eq!(
            Email::parse("  Ann@Example.COM ").unwrap().as_str(),
            "ann@example.com"
        );
        assert_eq!(
            Email::parse("张三@例子.中国").unwrap().as_str(),
            "张三@例子.中国"
        );
        for bad in [
            "",
            "   ",
            "no-at",
            "@x.com",
            "a@b",
            "a@.com",
            "a@com.",
            "a b@x.com",
            "a@x..com",
            "a@x\u{0}.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} accepted");
        }
        assert_eq!(
            Email::parse(&format!("{}@x.com", "a".repeat(300))),
            Err(ValidationError::TooLong)
        );
    }

    #[test]
    fn email_debug_hides_the_local_part() {
        let e = Email::parse("secret.person@example.com").unwrap();
        assert_eq!(format!("{e:?}"), "Email(***@example.com)");
    }

    #[test]
    fn password_rules() {
        assert_eq!(Password::parse("").unwrap_err(), ValidationError::Required);
        assert_eq!(
            Password::parse("short").unwrap_err(),
            ValidationError::TooShort
        );
        assert_eq!(
            Password::parse(&"x".repeat(2000)).unwrap_err(),
            ValidationError::TooLong
        );
        assert_eq!(
            Password::parse("abc\u{7}defghij").unwrap_err(),
            ValidationError::ForbiddenCharacters
        );
        assert!(
            Password::parse("密码密码密码密码").is_ok(),
            "eight CJK characters are eight characters"
        );
        assert!(Password::for_login("short").is_ok());
        assert_eq!(
            format!("{:?}", Password::parse("hunter22hunter").unwrap()),
            "Password([redacted])"
        );
    }

    #[test]
    fn display_name_rules() {
        assert_eq!(
            DisplayName::parse("  Acme \n  Shop ").unwrap().as_str(),
            "Acme Shop"
        );
        assert_eq!(
            DisplayName::parse(" \t ").unwrap_err(),
            ValidationError::Required
        );
        assert_eq!(
            DisplayName::parse(&"店".repeat(81)).unwrap_err(),
            ValidationError::TooLong
        );
        assert!(DisplayName::parse(&"店".repeat(80)).is_ok());
        assert_eq!(
            DisplayName::parse("evil\u{202E}gnp.exe").unwrap_err(),
            ValidationError::ForbiddenCharacters
        );
        assert!(DisplayName::parse("🎁 抽奖小铺").is_ok());
    }
}
