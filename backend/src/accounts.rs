//! Tenant accounts: sign-up, login, the session's principal, tenant settings.

use crate::entities::{accounts, tenants};
use crate::error::on_unique;
use crate::tenancy::{OperatorScope, TenantScope};
use crate::throttle::{self, LoginLimits};
use crate::{ServiceError, ids, password, platform};
use chrono::Utc;
use domain::{DisplayName, Email, Locale, Password, ValidationError};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    Set, TransactionTrait,
};
use std::net::IpAddr;

/// The time zone a new tenant starts with; Tombola serves Chinese-speaking tenants first.
pub const DEFAULT_TIME_ZONE: &str = "Asia/Shanghai";

/// What the sign-up form sends, unvalidated.
#[derive(Clone)]
pub struct SignupInput {
    pub email: String,
    pub password: String,
    pub company: String,
    pub locale: Locale,
}

/// The result of a successful sign-up or login: the account to put in the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccountId(pub i32);

/// Who is behind a session, resolved from the database on every request.
#[derive(Debug, Clone)]
pub struct Principal {
    pub scope: TenantScope,
    pub operator: Option<OperatorScope>,
    pub email: String,
    pub tenant_name: String,
    pub locale: Option<Locale>,
    /// `Some(reason)` when the operator suspended the tenant (the reason may be empty).
    pub suspended: Option<String>,
}

impl Principal {
    /// The scope, for a change: refused while the tenant is suspended.
    pub fn writer(&self) -> Result<&TenantScope, ServiceError> {
        match &self.suspended {
            Some(reason) => Err(ServiceError::Suspended {
                reason: Some(reason.clone()).filter(|r| !r.is_empty()),
            }),
            None => Ok(&self.scope),
        }
    }
}

/// Creates a tenant and its first account. The first account of the platform becomes
/// the operator, and may sign up even when self-service sign-up is off.
pub async fn sign_up(
    db: &DatabaseConnection,
    input: SignupInput,
) -> Result<AccountId, ServiceError> {
    let email = Email::parse(&input.email).map_err(ServiceError::validation("email"))?;
    let company =
        DisplayName::parse(&input.company).map_err(ServiceError::validation("company"))?;
    let password =
        Password::parse(&input.password).map_err(ServiceError::validation("password"))?;

    let first = accounts::Entity::find().count(db).await? == 0;
    if !first && !platform::signup_enabled(db).await? {
        return Err(ServiceError::SignupDisabled);
    }
    // Cheap check first so a duplicate does not cost a hash; the unique index decides.
    if find_by_email(db, &email).await?.is_some() {
        return Err(ServiceError::Conflict("email"));
    }
    let hash = password::hash(password).await?;
    let id = create(db, &email, &company, hash, input.locale, first).await?;
    tracing::info!(account = id.0, operator = first, "account signed up");
    Ok(id)
}

/// Creates an operator account from the command line, whatever the sign-up setting.
pub async fn create_operator(
    db: &DatabaseConnection,
    email: &str,
    password: &str,
    company: &str,
) -> Result<AccountId, ServiceError> {
    let email = Email::parse(email).map_err(ServiceError::validation("email"))?;
    let company = DisplayName::parse(company).map_err(ServiceError::validation("company"))?;
    let password = Password::parse(password).map_err(ServiceError::validation("password"))?;
    if find_by_email(db, &email).await?.is_some() {
        return Err(ServiceError::Conflict("email"));
    }
    let hash = password::hash(password).await?;
    create(db, &email, &company, hash, Locale::default(), true).await
}

async fn create(
    db: &DatabaseConnection,
    email: &Email,
    company: &DisplayName,
    password_hash: String,
    locale: Locale,
    operator: bool,
) -> Result<AccountId, ServiceError> {
    let now = Utc::now();
    let txn = db.begin().await?;
    let tenant = tenants::ActiveModel {
        public_id: Set(ids::new_public_id()),
        name: Set(company.as_str().to_owned()),
        time_zone: Set(DEFAULT_TIME_ZONE.to_owned()),
        bot_locale: Set(locale.tag().to_owned()),
        plan: Set(domain::Plan::default().code().to_owned()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let account = accounts::ActiveModel {
        public_id: Set(ids::new_public_id()),
        tenant_id: Set(tenant.id),
        email: Set(email.as_str().to_owned()),
        password_hash: Set(password_hash),
        is_operator: Set(operator),
        locale: Set(Some(locale.tag().to_owned())),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(on_unique("email"))?;
    txn.commit().await?;
    Ok(AccountId(account.id))
}

async fn find_by_email(
    db: &DatabaseConnection,
    email: &Email,
) -> Result<Option<accounts::Model>, ServiceError> {
    Ok(accounts::Entity::find()
        .filter(accounts::Column::Email.eq(email.as_str()))
        .one(db)
        .await?)
}

/// Checks an e-mail and password, throttled per account and per client IP.
///
/// Unknown e-mails cost the same argon2 work as known ones and give the same error.
pub async fn log_in(
    db: &DatabaseConnection,
    limits: &LoginLimits,
    email: &str,
    password: &str,
    client_ip: Option<IpAddr>,
) -> Result<AccountId, ServiceError> {
    let email = Email::parse(email).map_err(ServiceError::validation("email"))?;
    let password = Password::for_login(password).map_err(ServiceError::validation("password"))?;
    let now = Utc::now();
    let account_key = throttle::account_key(email.as_str());
    let mut keys = vec![(account_key.clone(), limits.per_account)];
    if let Some(ip) = client_ip {
        keys.push((throttle::ip_key(ip), limits.per_ip));
    }
    throttle::check(db, limits, &keys, now).await?;

    let account = find_by_email(db, &email).await?;
    let ok = password::verify(password, account.as_ref().map(|a| a.password_hash.clone())).await?;
    match account {
        Some(account) if ok => {
            throttle::clear(db, &account_key).await?;
            let mut active: accounts::ActiveModel = account.into();
            active.last_login_at = Set(Some(now));
            let account = active.update(db).await?;
            tracing::info!(account = account.id, "login");
            Ok(AccountId(account.id))
        }
        _ => {
            throttle::record_failure(db, &keys, now).await?;
            Err(ServiceError::InvalidCredentials)
        }
    }
}

/// Resolves the account stored in a session. `None` when it no longer exists.
pub async fn resolve_session(
    db: &DatabaseConnection,
    account: AccountId,
) -> Result<Option<Principal>, ServiceError> {
    let Some((account, Some(tenant))) = accounts::Entity::find_by_id(account.0)
        .find_also_related(tenants::Entity)
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    Ok(Some(Principal {
        scope: TenantScope::for_account(tenant.id, account.id),
        operator: account.is_operator.then_some(OperatorScope {
            account_id: account.id,
        }),
        email: account.email,
        tenant_name: tenant.name,
        locale: account.locale.as_deref().and_then(Locale::from_tag),
        suspended: tenant
            .suspended_at
            .map(|_| tenant.suspended_reason.unwrap_or_default()),
    }))
}

/// Remembers the language an account chose in the dashboard.
pub async fn set_account_locale(
    db: &DatabaseConnection,
    scope: &TenantScope,
    locale: Locale,
) -> Result<(), ServiceError> {
    let Some(account_id) = scope.account_id() else {
        return Err(ServiceError::Forbidden);
    };
    accounts::Entity::update_many()
        .col_expr(
            accounts::Column::Locale,
            sea_orm::sea_query::Expr::value(locale.tag()),
        )
        .filter(accounts::Column::Id.eq(account_id))
        .filter(accounts::Column::TenantId.eq(scope.tenant_id))
        .exec(db)
        .await?;
    Ok(())
}

/// A tenant's own settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantSettings {
    pub company: String,
    pub time_zone: String,
    pub bot_locale: Locale,
}

pub async fn settings(
    db: &DatabaseConnection,
    scope: &TenantScope,
) -> Result<TenantSettings, ServiceError> {
    let tenant = tenants::Entity::find_by_id(scope.tenant_id)
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound)?;
    Ok(TenantSettings {
        company: tenant.name,
        time_zone: tenant.time_zone,
        bot_locale: Locale::from_tag(&tenant.bot_locale).unwrap_or_default(),
    })
}

/// Validates and saves a tenant's settings.
pub async fn update_settings(
    db: &DatabaseConnection,
    scope: &TenantScope,
    company: &str,
    time_zone: &str,
    bot_locale: &str,
) -> Result<TenantSettings, ServiceError> {
    let company = DisplayName::parse(company).map_err(ServiceError::validation("company"))?;
    let time_zone = parse_time_zone(time_zone).map_err(ServiceError::validation("time_zone"))?;
    let bot_locale = Locale::from_tag(bot_locale).ok_or(ServiceError::Validation {
        field: "bot_locale",
        error: ValidationError::UnsupportedLanguage,
    })?;
    let tenant = tenants::Entity::find_by_id(scope.tenant_id)
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let mut active: tenants::ActiveModel = tenant.into();
    active.name = Set(company.into_inner());
    active.time_zone = Set(time_zone.to_owned());
    active.bot_locale = Set(bot_locale.tag().to_owned());
    active.updated_at = Set(Utc::now());
    let tenant = active.update(db).await?;
    Ok(TenantSettings {
        company: tenant.name,
        time_zone: tenant.time_zone,
        bot_locale,
    })
}

fn parse_time_zone(raw: &str) -> Result<&'static str, ValidationError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(ValidationError::Required);
    }
    raw.parse::<chrono_tz::Tz>()
        .map(|tz| tz.name())
        .map_err(|_| ValidationError::UnknownTimeZone)
}

/// Every IANA time zone name, for the settings form.
pub fn time_zone_names() -> impl Iterator<Item = &'static str> {
    chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name())
}
