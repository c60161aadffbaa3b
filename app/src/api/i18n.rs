//! The language switch.

use crate::error::AppError;
use domain::Locale;
use leptos::prelude::*;

/// Remembers the chosen language in a cookie (and on the account, when logged in).
#[server(endpoint = "i18n/language")]
pub async fn set_language(lang: String) -> Result<Locale, AppError> {
    let call = crate::server::Call::start()?;
    let locale = Locale::from_tag(&lang).ok_or(AppError::Validation {
        field: domain::Field::Language,
        code: domain::ValidationError::UnsupportedLanguage,
    })?;
    call.set_lang_cookie(locale);
    if let Ok(p) = call.principal().await {
        backend::accounts::set_account_locale(call.db(), &p.scope, locale).await?;
    }
    Ok(locale)
}
