//! Who may see what. Tenant data is only reachable through a [`TenantScope`], and the
//! only way to get one is [`crate::accounts::resolve_session`] (an authenticated
//! account) — later also a verified bot. Operator-wide views need an [`OperatorScope`].

/// Proof that the caller acts for one tenant. Not constructible outside this crate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TenantScope {
    pub(crate) tenant_id: i32,
    pub(crate) account_id: i32,
}

impl TenantScope {
    pub(crate) fn new(tenant_id: i32, account_id: i32) -> Self {
        Self {
            tenant_id,
            account_id,
        }
    }

    /// The tenant's row id, for logs and for the services of this crate.
    pub fn tenant_id(&self) -> i32 {
        self.tenant_id
    }

    /// The account acting for the tenant.
    pub fn account_id(&self) -> i32 {
        self.account_id
    }
}

/// Proof that the caller is a platform operator. Not constructible outside this crate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OperatorScope {
    pub(crate) account_id: i32,
}
