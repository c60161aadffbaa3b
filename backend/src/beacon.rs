//! The public randomness beacon as this deployment reads it: which chain (drand's
//! quicknet, or a test chain in tests), which HTTP relays serve its rounds, and fetching
//! one round — from each relay in turn, the first answer whose signature checks out
//! against the chain's public key wins (a relay is trusted for nothing: a forged or
//! wrong round is refused like a missing one). `None` from [`Beacon::fetch`] means "not
//! available yet": the caller waits and asks again.
//!
//! The drand HTTP API: `GET <relay>/<chain hash>/public/<round>` answers
//! `{"round": n, "randomness": "<hex>", "signature": "<hex>"}`; a round not yet
//! published is 404 (425 on some relays).
//!
//! Imports nothing of ours but `domain`.

use domain::beacon::{Chain, QUICKNET};
use std::time::Duration;

/// drand's public HTTP relays (League of Entropy members and Cloudflare).
pub const DEFAULT_RELAYS: &[&str] = &[
    "https://api.drand.sh",
    "https://api2.drand.sh",
    "https://api3.drand.sh",
    "https://drand.cloudflare.com",
];

/// How long one relay may take to answer.
const RELAY_TIMEOUT: Duration = Duration::from_secs(5);

/// A deployment's beacon: its chain and relays.
#[derive(Clone)]
pub struct Beacon {
    chain: Chain,
    relays: Vec<reqwest::Url>,
    http: reqwest::Client,
}

impl std::fmt::Debug for Beacon {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Beacon")
            .field("chain", &hex::encode(self.chain.hash))
            .field("test", &self.chain.test)
            .field("relays", &self.relays.len())
            .finish()
    }
}

/// One checked round.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Round {
    pub round: u64,
    pub signature: Vec<u8>,
}

impl Beacon {
    /// drand's quicknet through `relays` (the defaults when empty), or a test chain with
    /// this public key (hex). Refuses a relay that is not an http(s) URL.
    pub fn new(relays: &[String], test_key: Option<&str>) -> Result<Beacon, String> {
        let chain = match test_key {
            None => QUICKNET,
            Some(k) => {
                let key = domain::beacon::parse_key(k)
                    .map_err(|_| "beacon-test-key: not 96 bytes of hex (a compressed G2 point)")?;
                let chain = Chain::test(key);
                chain
                    .check_key()
                    .map_err(|_| "beacon-test-key: not a point of the curve")?;
                chain
            }
        };
        let relays = if relays.is_empty() {
            DEFAULT_RELAYS.iter().map(|r| (*r).to_owned()).collect()
        } else {
            relays.to_vec()
        };
        let relays = relays
            .iter()
            .map(|r| {
                reqwest::Url::parse(r.trim_end_matches('/'))
                    .ok()
                    .filter(|u| matches!(u.scheme(), "http" | "https"))
                    .ok_or_else(|| format!("beacon-urls: {r:?} is not an http(s) URL"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let http = reqwest::Client::builder()
            .timeout(RELAY_TIMEOUT)
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Beacon {
            chain,
            relays,
            http,
        })
    }

    pub fn chain(&self) -> &Chain {
        &self.chain
    }

    /// Round `round`, from the first relay that serves it with a valid signature (all are
    /// asked at once); `None` when none does (not published yet, relays down, or only
    /// wrong answers).
    pub async fn fetch(&self, round: u64) -> Option<Round> {
        let chain = hex::encode(self.chain.hash);
        let mut asks = tokio::task::JoinSet::new();
        for relay in &self.relays {
            let (me, url) = (self.clone(), format!("{relay}/{chain}/public/{round}"));
            asks.spawn(async move { (me.ask(&url, round).await, url) });
        }
        while let Some(done) = asks.join_next().await {
            match done {
                Ok((Ok(r), _)) => return Some(r),
                Ok((Err(why), url)) => tracing::debug!(%url, why, "beacon relay gave no round"),
                Err(e) => tracing::warn!(error = %e, "beacon request task failed"),
            }
        }
        None
    }

    async fn ask(&self, url: &str, round: u64) -> Result<Round, String> {
        #[derive(serde::Deserialize)]
        struct Answer {
            round: u64,
            signature: String,
        }
        let res = self.http.get(url).send().await.map_err(|e| e.to_string())?;
        if !res.status().is_success() {
            return Err(format!("HTTP {}", res.status()));
        }
        let a: Answer = res.json().await.map_err(|e| e.to_string())?;
        let signature = hex::decode(&a.signature).map_err(|_| "signature is not hex")?;
        if a.round != round {
            return Err(format!("answered round {}", a.round));
        }
        self.chain
            .verify(round, &signature)
            .map_err(|e| e.to_string())?;
        Ok(Round { round, signature })
    }
}
