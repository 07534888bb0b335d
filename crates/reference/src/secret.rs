//! Secrets at rest and in comparison: session tokens, passwords.
//!
//! Tokens are 256 bits from the operating system's CSPRNG, handed out once and
//! stored only as a SHA-256 digest, so a dump of the reference server's memory
//! does not yield usable tokens. Passwords are hashed with Argon2id; the cost is
//! a parameter because a test run must not spend seconds on hashing while
//! `authconform serve` should use the OWASP-recommended cost.

use argon2::password_hash::{Output, ParamsString, PasswordHash, Salt, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Bytes of entropy in every issued token (256 bits; the floor is 128), drawn from
/// `rand::rng()`: ChaCha12 seeded and periodically reseeded from the OS CSPRNG.
pub const TOKEN_BYTES: usize = 32;

/// A freshly issued bearer secret. Its `Debug` never shows the value.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    pub fn generate() -> Self {
        let mut bytes = [0u8; TOKEN_BYTES];
        rand::rng().fill_bytes(&mut bytes);
        Token(URL_SAFE_NO_PAD.encode(bytes))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn digest(&self) -> TokenDigest {
        TokenDigest::of(&self.0)
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

/// What the server stores instead of a token: its SHA-256 digest.
///
/// Looking a token up by digest in a hash map is safe against timing attacks on
/// the token itself: the attacker controls the pre-image, not the digest.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct TokenDigest([u8; 32]);

impl TokenDigest {
    pub fn of(presented: &str) -> Self {
        TokenDigest(Sha256::digest(presented.as_bytes()).into())
    }

    /// The digest's bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Equality in constant time, for comparing a presented secret with the
    /// one stored for an account already found by other means.
    pub fn ct_eq(&self, other: &TokenDigest) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

/// Compares two secrets in time that depends only on their lengths.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

/// How expensive password hashing is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum HashCost {
    /// OWASP's Argon2id recommendation: 19 MiB, 2 iterations, 1 lane.
    #[default]
    Owasp,
    /// The smallest Argon2id parameters (8 KiB, 1 iteration): for tests only.
    Test,
}

impl HashCost {
    fn params(self) -> Params {
        match self {
            HashCost::Owasp => Params::new(19 * 1024, 2, 1, None),
            HashCost::Test => Params::new(8, 1, 1, None),
        }
        .expect("constant Argon2 parameters are valid")
    }
}

/// How many password hashes run at once and how many may wait.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HashPoolSize {
    /// Threads that hash; each holds one Argon2 memory block (19 MiB at the
    /// OWASP cost) while it works. Default: one per core.
    pub workers: usize,
    /// Hashes waiting for a worker; a request beyond that is refused at once
    /// ([`HashBusy`], answered 503 with `Retry-After`). Default: 4 per worker.
    pub queue: usize,
}

impl Default for HashPoolSize {
    fn default() -> Self {
        let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
        HashPoolSize {
            workers,
            queue: 4 * workers,
        }
    }
}

/// Every hashing worker is busy and the queue is full: try again shortly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the server is busy checking passwords; try again shortly")]
pub struct HashBusy;

/// Seconds a client told [`HashBusy`] is asked to wait (`Retry-After`).
pub const HASH_BUSY_RETRY_AFTER_SECS: u64 = 1;

type Job = Box<dyn FnOnce() + Send>;

thread_local! {
    /// Set on the pool's own threads: a hash asked for there runs in place.
    static ON_HASH_WORKER: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    /// This thread's Argon2 working memory (19 MiB at the production cost),
    /// allocated once and reused by every hash the thread computes. Allocated
    /// afresh per hash, glibc kept it: 245 MiB resident after `serve` hashed
    /// the 24 seeded passwords, against 12 MiB with a fixed mmap threshold.
    static BLOCKS: std::cell::RefCell<Vec<Block>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// The one Argon2 variant the reference server hashes with.
const ALGORITHM: Algorithm = Algorithm::Argon2id;
const VERSION: Version = Version::V0x13;

/// Hashes and verifies passwords with Argon2id at one cost, on a small pool of
/// dedicated threads: at most [`HashPoolSize::workers`] Argon2 blocks exist at
/// once, so memory stays bounded however many logins arrive, and async tasks
/// never hash on a runtime thread.
#[derive(Clone)]
pub struct PasswordHashing {
    argon2: Argon2<'static>,
    /// A hash of a random password, verified against when a user is unknown so that
    /// "no such user" costs the same time as "wrong password".
    decoy: String,
    /// The pool's queue; its threads end when the last clone is dropped.
    jobs: std::sync::mpsc::SyncSender<Job>,
}

impl PasswordHashing {
    pub fn new(cost: HashCost) -> Self {
        Self::with_pool(cost, HashPoolSize::default())
    }

    pub fn with_pool(cost: HashCost, size: HashPoolSize) -> Self {
        let argon2 = Argon2::new(ALGORITHM, VERSION, cost.params());
        let (jobs, queue) = std::sync::mpsc::sync_channel::<Job>(size.queue);
        let queue = std::sync::Arc::new(std::sync::Mutex::new(queue));
        for i in 0..size.workers.max(1) {
            let queue = queue.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("password-hash-{i}"))
                .spawn(move || {
                    ON_HASH_WORKER.with(|w| w.set(true));
                    loop {
                        let job = {
                            let queue = queue.lock().unwrap_or_else(|e| e.into_inner());
                            queue.recv()
                        };
                        match job {
                            Ok(job) => job(),
                            Err(_) => break,
                        }
                    }
                });
            if spawned.is_err() && i > 0 {
                break;
            }
            spawned.expect("cannot start a password hashing thread");
        }
        let mut hashing = PasswordHashing {
            argon2,
            decoy: String::new(),
            jobs,
        };
        // On the pool, like every hash: no working memory on this thread.
        hashing.decoy = hashing.hash(Token::generate().as_str());
        hashing
    }

    /// Runs `f` (which hashes or verifies with the given `PasswordHashing`) on
    /// the pool, or refuses at once when the pool and its queue are full.
    pub async fn run<T, F>(&self, f: F) -> Result<T, HashBusy>
    where
        T: Send + 'static,
        F: FnOnce(&PasswordHashing) -> T + Send + 'static,
    {
        let (done, result) = tokio::sync::oneshot::channel();
        let me = self.clone();
        let job: Job = Box::new(move || {
            let _ = done.send(f(&me));
        });
        match self.jobs.try_send(job) {
            Ok(()) => {}
            Err(_) => return Err(HashBusy),
        }
        result.await.map_err(|_| HashBusy)
    }

    /// Runs `f` on the pool and waits for it, however long the queue (for
    /// synchronous callers); in place when already on a pool thread.
    fn run_blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Argon2<'static>) -> T + Send + 'static,
    ) -> T {
        if ON_HASH_WORKER.with(|w| w.get()) {
            return f(&self.argon2);
        }
        let (done, result) = std::sync::mpsc::sync_channel(1);
        let argon2 = self.argon2.clone();
        let job: Job = Box::new(move || {
            let _ = done.send(f(&argon2));
        });
        let wait = move || {
            if self.jobs.send(job).is_err() {
                return None;
            }
            result.recv().ok()
        };
        // On a multi-thread runtime, let its other tasks move off this thread
        // while it waits.
        let outcome = match tokio::runtime::Handle::try_current() {
            Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
                tokio::task::block_in_place(wait)
            }
            _ => wait(),
        };
        outcome.expect("the password hashing pool outlives its handles")
    }

    pub fn hash(&self, password: &str) -> String {
        let password = password.to_owned();
        self.run_blocking(move |argon2| hash_with(argon2, &password))
    }

    pub fn verify(&self, password: &str, stored: &str) -> bool {
        let password = password.to_owned();
        let stored = stored.to_owned();
        self.run_blocking(move |_| verify_with(&password, &stored))
    }

    /// Spends the time of one verification and returns false: for unknown users.
    pub fn verify_decoy(&self, password: &str) -> bool {
        let _ = self.verify(password, &self.decoy);
        false
    }
}

/// argon2's own `verify_password` (same checks, a constant-time compare of
/// the outputs), computed in this thread's reused working memory.
fn verify_with(password: &str, stored: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return false;
    };
    let Ok(algorithm) = Algorithm::try_from(parsed.algorithm) else {
        return false;
    };
    let version = match parsed.version.map(Version::try_from).transpose() {
        Ok(v) => v.unwrap_or_default(),
        Err(_) => return false,
    };
    let Ok(params) = Params::try_from(&parsed) else {
        return false;
    };
    let argon2 = Argon2::new(algorithm, version, params.clone());
    argon2_output(&argon2, &params, password.as_bytes(), salt).is_ok_and(|out| out == expected)
}

/// argon2's own `hash_password` as a PHC string, computed in this thread's
/// reused working memory.
fn hash_with(argon2: &Argon2<'static>, password: &str) -> String {
    let mut salt_bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut salt_bytes);
    let salt = SaltString::encode_b64(&salt_bytes).expect("16 bytes is a valid salt length");
    let params = argon2.params().clone();
    let output = argon2_output(argon2, &params, password.as_bytes(), salt.as_salt())
        .expect("Argon2 hashing of an in-memory password cannot fail");
    PasswordHash {
        algorithm: ALGORITHM.ident(),
        version: Some(VERSION.into()),
        params: ParamsString::try_from(&params).expect("the cost's parameters encode"),
        salt: Some(salt.as_salt()),
        hash: Some(output),
    }
    .to_string()
}

/// The Argon2 output of `password` and `salt` under `argon2` (whose
/// parameters are `params`), in the thread's [`BLOCKS`].
fn argon2_output(
    argon2: &Argon2<'_>,
    params: &Params,
    password: &[u8],
    salt: Salt<'_>,
) -> argon2::password_hash::Result<Output> {
    let mut salt_buf = [0u8; 64];
    let salt = salt.decode_b64(&mut salt_buf)?;
    let len = params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN);
    BLOCKS.with(|blocks| {
        let mut blocks = blocks.borrow_mut();
        let count = params.block_count();
        if blocks.len() < count {
            blocks.resize(count, Block::default());
        }
        Output::init_with(len, |out| {
            argon2
                .hash_password_into_with_memory(password, salt, out, &mut blocks[..count])
                .map_err(Into::into)
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_debug_is_redacted() {
        let t = Token::generate();
        assert!(!format!("{t:?}").contains(t.as_str()));
    }

    #[test]
    fn tokens_carry_256_bits() {
        // 32 bytes in unpadded base64url is 43 characters.
        assert_eq!(Token::generate().as_str().len(), 43);
    }

    #[test]
    fn password_round_trip() {
        let h = PasswordHashing::new(HashCost::Test);
        let stored = h.hash("mysecret123!");
        assert!(stored.starts_with("$argon2id$"));
        assert!(h.verify("mysecret123!", &stored));
        assert!(!h.verify("mysecret123?", &stored));
        assert!(!h.verify_decoy("mysecret123!"));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_full_pool_refuses_at_once() {
        let h = PasswordHashing::with_pool(
            HashCost::Test,
            HashPoolSize {
                workers: 1,
                queue: 1,
            },
        );
        let (release, gate) = std::sync::mpsc::channel::<()>();
        let gate = std::sync::Mutex::new(gate);
        // One job holds the worker, one waits in the queue: the third is refused.
        let busy = tokio::spawn({
            let h = h.clone();
            async move { h.run(move |_| gate.lock().unwrap().recv().ok()).await }
        });
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let queued = tokio::spawn({
            let h = h.clone();
            async move { h.run(|h| h.verify_decoy("x")).await }
        });
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        assert_eq!(h.run(|_| ()).await, Err(HashBusy));
        release.send(()).unwrap();
        assert!(busy.await.unwrap().is_ok());
        assert_eq!(queued.await.unwrap(), Ok(false));
        assert_eq!(h.run(|h| h.verify("a", &h.hash("a"))).await, Ok(true));
    }
}
