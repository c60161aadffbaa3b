//! Accounts: sign-up, login, and the principal behind a session.

use super::throttle::{self, LoginLimits};
use super::{password, platform};
use crate::ServiceError;
use crate::entities::{accounts, tenants};
use crate::error::on_unique;
use crate::ids::{self, AccountId};
use crate::tenancy::{OperatorScope, TenantScope, WriterScope};
use chrono::Utc;
use domain::{Conflict, DisplayName, Email, Field, Locale, Password};
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
    /// The scope for a change: refused while the tenant is suspended.
    pub fn writer(&self) -> Result<WriterScope, ServiceError> {
        match &self.suspended {
            Some(reason) => Err(ServiceError::Suspended {
                reason: Some(reason.clone()).filter(|r| !r.is_empty()),
            }),
            None => Ok(WriterScope::of_active(self.scope)),
        }
    }
}

/// Creates a tenant and its first account. The first account of the platform becomes
/// the operator, and may sign up even when self-service sign-up is off.
pub async fn sign_up(
    db: &DatabaseConnection,
    input: SignupInput,
) -> Result<AccountId, ServiceError> {
    let email = Email::parse(&input.email).map_err(ServiceError::validation(Field::Email))?;
    let company =
        DisplayName::parse(&input.company).map_err(ServiceError::validation(Field::Company))?;
    let password =
        Password::parse(&input.password).map_err(ServiceError::validation(Field::Password))?;

    let first = accounts::Entity::find().count(db).await? == 0;
    if !first && !platform::signup_enabled(db).await? {
        return Err(ServiceError::SignupDisabled);
    }
    // Cheap check first so a duplicate does not cost a hash; the unique index decides.
    if find_by_email(db, &email).await?.is_some() {
        return Err(ServiceError::Conflict(Conflict::Email));
    }
    let hash = password::hash(password).await?;
    let id = create(db, &email, &company, hash, input.locale, first).await?;
    tracing::info!(account = %id, operator = first, "account signed up");
    Ok(id)
}

/// Creates an operator account from the command line, whatever the sign-up setting.
pub async fn create_operator(
    db: &DatabaseConnection,
    email: &str,
    password: &str,
    company: &str,
) -> Result<AccountId, ServiceError> {
    let email = Email::parse(email).map_err(ServiceError::validation(Field::Email))?;
    let company = DisplayName::parse(company).map_err(ServiceError::validation(Field::Company))?;
    let password = Password::parse(password).map_err(ServiceError::validation(Field::Password))?;
    if find_by_email(db, &email).await?.is_some() {
        return Err(ServiceError::Conflict(Conflict::Email));
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
        plan: Set(domain::Plan::default()),
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
    .map_err(on_unique(Conflict::Email))?;
    txn.commit().await?;
    Ok(account.id)
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
    let email = Email::parse(email).map_err(ServiceError::validation(Field::Email))?;
    let password =
        Password::for_login(password).map_err(ServiceError::validation(Field::Password))?;
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
            tracing::info!(account = %account.id, "login");
            Ok(account.id)
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
    let Some((account, Some(tenant))) = accounts::Entity::find_by_id(account)
        .find_also_related(tenants::Entity)
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    Ok(Some(Principal {
        scope: TenantScope::for_account(tenant.id, account.id),
        operator: account.is_operator.then(|| OperatorScope::of(account.id)),
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
        .filter(accounts::Column::TenantId.eq(scope.tenant_id()))
        .exec(db)
        .await?;
    Ok(())
}
