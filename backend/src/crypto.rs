//! Bot tokens at rest: encrypted with XChaCha20-Poly1305 under a key derived from
//! `TOMBOLA_SECRET_KEY` (HKDF-SHA256), bound to the bot by the AAD, labelled with a key id
//! so keys can rotate; and a keyed fingerprint (HMAC-SHA256) that finds a token connected
//! twice without decrypting anything.
//!
//! Sealed form: `v1.<key id>.<base64url(nonce ‖ ciphertext ‖ tag)>`.
//!
//! Prize codes are sealed the same way, bound to their giveaway ([`seal_code`]).
//!
//! Foundation: imports `entities`, `error` and `ids`.

use crate::ServiceError;
use crate::entities::{bots, prize_codes};
use crate::ids::GiveawayId;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use chacha20poly1305::aead::{Aead, Generate, KeyInit, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use domain::BotToken;
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use sha2::Sha256;

const NONCE_LEN: usize = 24;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    #[error("sealed token is malformed")]
    Malformed,
    #[error("sealed with unknown key id {0}")]
    UnknownKey(String),
    #[error("sealed token does not open (wrong key or bot, or tampered)")]
    Unauthentic,
}

struct KeyPair {
    id: String,
    cipher: XChaCha20Poly1305,
}

/// Seals and opens bot tokens. Build once at start-up from the master key(s).
pub struct TokenCipher {
    current: KeyPair,
    previous: Vec<KeyPair>,
    fingerprint_key: [u8; 32],
}

impl std::fmt::Debug for TokenCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TokenCipher(key {})", self.current.id)
    }
}

fn derive(master: &[u8; 32], info: &[u8]) -> [u8; 32] {
    let hk = Hkdf::<Sha256>::new(Some(b"tombola"), master);
    let mut out = [0u8; 32];
    hk.expand(info, &mut out)
        .expect("32 bytes is a valid HKDF-SHA256 output length");
    out
}

/// A short public id of a master key: the first bytes of a derived value, never the key.
fn key_id(master: &[u8; 32]) -> String {
    hex::encode(&derive(master, b"tombola/key-id/v1")[..4])
}

fn key_pair(master: &[u8; 32]) -> KeyPair {
    let key = derive(master, b"tombola/bot-token/v1");
    KeyPair {
        id: key_id(master),
        cipher: XChaCha20Poly1305::new(&Key::from(key)),
    }
}

impl TokenCipher {
    /// `master` seals new tokens; `previous` masters still open old ones (rotation).
    /// The fingerprint key stays with the first key ever used, so duplicate detection
    /// survives a rotation: pass it as `fingerprint_master` (usually the oldest master).
    pub fn new(
        master: &[u8; 32],
        previous: &[[u8; 32]],
        fingerprint_master: &[u8; 32],
    ) -> TokenCipher {
        TokenCipher {
            current: key_pair(master),
            previous: previous.iter().map(key_pair).collect(),
            fingerprint_key: derive(fingerprint_master, b"tombola/bot-token-fingerprint/v1"),
        }
    }

    /// A cipher with one master key for everything.
    pub fn single(master: &[u8; 32]) -> TokenCipher {
        TokenCipher::new(master, &[], master)
    }

    /// Encrypts `token` for the bot whose stable id is `bot_ref` (the AAD).
    pub fn seal(&self, bot_ref: &str, token: &BotToken) -> String {
        self.seal_bytes(bot_ref, token.expose().as_bytes())
    }

    /// Decrypts a sealed token for `bot_ref`; any mismatch is an error, never a panic.
    pub fn open(&self, bot_ref: &str, sealed: &str) -> Result<BotToken, CryptoError> {
        let plain = self.open_bytes(bot_ref, sealed)?;
        let text = String::from_utf8(plain).map_err(|_| CryptoError::Unauthentic)?;
        BotToken::parse(&text).map_err(|_| CryptoError::Unauthentic)
    }

    /// Encrypts a short secret bound to `aad` (which names what it belongs to).
    pub fn seal_bytes(&self, aad: &str, msg: &[u8]) -> String {
        let nonce = XNonce::generate();
        let ct = self
            .current
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg,
                    aad: aad.as_bytes(),
                },
            )
            .expect("XChaCha20-Poly1305 encryption of a short message cannot fail");
        let mut blob = nonce.to_vec();
        blob.extend_from_slice(&ct);
        format!("v1.{}.{}", self.current.id, B64.encode(blob))
    }

    /// Decrypts what [`Self::seal_bytes`] sealed for the same `aad`.
    pub fn open_bytes(&self, aad: &str, sealed: &str) -> Result<Vec<u8>, CryptoError> {
        let mut parts = sealed.splitn(3, '.');
        let (Some("v1"), Some(kid), Some(data)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(CryptoError::Malformed);
        };
        let pair = std::iter::once(&self.current)
            .chain(&self.previous)
            .find(|p| p.id == kid)
            .ok_or_else(|| CryptoError::UnknownKey(kid.to_owned()))?;
        let blob = B64.decode(data).map_err(|_| CryptoError::Malformed)?;
        if blob.len() <= NONCE_LEN {
            return Err(CryptoError::Malformed);
        }
        let (nonce, ct) = blob.split_at(NONCE_LEN);
        let nonce = XNonce::try_from(nonce).map_err(|_| CryptoError::Malformed)?;
        pair.cipher
            .decrypt(
                &nonce,
                Payload {
                    msg: ct,
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| CryptoError::Unauthentic)
    }

    /// The bytes a giveaway's captcha question for one user is made of (stable, keyed).
    pub fn captcha_bytes(&self, giveaway_ref: &str, telegram_user_id: i64) -> [u8; 8] {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.fingerprint_key)
            .expect("HMAC takes keys of any length");
        mac.update(b"tombola/captcha/v1\0");
        mac.update(giveaway_ref.as_bytes());
        mac.update(b"\0");
        mac.update(&telegram_user_id.to_le_bytes());
        let out = mac.finalize().into_bytes();
        let mut b = [0u8; 8];
        b.copy_from_slice(&out[..8]);
        b
    }

    /// An entrant's pseudonym in one giveaway: stable, recognisable (the bot tells the
    /// entrant), and revealing nothing about who it is. 10 hex digits.
    pub fn pseudonym(&self, giveaway_ref: &str, telegram_user_id: i64) -> String {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.fingerprint_key)
            .expect("HMAC takes keys of any length");
        mac.update(b"tombola/pseudonym/v1\0");
        mac.update(giveaway_ref.as_bytes());
        mac.update(b"\0");
        mac.update(&telegram_user_id.to_le_bytes());
        hex::encode(&mac.finalize().into_bytes()[..5])
    }

    /// Whether `sealed` was made with an older key and should be sealed again.
    pub fn needs_reseal(&self, sealed: &str) -> bool {
        sealed.split('.').nth(1) != Some(self.current.id.as_str())
    }

    /// The `secret_token` Telegram sends back with every delivery to `/tg/<webhook id>`:
    /// derived, not stored, so the database alone cannot forge a delivery. 43 characters
    /// of A-Z a-z 0-9 _ - as setWebhook requires.
    pub fn webhook_secret(&self, webhook_id: &str) -> String {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.fingerprint_key)
            .expect("HMAC takes keys of any length");
        mac.update(b"tombola/webhook-secret/v1\0");
        mac.update(webhook_id.as_bytes());
        B64.encode(mac.finalize().into_bytes())
    }

    /// HMAC-SHA256 of the token, hex: equal tokens give equal fingerprints.
    pub fn fingerprint(&self, token: &BotToken) -> String {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.fingerprint_key)
            .expect("HMAC takes keys of any length");
        mac.update(token.expose().as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }
}

/// A bot's token, unsealed; a token that does not open (another key?) is an internal
/// error naming the bot's row, never the token.
pub fn open_token(cipher: &TokenCipher, row: &bots::Model) -> Result<BotToken, ServiceError> {
    cipher
        .open(row.public_id.as_str(), &row.token_sealed)
        .map_err(|e| ServiceError::Internal(format!("bot {}: {e}", row.id)))
}

/// What a prize code is sealed to: it opens only as a code of that giveaway.
fn code_aad(giveaway: GiveawayId) -> String {
    format!("prize-code:{giveaway}")
}

/// Seals a prize code of giveaway `giveaway` (`entities::prize_codes`).
pub fn seal_code(cipher: &TokenCipher, giveaway: GiveawayId, code: &str) -> String {
    cipher.seal_bytes(&code_aad(giveaway), code.as_bytes())
}

/// A prize code, unsealed; one that does not open is an internal error naming its row.
pub fn open_code(cipher: &TokenCipher, row: &prize_codes::Model) -> Result<String, ServiceError> {
    cipher
        .open_bytes(&code_aad(row.giveaway_id), &row.sealed)
        .and_then(|b| String::from_utf8(b).map_err(|_| CryptoError::Unauthentic))
        .map_err(|e| ServiceError::Internal(format!("prize code {}: {e}", row.id)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0";

    fn token() -> BotToken {
        BotToken::parse(TOKEN).unwrap()
    }

    #[test]
    fn seals_and_opens_for_the_same_bot_only() {
        let c = TokenCipher::single(&[7; 32]);
        let sealed = c.seal("bot-a", &token());
        assert!(sealed.starts_with("v1."));
        assert!(
            !sealed.contains("AAHd") && !sealed.contains("123456789"),
            "{sealed}"
        );
        assert_eq!(c.open("bot-a", &sealed).unwrap(), token());
        assert_eq!(
            c.open("bot-b", &sealed),
            Err(CryptoError::Unauthentic),
            "AAD binds the bot"
        );
        assert_ne!(sealed, c.seal("bot-a", &token()), "a fresh nonce each time");
    }

    #[test]
    fn tampering_and_garbage_are_errors() {
        let c = TokenCipher::single(&[7; 32]);
        let sealed = c.seal("bot-a", &token());
        // Flip one bit of the ciphertext (not of its base64 text, whose last character may
        // carry padding bits that decoding rejects as malformed instead).
        let (prefix, data) = sealed.rsplit_once('.').unwrap();
        let mut blob = B64.decode(data).unwrap();
        let last = blob.len() - 1;
        blob[last] ^= 0x01;
        let tampered = format!("{prefix}.{}", B64.encode(&blob));
        assert_eq!(c.open("bot-a", &tampered), Err(CryptoError::Unauthentic));
        for junk in [
            "",
            "v1",
            "v1.x.y",
            "v2.a.b",
            "v1..",
            &format!("v1.{}.!!!", c.current.id),
            &format!("v1.{}.AAAA", c.current.id),
        ] {
            assert!(c.open("bot-a", junk).is_err(), "{junk}");
        }
        let other = TokenCipher::single(&[8; 32]);
        assert!(matches!(
            other.open("bot-a", &sealed),
            Err(CryptoError::UnknownKey(_))
        ));
    }

    #[test]
    fn keys_rotate() {
        let old = TokenCipher::single(&[1; 32]);
        let sealed = old.seal("bot-a", &token());
        let new = TokenCipher::new(&[2; 32], &[[1; 32]], &[1; 32]);
        assert_eq!(new.open("bot-a", &sealed).unwrap(), token());
        assert!(new.needs_reseal(&sealed));
        let resealed = new.seal("bot-a", &token());
        assert!(!new.needs_reseal(&resealed));
        assert_eq!(
            old.fingerprint(&token()),
            new.fingerprint(&token()),
            "fingerprints survive rotation"
        );
    }

    #[test]
    fn webhook_secrets_are_stable_distinct_and_telegram_safe() {
        let c = TokenCipher::single(&[7; 32]);
        let s = c.webhook_secret("wh-1");
        assert_eq!(s, c.webhook_secret("wh-1"));
        assert_ne!(s, c.webhook_secret("wh-2"));
        assert_ne!(s, TokenCipher::single(&[8; 32]).webhook_secret("wh-1"));
        assert_eq!(s.len(), 43);
        assert!(
            s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        );
    }

    #[test]
    fn fingerprints_find_duplicates_without_revealing() {
        let c = TokenCipher::single(&[7; 32]);
        let other = BotToken::parse("987654321:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0").unwrap();
        assert_eq!(
            c.fingerprint(&token()),
            c.fingerprint(&BotToken::parse(&format!(" {TOKEN} ")).unwrap())
        );
        assert_ne!(c.fingerprint(&token()), c.fingerprint(&other));
        assert_ne!(
            c.fingerprint(&token()),
            TokenCipher::single(&[9; 32]).fingerprint(&token()),
            "keyed"
        );
        assert_eq!(c.fingerprint(&token()).len(), 64);
        assert_eq!(
            format!("{c:?}"),
            format!("TokenCipher(key {})", c.current.id)
        );
    }
}
