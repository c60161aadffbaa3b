//! The operator's platform controls.

use crate::api::operator::{
    SetSignupEnabled, SetTenantPlan, SetTenantSuspended, get_operator_overview, list_tenants,
};
use crate::auth::reload_on_success;
use crate::components::{ErrorMessage, action_error};
use crate::dto::TenantDto;
use crate::i18n::{Key, use_i18n};
use domain::Plan;
use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;
use thaw::{Button, ButtonAppearance, ButtonType, Card};

#[component]
pub fn OperatorPage() -> impl IntoView {
    let i18n = use_i18n();
    let toggle = ServerAction::<SetSignupEnabled>::new();
    let overview = Resource::new_blocking(|| (), |_| get_operator_overview());
    view! {
        <Title text=crate::i18n::title(Key::OperatorTitle) />
        <h1>{move || i18n.t(Key::OperatorTitle)}</h1>
        <Suspense fallback=move || view! { <p>{move || i18n.t(Key::Loading)}</p> }>
            {move || Suspend::new(async move {
                match overview.await {
                    Ok(o) => {
                        // The last answer of the toggle wins over the loaded state.
                        let enabled = move || match toggle.value().get() {
                            Some(Ok(now)) => now,
                            _ => o.signup_enabled,
                        };
                        Either::Left(view! {
                        <Card class="operator-card">
                            <h2>{move || i18n.t(Key::TenantCount)}</h2>
                            <p class="big-number" data-testid="tenant-count">{o.tenants}</p>
                        </Card>
                        <Card class="operator-card">
                            <h2>{move || i18n.t(Key::SignupSetting)}</h2>
                            <p data-testid="signup-state">
                                {move || i18n.t(if enabled() { Key::SignupIsOn } else { Key::SignupIsOff })}
                            </p>
                            <ActionForm action=toggle>
                                <input type="hidden" name="enabled" value=move || (!enabled()).to_string() />
                                <Button button_type=ButtonType::Submit appearance=ButtonAppearance::Primary loading=toggle.pending()>
                                    {move || i18n.t(if enabled() { Key::TurnOff } else { Key::TurnOn })}
                                </Button>
                            </ActionForm>
                            <ErrorMessage error=action_error(toggle) />
                        </Card>
                        <TenantsTable />
                    })
                    }
                    Err(e) => Either::Right(view! { <ErrorMessage error=Some(e) /> }),
                }
            })}
        </Suspense>
    }
}

/// The words for a plan, with its limits.
pub fn plan_label(i18n: crate::i18n::I18n, plan: Plan) -> String {
    let name = i18n.t(match plan {
        Plan::Starter => Key::PlanStarter,
        Plan::Pro => Key::PlanPro,
        Plan::Business => Key::PlanBusiness,
    });
    let l = plan.limits();
    let summary = i18n
        .t(Key::PlanSummary)
        .replace("{bots}", &l.bots.to_string())
        .replace("{giveaways}", &l.open_giveaways.to_string())
        .replace("{entries}", &l.entries_per_giveaway.to_string());
    format!("{name} ({summary})")
}

#[component]
fn TenantsTable() -> impl IntoView {
    let i18n = use_i18n();
    let tenants = Resource::new_blocking(|| (), |_| list_tenants());
    view! {
        <Card class="operator-card tenants-card">
            <h2>{move || i18n.t(Key::TenantsTitle)}</h2>
            <Suspense fallback=move || view! { <p>{move || i18n.t(Key::Loading)}</p> }>
                {move || Suspend::new(async move {
                    match tenants.await {
                        Ok(list) => Either::Left(view! {
                            <table class="data-table" data-testid="tenants-table">
                                <thead>
                                    <tr>
                                        <th>{move || i18n.t(Key::TenantName)}</th>
                                        <th>{move || i18n.t(Key::TenantBots)}</th>
                                        <th>{move || i18n.t(Key::TenantGiveaways)}</th>
                                        <th>{move || i18n.t(Key::TenantEntries)}</th>
                                        <th>{move || i18n.t(Key::TenantLastActivity)}</th>
                                        <th>{move || i18n.t(Key::TenantErrors)}</th>
                                        <th>{move || i18n.t(Key::TenantSince)}</th>
                                        <th>{move || i18n.t(Key::Plan)}</th>
                                        <th>{move || i18n.t(Key::TenantStatus)}</th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {list.into_iter().map(|t| view! { <TenantRow tenant=t /> }).collect_view()}
                                </tbody>
                            </table>
                        }),
                        Err(e) => Either::Right(view! { <ErrorMessage error=Some(e) /> }),
                    }
                })}
            </Suspense>
        </Card>
    }
}

#[component]
fn TenantRow(tenant: TenantDto) -> impl IntoView {
    let i18n = use_i18n();
    let set_plan = ServerAction::<SetTenantPlan>::new();
    reload_on_success(set_plan, "/operator");
    let suspend = ServerAction::<SetTenantSuspended>::new();
    reload_on_success(suspend, "/operator");
    let field = format!("plan-{}", tenant.id);
    let reason_field = format!("reason-{}", tenant.id);
    let day = tenant.created_at.get(..10).unwrap_or_default().to_owned();
    // "2026-11-26T11:47:03Z" → "2026-11-26 11:47 UTC"
    let last = tenant.last_activity.as_deref().map(|at| {
        format!(
            "{} {} UTC",
            at.get(..10).unwrap_or_default(),
            at.get(11..16).unwrap_or_default()
        )
    });
    let suspended = tenant.suspended.clone();
    let is_suspended = suspended.is_some();
    let tenant_id = tenant.id.clone();
    view! {
        <tr data-testid="tenant-row" class:suspended=is_suspended>
            <td>{tenant.name.clone()}</td>
            <td>{tenant.bots}</td>
            <td>{tenant.giveaways}</td>
            <td>{tenant.entries}</td>
            <td>{match last {
                Some(at) => Either::Left(view! { <span>{at}</span> }),
                None => Either::Right(view! { <span>{move || i18n.t(Key::Never)}</span> }),
            }}</td>
            <td data-testid="tenant-errors">{tenant.errors_24h}</td>
            <td>{day}</td>
            <td>
                <ActionForm action=set_plan attr:class="plan-form">
                    <input type="hidden" name="tenant" value=tenant.id.clone() />
                    <label class="visually-hidden" for=field.clone()>{move || i18n.t(Key::Plan)}</label>
                    <select id=field name="plan">
                        {Plan::ALL
                            .into_iter()
                            .map(|p| {
                                view! {
                                    <option value=p.code() selected=p == tenant.plan>
                                        {move || plan_label(i18n, p)}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                    <Button button_type=ButtonType::Submit loading=set_plan.pending()>
                        {move || i18n.t(Key::Save)}
                    </Button>
                    <ErrorMessage error=action_error(set_plan) />
                </ActionForm>
            </td>
            <td>
                <ActionForm action=suspend attr:class="suspend-form">
                    <input type="hidden" name="tenant" value=tenant_id />
                    {match suspended {
                        Some(reason) => Either::Left(view! {
                            <span class="badge badge-warn" data-testid="tenant-status">
                                {move || i18n.t(Key::TenantSuspended)}
                            </span>
                            {(!reason.is_empty()).then(|| view! { <span class="muted">{format!(" ({reason})")}</span> })}
                            <input type="hidden" name="action" value="resume" />
                            <Button button_type=ButtonType::Submit loading=suspend.pending()>
                                {move || i18n.t(Key::Resume)}
                            </Button>
                        }),
                        None => Either::Right(view! {
                            <span class="badge" data-testid="tenant-status">
                                {move || i18n.t(Key::TenantActive)}
                            </span>
                            <input type="hidden" name="action" value="suspend" />
                            <label class="visually-hidden" for=reason_field.clone()>{move || i18n.t(Key::SuspendReason)}</label>
                            <input id=reason_field type="text" name="reason" maxlength="200"
                                placeholder=move || i18n.t(Key::SuspendReason) />
                            <Button button_type=ButtonType::Submit loading=suspend.pending()>
                                {move || i18n.t(Key::Suspend)}
                            </Button>
                        }),
                    }}
                    <ErrorMessage error=action_error(suspend) />
                </ActionForm>
            </td>
        </tr>
    }
}
