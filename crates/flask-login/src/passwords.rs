//! Password hashes: argon2id for new ones (OWASP's parameters, PHC strings), and Werkzeug's
//! `pbkdf2:` and `scrypt:` hashes verified too, so the users of a Flask app keep their
//! passwords after the move.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use std::cell::RefCell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, mpsc};

use subtle::ConstantTimeEq;

/// OWASP's argon2id parameters (2024 cheat sheet): 19 MiB of memory, 2 passes, 1 lane.
const MEMORY_KIB: u32 = 19_456;
const PASSES: u32 = 2;
const LANES: u32 = 1;

/// What can go wrong making a hash.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PasswordError {
    /// argon2 refused (it does not for these parameters; the message says why).
    #[error("cannot hash the password: {0}")]
    Hash(String),
    /// No hashing thread could take the job (none could be started), or the job panicked.
    #[error("the password could not be hashed: {0}")]
    Task(String),
    /// Too many hashes are waiting (`PASSWORD_HASH_QUEUE_LIMIT`): the request is refused
    /// at once rather than queued for minutes. The `LoginManager` answers it with a 503
    /// and `Retry-After`.
    #[error("the password was not checked")]
    Busy(#[source] HashQueueFull),
}

/// The password-hash queue is full: a 503 with `Retry-After` (the `LoginManager` registers
/// the error handler), so a flood of sign-ups or guesses cannot delay real logins for
/// minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "{waiting} password hashes are waiting already (PASSWORD_HASH_QUEUE_LIMIT); try again in a moment"
)]
pub struct HashQueueFull {
    /// The hashes that were waiting.
    pub waiting: usize,
}

/// The most hashes that may wait for a hashing thread, unless `PASSWORD_HASH_QUEUE_LIMIT`
/// says otherwise: with about 30 ms a hash, a second or so of work on one core.
pub const DEFAULT_HASH_QUEUE_LIMIT: usize = 32;

static HASH_QUEUE_LIMIT: AtomicUsize = AtomicUsize::new(DEFAULT_HASH_QUEUE_LIMIT);
static HASHES_WAITING: AtomicUsize = AtomicUsize::new(0);

/// Sets how many hashes may wait for a hashing thread (the threads are the process's, so
/// the limit is too: the last app to set it wins). The `LoginManager` sets it from
/// `PASSWORD_HASH_QUEUE_LIMIT`.
pub fn set_hash_queue_limit(limit: usize) {
    HASH_QUEUE_LIMIT.store(limit.max(1), Ordering::Relaxed);
}

fn argon2() -> Argon2<'static> {
    // The parameters are constants within argon2's bounds.
    let params = Params::new(MEMORY_KIB, PASSES, LANES, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// An argon2id hash of `password` with a random salt, as a PHC string
/// (`$argon2id$v=19$m=19456,t=2,p=1$...`), Werkzeug's `generate_password_hash`. It takes
/// tens of milliseconds of CPU on purpose: in a handler use [`hash_password`], which runs it
/// off the async runtime.
pub fn generate_password_hash(password: &str) -> Result<String, PasswordError> {
    let salt = SaltString::generate(&mut OsRng);
    let mut salt_bytes = [0_u8; 64];
    let salt_bytes = salt
        .decode_b64(&mut salt_bytes)
        .map_err(|e| PasswordError::Hash(e.to_string()))?;
    let hasher = argon2();
    let mut out = [0_u8; Params::DEFAULT_OUTPUT_LEN];
    with_memory(hasher.params().block_count(), |memory| {
        hasher.hash_password_into_with_memory(password.as_bytes(), salt_bytes, &mut out, memory)
    })
    .map_err(|e| PasswordError::Hash(e.to_string()))?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(hasher.params())
            .map_err(|e| PasswordError::Hash(e.to_string()))?,
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&out).map_err(|e| PasswordError::Hash(e.to_string()))?),
    };
    Ok(phc.to_string())
}

/// Whether `password` hashes to the argon2 PHC string `hash` (any of argon2's variants and
/// versions, with the parameters the string names).
fn check_argon2(hash: &str, password: &str) -> Option<bool> {
    let parsed = PasswordHash::new(hash).ok()?;
    let algorithm = Algorithm::try_from(parsed.algorithm).ok()?;
    let version = match parsed.version {
        Some(v) => Version::try_from(v).ok()?,
        None => Version::default(),
    };
    let params = Params::try_from(&parsed).ok()?;
    let expected = parsed.hash?;
    let mut salt = [0_u8; 64];
    let salt = parsed.salt?.decode_b64(&mut salt).ok()?;
    let hasher = Argon2::new(algorithm, version, params);
    let mut out = vec![0_u8; expected.len()];
    with_memory(hasher.params().block_count(), |memory| {
        hasher.hash_password_into_with_memory(password.as_bytes(), salt, &mut out, memory)
    })
    .ok()?;
    Some(bool::from(out.as_slice().ct_eq(expected.as_bytes())))
}

thread_local! {
    /// argon2's working memory (19 MiB for our parameters) on a hashing thread, kept from
    /// one hash to the next; `None` on other threads.
    static MEMORY: RefCell<Option<Vec<Block>>> = const { RefCell::new(None) };
}

/// Runs `f` with `blocks` blocks of working memory: the hashing thread's own, allocated
/// once, or (on any other thread) a new allocation.
///
/// Reusing it matters beyond the page faults it saves: glibc raises its mmap threshold to
/// the size of the largest mapped block freed, so freeing 19 MiB after every hash made
/// every later allocation up to 19 MiB come from the heap, and the heaps of a busy app grew
/// to ten times its working set (flaskr under the soak: 230 MiB instead of 21).
fn with_memory<R>(blocks: usize, f: impl FnOnce(&mut [Block]) -> R) -> R {
    MEMORY.with_borrow_mut(|kept| match kept {
        Some(memory) => {
            if memory.len() < blocks {
                memory.resize(blocks, Block::default());
            }
            f(&mut memory[..blocks])
        }
        None => f(&mut vec![Block::default(); blocks]),
    })
}

/// Whether `password` matches `hash`, Werkzeug's `check_password_hash`: an argon2 PHC string,
/// or Werkzeug's `pbkdf2:sha256:N$salt$hex`, `pbkdf2:sha512:N$salt$hex` and
/// `scrypt:N:r:p$salt$hex`. A hash it cannot read does not match. The comparison takes the
/// same time wherever the bytes differ. In a handler use [`verify_password`].
pub fn check_password_hash(hash: &str, password: &str) -> bool {
    if hash.starts_with('$') {
        return check_argon2(hash, password).unwrap_or(false);
    }
    werkzeug(hash, password).unwrap_or(false)
}

/// Whether `hash` should be made again with [`generate_password_hash`] at the next login:
/// it is not argon2id with today's parameters (a Werkzeug hash, older argon2 settings).
pub fn needs_rehash(hash: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(hash) else {
        return true;
    };
    if parsed.algorithm.as_str() != "argon2id" {
        return true;
    }
    let param = |name: &str| parsed.params.get_decimal(name);
    param("m") != Some(MEMORY_KIB) || param("t") != Some(PASSES) || param("p") != Some(LANES)
}

/// The threads that hash: one per core but one (one on two cores), started on first use
/// and kept. During a burst of logins they hash back to back while a core stays free for
/// the other requests; the jobs wait in a queue, and memory stays bounded (19 MiB a hash).
///
/// Long-lived threads rather than tokio's blocking pool: a thread that hashes without
/// pause is one the scheduler lets a waking request preempt at once, while blocking-pool
/// threads, asleep between jobs, are favoured on each wake-up and delay requests by a
/// scheduler tick (the login-burst bench measured p99 latency of a cheap route 25-60 times
/// its unloaded p99 that way; with these threads it stays within 2x).
struct HashThreads {
    jobs: Mutex<mpsc::Sender<Job>>,
}

type Job = Box<dyn FnOnce() + Send>;

fn hash_threads() -> &'static HashThreads {
    static THREADS: OnceLock<HashThreads> = OnceLock::new();
    THREADS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        let (tx, rx) = mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..cores.saturating_sub(1).max(1) {
            let rx = rx.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("password-hash-{i}"))
                .spawn(move || {
                    // This thread keeps argon2's working memory between hashes.
                    MEMORY.set(Some(Vec::new()));
                    loop {
                        let job = match rx.lock() {
                            Ok(rx) => rx.recv(),
                            Err(poisoned) => poisoned.into_inner().recv(),
                        };
                        let Ok(job) = job else { return };
                        // A job cannot panic (argon2 returns errors), but the thread outlives
                        // one that would.
                        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                    }
                });
            if let Err(e) = spawned {
                // One fewer hashing thread; with none, the jobs fail with PasswordError::Task.
                tracing::error!("flask-login: cannot start a password hashing thread: {e}");
            }
        }
        HashThreads {
            jobs: Mutex::new(tx),
        }
    })
}

/// Runs `work` on the hashing threads and waits for it without blocking the async runtime.
async fn off_the_runtime<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, PasswordError> {
    let waiting = HASHES_WAITING.fetch_add(1, Ordering::AcqRel);
    if waiting >= HASH_QUEUE_LIMIT.load(Ordering::Relaxed) {
        HASHES_WAITING.fetch_sub(1, Ordering::AcqRel);
        return Err(PasswordError::Busy(HashQueueFull { waiting }));
    }
    let (tx, rx) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move || {
        HASHES_WAITING.fetch_sub(1, Ordering::AcqRel);
        // Nobody waits any more (the client went away): skip the work.
        if !tx.is_closed() {
            let _ = tx.send(work());
        }
    });
    let sent = match hash_threads().jobs.lock() {
        Ok(jobs) => jobs.send(job),
        Err(poisoned) => poisoned.into_inner().send(job),
    };
    if sent.is_err() {
        HASHES_WAITING.fetch_sub(1, Ordering::AcqRel);
        return Err(PasswordError::Task(
            "no password hashing thread is running".to_owned(),
        ));
    }
    rx.await
        .map_err(|_| PasswordError::Task("the hashing thread dropped the job".to_owned()))
}

/// [`generate_password_hash`] off the async runtime, on threads kept for hashing, so a
/// burst of sign-ups does not stall other requests: one hash per core but one runs at a
/// time (one on two cores), the rest wait their turn, and a core stays free for requests.
pub async fn hash_password(password: &str) -> Result<String, PasswordError> {
    let password = password.to_owned();
    off_the_runtime(move || generate_password_hash(&password)).await?
}

/// [`check_password_hash`] off the async runtime, so a burst of logins does not stall
/// other requests (as [`hash_password`]: a core always stays free for them).
///
/// # Errors
/// [`PasswordError::Busy`] when `PASSWORD_HASH_QUEUE_LIMIT` hashes are waiting already
/// (with `?` in a view, the `LoginManager` answers it with a 503 and `Retry-After`), or
/// [`PasswordError::Task`] when no hashing thread runs.
pub async fn verify_password(hash: &str, password: &str) -> Result<bool, PasswordError> {
    let (hash, password) = (hash.to_owned(), password.to_owned());
    off_the_runtime(move || check_password_hash(&hash, &password)).await
}

/// [`verify_password`] against the user's hash, or, for a user that does not exist (`None`),
/// against a hash made once for nobody's password: an unknown user takes as long to refuse
/// as a wrong password, so nobody learns who has an account by timing the login form.
/// `Ok(false)` for an unknown user.
///
/// ```no_run
/// # async fn demo(stored: Option<String>) -> Result<(), flask_login::PasswordError> {
/// let ok = flask_login::verify_password_or_dummy(stored.as_deref(), "hunter2").await?;
/// # let _ = ok; Ok(()) }
/// ```
///
/// # Errors
/// As [`verify_password`].
pub async fn verify_password_or_dummy(
    hash: Option<&str>,
    password: &str,
) -> Result<bool, PasswordError> {
    static NOBODY: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    match hash {
        Some(hash) => verify_password(hash, password).await,
        None => {
            let dummy = NOBODY
                .get_or_try_init(|| hash_password("the password of nobody"))
                .await?;
            verify_password(dummy, password).await?;
            Ok(false)
        }
    }
}

/// Werkzeug's `method$salt$hex`: `Some(matches)`, or `None` when it is not one.
fn werkzeug(hash: &str, password: &str) -> Option<bool> {
    let mut parts = hash.splitn(3, '$');
    let (method, salt, hex) = (parts.next()?, parts.next()?, parts.next()?);
    let expected = decode_hex(hex)?;
    let mut args = method.split(':');
    let derived = match args.next()? {
        "pbkdf2" => {
            let digest = args.next().unwrap_or("sha256");
            // Werkzeug 3's default; the hashes it writes name theirs.
            let rounds: u32 = match args.next() {
                Some(n) => n.parse().ok()?,
                None => 1_000_000,
            };
            match digest {
                "sha256" => {
                    let mut out = [0_u8; 32];
                    pbkdf2::pbkdf2_hmac::<sha2::Sha256>(
                        password.as_bytes(),
                        salt.as_bytes(),
                        rounds,
                        &mut out,
                    );
                    out.to_vec()
                }
                "sha512" => {
                    let mut out = [0_u8; 64];
                    pbkdf2::pbkdf2_hmac::<sha2::Sha512>(
                        password.as_bytes(),
                        salt.as_bytes(),
                        rounds,
                        &mut out,
                    );
                    out.to_vec()
                }
                _ => return None,
            }
        }
        "scrypt" => {
            let n: u64 = args.next().map_or(Some(32_768), |v| v.parse().ok())?;
            let r: u32 = args.next().map_or(Some(8), |v| v.parse().ok())?;
            let p: u32 = args.next().map_or(Some(1), |v| v.parse().ok())?;
            if !n.is_power_of_two() || n < 2 {
                return None;
            }
            let log_n = u8::try_from(n.trailing_zeros()).ok()?;
            let params = scrypt::Params::new(log_n, r, p, 64).ok()?;
            let mut out = [0_u8; 64];
            scrypt::scrypt(password.as_bytes(), salt.as_bytes(), &params, &mut out).ok()?;
            out.to_vec()
        }
        _ => return None,
    };
    Some(derived.len() == expected.len() && bool::from(derived.ct_eq(&expected)))
}

fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect()
}
