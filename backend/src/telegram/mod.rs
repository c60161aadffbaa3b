//! The bots' side of the pipeline: the durable [`inbox`] every update is written to, the
//! [`worker`]s that claim and answer updates through the [`dialog`] tree, the
//! [`poller`]s for bots without a webhook, the durable [`outbox`] and its sender, the
//! [`membership`] checks of join conditions, the reads one batch's handlers share
//! ([`memo`]), and the check of a Mini App's signed [`init_data`].
//!
//! May import: the foundation only (`botapi`, `clock`, `crypto`, `deps`, `entities`,
//! `error`, `ids`, `leases`, `stop`, `tenancy`). Features plug into the dialog from
//! above (`giveaways` implements [`dialog::Feature`]); nothing here imports `giveaways`,
//! `bots`, `accounts` or `ops` — a test (`backend/tests/layers.rs`) keeps it so.

pub mod dialog;
pub mod inbox;
pub mod init_data;
pub mod membership;
pub mod memo;
pub mod outbox;
pub mod poller;
pub mod worker;

pub use dialog::{Ctx, Feature, HandlerResult, allowed_updates};
pub use worker::Workers;

use crate::ServiceError;
use crate::deps::Deps;
use crate::entities::bots;
use crate::ids::BotId;
use chrono::Utc;
use domain::{BotStatus, StatusReason};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

/// Records how a bot stands after what Telegram answered (live, error with a reason,
/// revoked); the webhook route looks the bot up afresh.
pub async fn set_bot_status(
    deps: &Deps,
    bot: BotId,
    status: BotStatus,
    reason: Option<StatusReason>,
) -> Result<(), ServiceError> {
    deps.webhooks.forget(bot);
    bots::Entity::update_many()
        .col_expr(bots::Column::Status, Expr::value(status))
        .col_expr(bots::Column::StatusReason, Expr::value(reason))
        .col_expr(bots::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(bots::Column::Id.eq(bot))
        .exec(&deps.db)
        .await?;
    Ok(())
}
