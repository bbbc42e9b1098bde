//! License-user passwords: argon2id hashes (PHC strings). Each hash costs tens of milliseconds and
//! 19 MiB by design, so the server runs them on a [`PasswordPool`]: a few threads, each reusing one
//! memory buffer, behind a short queue that refuses work when full instead of growing.

use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, OnceLock};

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{Output, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use aws_lc_rs::constant_time::verify_slices_are_equal;

use crate::ServiceError;

/// Shortest password a license user may be given or choose.
pub const MIN_PASSWORD_CHARS: usize = 8;

/// Stored hashes asking for more memory than this (in 1 KiB blocks) are not verified.
const MAX_MEMORY_BLOCKS: usize = 64 * 1024;

/// Argon2id working memory, reused from hash to hash so a busy server does not keep allocating
/// (and the allocator keeping) 19 MiB per hash and thread.
#[derive(Default)]
pub struct Hasher {
    memory: Vec<Block>,
}

impl Hasher {
    fn memory(&mut self, params: &Params) -> Option<&mut [Block]> {
        let blocks = params.block_count();
        if blocks > MAX_MEMORY_BLOCKS {
            return None;
        }
        if self.memory.len() < blocks {
            self.memory.resize(blocks, Block::default());
        }
        Some(&mut self.memory[..blocks])
    }

    pub fn hash(&mut self, password: &str) -> Result<String, ServiceError> {
        let salt = SaltString::generate(&mut OsRng);
        let mut salt_bytes = [0; 64];
        let salt_bytes = salt
            .decode_b64(&mut salt_bytes)
            .map_err(|_| ServiceError::PasswordHash)?;
        let params = Params::default();
        let mut output = [0; Params::DEFAULT_OUTPUT_LEN];
        let memory = self.memory(&params).ok_or(ServiceError::PasswordHash)?;
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
            .hash_password_into_with_memory(password.as_bytes(), salt_bytes, &mut output, memory)
            .map_err(|_| ServiceError::PasswordHash)?;
        let phc = PasswordHash {
            algorithm: Algorithm::Argon2id.ident(),
            version: Some(Version::V0x13.into()),
            params: (&params)
                .try_into()
                .map_err(|_| ServiceError::PasswordHash)?,
            salt: Some(salt.as_salt()),
            hash: Some(Output::new(&output).map_err(|_| ServiceError::PasswordHash)?),
        };
        Ok(phc.to_string())
    }

    /// Whether `password` matches the stored hash, compared in constant time.
    pub fn verify(&mut self, password: &str, stored_hash: &str) -> bool {
        self.try_verify(password, stored_hash).unwrap_or(false)
    }

    fn try_verify(&mut self, password: &str, stored_hash: &str) -> Option<bool> {
        let parsed = PasswordHash::new(stored_hash).ok()?;
        let algorithm = Algorithm::try_from(parsed.algorithm).ok()?;
        let version = parsed
            .version
            .map_or(Ok(Version::V0x13), Version::try_from)
            .ok()?;
        let params = Params::try_from(&parsed).ok()?;
        let expected = parsed.hash?;
        let mut salt_bytes = [0; 64];
        let salt = parsed.salt?.decode_b64(&mut salt_bytes).ok()?;
        let mut output = vec![0; expected.len()];
        let memory = self.memory(&params)?;
        Argon2::new(algorithm, version, params)
            .hash_password_into_with_memory(password.as_bytes(), salt, &mut output, memory)
            .ok()?;
        Some(verify_slices_are_equal(&output, expected.as_bytes()).is_ok())
    }
}

/// Hashes with a fresh buffer: for the CLI and tests, not for request handling.
pub fn hash(password: &str) -> Result<String, ServiceError> {
    Hasher::default().hash(password)
}

/// Verifies with a fresh buffer: for the CLI and tests, not for request handling.
pub fn verify(password: &str, stored_hash: &str) -> bool {
    Hasher::default().verify(password, stored_hash)
}

pub async fn hash_off_runtime(password: String) -> Result<String, ServiceError> {
    tokio::task::spawn_blocking(move || hash(&password))
        .await
        .map_err(|_| ServiceError::PasswordHash)?
}

/// A hash of a random password, checked against when a user does not exist, so that an unknown user
/// costs the same time as a wrong password.
pub fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let random = SaltString::generate(&mut OsRng);
        hash(random.as_str()).unwrap_or_default()
    })
}

type Job = Box<dyn FnOnce(&mut Hasher) + Send>;

/// `workers` threads hashing and verifying, each with its own [`Hasher`], fed by a queue of at most
/// `queue` waiting jobs; more are refused with [`ServiceError::Busy`].
pub struct PasswordPool {
    sender: SyncSender<Job>,
}

impl PasswordPool {
    /// One worker per core, and a queue of 32 jobs per worker: a full queue is worked off in about a
    /// second (argon2id with the default parameters takes some 25 ms per hash).
    pub fn sized_to_machine() -> Self {
        let workers = std::thread::available_parallelism().map_or(2, usize::from);
        Self::new(workers, 32 * workers)
    }

    pub fn new(workers: usize, queue: usize) -> Self {
        let (sender, receiver) = mpsc::sync_channel::<Job>(queue);
        let receiver = Arc::new(Mutex::new(receiver));
        for n in 0..workers.max(1) {
            let receiver = receiver.clone();
            // Only fails when the system cannot start a thread at all, at start.
            let spawned = std::thread::Builder::new()
                .name(format!("latch-password-{n}"))
                .spawn(move || work(&receiver));
            if let Err(error) = spawned {
                tracing::error!(%error, "could not start a password worker");
            }
        }
        Self { sender }
    }

    async fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce(&mut Hasher) -> T + Send + 'static,
    ) -> Result<T, ServiceError> {
        let (answer, answered) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |hasher| {
            let _ = answer.send(job(hasher));
        });
        match self.sender.try_send(job) {
            Ok(()) => answered.await.map_err(|_| ServiceError::PasswordHash),
            Err(TrySendError::Full(_)) => Err(ServiceError::Busy),
            Err(TrySendError::Disconnected(_)) => Err(ServiceError::PasswordHash),
        }
    }

    pub async fn hash(&self, password: String) -> Result<String, ServiceError> {
        self.run(move |hasher| hasher.hash(&password)).await?
    }

    /// Whether `password` matches `stored_hash`; `None` checks against [`dummy_hash`] and is never a
    /// match.
    pub async fn verify(
        &self,
        password: String,
        stored_hash: Option<String>,
    ) -> Result<bool, ServiceError> {
        self.run(move |hasher| match stored_hash {
            Some(stored) => hasher.verify(&password, &stored),
            None => {
                hasher.verify(&password, dummy_hash());
                false
            }
        })
        .await
    }
}

fn work(receiver: &Mutex<Receiver<Job>>) {
    let mut hasher = Hasher::default();
    loop {
        // The lock is held only while waiting for the next job, never while hashing.
        let job = match receiver.lock() {
            Ok(receiver) => receiver.recv(),
            Err(_) => return,
        };
        match job {
            Ok(job) => job(&mut hasher),
            Err(_) => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only() {
        let stored = hash("correct horse").unwrap();
        assert!(stored.starts_with("$argon2id$"));
        assert!(verify("correct horse", &stored));
        assert!(!verify("correct hors", &stored));
        assert!(!verify("correct horse", "not a hash"));
    }

    #[test]
    fn hashes_made_by_the_argon2_crate_verify() {
        use argon2::password_hash::PasswordHasher;
        let salt = SaltString::generate(&mut OsRng);
        let stored = Argon2::default()
            .hash_password(b"pw", &salt)
            .unwrap()
            .to_string();
        assert!(verify("pw", &stored));
        assert!(!verify("px", &stored));
    }

    #[test]
    fn the_same_password_hashes_differently_each_time() {
        assert_ne!(hash("p").unwrap(), hash("p").unwrap());
    }

    #[tokio::test]
    async fn a_full_queue_refuses_work() {
        let pool = Arc::new(PasswordPool::new(1, 1));
        let stored = hash("pw").unwrap();
        let jobs: Vec<_> = (0..8)
            .map(|_| {
                let (pool, stored) = (pool.clone(), stored.clone());
                tokio::spawn(async move { pool.verify("pw".into(), Some(stored)).await })
            })
            .collect();
        let mut results = Vec::new();
        for job in jobs {
            results.push(job.await.unwrap());
        }
        assert!(results.iter().any(|r| matches!(r, Ok(true))));
        assert!(results.iter().any(|r| matches!(r, Err(ServiceError::Busy))));
        assert!(matches!(pool.verify("pw".into(), None).await, Ok(false)));
    }
}
