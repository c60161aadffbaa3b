//! A giveaway's prize codes on its page: how many per prize and how many given, the
//! upload form (paste, or a CSV file read into the box by `public/codes.js`), and every
//! code with the winner it went to — for the giveaway's own tenant only.
//!
//! It sits outside the part of the page that refreshes every few seconds, so what the
//! tenant types is kept; the list is read again after each upload or removal.

use crate::api::giveaways::{AddPrizeCodes, RemoveUnusedCodes, prize_codes};
use crate::components::{ErrorMessage, action_error};
use crate::dto::PrizeCodeDto;
use crate::i18n::{Key, use_i18n};
use leptos::either::{Either, EitherOf3};
use leptos::prelude::*;
use thaw::{Button, ButtonType, Card};

/// The codes card of giveaway `id`.
#[component]
pub fn PrizeCodes(id: String) -> impl IntoView {
    let i18n = use_i18n();
    let add = ServerAction::<AddPrizeCodes>::new();
    let remove = ServerAction::<RemoveUnusedCodes>::new();
    // The form's prizes: read once. The list: again after each change.
    let form_id = id.clone();
    let form_data = Resource::new_blocking(move || form_id.clone(), prize_codes);
    let list_id = id.clone();
    let list = Resource::new_blocking(
        move || (list_id.clone(), add.version().get(), remove.version().get()),
        |(id, _, _)| prize_codes(id),
    );
    let added = move || {
        add.value().get().and_then(Result::ok).map(|(n, d)| {
            i18n.t(Key::GaCodesAdded)
                .replace("{added}", &n.to_string())
                .replace("{dups}", &d.to_string())
        })
    };
    view! {
        <Card class="fact-card wide">
            <div class="fact-label">{move || i18n.t(Key::GaCodes)}</div>
            <Suspense fallback=move || view! { <p>{move || i18n.t(Key::Loading)}</p> }>
                {move || Suspend::new(async move {
                    match list.await {
                        Ok(c) => Either::Left(view! { <CodeList rows=c.codes names=c.prizes /> }),
                        Err(e) => Either::Right(view! { <ErrorMessage error=Some(e) /> }),
                    }
                })}
            </Suspense>
            <Suspense>
                {move || {
                    let (id, id2) = (id.clone(), id.clone());
                    Suspend::new(async move {
                        match form_data.await {
                            Ok(c) if c.open => EitherOf3::A(view! {
                                <details class="confirm" data-testid="codes-upload">
                                    <summary class="link-button">{move || i18n.t(Key::GaCodesAdd)}</summary>
                                    <small class="hint">{move || i18n.t(Key::GaCodesHint)}</small>
                                    <ActionForm action=add attr:class="codes-form">
                                        <input type="hidden" name="id" value=id.clone() />
                                        <label for="codes-prize">{move || i18n.t(Key::GaCodesPrize)}</label>
                                        <select id="codes-prize" class="native-input" name="prize">
                                            {c.prizes.iter().enumerate().map(|(i, n)| view! { <option value=i.to_string()>{n.clone()}</option> }).collect_view()}
                                        </select>
                                        <label for="codes-text">{move || i18n.t(Key::GaCodesText)}</label>
                                        <textarea id="codes-text" class="native-input" name="codes" rows="5"></textarea>
                                        <label for="codes-file">{move || i18n.t(Key::GaCodesFile)}</label>
                                        <input id="codes-file" type="file" accept=".csv,.txt,text/csv,text/plain" data-fills="codes-text" />
                                        <Button button_type=ButtonType::Submit loading=add.pending()>{move || i18n.t(Key::GaCodesAdd)}</Button>
                                    </ActionForm>
                                    <script src="/codes.js" defer></script>
                                    <p class="muted" data-testid="codes-added">{added}</p>
                                    <ErrorMessage error=action_error(add) />
                                </details>
                                <ActionForm action=remove attr:class="inline-form">
                                    <input type="hidden" name="id" value=id2 />
                                    <button class="link-button" type="submit">{move || i18n.t(Key::GaCodesRemove)}</button>
                                </ActionForm>
                                <ErrorMessage error=action_error(remove) />
                            }),
                            Ok(_) => EitherOf3::B(()),
                            Err(e) => EitherOf3::C(view! { <ErrorMessage error=Some(e) /> }),
                        }
                    })
                }}
            </Suspense>
        </Card>
    }
}

/// Per prize, how many codes and how many given; then every code.
#[component]
fn CodeList(rows: Vec<PrizeCodeDto>, names: Vec<String>) -> impl IntoView {
    let i18n = use_i18n();
    if rows.is_empty() {
        return Either::Left(
            view! { <p class="empty-state">{move || i18n.t(Key::GaCodesNone)}</p> },
        );
    }
    let summary: Vec<String> = names
        .iter()
        .filter_map(|name| {
            let of: Vec<&PrizeCodeDto> = rows.iter().filter(|r| &r.prize == name).collect();
            (!of.is_empty()).then(|| {
                i18n.t(Key::GaCodesSummary)
                    .replace("{prize}", name)
                    .replace("{total}", &of.len().to_string())
                    .replace(
                        "{given}",
                        &of.iter().filter(|r| r.number.is_some()).count().to_string(),
                    )
            })
        })
        .collect();
    Either::Right(view! {
        <ul class="muted" data-testid="codes-summary">
            {summary.into_iter().map(|s| view! { <li>{s}</li> }).collect_view()}
        </ul>
        <table class="data-table" data-testid="codes-table">
            <thead>
                <tr>
                    <th>{move || i18n.t(Key::GaCodesPrize)}</th>
                    <th>{move || i18n.t(Key::GaCodeCol)}</th>
                    <th>{move || i18n.t(Key::GaCodeWinner)}</th>
                    <th>{move || i18n.t(Key::GaCodeGivenAt)}</th>
                    <th>{move || i18n.t(Key::GaCodeClaimed)}</th>
                </tr>
            </thead>
            <tbody>
                {rows.into_iter().map(|r| view! {
                    <tr data-testid="code-row">
                        <td>{r.prize}</td>
                        <td><code>{r.code}</code></td>
                        <td data-testid="code-winner">{match r.number {
                            Some(n) => Either::Left(view! { "#" {n} }),
                            None => Either::Right(view! { <span class="muted">{move || i18n.t(Key::GaCodeFree)}</span> }),
                        }}</td>
                        <td>{r.given_at.unwrap_or_default()}</td>
                        <td>{r.claimed.then_some("✓")}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    })
}
