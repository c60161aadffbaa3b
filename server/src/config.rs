//! Typed configuration, loaded once at start-up.
//!
//! Sources, later ones winning: built-in defaults, `Leptos.toml` (its `[leptos]` table
//! holds the site options, its `[tombola]` table Tombola's own keys), then environment
//! variables: `LEPTOS_*` for site options (as cargo-leptos sets them) and `TOMBOLA_*` for
//! ours (`database-url` ← `TOMBOLA_DATABASE_URL`). A malformed or unknown value stops
//! start-up with a message that names the key.

use anyhow::{Context, anyhow, bail};
use backend::accounts::LoginLimits;
use leptos::config::LeptosOptions;
use secrecy::{ExposeSecret, SecretBox};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// One Tombola key: its name in `Leptos.toml`, its default and what it means. The
/// README's configuration reference is this table.
pub struct KeyDoc {
    pub key: &'static str,
    pub default: &'static str,
    pub meaning: &'static str,
}

pub const KEYS: &[KeyDoc] = &[
    KeyDoc {
        key: "database-url",
        default: "sqlite://data/tombola.db",
        meaning: "SQLite file or postgres:// URL; migrations run at start-up",
    },
    KeyDoc {
        key: "public-url",
        default: "http://<site-addr>",
        meaning: "the URL people and Telegram reach the server at; https turns on Secure cookies",
    },
    KeyDoc {
        key: "telegram-api-url",
        default: "https://api.telegram.org",
        meaning: "the Bot API server: Telegram's, a self-hosted telegram-bot-api, or the simulator",
    },
    KeyDoc {
        key: "secret-key-file",
        default: "data/secret.key",
        meaning: "file holding the 32-byte master key (hex); generated with a warning when missing, except in production",
    },
    KeyDoc {
        key: "sqlite-synchronous",
        default: "normal",
        meaning: "SQLite only: normal — an update answered 200 survives a crash of the process; full — also the machine losing power (each commit waits for the disk, about half the webhook throughput)",
    },
    KeyDoc {
        key: "production",
        default: "false",
        meaning: "refuse to start without a secret key; never generate one",
    },
    KeyDoc {
        key: "test-clock",
        default: "false",
        meaning: "tests only: POST /test/clock moves the scheduler's clock forward; refused in production",
    },
    KeyDoc {
        key: "trust-forwarded-for",
        default: "false",
        meaning: "take the client IP from the last X-Forwarded-For entry (only behind your own proxy)",
    },
    KeyDoc {
        key: "login-max-failures-per-account",
        default: "5",
        meaning: "failed logins allowed per account within the window",
    },
    KeyDoc {
        key: "login-max-failures-per-ip",
        default: "30",
        meaning: "failed logins allowed per client IP within the window",
    },
    KeyDoc {
        key: "login-window-secs",
        default: "900",
        meaning: "the login-throttle window, in seconds",
    },
    KeyDoc {
        key: "session-days",
        default: "7",
        meaning: "a session ends after this many days without activity",
    },
    KeyDoc {
        key: "header-timeout-secs",
        default: "10",
        meaning: "a request's line and headers must arrive within this many seconds, else the connection is closed; also how long an idle keep-alive connection is kept",
    },
    KeyDoc {
        key: "body-timeout-secs",
        default: "20",
        meaning: "a request's whole body must arrive within this many seconds after its headers (408 otherwise)",
    },
    KeyDoc {
        key: "max-connections",
        default: "1024",
        meaning: "open client connections at most; beyond it new ones wait to be accepted (keep it under the open-files limit)",
    },
    KeyDoc {
        key: "password-hash-jobs",
        default: "2 per core, 2 to 8",
        meaning: "argon2 hashes (19 MiB each) run at once; 8 more per job may wait, later logins are told to try again in a moment",
    },
    KeyDoc {
        key: "account-age-points",
        default: "(none)",
        meaning: "more user id → sign-up date points for the minimum-account-age estimate, `id=YYYY-MM-DD` separated by commas (the built-in table ends in October 2021)",
    },
    KeyDoc {
        key: "beacon",
        default: "drand",
        meaning: "`drand`: every new giveaway's draw is bound to a round of drand's quicknet beacon, read from `beacon-urls` (draw protocol v3); `off`: draws use the seed and the list only (v2), as the verify page says",
    },
    KeyDoc {
        key: "beacon-urls",
        default: "drand's public relays",
        meaning: "the HTTP relays the beacon's rounds are read from, separated by commas; the first valid answer wins (each signature is checked)",
    },
    KeyDoc {
        key: "beacon-test-key",
        default: "(none)",
        meaning: "tests only: a locally generated chain's public key (hex); draws on it are marked \"test beacon\" everywhere; refused in production",
    },
    KeyDoc {
        key: "log",
        default: "info",
        meaning: "tracing filter, e.g. info,backend=debug (RUST_LOG wins when set)",
    },
];

/// The master key. Never printed: `Debug` is redacted by `secrecy`.
pub type SecretKey = SecretBox<[u8; 32]>;

pub struct Config {
    pub leptos: LeptosOptions,
    pub database_url: String,
    pub public_url: String,
    pub telegram_api_url: String,
    pub secret_key_file: PathBuf,
    pub production: bool,
    pub test_clock: bool,
    pub trust_forwarded_for: bool,
    pub login_limits: LoginLimits,
    pub session_days: u32,
    pub log: String,
    /// How durable the inbox writer's SQLite commits are (what Telegram's 200 promises).
    pub sqlite_synchronous: backend::db::Durability,
    /// Time and connection bounds of the HTTP server.
    pub http: HttpLimits,
    /// The randomness beacon new giveaways bind their draws to (`None`: off).
    pub beacon: Option<backend::beacon::Beacon>,
    /// Password hashes at once; `None`: [`backend::accounts::password::Hashing::default_jobs`].
    pub password_hash_jobs: Option<usize>,
    /// Reference points added to the built-in account-age table.
    pub account_age_points: Vec<(u64, i64)>,
}

/// What a client may hold of the server: `crate::serve` enforces these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpLimits {
    /// For the request line and headers, and for an idle keep-alive connection.
    pub header_timeout: Duration,
    /// For the whole body, counted from the end of the headers.
    pub body_timeout: Duration,
    /// Open client connections at most.
    pub max_connections: usize,
}

impl Default for HttpLimits {
    fn default() -> Self {
        HttpLimits {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(20),
            max_connections: 1024,
        }
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The database URL may carry a password.
        f.debug_struct("Config")
            .field("site_addr", &self.leptos.site_addr)
            .field("public_url", &self.public_url)
            .field("production", &self.production)
            .finish_non_exhaustive()
    }
}

impl Config {
    /// Reads `path` (if it exists) and the environment.
    pub fn load(path: &Path) -> anyhow::Result<Config> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        Self::from_toml_and_env(&text, |k| std::env::var(k).ok())
    }

    /// Builds the configuration from a `Leptos.toml` text and an environment lookup.
    pub fn from_toml_and_env(
        text: &str,
        env: impl Fn(&str) -> Option<String>,
    ) -> anyhow::Result<Config> {
        let mut doc: toml::Table = toml::from_str(text).map_err(|e| anyhow!("Leptos.toml: {e}"))?;
        let leptos_table = match doc.remove("leptos") {
            Some(toml::Value::Table(t)) => t,
            None => toml::Table::new(),
            Some(_) => bail!("Leptos.toml: `leptos` must be a table"),
        };
        let mut ours = match doc.remove("tombola") {
            Some(toml::Value::Table(t)) => t,
            None => toml::Table::new(),
            Some(_) => bail!("Leptos.toml: `tombola` must be a table"),
        };
        if let Some(k) = doc.keys().next() {
            bail!("Leptos.toml: unknown top-level key `{k}` (expected [leptos] and [tombola])");
        }
        let mut leptos_text = String::from("[package.metadata.leptos]\n");
        if !leptos_table.contains_key("output-name") {
            leptos_text.push_str("output-name = \"tombola\"\n");
        }
        leptos_text.push_str(&toml::to_string(&leptos_table)?);
        let leptos = leptos::config::get_config_from_str(&leptos_text)
            .map_err(|e| anyhow!("Leptos.toml [leptos] or a LEPTOS_* variable: {e}"))?;

        let mut get = |key: &'static str| -> anyhow::Result<Option<String>> {
            let env_name = format!("TOMBOLA_{}", key.replace('-', "_").to_uppercase());
            let from_file = ours.remove(key);
            if let Some(v) = env(&env_name) {
                return Ok(Some(v));
            }
            match from_file {
                None => Ok(None),
                Some(toml::Value::String(s)) => Ok(Some(s)),
                Some(toml::Value::Integer(i)) => Ok(Some(i.to_string())),
                Some(toml::Value::Boolean(b)) => Ok(Some(b.to_string())),
                Some(other) => bail!("Leptos.toml [tombola] `{key}`: unexpected value {other}"),
            }
        };
        let database_url =
            get("database-url")?.unwrap_or_else(|| "sqlite://data/tombola.db".into());
        let public_url = get("public-url")?
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| format!("http://{}", leptos.site_addr));
        let telegram_api_url = get("telegram-api-url")?
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "https://api.telegram.org".into());
        let secret_key_file =
            PathBuf::from(get("secret-key-file")?.unwrap_or_else(|| "data/secret.key".into()));
        let production = parse_bool("production", get("production")?, false)?;
        let test_clock = parse_bool("test-clock", get("test-clock")?, false)?;
        if production && test_clock {
            bail!("test-clock (TOMBOLA_TEST_CLOCK) cannot be on in production");
        }
        let trust_forwarded_for =
            parse_bool("trust-forwarded-for", get("trust-forwarded-for")?, false)?;
        let per_account = parse_num(
            "login-max-failures-per-account",
            get("login-max-failures-per-account")?,
            5,
            1,
        )?;
        let per_ip = parse_num(
            "login-max-failures-per-ip",
            get("login-max-failures-per-ip")?,
            30,
            1,
        )?;
        let window = parse_num("login-window-secs", get("login-window-secs")?, 900, 1)?;
        let session_days = parse_num("session-days", get("session-days")?, 7, 1)?;
        let log = get("log")?.unwrap_or_else(|| "info".into());
        let sqlite_synchronous = match get("sqlite-synchronous")?.as_deref() {
            None | Some("normal") => backend::db::Durability::Process,
            Some("full") => backend::db::Durability::Machine,
            Some(other) => bail!(
                "sqlite-synchronous (TOMBOLA_SQLITE_SYNCHRONOUS): expected normal or full, not {other:?}"
            ),
        };
        let defaults = HttpLimits::default();
        let http = HttpLimits {
            header_timeout: Duration::from_secs(u64::from(parse_num(
                "header-timeout-secs",
                get("header-timeout-secs")?,
                defaults.header_timeout.as_secs() as u32,
                1,
            )?)),
            body_timeout: Duration::from_secs(u64::from(parse_num(
                "body-timeout-secs",
                get("body-timeout-secs")?,
                defaults.body_timeout.as_secs() as u32,
                1,
            )?)),
            max_connections: parse_num(
                "max-connections",
                get("max-connections")?,
                defaults.max_connections as u32,
                1,
            )? as usize,
        };
        let password_hash_jobs = match get("password-hash-jobs")? {
            None => None,
            Some(v) => Some(parse_num("password-hash-jobs", Some(v), 0, 1)? as usize),
        };
        let account_age_points = domain::giveaway::account_age::parse_points(
            &get("account-age-points")?.unwrap_or_default(),
        )
        .map_err(|e| {
            anyhow!(
                "account-age-points (TOMBOLA_ACCOUNT_AGE_POINTS): {e}; expected id=YYYY-MM-DD, …"
            )
        })?;
        let beacon = match get("beacon")?.as_deref().unwrap_or("drand") {
            "off" => None,
            "drand" => {
                let relays: Vec<String> = get("beacon-urls")?
                    .unwrap_or_default()
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect();
                let test_key = get("beacon-test-key")?.filter(|k| !k.is_empty());
                if production && test_key.is_some() {
                    bail!("beacon-test-key (TOMBOLA_BEACON_TEST_KEY) cannot be set in production");
                }
                Some(
                    backend::beacon::Beacon::new(&relays, test_key.as_deref()).map_err(|e| {
                        anyhow!("{e} (TOMBOLA_BEACON_URLS / TOMBOLA_BEACON_TEST_KEY)")
                    })?,
                )
            }
            other => bail!("beacon (TOMBOLA_BEACON): expected drand or off, got {other:?}"),
        };
        if let Some(k) = ours.keys().next() {
            bail!("Leptos.toml [tombola]: unknown key `{k}`");
        }
        validate_public_url(&public_url)?;
        backend::botapi::TelegramApi::new(&telegram_api_url)
            .map_err(|e| anyhow!("{e} (TOMBOLA_TELEGRAM_API_URL)"))?;
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://"))
        {
            bail!("database-url (TOMBOLA_DATABASE_URL): expected sqlite:… or postgres://…");
        }
        Ok(Config {
            leptos,
            database_url,
            public_url: public_url.trim_end_matches('/').to_owned(),
            telegram_api_url: telegram_api_url.trim_end_matches('/').to_owned(),
            secret_key_file,
            production,
            test_clock,
            trust_forwarded_for,
            login_limits: LoginLimits {
                per_account,
                per_ip,
                window: Duration::from_secs(u64::from(window)),
            },
            session_days,
            log,
            sqlite_synchronous,
            http,
            password_hash_jobs,
            account_age_points,
            beacon,
        })
    }

    /// Whether cookies must carry `Secure`.
    pub fn https(&self) -> bool {
        self.public_url.starts_with("https://")
    }

    /// The origin (scheme://host[:port]) of the public URL.
    pub fn public_origin(&self) -> String {
        origin_of(&self.public_url)
    }

    /// Loads the master key: `TOMBOLA_SECRET_KEY` (64 hex characters), else the key file.
    /// Outside production a missing file is created with a fresh key and a warning.
    pub fn secret_key(&self, env_key: Option<String>) -> anyhow::Result<SecretKey> {
        if let Some(hex_key) = env_key {
            return parse_key(hex_key.trim()).context("TOMBOLA_SECRET_KEY");
        }
        match std::fs::read_to_string(&self.secret_key_file) {
            Ok(text) => parse_key(text.trim())
                .with_context(|| format!("secret-key-file {}", self.secret_key_file.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if self.production {
                    bail!(
                        "production: no secret key. Set TOMBOLA_SECRET_KEY (64 hex characters, e.g. `openssl rand -hex 32`) or create {}",
                        self.secret_key_file.display()
                    );
                }
                let key: [u8; 32] = rand::random();
                if let Some(dir) = self.secret_key_file.parent() {
                    std::fs::create_dir_all(dir)?;
                }
                write_private(&self.secret_key_file, &hex::encode(key))?;
                tracing::warn!(
                    file = %self.secret_key_file.display(),
                    "no secret key configured: generated a new one. Back it up; set TOMBOLA_SECRET_KEY in production"
                );
                Ok(SecretBox::new(Box::new(key)))
            }
            Err(e) => {
                Err(e).with_context(|| format!("cannot read {}", self.secret_key_file.display()))
            }
        }
    }
}

fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    f.write_all(text.as_bytes())?;
    f.write_all(b"\n")?;
    Ok(())
}

fn parse_key(hex_key: &str) -> anyhow::Result<SecretKey> {
    let bytes = hex::decode(hex_key).map_err(|_| anyhow!("expected 64 hex characters"))?;
    let key: [u8; 32] = bytes
        .try_into()
        .map_err(|_| anyhow!("expected 32 bytes (64 hex characters)"))?;
    Ok(SecretBox::new(Box::new(key)))
}

fn parse_bool(key: &str, value: Option<String>, default: bool) -> anyhow::Result<bool> {
    match value.as_deref().map(str::trim) {
        None => Ok(default),
        Some("true" | "1" | "yes" | "on") => Ok(true),
        Some("false" | "0" | "no" | "off") => Ok(false),
        Some(other) => bail!("{key}: expected true or false, got {other:?}"),
    }
}

fn parse_num(key: &str, value: Option<String>, default: u32, min: u32) -> anyhow::Result<u32> {
    match value {
        None => Ok(default),
        Some(v) => match v.trim().parse::<u32>() {
            Ok(n) if n >= min => Ok(n),
            _ => bail!("{key}: expected a whole number ≥ {min}, got {v:?}"),
        },
    }
}

fn validate_public_url(url: &str) -> anyhow::Result<()> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| {
            anyhow!(
                "public-url (TOMBOLA_PUBLIC_URL): must start with http:// or https://, got {url:?}"
            )
        })?;
    let host = rest.split('/').next().unwrap_or("");
    if host.is_empty() || host.contains(['?', '#', ' ', '@']) {
        bail!("public-url (TOMBOLA_PUBLIC_URL): no valid host in {url:?}");
    }
    Ok(())
}

/// `scheme://host[:port]` of a URL already validated by `validate_public_url`.
pub fn origin_of(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("http", url));
    let host = rest.split('/').next().unwrap_or("");
    format!("{scheme}://{host}")
}

/// The raw key bytes, for deriving sub-keys. Keep the result out of logs.
pub fn key_bytes(key: &SecretKey) -> &[u8; 32] {
    key.expose_secret()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn defaults_apply_with_an_empty_file() {
        let c = Config::from_toml_and_env("", env(&[])).unwrap();
        assert_eq!(c.database_url, "sqlite://data/tombola.db");
        assert_eq!(c.public_url, "http://127.0.0.1:3000");
        assert_eq!(c.login_limits, LoginLimits::default());
        assert_eq!(c.http, HttpLimits::default());
        assert_eq!(c.password_hash_jobs, None);
        assert!(!c.production && !c.https());
    }

    #[test]
    fn file_values_then_env_overrides() {
        let toml = "[leptos]\nsite-addr = \"127.0.0.1:4000\"\n[tombola]\nlogin-window-secs = 60\npublic-url = \"https://giveaways.example.com/\"\n";
        let c = Config::from_toml_and_env(
            toml,
            env(&[
                ("TOMBOLA_LOGIN_WINDOW_SECS", "120"),
                ("TOMBOLA_LOG", "debug"),
            ]),
        )
        .unwrap();
        assert_eq!(c.log, "debug");
        assert_eq!(c.leptos.site_addr.port(), 4000);
        assert_eq!(c.login_limits.window, Duration::from_secs(120));
        assert_eq!(c.public_url, "https://giveaways.example.com");
        assert_eq!(c.public_origin(), "https://giveaways.example.com");
        assert!(c.https());
    }

    #[test]
    fn malformed_values_name_their_key() {
        let err = |toml: &str, vars: &[(&str, &str)]| {
            format!(
                "{:#}",
                Config::from_toml_and_env(toml, env(vars)).expect_err("must fail")
            )
        };
        assert!(err("", &[("TOMBOLA_SESSION_DAYS", "soon")]).contains("session-days"));
        assert!(err("[tombola]\nheader-timeout-secs = 0\n", &[]).contains("header-timeout-secs"));
        assert!(err("", &[("TOMBOLA_MAX_CONNECTIONS", "-1")]).contains("max-connections"));
        assert!(err("[tombola]\npassword-hash-jobs = 0\n", &[]).contains("password-hash-jobs"));
        assert!(err("[tombola]\nproduction = \"maybe\"\n", &[]).contains("production"));
        assert!(
            err("[tombola]\nproduction = true\ntest-clock = true\n", &[]).contains("test-clock")
        );
        assert!(
            err("[tombola]\nlogin-max-failures-per-ip = 0\n", &[])
                .contains("login-max-failures-per-ip")
        );
        assert!(err("[tombola]\npublic-url = \"ftp://x\"\n", &[]).contains("public-url"));
        assert!(err("[tombola]\ndatabase-url = \"mysql://x\"\n", &[]).contains("database-url"));
        assert!(err("", &[("TOMBOLA_TELEGRAM_API_URL", "not a url")]).contains("telegram-api-url"));
        assert!(err("[tombola]\ntypo-key = 1\n", &[]).contains("typo-key"));
        assert!(err("[leptos]\nsite-addr = \"nowhere\"\n", &[]).contains("leptos"));
        assert!(err("[tombola]\nbeacon = \"maybe\"\n", &[]).contains("beacon"));
        assert!(err("[tombola]\nbeacon-urls = \"ftp://relay\"\n", &[]).contains("beacon-urls"));
        assert!(err("[tombola]\nbeacon-test-key = \"abcd\"\n", &[]).contains("beacon-test-key"));
        // A test chain's key: not in production.
        let key = "8a4a72d83d3840957af533b1f9391eef34256cf274551bd83ad20ea20d5233d92d68a4b217a956d58fb003d5d3f68c910b8faf63d12e990ababd26af25109ebcc7a69fa58a278ac5781b505d8a3f927d6ec221b7ab70ce8951015af2494ccdf1";
        assert!(
            err(
                &format!("[tombola]\nproduction = true\nbeacon-test-key = \"{key}\"\n"),
                &[]
            )
            .contains("beacon-test-key")
        );
    }

    #[test]
    fn the_beacon_is_drand_unless_switched_off_or_tested() {
        let c = Config::from_toml_and_env("", env(&[])).unwrap();
        let b = c.beacon.expect("on by default");
        assert!(!b.chain().test);
        assert_eq!(b.chain(), &domain::beacon::QUICKNET);
        let off = Config::from_toml_and_env("", env(&[("TOMBOLA_BEACON", "off")])).unwrap();
        assert!(off.beacon.is_none());
        let key = "8a4a72d83d3840957af533b1f9391eef34256cf274551bd83ad20ea20d5233d92d68a4b217a956d58fb003d5d3f68c910b8faf63d12e990ababd26af25109ebcc7a69fa58a278ac5781b505d8a3f927d6ec221b7ab70ce8951015af2494ccdf1";
        let test = Config::from_toml_and_env("", env(&[("TOMBOLA_BEACON_TEST_KEY", key)])).unwrap();
        assert!(test.beacon.expect("a test chain").chain().test);
    }

    #[test]
    fn production_refuses_to_start_without_a_key() {
        let dir = std::env::temp_dir().join(format!("tombola-key-{}", rand::random::<u64>()));
        let file = dir.join("secret.key");
        let toml = format!(
            "[tombola]\nproduction = true\nsecret-key-file = \"{}\"\n",
            file.display()
        );
        let c = Config::from_toml_and_env(&toml, env(&[])).unwrap();
        let e = c.secret_key(None).expect_err("must refuse");
        assert!(format!("{e:#}").contains("TOMBOLA_SECRET_KEY"));
        assert!(!file.exists());
    }

    #[test]
    fn development_generates_and_then_reuses_a_key() {
        let dir = std::env::temp_dir().join(format!("tombola-key-{}", rand::random::<u64>()));
        let file = dir.join("secret.key");
        let toml = format!("[tombola]\nsecret-key-file = \"{}\"\n", file.display());
        let c = Config::from_toml_and_env(&toml, env(&[])).unwrap();
        let first = *key_bytes(&c.secret_key(None).unwrap());
        let second = *key_bytes(&c.secret_key(None).unwrap());
        assert_eq!(first, second);
        assert!(c.secret_key(Some("zz".into())).is_err());
        let _ = std::fs::remove_dir_all(dir);
    }
}
