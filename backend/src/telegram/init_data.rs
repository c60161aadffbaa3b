//! A Mini App's `initData` (Telegram's "Validating data received via the Mini App"): the
//! query string Telegram hands the page, signed with the bot's token. Checked here before
//! anything in it is believed; the user comes from the checked data only.
//!
//! The algorithm: every field but `hash`, as `key=value` (values URL-decoded), sorted by
//! key, joined with `\n` — the data-check-string; `secret = HMAC-SHA-256(key =
//! "WebAppData", token)`; the data is Telegram's when `hash` is the hex of `HMAC-SHA-256(key
//! = secret, data-check-string)`, compared in constant time.
//!
//! Freshness: `auth_date` may be at most [`MAX_AGE_SECS`] old (and not from the future
//! beyond a small clock skew). The data lets whoever holds it join as that user; a string
//! that leaked (a log, a screenshot, a shared link) should stop working soon, and an hour
//! covers any realistic time between opening the app and tapping Join. Reopening the app
//! gives fresh data.
//!
//! Imports nothing of ours but `domain`.

use domain::BotToken;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// How old `auth_date` may be, in seconds.
pub const MAX_AGE_SECS: i64 = 3600;
/// How far in the future `auth_date` may be (clocks differ a little).
const SKEW_SECS: i64 = 60;
/// The longest `initData` accepted.
pub const MAX_LEN: usize = 4096;

/// Why `initData` was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum InitDataError {
    #[error("initData is empty, too long or not a query string")]
    Malformed,
    #[error("initData has no hash")]
    MissingHash,
    #[error("initData repeats a field")]
    DuplicateField,
    #[error("initData is not signed with this bot's token")]
    BadSignature,
    #[error("initData is too old or from the future")]
    Expired,
    #[error("initData names no user")]
    NoUser,
}

/// The user as the Mini App's data describes them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct WebAppUser {
    pub id: i64,
    pub first_name: String,
    #[serde(default)]
    pub last_name: Option<String>,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub language_code: Option<String>,
    #[serde(default)]
    pub is_premium: bool,
}

/// Checked `initData`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitData {
    pub user: WebAppUser,
    /// Unix seconds.
    pub auth_date: i64,
    /// `startapp=` of the link that opened the app, if any.
    pub start_param: Option<String>,
}

/// The fields of `raw`, URL-decoded, each key once.
fn fields(raw: &str) -> Result<Vec<(String, String)>, InitDataError> {
    if raw.is_empty() || raw.len() > MAX_LEN {
        return Err(InitDataError::Malformed);
    }
    let mut out: Vec<(String, String)> = Vec::new();
    for (k, v) in form_urlencoded::parse(raw.as_bytes()) {
        if k.is_empty() {
            return Err(InitDataError::Malformed);
        }
        if out.iter().any(|(seen, _)| *seen == k) {
            return Err(InitDataError::DuplicateField);
        }
        out.push((k.into_owned(), v.into_owned()));
    }
    Ok(out)
}

/// `HMAC-SHA-256(key = HMAC-SHA-256(key = "WebAppData", token), data-check-string)`.
fn mac(token: &BotToken, check: &str) -> Hmac<Sha256> {
    let mut secret = <Hmac<Sha256> as KeyInit>::new_from_slice(b"WebAppData")
        .expect("HMAC takes keys of any length");
    secret.update(token.expose().as_bytes());
    let secret = secret.finalize().into_bytes();
    let mut m =
        <Hmac<Sha256> as KeyInit>::new_from_slice(&secret).expect("HMAC takes keys of any length");
    m.update(check.as_bytes());
    m
}

/// The data-check-string of the fields other than `hash`.
fn check_string(fields: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = fields.iter().filter(|(k, _)| k != "hash").collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    sorted
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Checks `raw` against the token of the bot whose app was opened, at `now` (Unix
/// seconds).
pub fn validate(raw: &str, token: &BotToken, now: i64) -> Result<InitData, InitDataError> {
    let fields = fields(raw)?;
    let hash = fields
        .iter()
        .find(|(k, _)| k == "hash")
        .map(|(_, v)| v.as_str())
        .ok_or(InitDataError::MissingHash)?;
    let hash = hex::decode(hash).map_err(|_| InitDataError::BadSignature)?;
    mac(token, &check_string(&fields))
        .verify_slice(&hash)
        .map_err(|_| InitDataError::BadSignature)?;
    let get = |key: &str| {
        fields
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    let auth_date: i64 = get("auth_date")
        .and_then(|d| d.parse().ok())
        .ok_or(InitDataError::Malformed)?;
    if now - auth_date > MAX_AGE_SECS || auth_date - now > SKEW_SECS {
        return Err(InitDataError::Expired);
    }
    let user: WebAppUser = get("user")
        .and_then(|u| serde_json::from_str(u).ok())
        .filter(|u: &WebAppUser| u.id > 0)
        .ok_or(InitDataError::NoUser)?;
    Ok(InitData {
        user,
        auth_date,
        start_param: get("start_param").map(str::to_owned),
    })
}

/// Signs `fields` as Telegram would (for tests and the simulator's own check): the query
/// string with `hash` appended.
pub fn sign(fields: &[(&str, &str)], token: &BotToken) -> String {
    let owned: Vec<(String, String)> = fields
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let hash = hex::encode(mac(token, &check_string(&owned)).finalize().into_bytes());
    let mut out = form_urlencoded::Serializer::new(String::new());
    for (k, v) in fields {
        out.append_pair(k, v);
    }
    out.append_pair("hash", &hash);
    out.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0";
    const OTHER: &str = "987654321:BBHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0";
    const NOW: i64 = 1_764_000_000;
    const USER: &str =
        r#"{"id":279058397,"first_name":"Vlad","language_code":"zh-hans","is_premium":true}"#;

    fn token(t: &str) -> BotToken {
        BotToken::parse(t).unwrap()
    }

    fn signed(auth_date: i64) -> String {
        sign(
            &[
                ("query_id", "AAHdF6IQAAAAAN0XohDhrOrc"),
                ("user", USER),
                ("auth_date", &auth_date.to_string()),
                ("start_param", "g_abc"),
            ],
            &token(TOKEN),
        )
    }

    #[test]
    fn matches_an_independent_computation() {
        // The same algorithm in Python's standard library:
        // secret = hmac.new(b"WebAppData", TOKEN.encode(), sha256).digest()
        // hmac.new(secret, b"auth_date=1764000000\nuser={\"id\":1,\"first_name\":\"A\"}", sha256).hexdigest()
        let check = "auth_date=1764000000\nuser={\"id\":1,\"first_name\":\"A\"}";
        assert_eq!(
            hex::encode(mac(&token(TOKEN), check).finalize().into_bytes()),
            "a4e65ca25fad66414bd026b2a5d29ee737139e622a26cfd0fb95299d9b283c69"
        );
    }

    #[test]
    fn a_valid_string_gives_its_user() {
        let d = validate(&signed(NOW - 10), &token(TOKEN), NOW).unwrap();
        assert_eq!(d.user.id, 279058397);
        assert_eq!(d.user.first_name, "Vlad");
        assert!(d.user.is_premium);
        assert_eq!(d.user.language_code.as_deref(), Some("zh-hans"));
        assert_eq!(d.start_param.as_deref(), Some("g_abc"));
    }

    #[test]
    fn a_changed_field_fails() {
        let s = signed(NOW).replace("279058397", "279058398");
        assert_eq!(
            validate(&s, &token(TOKEN), NOW),
            Err(InitDataError::BadSignature)
        );
        let s = signed(NOW).replace("g_abc", "g_abd");
        assert_eq!(
            validate(&s, &token(TOKEN), NOW),
            Err(InitDataError::BadSignature)
        );
    }

    #[test]
    fn another_bots_token_fails() {
        assert_eq!(
            validate(&signed(NOW), &token(OTHER), NOW),
            Err(InitDataError::BadSignature)
        );
    }

    #[test]
    fn old_or_future_dates_fail() {
        assert!(validate(&signed(NOW - MAX_AGE_SECS), &token(TOKEN), NOW).is_ok());
        assert_eq!(
            validate(&signed(NOW - MAX_AGE_SECS - 1), &token(TOKEN), NOW),
            Err(InitDataError::Expired)
        );
        assert_eq!(
            validate(&signed(NOW + 3600), &token(TOKEN), NOW),
            Err(InitDataError::Expired)
        );
    }

    #[test]
    fn missing_hash_duplicates_and_junk_fail() {
        let s = signed(NOW);
        let without: String = s
            .split('&')
            .filter(|p| !p.starts_with("hash="))
            .collect::<Vec<_>>()
            .join("&");
        assert_eq!(
            validate(&without, &token(TOKEN), NOW),
            Err(InitDataError::MissingHash)
        );
        // A second user field after the signed one.
        let twice = format!("{s}&user=%7B%22id%22%3A1%7D");
        assert_eq!(
            validate(&twice, &token(TOKEN), NOW),
            Err(InitDataError::DuplicateField)
        );
        let twice_hash = format!("{s}&hash=00");
        assert_eq!(
            validate(&twice_hash, &token(TOKEN), NOW),
            Err(InitDataError::DuplicateField)
        );
        assert_eq!(
            validate("", &token(TOKEN), NOW),
            Err(InitDataError::Malformed)
        );
        assert_eq!(
            validate(&"a=b&".repeat(2000), &token(TOKEN), NOW),
            Err(InitDataError::Malformed)
        );
        assert_eq!(
            validate("hash=zz", &token(TOKEN), NOW),
            Err(InitDataError::BadSignature)
        );
    }

    #[test]
    fn signed_data_without_a_user_names_none() {
        let s = sign(&[("auth_date", &NOW.to_string())], &token(TOKEN));
        assert_eq!(validate(&s, &token(TOKEN), NOW), Err(InitDataError::NoUser));
    }
}
