//! Giveaways: the list, the create/edit form, and a giveaway's page (state, fairness,
//! actions, live entry count, entries table, exports, notice progress).

use crate::api::giveaways::{
    AnnounceGiveaway, CancelGiveaway, PublishGiveaway, RerollWinner, SaveGiveaway, bot_choices,
    get_giveaway, giveaway_entries, list_giveaways,
};
use crate::components::{BeaconLine, ErrorMessage, RerollLine, action_error};
use crate::dto::{BotChoice, GiveawayDto, NoticeProgressDto};
use crate::i18n::{I18n, Key, use_i18n};
use crate::pages::prize_codes::PrizeCodes;
use domain::giveaway::Status;
use leptos::either::{Either, EitherOf3};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};
use thaw::{Button, ButtonAppearance, ButtonType, Card};

/// After a successful action, a full navigation to where its answer points.
fn go_on_success<S>(
    action: ServerAction<S>,
    to: impl Fn(&S::Output) -> String + Send + Sync + 'static,
) where
    S: ServerFn<Error = crate::error::AppError> + Send + Sync + Clone + 'static,
    S::Output: Send + Sync + Clone + 'static,
{
    Effect::new(move |_| {
        if let Some(Ok(v)) = action.value().get() {
            let path = to(&v);
            #[cfg(feature = "hydrate")]
            {
                let _ = window().location().assign(&path);
            }
            #[cfg(not(feature = "hydrate"))]
            let _ = path;
        }
    });
}

pub fn status_key(s: Status) -> Key {
    match s {
        Status::Draft => Key::GaDraft,
        Status::Scheduled => Key::GaScheduled,
        Status::Open => Key::GaOpen,
        Status::Closed => Key::GaClosed,
        Status::Drawn => Key::GaDrawn,
        Status::Cancelled => Key::GaCancelled,
    }
}

fn time_left(i18n: I18n, secs: i64) -> String {
    if secs <= 0 {
        return i18n.t(Key::GaEnded).to_owned();
    }
    let (d, h, m) = (secs / 86_400, secs % 86_400 / 3600, secs % 3600 / 60);
    let span = if d > 0 {
        format!("{d}d {h}h")
    } else if h > 0 {
        format!("{h}h {m}m")
    } else {
        format!("{}m", m.max(1))
    };
    i18n.t(Key::GaLeft).replace("{span}", &span)
}

#[component]
pub fn GiveawaysPage() -> impl IntoView {
    let i18n = use_i18n();
    let list = Resource::new_blocking(|| (), |_| list_giveaways());
    view! {
        <Title text=crate::i18n::title(Key::NavGiveaways) />
        <div class="page-head">
            <h1>{move || i18n.t(Key::NavGiveaways)}</h1>
            <a class="primary-link" href="/giveaways/new" data-testid="new-giveaway">{move || i18n.t(Key::GaNew)}</a>
        </div>
        <Suspense fallback=move || view! { <p>{move || i18n.t(Key::Loading)}</p> }>
            {move || Suspend::new(async move {
                match list.await {
                    Ok(l) if l.is_empty() => EitherOf3::A(view! {
                        <p class="empty-state">{move || i18n.t(Key::GiveawaysEmpty)}</p>
                    }),
                    Ok(l) => EitherOf3::B(view! {
                        <table class="data-table" data-testid="giveaway-list">
                            <thead>
                                <tr>
                                    <th>{move || i18n.t(Key::GaTitle)}</th>
                                    <th>{move || i18n.t(Key::GaStatus)}</th>
                                    <th>{move || i18n.t(Key::GaEntries)}</th>
                                    <th>{move || i18n.t(Key::GaEndsAt)}</th>
                                </tr>
                            </thead>
                            <tbody>
                                {l.into_iter().map(|g| {
                                    let href = format!("/giveaways/{}", g.id);
                                    let key = status_key(g.status);
                                    let class = format!("status-tag ga-{}", g.status.code());
                                    let live = g.status.is_live();
                                    view! {
                                        <tr data-testid="giveaway-row">
                                            <td><a href=href>{g.title.clone()}</a></td>
                                            <td><span class=class>{move || i18n.t(key)}</span></td>
                                            <td>{g.entries}</td>
                                            <td>
                                                {g.ends_at_local.replace('T', " ")}
                                                {live.then(|| view! { <small class="muted">" · "{time_left(i18n, g.secs_left)}</small> })}
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    }),
                    Err(e) => EitherOf3::C(view! { <ErrorMessage error=Some(e) /> }),
                }
            })}
        </Suspense>
    }
}

#[component]
pub fn GiveawayNewPage() -> impl IntoView {
    let i18n = use_i18n();
    let bots = Resource::new_blocking(|| (), |_| bot_choices());
    view! {
        <Title text=crate::i18n::title(Key::GaNew) />
        <h1>{move || i18n.t(Key::GaNew)}</h1>
        <Suspense fallback=move || view! { <p>{move || i18n.t(Key::Loading)}</p> }>
            {move || Suspend::new(async move {
                match bots.await {
                    Ok(b) if b.is_empty() => Either::Left(view! {
                        <p class="empty-state">
                            {move || i18n.t(Key::GaNeedsBot)} " " <a href="/bots">{move || i18n.t(Key::NavBots)}</a>
                        </p>
                    }.into_any()),
                    Ok(b) => Either::Left(view! { <GiveawayForm bots=b giveaway=None /> }.into_any()),
                    Err(e) => Either::Right(view! { <ErrorMessage error=Some(e) /> }),
                }
            })}
        </Suspense>
    }
}

#[component]
pub fn GiveawayEditPage() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let data = Resource::new_blocking(id, |id| async move {
        Ok::<_, crate::error::AppError>((bot_choices().await?, get_giveaway(id).await?))
    });
    view! {
        <Title text=crate::i18n::title(Key::GaEdit) />
        <h1>{move || i18n.t(Key::GaEdit)}</h1>
        <Suspense fallback=move || view! { <p>{move || i18n.t(Key::Loading)}</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok((b, g)) => Either::Left(view! { <GiveawayForm bots=b giveaway=Some(g) /> }),
                    Err(e) => Either::Right(view! { <ErrorMessage error=Some(e) /> }),
                }
            })}
        </Suspense>
    }
}

#[component]
fn GiveawayForm(bots: Vec<BotChoice>, giveaway: Option<GiveawayDto>) -> impl IntoView {
    let i18n = use_i18n();
    let save = ServerAction::<SaveGiveaway>::new();
    go_on_success(save, |g: &GiveawayDto| format!("/giveaways/{}", g.id));
    let g = giveaway.clone();
    let val = move |f: fn(&GiveawayDto) -> String| g.as_ref().map(f).unwrap_or_default();
    let may = giveaway
        .as_ref()
        .map(|g| g.editable)
        .unwrap_or(domain::giveaway::Editable::ALL);
    let chosen_bot = giveaway.as_ref().and_then(|g| g.bot.clone());
    let captcha = giveaway.as_ref().is_some_and(|g| g.captcha);
    let premium_only = giveaway.as_ref().is_some_and(|g| g.premium_only);
    let boost_required = giveaway.as_ref().is_some_and(|g| g.boost_required);
    let tz = giveaway.as_ref().map(|g| g.time_zone.clone());
    view! {
        <ActionForm action=save attr:class="giveaway-form" attr:data-testid="giveaway-form">
            <input type="hidden" name="id" value=val(|g| g.id.clone()) />
            <div class="field">
                <label for="ga-title">{move || i18n.t(Key::GaTitle)}</label>
                <input id="ga-title" class="native-input" name="title" value=val(|g| g.title.clone()) />
            </div>
            <div class="field">
                <label for="ga-description">{move || i18n.t(Key::GaDescription)}</label>
                <textarea id="ga-description" class="native-input" name="description" rows="3">{val(|g| g.description.clone())}</textarea>
            </div>
            <div class="field">
                <label for="ga-prizes">{move || i18n.t(Key::GaPrizes)}</label>
                <textarea id="ga-prizes" class="native-input" name="prizes" rows="3" placeholder="Gift card × 10" readonly=!may.rules>{val(|g| g.prizes_text.clone())}</textarea>
                <small class="hint">{move || i18n.t(Key::GaPrizesHint)}</small>
            </div>
            <div class="field-row">
                <div class="field">
                    <label for="ga-reserves">{move || i18n.t(Key::GaReserves)}</label>
                    <input id="ga-reserves" class="native-input" name="reserves" inputmode="numeric" value=val(|g| g.reserves.to_string()) readonly=!may.rules />
                </div>
                <div class="field">
                    <label for="ga-max">{move || i18n.t(Key::GaMaxEntries)}</label>
                    <input id="ga-max" class="native-input" name="max_entries" inputmode="numeric" value=val(|g| g.max_entries.map(|m| m.to_string()).unwrap_or_default()) readonly=!may.rules />
                </div>
            </div>
            <div class="field">
                <label for="ga-referrals">{move || i18n.t(Key::GaReferralCap)}</label>
                <input id="ga-referrals" class="native-input" name="referral_cap" inputmode="numeric" data-testid="referral-cap"
                    value=val(|g| if g.referral_cap > 0 { g.referral_cap.to_string() } else { String::new() }) readonly=!may.rules />
                <small class="hint">{move || i18n.t(Key::GaReferralCapHint)}</small>
            </div>
            <div class="field">
                <label for="ga-claim">{move || i18n.t(Key::GaClaimHours)}</label>
                <input id="ga-claim" class="native-input" name="claim_hours" inputmode="numeric"
                    value=val(|g| if g.claim_hours > 0 { g.claim_hours.to_string() } else { String::new() }) readonly=!may.rules />
                <small class="hint">{move || i18n.t(Key::GaClaimHoursHint)}</small>
            </div>
            <div class="field-row">
                <div class="field">
                    <label for="ga-starts">{move || i18n.t(Key::GaStartsAt)}</label>
                    <input id="ga-starts" class="native-input" type="datetime-local" name="starts_at" value=val(|g| g.starts_at_local.clone()) readonly=!may.schedule />
                </div>
                <div class="field">
                    <label for="ga-ends">{move || i18n.t(Key::GaEndsAt)}</label>
                    <input id="ga-ends" class="native-input" type="datetime-local" name="ends_at" value=val(|g| g.ends_at_local.clone()) readonly=!(may.schedule || may.end_later) />
                </div>
            </div>
            {tz.map(|tz| view! { <small class="hint">{move || i18n.t(Key::GaTimesIn)} " " {tz.clone()}</small> })}
            <div class="field">
                <label for="ga-bot">{move || i18n.t(Key::GaBot)}</label>
                <select id="ga-bot" name="bot" class="native-select">
                    {bots.into_iter().map(|b| {
                        let selected = chosen_bot.as_deref() == Some(b.id.as_str());
                        view! { <option value=b.id selected=selected>"@"{b.username}</option> }
                    }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="ga-conditions">{move || i18n.t(Key::GaConditions)}</label>
                <textarea id="ga-conditions" class="native-input" name="conditions" rows="2" placeholder="@your_channel" readonly=!may.rules>{val(|g| g.conditions_text.clone())}</textarea>
                <small class="hint">{move || i18n.t(Key::GaConditionsHint)}</small>
            </div>
            <RuleCheck name="captcha" checked=captcha editable=may.rules label=Key::GaCaptcha />
            <fieldset class="entry-rules">
                <legend>{move || i18n.t(Key::GaEntryRules)}</legend>
                <RuleCheck name="premium_only" checked=premium_only editable=may.rules label=Key::GaPremiumOnly />
                <div class="field">
                    <label for="ga-past-winners">{move || i18n.t(Key::GaPastWinnerDays)}</label>
                    <input id="ga-past-winners" class="native-input" name="past_winner_days" inputmode="numeric"
                        value=val(|g| if g.past_winner_days > 0 { g.past_winner_days.to_string() } else { String::new() }) readonly=!may.rules />
                </div>
                <div class="field">
                    <label for="ga-min-age">{move || i18n.t(Key::GaMinAccountDays)}</label>
                    <input id="ga-min-age" class="native-input" name="min_account_days" inputmode="numeric"
                        value=val(|g| if g.min_account_days > 0 { g.min_account_days.to_string() } else { String::new() }) readonly=!may.rules />
                    <small class="hint">{move || i18n.t(Key::GaMinAccountDaysHint)}</small>
                </div>
                <div class="field-row">
                    <div class="field">
                        <label for="ga-boost-chat">{move || i18n.t(Key::GaBoostChat)}</label>
                        <input id="ga-boost-chat" class="native-input" name="boost_chat" placeholder="@your_channel"
                            value=val(|g| g.boost_chat.clone().unwrap_or_default()) readonly=!may.rules />
                    </div>
                    <div class="field">
                        <label for="ga-boost-tickets">{move || i18n.t(Key::GaBoostTicketsCap)}</label>
                        <input id="ga-boost-tickets" class="native-input" name="boost_tickets_cap" inputmode="numeric"
                            value=val(|g| if g.boost_tickets_cap > 0 { g.boost_tickets_cap.to_string() } else { String::new() }) readonly=!may.rules />
                    </div>
                </div>
                <RuleCheck name="boost_required" checked=boost_required editable=may.rules label=Key::GaBoostRequired />
                <small class="hint">{move || i18n.t(Key::GaRulesHint)}</small>
            </fieldset>
            <ErrorMessage error=action_error(save) />
            <Button button_type=ButtonType::Submit appearance=ButtonAppearance::Primary loading=save.pending()>
                {move || i18n.t(Key::Save)}
            </Button>
        </ActionForm>
        <details class="rules">
            <summary>{move || i18n.t(Key::GaRulesTitle)}</summary>
            <p>{move || i18n.t(Key::GaRules)}</p>
        </details>
    }
}

#[component]
pub fn GiveawayDetailPage() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let query = use_query_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let giveaway = Resource::new_blocking(id, get_giveaway);
    let entries = Resource::new_blocking(
        move || {
            let q = query.read();
            (
                id(),
                q.get("q").unwrap_or_default(),
                q.get("page")
                    .and_then(|p| p.parse::<u64>().ok())
                    .unwrap_or(0),
            )
        },
        |(id, q, page)| giveaway_entries(id, q, page),
    );
    // The entry count and notices stay live while the page is open: read every five
    // seconds into `live`, which only those figures follow, so the forms on the page keep
    // what the tenant is typing. A change of state (opened, closed, drawn), of the
    // winners or of their claims shows the whole page again.
    let live = RwSignal::new(None::<GiveawayDto>);
    #[cfg(feature = "hydrate")]
    {
        let handle = set_interval_with_handle(
            move || {
                let id = params.read_untracked().get("id").unwrap_or_default();
                leptos::task::spawn_local(async move {
                    if let Ok(now) = get_giveaway(id).await {
                        let shown = giveaway.get_untracked().and_then(Result::ok);
                        if shown.is_some_and(|g| {
                            g.status != now.status
                                || g.winners != now.winners
                                || g.rerolls != now.rerolls
                                || g.claims != now.claims
                        }) {
                            giveaway.refetch();
                        }
                        live.set(Some(now));
                    }
                });
            },
            std::time::Duration::from_secs(5),
        )
        .ok();
        on_cleanup(move || {
            if let Some(h) = handle {
                h.clear();
            }
        });
    }
    view! {
        <Suspense fallback=move || view! { <p>{move || i18n.t(Key::Loading)}</p> }>
            {move || Suspend::new(async move {
                match giveaway.await {
                    Ok(g) => Either::Left(view! { <GiveawayDetail g=g live=live /> }),
                    Err(e) => Either::Right(view! { <ErrorMessage error=Some(e) /> }),
                }
            })}
        </Suspense>
        {move || view! { <PrizeCodes id=id() /> }}
        <h2>{move || i18n.t(Key::GaEntryList)}</h2>
        <form method="get" class="search-form" data-testid="entry-search">
            <label class="visually-hidden" for="entry-q">{move || i18n.t(Key::GaSearch)}</label>
            <input id="entry-q" class="native-input" name="q" value=move || query.read().get("q").unwrap_or_default() placeholder=move || i18n.t(Key::GaSearchHint) />
            <button class="plain-button" type="submit">{move || i18n.t(Key::GaSearch)}</button>
        </form>
        <Suspense fallback=move || view! { <p>{move || i18n.t(Key::Loading)}</p> }>
            {move || Suspend::new(async move {
                match entries.await {
                    Ok(p) if p.rows.is_empty() => EitherOf3::A(view! {
                        <p class="empty-state">{move || i18n.t(Key::GaNoEntries)}</p>
                    }),
                    Ok(p) => {
                        let pages = p.total.div_ceil(p.per_page).max(1);
                        let q = query.read_untracked().get("q").unwrap_or_default();
                        let link = move |page: u64| format!("?q={}&page={page}", urlencode(&q));
                        EitherOf3::B(view! {
                            <table class="data-table" data-testid="entries-table">
                                <thead>
                                    <tr>
                                        <th>"#"</th>
                                        <th>{move || i18n.t(Key::GaPseudonym)}</th>
                                        <th>{move || i18n.t(Key::TenantName)}</th>
                                        <th>{move || i18n.t(Key::GaVia)}</th>
                                        <th>{move || i18n.t(Key::GaTickets)}</th>
                                        <th>{move || i18n.t(Key::GaReferrals)}</th>
                                        <th>{move || i18n.t(Key::GaJoinedAt)}</th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {p.rows.into_iter().map(|e| view! {
                                        <tr data-testid="entry-row">
                                            <td>{e.number}</td>
                                            <td><code>{e.pseudonym}</code></td>
                                            <td>{e.name}{e.username.map(|u| format!(" @{u}"))}</td>
                                            <td>{e.via.code()}</td>
                                            <td data-testid="entry-tickets">{e.tickets}</td>
                                            <td>{e.referrals}</td>
                                            <td>{e.joined_at}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                            <nav class="pager">
                                <span data-testid="entry-total">{i18n.t(Key::GaPageOf).replace("{page}", &(p.page + 1).to_string()).replace("{pages}", &pages.to_string()).replace("{total}", &p.total.to_string())}</span>
                                {(p.page > 0).then(|| view! { <a href=link(p.page - 1)>{move || i18n.t(Key::GaPrev)}</a> })}
                                {(p.page + 1 < pages).then(|| view! { <a href=link(p.page + 1)>{move || i18n.t(Key::GaNext)}</a> })}
                            </nav>
                        })
                    }
                    Err(e) => EitherOf3::C(view! { <ErrorMessage error=Some(e) /> }),
                }
            })}
        </Suspense>
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[component]
fn GiveawayDetail(g: GiveawayDto, live: RwSignal<Option<GiveawayDto>>) -> impl IntoView {
    let i18n = use_i18n();
    let publish = ServerAction::<PublishGiveaway>::new();
    let cancel = ServerAction::<CancelGiveaway>::new();
    let announce = ServerAction::<AnnounceGiveaway>::new();
    let reroll = ServerAction::<RerollWinner>::new();
    let here = format!("/giveaways/{}", g.id);
    for_each_reload(publish, cancel, announce, here.clone());
    let back = here.clone();
    go_on_success(reroll, move |_| back.clone());
    let rerolls = g.rerolls.clone();
    let id4 = g.id.clone();
    let status = g.status;
    let key = status_key(status);
    let class = format!("status-tag ga-{}", status.code());
    let id = g.id.clone();
    let (id2, id3) = (id.clone(), id.clone());
    let verify = format!("/verify/{}", g.id);
    let csv_entries = format!("/giveaways/{}/entries.csv", g.id);
    let csv_winners = format!("/giveaways/{}/winners.csv", g.id);
    let edit = format!("/giveaways/{}/edit", g.id);
    let prizes = g.prizes.clone();
    let winners = g.winners.clone();
    let claims = g.claims.clone();
    let reserves = g.reserve_winners.clone();
    let drawn = status == Status::Drawn;
    // As first shown; `live` has the newer figures.
    let (entries, notices) = (g.entries, g.notices.clone());
    view! {
        <Title text=g.title.clone() />
        <div class="page-head">
            <h1>{g.title.clone()}</h1>
            <span class=class data-testid="giveaway-status">{move || i18n.t(key)}</span>
        </div>
        <p class="muted">{g.description.clone()}</p>
        <div class="ga-facts">
            <Card class="fact-card">
                <div class="fact-label">{move || i18n.t(Key::GaEntries)}</div>
                <div class="big-number" data-testid="entry-count">{move || live.with(|l| l.as_ref().map_or(entries, |l| l.entries))}</div>
                {g.max_entries.map(|m| view! { <small class="muted">"/ " {m}</small> })}
            </Card>
            <Card class="fact-card">
                <div class="fact-label">{move || i18n.t(Key::GaEndsAt)}</div>
                <div>{g.ends_at_local.replace('T', " ")} " " <small class="muted">{g.time_zone.clone()}</small></div>
                {status.is_live().then(|| view! { <small class="muted">{time_left(i18n, g.secs_left)}</small> })}
            </Card>
            <Card class="fact-card">
                <div class="fact-label">{move || i18n.t(Key::GaBot)}</div>
                <div>{g.bot_username.clone().map(|u| format!("@{u}")).unwrap_or_default()}</div>
            </Card>
        </div>
        <Card class="fact-card wide">
            <div class="fact-label">{move || i18n.t(Key::GaPrizes)}</div>
            <ul class="prize-list">
                {prizes.into_iter().map(|p| view! { <li>{p.name} " × " {p.winners}</li> }).collect_view()}
            </ul>
            {(g.reserves > 0).then(|| view! { <small class="muted">{move || i18n.t(Key::GaReserves)} ": " {g.reserves}</small> })}
        </Card>
        <Card class="fact-card wide">
            <div class="fact-label">{move || i18n.t(Key::GaFairness)}</div>
            <p class="muted">{move || i18n.t(Key::GaFairnessBody)}</p>
            <div class="hash-line"><span>{move || i18n.t(Key::GaCommitment)} ": "</span><code data-testid="commitment">{g.commitment.clone()}</code></div>
            {g.entries_hash.clone().map(|e| view! { <div class="hash-line"><span>{move || i18n.t(Key::GaEntriesHash)} ": "</span><code>{e}</code></div> })}
            {g.seed.clone().map(|s| view! { <div class="hash-line"><span>{move || i18n.t(Key::GaSeed)} ": "</span><code data-testid="seed">{s}</code></div> })}
            {g.beacon.clone().map(|(round, test, at)| {
                let waiting = status == Status::Closed;
                view! {
                    <BeaconLine round test />
                    {waiting.then(|| view! {
                        <p class="muted" data-testid="beacon-wait">
                            {move || i18n.t(Key::GaBeaconWait).replace("{at}", &at)}
                        </p>
                    })}
                }
            })}
            {(status != Status::Draft).then(|| view! { <a href=verify.clone() data-testid="verify-link">{move || i18n.t(Key::GaVerifyLink)}</a> })}
        </Card>
        {drawn.then(|| view! {
            <Card class="fact-card wide">
                <div class="fact-label">{move || i18n.t(Key::GaWinners)}</div>
                <ol class="winner-list" data-testid="winners">
                    {winners.iter().map(|(n, p)| {
                        let claim = claims.iter().find(|c| c.0 == *n).map(|(_, done, by)| {
                            if *done {
                                i18n.t(Key::GaClaimedTag).to_owned()
                            } else {
                                i18n.t(Key::GaClaimBy).replace("{at}", by)
                            }
                        });
                        view! { <li>"#" {*n} " — " {p.clone()} {claim.map(|c| view! { " · " <small class="muted" data-testid="claim-state">{c}</small> })}</li> }
                    }).collect_view()}
                </ol>
                {(!reserves.is_empty()).then(|| view! {
                    <small class="muted">{move || i18n.t(Key::GaReserves)} ": " {reserves.iter().map(|r| format!("#{r}")).collect::<Vec<_>>().join(", ")}</small>
                })}
                {move || live.with(|l| l.as_ref().map_or(notices.clone(), |l| l.notices.clone())).map(|n| view! { <NoticeBar n=n /> })}
                {(!rerolls.is_empty()).then(|| view! {
                    <div class="fact-label">{move || i18n.t(Key::VerifyRerolls)}</div>
                    <ul class="reroll-list" data-testid="rerolls">
                        {rerolls.iter().map(|r| view! { <RerollLine r=r.clone() /> }).collect_view()}
                    </ul>
                })}
                <details class="confirm">
                    <summary class="link-button">{move || i18n.t(Key::GaReroll)}</summary>
                    <ActionForm action=reroll attr:class="reroll-form">
                        <input type="hidden" name="id" value=id4.clone() />
                        <label for="reroll-number">{move || i18n.t(Key::GaRerollNumber)}</label>
                        <input id="reroll-number" class="native-input" name="number" inputmode="numeric" />
                        <label for="reroll-reason">{move || i18n.t(Key::GaRerollReason)}</label>
                        <input id="reroll-reason" class="native-input" name="reason" maxlength="200" />
                        <small class="hint">{move || i18n.t(Key::GaRerollHint)}</small>
                        <Button button_type=ButtonType::Submit loading=reroll.pending()>{move || i18n.t(Key::GaReroll)}</Button>
                    </ActionForm>
                    <ErrorMessage error=action_error(reroll) />
                </details>
            </Card>
        })}
        <div class="ga-actions">
            {(status == Status::Draft).then(|| view! {
                <ActionForm action=publish>
                    <input type="hidden" name="id" value=id.clone() />
                    <Button button_type=ButtonType::Submit appearance=ButtonAppearance::Primary loading=publish.pending() attr:data-testid="publish">
                        {move || i18n.t(Key::GaPublish)}
                    </Button>
                </ActionForm>
            })}
            {g.editable.anything().then(|| view! { <a class="plain-button" href=edit>{move || i18n.t(Key::GaEdit)}</a> })}
            {status.on(domain::giveaway::Event::Cancel).is_some().then(|| view! {
                <details class="confirm">
                    <summary class="link-button">{move || i18n.t(Key::GaCancel)}</summary>
                    <ActionForm action=cancel>
                        <p>{move || i18n.t(Key::GaConfirmCancel)}</p>
                        <input type="hidden" name="id" value=id2.clone() />
                        <Button button_type=ButtonType::Submit loading=cancel.pending()>{move || i18n.t(Key::GaYesCancel)}</Button>
                    </ActionForm>
                </details>
            })}
            <a class="plain-button" href=csv_entries download>{move || i18n.t(Key::GaCsvEntries)}</a>
            {drawn.then(|| view! { <a class="plain-button" href=csv_winners.clone() download>{move || i18n.t(Key::GaCsvWinners)}</a> })}
        </div>
        {status.is_live().then(|| view! {
            <ActionForm action=announce attr:class="announce-form">
                <input type="hidden" name="id" value=id3.clone() />
                <label for="announce-chat">{move || i18n.t(Key::GaAnnounce)}</label>
                <input id="announce-chat" class="native-input" name="chat" placeholder="@your_channel" />
                <Button button_type=ButtonType::Submit loading=announce.pending()>{move || i18n.t(Key::GaAnnounceButton)}</Button>
            </ActionForm>
        })}
        <ErrorMessage error=action_error(publish) />
        <ErrorMessage error=action_error(cancel) />
        <ErrorMessage error=action_error(announce) />
    }
}

fn for_each_reload(
    publish: ServerAction<PublishGiveaway>,
    cancel: ServerAction<CancelGiveaway>,
    announce: ServerAction<AnnounceGiveaway>,
    here: String,
) {
    let (h1, h2, h3) = (here.clone(), here.clone(), here);
    go_on_success(publish, move |_| h1.clone());
    go_on_success(cancel, move |_| h2.clone());
    go_on_success(announce, move |_| h3.clone());
}

/// A checkbox of the giveaway's rules. Once the rules are locked the box is shown as it is,
/// disabled, and its value sent as it was by a hidden field (a disabled box sends nothing).
#[component]
fn RuleCheck(name: &'static str, checked: bool, editable: bool, label: Key) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <label class="check-field">
            <input type="checkbox" name=editable.then_some(name) checked=checked disabled=!editable />
            {move || i18n.t(label)}
        </label>
        {(!editable && checked).then(|| view! { <input type="hidden" name=name value="on" /> })}
    }
}

/// Sent / pending / failed as a bar, with the reasons of failures.
#[component]
fn NoticeBar(n: NoticeProgressDto) -> impl IntoView {
    let i18n = use_i18n();
    let total = (n.sent + n.pending + n.failed).max(1) as f64;
    let pct = |x: u64| format!("width: {:.1}%", x as f64 * 100.0 / total);
    let reason = move |r: &str| {
        i18n.t(match r {
            "blocked" => Key::GaFailBlocked,
            "not_started" => Key::GaFailNotStarted,
            "deactivated" => Key::GaFailDeactivated,
            _ => Key::GaFailOther,
        })
    };
    view! {
        <div class="notice-progress" data-testid="notice-progress">
            <div class="bar">
                <span class="bar-sent" style=pct(n.sent)></span>
                <span class="bar-pending" style=pct(n.pending)></span>
                <span class="bar-failed" style=pct(n.failed)></span>
            </div>
            <small data-testid="notice-counts">
                {i18n.t(Key::GaNoticeCounts).replace("{sent}", &n.sent.to_string()).replace("{pending}", &n.pending.to_string()).replace("{failed}", &n.failed.to_string())}
            </small>
            <ul class="muted">
                {n.reasons.into_iter().map(|(r, c)| view! { <li>{reason(&r)} ": " {c}</li> }).collect_view()}
            </ul>
        </div>
    }
}
