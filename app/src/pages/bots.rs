//! The Bots page: how to get a token, connect a bot, see each bot's state.

use crate::api::bots::{
    ConnectBot, RemoveBot, ReplaceBotToken, SetBotEnabled, SetBotMode, list_bots,
};
use crate::auth::reload_on_success;
use crate::components::{ErrorMessage, action_error};
use crate::dto::BotDto;
use crate::i18n::{Key, use_i18n};
use domain::{BotMode, BotStatus, StatusReason};
use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;
use thaw::{Button, ButtonAppearance, ButtonType, Card, Input};

#[component]
pub fn BotsPage() -> impl IntoView {
    let i18n = use_i18n();
    let connect = ServerAction::<ConnectBot>::new();
    reload_on_success(connect, "/bots");
    let bots = Resource::new_blocking(|| (), |_| list_bots());
    view! {
        <Title text=crate::i18n::title(Key::BotsTitle) />
        <h1>{move || i18n.t(Key::BotsTitle)}</h1>
        <p>{move || i18n.t(Key::BotsIntro)}</p>
        <Card class="bots-connect">
            <h2>{move || i18n.t(Key::BotsHowTo)}</h2>
            <ol class="howto">
                <li>{move || i18n.t(Key::BotsStep1)}</li>
                <li>{move || i18n.t(Key::BotsStep2)}</li>
                <li>{move || i18n.t(Key::BotsStep3)}</li>
            </ol>
            <ActionForm action=connect attr:class="connect-form" attr:data-testid="connect-form">
                <div class="field">
                    <label for="field-token">{move || i18n.t(Key::BotToken)}</label>
                    <Input id="field-token" name="token" autocomplete="off" placeholder="123456789:AA…" />
                    <small class="hint">{move || i18n.t(Key::BotTokenHint)}</small>
                </div>
                <ErrorMessage error=action_error(connect) />
                <Button button_type=ButtonType::Submit appearance=ButtonAppearance::Primary loading=connect.pending()>
                    {move || i18n.t(Key::ConnectBot)}
                </Button>
            </ActionForm>
        </Card>
        <Suspense fallback=move || view! { <p>{move || i18n.t(Key::Loading)}</p> }>
            {move || Suspend::new(async move {
                match bots.await {
                    Ok(page) if page.bots.is_empty() => {
                        let used = i18n
                            .t(Key::BotsUsed)
                            .replace("{used}", "0")
                            .replace("{limit}", &page.max_bots.to_string());
                        Either::Left(Either::Left(view! {
                            <p class="plan-usage" data-testid="bots-used">{used}</p>
                            <p class="empty-state">{move || i18n.t(Key::BotsEmpty)}</p>
                        }))
                    }
                    Ok(page) => {
                        let used = i18n
                            .t(Key::BotsUsed)
                            .replace("{used}", &page.bots.len().to_string())
                            .replace("{limit}", &page.max_bots.to_string());
                        let webhooks = page.webhooks_possible;
                        Either::Left(Either::Right(view! {
                            <p class="plan-usage" data-testid="bots-used">{used}</p>
                            <ul class="bot-list" data-testid="bot-list">
                                {page
                                    .bots
                                    .into_iter()
                                    .map(|b| view! { <BotRow bot=b webhooks_possible=webhooks /> })
                                    .collect_view()}
                            </ul>
                        }))
                    }
                    Err(e) => Either::Right(view! { <ErrorMessage error=Some(e) /> }),
                }
            })}
        </Suspense>
    }
}

#[component]
fn BotRow(bot: BotDto, webhooks_possible: bool) -> impl IntoView {
    let i18n = use_i18n();
    let mode = ServerAction::<SetBotMode>::new();
    reload_on_success(mode, "/bots");
    // Polling always works; a webhook needs the platform's public https address.
    let other_mode = match bot.mode {
        BotMode::Webhook => Some((BotMode::Polling.code(), Key::SwitchToPolling)),
        BotMode::Polling if webhooks_possible => {
            Some((BotMode::Webhook.code(), Key::SwitchToWebhook))
        }
        BotMode::Polling => None,
    };
    let mode_id = bot.id.clone();
    let mode_switch = other_mode.map(|(target, key)| {
        view! {
            <ActionForm action=mode>
                <input type="hidden" name="id" value=mode_id />
                <input type="hidden" name="mode" value=target />
                <Button button_type=ButtonType::Submit loading=mode.pending()>
                    {move || i18n.t(key)}
                </Button>
            </ActionForm>
        }
    });
    let switch = ServerAction::<SetBotEnabled>::new();
    reload_on_success(switch, "/bots");
    let remove = ServerAction::<RemoveBot>::new();
    reload_on_success(remove, "/bots");
    let replace = ServerAction::<ReplaceBotToken>::new();
    reload_on_success(replace, "/bots");
    let id = bot.id.clone();
    let username = bot.username.clone();
    let confirm = move |key: Key| {
        let username = username.clone();
        move || i18n.t(key).replace("{username}", &username)
    };
    let remove_question = confirm(Key::ConfirmRemove);
    let toggle_id = id.clone();
    let token_field = format!("token-{id}");
    let replace_id = id.clone();
    let toggle = if bot.enabled {
        Either::Left(view! {
            // <details> opens the confirmation without JavaScript.
            <details class="confirm">
                <summary class="link-button">{move || i18n.t(Key::DisableBot)}</summary>
                <ActionForm action=switch>
                    <p>{confirm(Key::ConfirmDisable)}</p>
                    <input type="hidden" name="id" value=toggle_id />
                    <input type="hidden" name="enabled" value="false" />
                    <Button button_type=ButtonType::Submit loading=switch.pending()>
                        {move || i18n.t(Key::YesDisable)}
                    </Button>
                </ActionForm>
            </details>
        })
    } else {
        Either::Right(view! {
            <ActionForm action=switch>
                <input type="hidden" name="id" value=toggle_id />
                <input type="hidden" name="enabled" value="true" />
                <Button button_type=ButtonType::Submit loading=switch.pending()>
                    {move || i18n.t(Key::EnableBot)}
                </Button>
            </ActionForm>
        })
    };
    let status_key = match bot.status {
        BotStatus::Live => Key::BotStatusLive,
        BotStatus::Revoked => Key::BotStatusRevoked,
        BotStatus::Error => Key::BotStatusError,
        BotStatus::Stopped => Key::BotStatusStopped,
    };
    let mode_key = if bot.mode == BotMode::Webhook {
        Key::BotByWebhook
    } else {
        Key::BotByPolling
    };
    let link = format!("https://t.me/{}", bot.username);
    let status_class = format!("status-tag status-{}", bot.status);
    view! {
        <li class="bot-row" data-testid="bot-row">
            <a class="bot-name" href=link target="_blank" rel="noopener">
                "@"{bot.username.clone()}
            </a>
            <span class=status_class data-testid="bot-status">
                {move || i18n.t(status_key)}
                {(bot.status == BotStatus::Live).then(|| view! { " · " {move || i18n.t(mode_key)} })}
            </span>
            {bot
                .status_reason
                .map(reason_key)
                .map(|k| view! { <span class="status-reason">{move || i18n.t(k)}</span> })}
            {bot
                .webhook_url
                .clone()
                .map(|u| {
                    view! {
                        <div class="webhook-url">
                            <span>{move || i18n.t(Key::WebhookUrl)} ": "</span>
                            <code>{u}</code>
                        </div>
                    }
                })}
            <div class="bot-actions">
                {toggle}
                {mode_switch}
                <details class="confirm" open=bot.status == BotStatus::Revoked>
                    <summary class="link-button">{move || i18n.t(Key::ReplaceToken)}</summary>
                    <ActionForm action=replace>
                        <p>{move || i18n.t(Key::ReplaceTokenHelp)}</p>
                        <input type="hidden" name="id" value=replace_id />
                        <label class="visually-hidden" for=token_field.clone()>{move || i18n.t(Key::BotToken)}</label>
                        <Input id=token_field name="token" autocomplete="off" placeholder="123456789:AA…" />
                        <Button button_type=ButtonType::Submit loading=replace.pending()>
                            {move || i18n.t(Key::ReplaceToken)}
                        </Button>
                    </ActionForm>
                </details>
                <details class="confirm">
                    <summary class="link-button">{move || i18n.t(Key::RemoveBot)}</summary>
                    <ActionForm action=remove>
                        <p>{remove_question}</p>
                        <input type="hidden" name="id" value=id />
                        <Button button_type=ButtonType::Submit loading=remove.pending()>
                            {move || i18n.t(Key::YesRemove)}
                        </Button>
                    </ActionForm>
                </details>
                <ErrorMessage error=action_error(switch) />
                <ErrorMessage error=action_error(mode) />
                <ErrorMessage error=action_error(remove) />
                <ErrorMessage error=action_error(replace) />
            </div>
        </li>
    }
}

/// The Bots page's words for a status reason.
fn reason_key(reason: StatusReason) -> Key {
    match reason {
        StatusReason::Starting => Key::BotReasonStarting,
        StatusReason::TokenRejected => Key::ErrTelegramRejectedToken,
        StatusReason::TokenUnreadable => Key::BotReasonTokenUnreadable,
        StatusReason::Unavailable | StatusReason::RetryAfter => Key::ErrTelegramUnavailable,
        StatusReason::Refused => Key::ErrTelegramRefused,
        StatusReason::Unreadable => Key::BotReasonUnreadable,
    }
}
