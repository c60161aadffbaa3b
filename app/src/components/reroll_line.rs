//! One published reroll, as the giveaway page and `/verify` list it.

use crate::i18n::{Key, use_i18n};
use leptos::prelude::*;

/// One reroll: who lost the prize, who took it, why, when.
#[component]
pub fn RerollLine(r: domain::draw::Reroll) -> impl IntoView {
    let i18n = use_i18n();
    let why = match r.reason {
        domain::draw::RerollReason::Unclaimed => Key::RerollUnclaimed,
        domain::draw::RerollReason::Unreachable => Key::RerollUnreachable,
        domain::draw::RerollReason::Manual => Key::RerollManual,
    };
    let note = (!r.note.is_empty()).then(|| format!(": {}", r.note));
    view! {
        <li>"#" {r.replaced} " → #" {r.replacement} " · " {move || i18n.t(why)} {note} " · " <small class="muted">{r.at.clone()}</small></li>
    }
}
