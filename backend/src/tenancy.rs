//! Who may see what. Tenant data is only reachable through a [`TenantScope`], and the
//! only ways to get one are [`crate::accounts::resolve_session`] (an authenticated
//! account) and the inbox workers, for an update that arrived for one of the tenant's
//! bots (a verified bot: its webhook secret matched, or its own token polled it).
//! Operator-wide views need an [`OperatorScope`].

/// Who acts for the tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    /// A signed-in account of the tenant.
    Account(i32),
    /// One of the tenant's bots, answering its audience.
    Bot(i32),
}

/// Proof that the caller acts for one tenant. Not constructible outside this crate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TenantScope {
    pub(crate) tenant_id: i32,
    pub(crate) actor: Actor,
}

impl TenantScope {
    pub(crate) fn for_account(tenant_id: i32, account_id: i32) -> Self {
        Self {
            tenant_id,
            actor: Actor::Account(account_id),
        }
    }

    pub(crate) fn for_bot(tenant_id: i32, bot_id: i32) -> Self {
        Self {
            tenant_id,
            actor: Actor::Bot(bot_id),
        }
    }

    /// For integration tests only (feature `test-support`): the scope of a tenant's bot
    /// without an update having arrived for it.
    #[cfg(feature = "test-support")]
    pub fn for_bot_in_tests(tenant_id: i32, bot_id: i32) -> Self {
        Self::for_bot(tenant_id, bot_id)
    }

    /// The tenant's row id, for logs and for the services of this crate.
    pub fn tenant_id(&self) -> i32 {
        self.tenant_id
    }

    /// Who acts for the tenant.
    pub fn actor(&self) -> Actor {
        self.actor
    }

    /// The account acting for the tenant, when an account acts.
    pub fn account_id(&self) -> Option<i32> {
        match self.actor {
            Actor::Account(id) => Some(id),
            Actor::Bot(_) => None,
        }
    }
}

/// Proof that the caller is a platform operator. Not constructible outside this crate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OperatorScope {
    pub(crate) account_id: i32,
}
