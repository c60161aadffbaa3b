//! Password hashing: argon2id with OWASP's parameters, always on a blocking thread.

use crate::ServiceError;
use argon2::password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash};
use argon2::{Algorithm, Argon2, Params, Version};
use domain::Password;
use std::sync::LazyLock;

/// OWASP Password Storage Cheat Sheet: argon2id, m = 19 MiB, t = 2, p = 1.
fn hasher() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("OWASP argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// A hash of a random password with the same parameters: verifying against it when an
/// e-mail is unknown costs the same time as a real check, so timing does not reveal
/// which addresses have accounts.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    hasher()
        .hash_password(format!("dummy-{}", crate::ids::new_public_id().as_str()).as_bytes())
        .expect("hashing a constant succeeds")
        .to_string()
});

/// Hashes a password to a PHC string, off the async runtime.
pub async fn hash(password: Password) -> Result<String, ServiceError> {
    tokio::task::spawn_blocking(move || {
        hasher()
            .hash_password(password.expose().as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| ServiceError::Internal(format!("argon2 hash: {e}")))
    })
    .await
    .map_err(|e| ServiceError::Internal(format!("hash task: {e}")))?
}

/// Verifies a password against a stored PHC string (or the dummy hash when `stored` is
/// `None`, which always fails), off the async runtime.
pub async fn verify(password: Password, stored: Option<String>) -> Result<bool, ServiceError> {
    tokio::task::spawn_blocking(move || {
        let real = stored.is_some();
        let phc = stored.unwrap_or_else(|| DUMMY_HASH.clone());
        let parsed = PasswordHash::new(&phc)
            .map_err(|e| ServiceError::Internal(format!("stored hash unreadable: {e}")))?;
        let ok = hasher()
            .verify_password(password.expose().as_bytes(), &parsed)
            .is_ok();
        Ok(ok && real)
    })
    .await
    .map_err(|e| ServiceError::Internal(format!("verify task: {e}")))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hash_then_verify() {
        let h = hash(Password::parse("correct horse").unwrap())
            .await
            .unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(
            verify(Password::parse("correct horse").unwrap(), Some(h.clone()))
                .await
                .unwrap()
        );
        assert!(
            !verify(Password::parse("wrong horse!").unwrap(), Some(h))
                .await
                .unwrap()
        );
    }

    #[tokio::test]
    async fn unknown_account_never_verifies() {
        assert!(
            !verify(Password::parse("anything at all").unwrap(), None)
                .await
                .unwrap()
        );
    }
}
