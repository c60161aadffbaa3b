//! `cargo bench -p server --bench giveaways` (scripts/bench runs it): the fair draw over
//! 1,000,000 entries with 1,000 winners and 100 reserves, by the current protocol (v2:
//! ticket-weighted; here 1 to 3 tickets an entry) — the canonical list, its hash E, the
//! sampler, and the full verification `/verify` and `tombola verify` run. (Winner
//! notices are measured by the `perf` bench.)
//!
//! Prints figures; asserts nothing but that the work was done.

use domain::draw::{self, Drawing, Entry, Hash32, Protocol};
use std::time::Instant;

fn draw_bench() {
    const N: u32 = 1_000_000;
    let t = Instant::now();
    let entries: Vec<Entry> = (1..=N)
        .map(|number| Entry {
            number,
            pseudonym: format!(
                "{:010x}",
                u64::from(number).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 24
            ),
            tickets: 1 + number % 3,
        })
        .collect();
    let protocol = Protocol::CURRENT;
    let list = draw::canonical_list(&entries, protocol);
    let build = t.elapsed();
    let t = Instant::now();
    let e = draw::entries_hash(&list);
    let hash = t.elapsed();
    let seed = Hash32([42; 32]);
    let r = draw::draw_seed(&seed, &e);
    let t = Instant::now();
    let outcome = Drawing::for_entries(protocol, &r, &entries, 1000, 100).run(|_| true);
    let pick = t.elapsed();
    let again = Drawing::for_entries(protocol, &r, &entries, 1000, 100).run(|_| true);
    assert_eq!(outcome, again);
    assert_eq!(outcome.winners.len(), 1000);
    let t = Instant::now();
    let published = draw::Published {
        protocol,
        seed,
        commitment: draw::commitment(protocol, &seed),
        entries_hash: e,
        winners_wanted: 1000,
        reserves_wanted: 100,
        skipped: vec![],
        winners: outcome.winners,
        reserves: outcome.reserves,
        rerolls: vec![],
        beacon: None,
    };
    let ok = draw::verify(&list, &published)
        .unwrap()
        .iter()
        .all(|c| c.ok);
    let verify = t.elapsed();
    println!(
        "draw (protocol v{}) over {N} entries, 1,000 winners + 100 reserves:",
        protocol.number()
    );
    println!(
        "  canonical list {:.0} ms ({:.1} MB), hash E {:.0} ms, picks {:.2} ms, full verify {:.0} ms ({})",
        build.as_secs_f64() * 1e3,
        list.len() as f64 / 1e6,
        hash.as_secs_f64() * 1e3,
        pick.as_secs_f64() * 1e3,
        verify.as_secs_f64() * 1e3,
        if ok { "✓" } else { "✗" }
    );
}

fn main() {
    draw_bench();
}
