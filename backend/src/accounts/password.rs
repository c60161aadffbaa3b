//! Password hashing: argon2id with OWASP's parameters, on a small pool of threads of its
//! own ([`Hashing`]) so that a burst of logins cannot take the machine's memory.
//!
//! Each hash holds 19 MiB while it runs. The pool runs at most `jobs` at once (4 on two
//! cores: [`Hashing::default_jobs`]) and lets at most [`QUEUE_PER_JOB`] × `jobs` more wait
//! for a thread; beyond that a login is refused at once with [`ServiceError::Busy`] ("try
//! again in a moment") instead of queueing without end. Each thread keeps its 19 MiB
//! between hashes ([`with_memory`]), so what a burst leaves behind is `jobs` × 19 MiB.
//! One pool per process ([`configure`] at start-up; the default otherwise), since what it
//! bounds — cores and memory — is the process's.

use crate::ServiceError;
use argon2::password_hash::{PasswordHasher, phc::PasswordHash};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use domain::Password;
use std::cell::RefCell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError};
use std::sync::{Arc, LazyLock, Mutex, OnceLock};
use tokio::sync::oneshot;

/// How many logins may wait per hashing thread before more are told to try again.
pub const QUEUE_PER_JOB: usize = 8;

/// OWASP Password Storage Cheat Sheet: argon2id, m = 19 MiB, t = 2, p = 1.
fn hasher() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("OWASP argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// A hash of a random password with the same parameters: verifying against it when an
/// e-mail is unknown costs the same time as a real check, so timing does not reveal
/// which addresses have accounts.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    hasher()
        .hash_password(format!("dummy-{}", crate::ids::new_public_id().as_str()).as_bytes())
        .expect("hashing a constant succeeds")
        .to_string()
});

static POOL: OnceLock<Hashing> = OnceLock::new();

/// Sizes the process's pool (`password-hash-jobs`); only the first call counts, and only
/// before the first hash. Returns the number of jobs in force.
pub fn configure(jobs: Option<usize>) -> usize {
    POOL.get_or_init(|| Hashing::new(jobs.unwrap_or_else(Hashing::default_jobs)))
        .jobs()
}

fn pool() -> &'static Hashing {
    POOL.get_or_init(|| Hashing::new(Hashing::default_jobs()))
}

type Job = Box<dyn FnOnce() + Send>;

/// A fixed set of threads that hash passwords, with a short queue in front.
pub struct Hashing {
    queue: SyncSender<Job>,
    jobs: usize,
    stats: Arc<Stats>,
}

/// What the pool has done, for tests and `/metrics`.
#[derive(Default, Debug)]
pub struct Stats {
    running: AtomicUsize,
    /// The most jobs that ever ran at once.
    pub peak: AtomicUsize,
    /// Jobs refused because the queue was full.
    pub refused: AtomicUsize,
}

impl Hashing {
    /// Two jobs per core, between 2 and 8: 4 on two cores, at most 152 MiB of hashing.
    pub fn default_jobs() -> usize {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        (2 * cores).clamp(2, 8)
    }

    /// Starts `jobs` threads (at least one) with a queue of [`QUEUE_PER_JOB`] each.
    /// Dropping the pool lets them finish.
    pub fn new(jobs: usize) -> Hashing {
        Self::with_queue(jobs, QUEUE_PER_JOB * jobs.max(1))
    }

    /// A pool with a queue of `queue` waiting jobs.
    pub fn with_queue(jobs: usize, queue: usize) -> Hashing {
        let jobs = jobs.max(1);
        let (tx, rx) = std::sync::mpsc::sync_channel::<Job>(queue);
        let rx = Arc::new(Mutex::new(rx));
        let stats = Arc::new(Stats::default());
        for i in 0..jobs {
            let (rx, stats) = (rx.clone(), stats.clone());
            std::thread::Builder::new()
                .name(format!("argon2-{i}"))
                .spawn(move || work(&rx, &stats))
                .expect("a hashing thread starts");
        }
        Hashing {
            queue: tx,
            jobs,
            stats,
        }
    }

    pub fn jobs(&self) -> usize {
        self.jobs
    }

    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// Runs `f` on a hashing thread, or refuses at once when the queue is full.
    pub async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, ServiceError> {
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = tx.send(f());
        });
        match self.queue.try_send(job) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                self.stats.refused.fetch_add(1, Ordering::Relaxed);
                return Err(ServiceError::Busy {
                    retry_after_secs: 1,
                });
            }
            Err(TrySendError::Disconnected(_)) => {
                return Err(ServiceError::Internal("hashing threads are gone".into()));
            }
        }
        rx.await
            .map_err(|_| ServiceError::Internal("a hashing job panicked".into()))
    }

    /// Hashes a password to a PHC string.
    pub async fn hash(&self, password: Password) -> Result<String, ServiceError> {
        self.run(move || hash_now(password.expose().as_bytes()))
            .await?
    }

    /// Verifies a password against a stored PHC string (or the dummy hash when `stored`
    /// is `None`, which always fails).
    pub async fn verify(
        &self,
        password: Password,
        stored: Option<String>,
    ) -> Result<bool, ServiceError> {
        self.run(move || {
            let real = stored.is_some();
            let phc = stored.unwrap_or_else(|| DUMMY_HASH.clone());
            let ok = verify_now(password.expose().as_bytes(), &phc)?;
            Ok(ok && real)
        })
        .await?
    }
}

/// The largest argon2 memory a stored hash may ask for (64 MiB); OWASP's is 19 MiB.
const MAX_BLOCKS: usize = 64 * 1024;

thread_local! {
    /// Each hashing thread's argon2 memory, kept between hashes: the allocator never
    /// sees a 19 MiB block come and go (glibc kept such freed blocks in its per-thread
    /// arenas, and a burst left hundreds of MiB behind), so the process holds at most
    /// `jobs` × 19 MiB for hashing, whatever the traffic.
    static MEMORY: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

/// Runs `f` with `blocks` blocks of this thread's argon2 memory.
fn with_memory<T>(blocks: usize, f: impl FnOnce(&mut [Block]) -> T) -> Result<T, ServiceError> {
    if blocks > MAX_BLOCKS {
        return Err(ServiceError::Internal(format!(
            "argon2 memory of {blocks} KiB asked for"
        )));
    }
    MEMORY.with_borrow_mut(|memory| {
        if memory.len() < blocks {
            *memory = vec![Block::default(); blocks];
        }
        Ok(f(&mut memory[..blocks]))
    })
}

fn argon_err(e: impl std::fmt::Display) -> ServiceError {
    ServiceError::Internal(format!("argon2: {e}"))
}

/// Hashes with OWASP's parameters and a random 16-byte salt, in this thread's memory.
fn hash_now(password: &[u8]) -> Result<String, ServiceError> {
    use argon2::password_hash::phc::{Output, ParamsString, Salt};
    let argon = hasher();
    let mut salt = [0u8; 16];
    rand::Rng::fill(&mut rand::rng(), &mut salt[..]);
    let mut out = [0u8; 32];
    with_memory(argon.params().block_count(), |m| {
        argon.hash_password_into_with_memory(password, &salt, &mut out, m)
    })?
    .map_err(argon_err)?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(argon.params()).map_err(argon_err)?,
        salt: Some(Salt::new(&salt).map_err(argon_err)?),
        hash: Some(Output::new(&out).map_err(argon_err)?),
    };
    Ok(phc.to_string())
}

/// Checks a password against a PHC string with the parameters it names, in this
/// thread's memory; the outputs are compared in constant time.
fn verify_now(password: &[u8], phc: &str) -> Result<bool, ServiceError> {
    use subtle::ConstantTimeEq;
    let unreadable =
        |e: &dyn std::fmt::Display| ServiceError::Internal(format!("stored hash unreadable: {e}"));
    let parsed = PasswordHash::new(phc).map_err(|e| unreadable(&e))?;
    let params = Params::try_from(&parsed).map_err(|e| unreadable(&e))?;
    let algorithm = Algorithm::try_from(parsed.algorithm.as_str()).map_err(|e| unreadable(&e))?;
    let version = match parsed.version {
        Some(v) => Version::try_from(v).map_err(|e| unreadable(&e))?,
        None => Version::default(),
    };
    let (Some(salt), Some(expected)) = (&parsed.salt, &parsed.hash) else {
        return Err(unreadable(&"no salt or no hash"));
    };
    let mut out = vec![0u8; expected.as_bytes().len()];
    let argon = Argon2::new(algorithm, version, params);
    with_memory(argon.params().block_count(), |m| {
        argon.hash_password_into_with_memory(password, salt.as_ref(), &mut out, m)
    })?
    .map_err(argon_err)?;
    Ok(out.ct_eq(expected.as_bytes()).into())
}

fn work(rx: &Mutex<Receiver<Job>>, stats: &Stats) {
    loop {
        // One thread waits in `recv` holding the lock; the others wait for the lock.
        let job = match rx.lock() {
            Ok(rx) => rx.recv(),
            Err(_) => return,
        };
        let Ok(job) = job else { return };
        let now = stats.running.fetch_add(1, Ordering::SeqCst) + 1;
        stats.peak.fetch_max(now, Ordering::SeqCst);
        // A panicking job drops its answer (the caller sees an internal error); the
        // thread stays.
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
        stats.running.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Hashes a password to a PHC string on the process's pool.
pub async fn hash(password: Password) -> Result<String, ServiceError> {
    pool().hash(password).await
}

/// Verifies a password on the process's pool (see [`Hashing::verify`]).
pub async fn verify(password: Password, stored: Option<String>) -> Result<bool, ServiceError> {
    pool().verify(password, stored).await
}

/// The process pool's figures.
pub fn stats() -> &'static Stats {
    pool().stats()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hash_then_verify() {
        let h = hash(Password::parse("correct horse").unwrap())
            .await
            .unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(
            verify(Password::parse("correct horse").unwrap(), Some(h.clone()))
                .await
                .unwrap()
        );
        assert!(
            !verify(Password::parse("wrong horse!").unwrap(), Some(h))
                .await
                .unwrap()
        );
    }

    #[test]
    fn hashes_interoperate_with_the_argon2_crates_own() {
        use argon2::password_hash::PasswordVerifier;
        let ours = hash_now(b"correct horse").unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(hasher().verify_password(b"correct horse", &parsed).is_ok());
        assert!(hasher().verify_password(b"correct horsf", &parsed).is_err());
        let theirs = hasher()
            .hash_password(b"battery staple")
            .unwrap()
            .to_string();
        assert!(verify_now(b"battery staple", &theirs).unwrap());
        assert!(!verify_now(b"battery stapler", &theirs).unwrap());
        assert!(verify_now(b"x", "$argon2id$v=19$nonsense").is_err());
        // Two hashes of one password differ (their salts do).
        assert_ne!(hash_now(b"correct horse").unwrap(), ours);
    }

    #[tokio::test]
    async fn unknown_account_never_verifies() {
        assert!(
            !verify(Password::parse("anything at all").unwrap(), None)
                .await
                .unwrap()
        );
    }

    #[tokio::test]
    async fn a_burst_runs_at_most_jobs_at_once_and_refuses_beyond_the_queue() {
        let pool = Arc::new(Hashing::with_queue(2, 3));
        let mut tries = tokio::task::JoinSet::new();
        for _ in 0..20 {
            let pool = pool.clone();
            tries.spawn(async move {
                pool.verify(Password::parse("burst burst").unwrap(), None)
                    .await
            });
        }
        let answers = tries.join_all().await;
        let done = answers.iter().filter(|a| matches!(a, Ok(false))).count();
        let busy = answers
            .iter()
            .filter(|a| {
                matches!(
                    a,
                    Err(ServiceError::Busy {
                        retry_after_secs: 1
                    })
                )
            })
            .count();
        assert_eq!(done + busy, 20, "every try answers: {answers:?}");
        // The three places in the queue are always taken; a thread that takes a job
        // frees its place, so a few more may be.
        assert!((3..20).contains(&done), "{done} verified, {busy} refused");
        assert_eq!(pool.stats().peak.load(Ordering::SeqCst), 2);
        assert_eq!(pool.stats().refused.load(Ordering::SeqCst), busy);
        // Once the burst is over the pool takes work again.
        assert!(
            !pool
                .verify(Password::parse("later on").unwrap(), None)
                .await
                .unwrap()
        );
    }
}
