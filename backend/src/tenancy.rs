//! Who may see and change what. Tenant data is only reachable through a [`TenantScope`],
//! and the only ways to get one are `accounts::resolve_session` (an authenticated
//! account) and the inbox workers, for an update that arrived for one of the tenant's
//! bots (a verified bot: its webhook secret matched, or its own token polled it).
//! A change needs a [`WriterScope`], which a suspended tenant cannot get.
//! Operator-wide views need an [`OperatorScope`].
//!
//! Foundation: imports only `ids`.

use crate::ids::{AccountId, BotId, TenantId};

/// Who acts for the tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    /// A signed-in account of the tenant.
    Account(AccountId),
    /// One of the tenant's bots, answering its audience.
    Bot(BotId),
}

/// Proof that the caller acts for one tenant. Not constructible outside this crate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TenantScope {
    tenant_id: TenantId,
    actor: Actor,
}

impl TenantScope {
    pub(crate) fn for_account(tenant_id: TenantId, account_id: AccountId) -> Self {
        Self {
            tenant_id,
            actor: Actor::Account(account_id),
        }
    }

    pub(crate) fn for_bot(tenant_id: TenantId, bot_id: BotId) -> Self {
        Self {
            tenant_id,
            actor: Actor::Bot(bot_id),
        }
    }

    /// The tenant's row id, for logs and for the services of this crate.
    pub fn tenant_id(&self) -> TenantId {
        self.tenant_id
    }

    /// Who acts for the tenant.
    pub fn actor(&self) -> Actor {
        self.actor
    }

    /// The account acting for the tenant, when an account acts.
    pub fn account_id(&self) -> Option<AccountId> {
        match self.actor {
            Actor::Account(id) => Some(id),
            Actor::Bot(_) => None,
        }
    }

    /// The bot acting for the tenant, when a bot acts.
    pub fn bot_id(&self) -> Option<BotId> {
        match self.actor {
            Actor::Bot(id) => Some(id),
            Actor::Account(_) => None,
        }
    }
}

/// A [`TenantScope`] that may change the tenant's data. Only a tenant that is not
/// suspended gets one: `accounts::Principal::writer` for the dashboard, the inbox
/// workers for a bot (they leave a suspended tenant's updates unanswered). Mutating
/// services take `&WriterScope`; it reads as a `TenantScope` everywhere else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriterScope(TenantScope);

impl WriterScope {
    /// Only for a scope whose tenant the caller has just seen not suspended.
    pub(crate) fn of_active(scope: TenantScope) -> WriterScope {
        WriterScope(scope)
    }

    /// For integration tests only (feature `test-support`): a tenant's bot acting,
    /// without an update having arrived for it.
    #[cfg(feature = "test-support")]
    pub fn for_bot_in_tests(tenant_id: TenantId, bot_id: BotId) -> Self {
        WriterScope(TenantScope::for_bot(tenant_id, bot_id))
    }
}

impl std::ops::Deref for WriterScope {
    type Target = TenantScope;
    fn deref(&self) -> &TenantScope {
        &self.0
    }
}

/// Proof that the caller is a platform operator. Not constructible outside this crate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OperatorScope {
    account_id: AccountId,
}

impl OperatorScope {
    pub(crate) fn of(account_id: AccountId) -> OperatorScope {
        OperatorScope { account_id }
    }

    /// The operator's account, for the log.
    pub fn account_id(&self) -> AccountId {
        self.account_id
    }
}
