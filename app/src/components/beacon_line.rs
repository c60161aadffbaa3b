//! The beacon round a draw is bound to, as the giveaway page and `/verify` show it: drand's
//! quicknet, or a test chain flagged as such.

use crate::i18n::{Key, use_i18n};
use leptos::prelude::*;

/// "Randomness beacon: drand quicknet, round N" (or "⚠ TEST beacon …").
#[component]
pub fn BeaconLine(round: u64, test: bool) -> impl IntoView {
    let i18n = use_i18n();
    let key = if test {
        Key::VerifyBeaconTest
    } else {
        Key::VerifyBeaconQuicknet
    };
    view! {
        <div class="hash-line" data-testid="beacon">
            <span>{move || i18n.t(Key::VerifyBeacon)} ": "</span>
            {move || i18n.t(key).replace("{round}", &round.to_string())}
        </div>
    }
}
