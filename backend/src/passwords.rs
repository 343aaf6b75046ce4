//! Password hashing in a bounded place.
//!
//! argon2id is made to cost memory: with our parameters (the crate's
//! defaults, m = 19 MiB, t = 2, p = 1) every hash fills 19 MiB. Run on
//! tokio's blocking pool, each log-in took a thread of its own (up to 512)
//! and a fresh 19 MiB allocation, which glibc's allocator then kept in the
//! arena of whichever thread freed it: a loop of log-ins grew the server by
//! gigabytes (BENCHMARKS.md, issue 26).
//!
//! Here a fixed set of worker threads (as many as the machine has cores by
//! default, `--password-workers`) hashes and verifies, each into a block
//! buffer that is allocated once and reused, so hashing costs at most
//! `workers × 19 MiB` of memory however many log-ins arrive. Jobs wait in a
//! bounded queue; one that waited longer than the deadline
//! (`--password-queue-timeout`) or finds the queue full is answered
//! [`PasswordError::Busy`] (503 with `Retry-After`) without hashing, and one
//! whose caller went away (the client hung up) is skipped. Workers run at a
//! lower scheduling priority (nice 10) so that a storm of log-ins slows
//! other requests as little as possible.
//!
//! Unknown user names are verified against a dummy hash with the same
//! parameters, so a wrong user name costs exactly what a wrong password does.

use std::{
    sync::{Arc, Mutex, mpsc},
    time::{Duration, Instant},
};

use argon2::{
    Algorithm, Argon2, Block, Params, PasswordHash, Version,
    password_hash::{Output, ParamsString, SaltString, rand_core::OsRng},
};
use tokio::sync::oneshot;

/// Largest memory cost (KiB) a stored hash may ask for: 256 MiB. A hash
/// asking more (not one we made) never matches rather than taking the memory.
const MAX_M_COST: u32 = 256 * 1024;
/// Jobs that may wait per worker before new ones are refused at once.
const QUEUE_PER_WORKER: usize = 64;

/// Why a password could not be hashed or checked.
#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    /// Every worker is busy and the job waited past the deadline (or the
    /// queue is full): try again after `retry_after` seconds.
    #[error("password hashing is busy")]
    Busy { retry_after: u64 },
    /// The pool is gone (shutting down) or hashing failed.
    #[error("password hashing failed: {0}")]
    Failed(String),
}

enum Work {
    Hash(String),
    /// Verify against this stored hash; None: against the dummy hash.
    Verify(String, Option<String>),
}

enum Done {
    Hashed(String),
    Verified(bool),
}

struct Job {
    work: Work,
    queued: Instant,
    reply: oneshot::Sender<Result<Done, PasswordError>>,
}

/// The bounded pool of password workers. Cloning shares it; when the last
/// clone is dropped the workers finish their job and exit.
#[derive(Clone)]
pub struct Passwords {
    queue: mpsc::SyncSender<Job>,
    max_wait: Duration,
}

impl Default for Passwords {
    fn default() -> Self {
        Self::start(default_workers(), Duration::from_secs(5))
    }
}

/// `--password-workers` and `--password-queue-timeout`.
#[derive(Debug, Clone, Copy, clap::Args)]
pub struct PasswordLimits {
    /// Passwords hashed or checked at once (log-ins, new passwords); each
    /// takes 19 MiB while it works. Default: the number of cores.
    #[arg(long = "password-workers", env = "GATEHOUSE_PASSWORD_WORKERS",
          value_parser = clap::value_parser!(u64).range(1..=256))]
    pub workers: Option<u64>,
    /// Seconds a log-in may wait for a free password worker before it is
    /// answered 503 with Retry-After.
    #[arg(long = "password-queue-timeout", env = "GATEHOUSE_PASSWORD_QUEUE_TIMEOUT",
          default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=600))]
    pub queue_timeout_seconds: u64,
}

impl PasswordLimits {
    /// Start the pool these limits describe.
    pub fn start(&self) -> Passwords {
        let workers = self
            .workers
            .and_then(|workers| usize::try_from(workers).ok())
            .unwrap_or_else(default_workers);
        Passwords::start(workers, Duration::from_secs(self.queue_timeout_seconds))
    }
}

/// As many workers as the machine has cores.
fn default_workers() -> usize {
    std::thread::available_parallelism().map_or(2, usize::from)
}

impl Passwords {
    /// Start `workers` threads (at least one); a job waits at most
    /// `max_wait` for one of them.
    pub fn start(workers: usize, max_wait: Duration) -> Self {
        let workers = workers.max(1);
        let (queue, jobs) = mpsc::sync_channel::<Job>(workers * QUEUE_PER_WORKER);
        let jobs = Arc::new(Mutex::new(jobs));
        // Block buffers live here between jobs: as many are ever made as
        // jobs ran at once, at most one per worker.
        let buffers: Arc<Mutex<Vec<Vec<Block>>>> = Arc::default();
        let dummy = Arc::new(std::sync::OnceLock::<String>::new());
        for index in 0..workers {
            let jobs = jobs.clone();
            let buffers = buffers.clone();
            let dummy = dummy.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("gatehouse-password-{index}"))
                .spawn(move || work(&jobs, &buffers, &dummy, max_wait));
            if let Err(error) = spawned {
                tracing::error!(%error, "cannot start a password worker");
            }
        }
        Self { queue, max_wait }
    }

    /// How long a job may wait for a worker.
    pub fn max_wait(&self) -> Duration {
        self.max_wait
    }

    /// Hash a new password (argon2id, a fresh salt) as a PHC string.
    pub async fn hash(&self, password: String) -> Result<String, PasswordError> {
        match self.run(Work::Hash(password)).await? {
            Done::Hashed(hash) => Ok(hash),
            Done::Verified(_) => Err(PasswordError::Failed("unexpected answer".into())),
        }
    }

    /// Check a password against a stored hash; with None (no such user)
    /// against a dummy hash of the same cost, and never a match. A
    /// malformed hash never matches.
    pub async fn verify(
        &self,
        password: String,
        stored: Option<String>,
    ) -> Result<bool, PasswordError> {
        match self.run(Work::Verify(password, stored)).await? {
            Done::Verified(matches) => Ok(matches),
            Done::Hashed(_) => Err(PasswordError::Failed("unexpected answer".into())),
        }
    }

    async fn run(&self, work: Work) -> Result<Done, PasswordError> {
        let (reply, answer) = oneshot::channel();
        let job = Job {
            work,
            queued: Instant::now(),
            reply,
        };
        match self.queue.try_send(job) {
            Ok(()) => {}
            Err(mpsc::TrySendError::Full(_)) => {
                return Err(PasswordError::Busy {
                    retry_after: self.retry_after(),
                });
            }
            Err(mpsc::TrySendError::Disconnected(_)) => {
                return Err(PasswordError::Failed("the password workers stopped".into()));
            }
        }
        answer
            .await
            .map_err(|_| PasswordError::Failed("a password worker stopped".into()))?
    }

    fn retry_after(&self) -> u64 {
        retry_after(self.max_wait)
    }
}

/// What a busy answer tells to wait: the deadline, at least a second.
fn retry_after(max_wait: Duration) -> u64 {
    max_wait.as_secs().max(1)
}

/// One worker: take jobs until the pool is dropped.
fn work(
    jobs: &Mutex<mpsc::Receiver<Job>>,
    buffers: &Mutex<Vec<Vec<Block>>>,
    dummy: &std::sync::OnceLock<String>,
    max_wait: Duration,
) {
    lower_priority();
    loop {
        let job = {
            let Ok(jobs) = jobs.lock() else { return };
            match jobs.recv() {
                Ok(job) => job,
                Err(_) => return,
            }
        };
        if job.reply.is_closed() {
            continue; // the caller went away: nobody would read the answer
        }
        if job.queued.elapsed() > max_wait {
            let _ = job.reply.send(Err(PasswordError::Busy {
                retry_after: retry_after(max_wait),
            }));
            continue;
        }
        let mut blocks = buffers
            .lock()
            .ok()
            .and_then(|mut free| free.pop())
            .unwrap_or_default();
        let done = match &job.work {
            Work::Hash(password) => hash_with(password, &mut blocks).map(Done::Hashed),
            Work::Verify(password, stored) => {
                let stored = match stored {
                    Some(stored) => Ok(stored.as_str()),
                    None => dummy_hash(dummy, &mut blocks),
                };
                stored.map(|stored| Done::Verified(verify_with(password, stored, &mut blocks)))
            }
        };
        if let Ok(mut free) = buffers.lock() {
            free.push(blocks);
        }
        let _ = job.reply.send(done);
    }
}

/// The dummy hash of this pool, made on first use with the same parameters
/// as real ones.
fn dummy_hash<'a>(
    dummy: &'a std::sync::OnceLock<String>,
    blocks: &mut Vec<Block>,
) -> Result<&'a str, PasswordError> {
    if let Some(hash) = dummy.get() {
        return Ok(hash);
    }
    let hash = hash_with("not a real password", blocks)?;
    Ok(dummy.get_or_init(|| hash))
}

/// Make sure `blocks` holds at least `m_cost` blocks (KiB). The buffer only
/// grows, so it is allocated once for hashes of one cost.
fn fit(blocks: &mut Vec<Block>, m_cost: u32) {
    let wanted = m_cost as usize;
    if blocks.len() < wanted {
        blocks.resize(wanted, Block::default());
    }
}

/// Hash with argon2id and the default parameters into `blocks`.
pub fn hash_with(password: &str, blocks: &mut Vec<Block>) -> Result<String, PasswordError> {
    let params = Params::default();
    let salt = SaltString::generate(&mut OsRng);
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt
        .decode_b64(&mut salt_bytes)
        .map_err(|error| PasswordError::Failed(format!("salt: {error}")))?;
    fit(blocks, params.m_cost());
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    argon2
        .hash_password_into_with_memory(password.as_bytes(), salt_bytes, &mut out, &mut blocks[..])
        .map_err(|error| PasswordError::Failed(format!("argon2: {error}")))?;
    let output = Output::new(&out).map_err(|error| PasswordError::Failed(error.to_string()))?;
    let params = ParamsString::try_from(&params)
        .map_err(|error| PasswordError::Failed(error.to_string()))?;
    Ok(PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params,
        salt: Some(salt.as_salt()),
        hash: Some(output),
    }
    .to_string())
}

/// Check `password` against a stored PHC string, hashing into `blocks`.
/// Anything malformed, or a cost above [`MAX_M_COST`], never matches.
pub fn verify_with(password: &str, stored: &str, blocks: &mut Vec<Block>) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    let (Ok(algorithm), Some(expected), Some(salt)) = (
        Algorithm::try_from(parsed.algorithm),
        parsed.hash,
        parsed.salt,
    ) else {
        return false;
    };
    let version = match parsed.version.map(Version::try_from).transpose() {
        Ok(version) => version.unwrap_or_default(),
        Err(_) => return false,
    };
    let Ok(params) = Params::try_from(&parsed) else {
        return false;
    };
    if params.m_cost() > MAX_M_COST {
        return false;
    }
    let mut salt_bytes = [0u8; 64];
    let Ok(salt_bytes) = salt.decode_b64(&mut salt_bytes) else {
        return false;
    };
    fit(blocks, params.m_cost());
    let argon2 = Argon2::new(algorithm, version, params);
    let mut out = vec![0u8; expected.len()];
    if argon2
        .hash_password_into_with_memory(password.as_bytes(), salt_bytes, &mut out, &mut blocks[..])
        .is_err()
    {
        return false;
    }
    // Output's equality is constant-time.
    Output::new(&out).is_ok_and(|computed| computed == expected)
}

/// Nice 10 for the calling thread (Linux: the priority is per thread), so
/// hashing yields the cores to requests that do not hash.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: setpriority with PRIO_PROCESS and who = 0 changes only the
    // calling thread's nice value on Linux; it reads no memory of ours.
    unsafe {
        let _ = libc::setpriority(libc::PRIO_PROCESS, 0, 10);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::{PasswordHasher, PasswordVerifier};

    #[test]
    fn our_hashes_are_argon2id_with_the_default_cost_and_verify_both_ways() {
        let mut blocks = Vec::new();
        let hash = hash_with("correct horse", &mut blocks).unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert_eq!(blocks.len(), 19456);
        // The argon2 crate's own verifier accepts our hash...
        let parsed = PasswordHash::new(&hash).unwrap();
        assert!(
            Argon2::default()
                .verify_password(b"correct horse", &parsed)
                .is_ok()
        );
        // ...and ours accepts the crate's (what the database holds today).
        let salt = SaltString::generate(&mut OsRng);
        let theirs = Argon2::default()
            .hash_password(b"battery staple", &salt)
            .unwrap()
            .to_string();
        assert!(verify_with("battery staple", &theirs, &mut blocks));
        assert!(!verify_with("battery stapler", &theirs, &mut blocks));
        assert!(verify_with("correct horse", &hash, &mut blocks));
        assert!(!verify_with("correct horse ", &hash, &mut blocks));
        // The buffer was reused, not grown.
        assert_eq!(blocks.len(), 19456);
    }

    #[test]
    fn malformed_or_too_costly_hashes_never_match() {
        let mut blocks = Vec::new();
        for stored in [
            "",
            "plain text",
            "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$",
            "$pbkdf2-sha256$i=1000$c2FsdA$aGFzaA",
            "$argon2id$v=19$m=1048576,t=1,p=1$c2FsdHNhbHRzYWx0$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        ] {
            assert!(!verify_with("x", stored, &mut blocks), "{stored}");
        }
        // The 1 GiB hash was refused before any memory was taken.
        assert!(blocks.is_empty());
    }

    #[tokio::test]
    async fn the_pool_hashes_verifies_and_knows_no_user_from_a_wrong_password() {
        let pool = Passwords::start(2, Duration::from_secs(5));
        let hash = pool.hash("s3cret".into()).await.unwrap();
        assert!(
            pool.verify("s3cret".into(), Some(hash.clone()))
                .await
                .unwrap()
        );
        assert!(!pool.verify("nope".into(), Some(hash)).await.unwrap());
        assert!(!pool.verify("s3cret".into(), None).await.unwrap());
    }

    #[tokio::test]
    async fn a_job_that_waited_past_the_deadline_is_refused_busy_without_hashing() {
        // One worker and no patience: the first job occupies the worker for
        // one hash (tens of milliseconds), so the ones queued behind it have
        // waited past a one-millisecond deadline when it picks them up.
        let pool = Passwords::start(1, Duration::from_millis(1));
        let tasks: Vec<_> = (0..4)
            .map(|_| {
                let pool = pool.clone();
                tokio::spawn(async move { pool.verify("x".into(), None).await })
            })
            .collect();
        let mut busy = 0;
        for task in tasks {
            if matches!(
                task.await.unwrap(),
                Err(PasswordError::Busy { retry_after: 1 })
            ) {
                busy += 1;
            }
        }
        assert!(busy >= 3, "{busy} of 4 refused as busy");
    }

    #[tokio::test]
    async fn a_full_queue_refuses_at_once() {
        let pool = Passwords::start(1, Duration::from_secs(60));
        let waiting: Vec<_> = (0..=QUEUE_PER_WORKER + 1)
            .map(|_| {
                let pool = pool.clone();
                tokio::spawn(async move { pool.verify("x".into(), None).await })
            })
            .collect();
        let mut busy = 0;
        for task in waiting {
            if matches!(task.await.unwrap(), Err(PasswordError::Busy { .. })) {
                busy += 1;
            }
        }
        assert!(busy >= 1, "a queue of {QUEUE_PER_WORKER} took them all");
    }
}
