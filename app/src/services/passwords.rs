//! argon2id with the OWASP parameters (19 MiB, 2 passes, 1 lane), run on the blocking pool but
//! never more at once than there are cores, so a burst of sign-ins cannot starve the server.
//! Hashes imported from other systems (`PrehashedPassword`) are verified with their own
//! algorithm, and a successful check says the hash should be replaced by ours.

use crate::error::AppError;
use crate::model::{HashAlgorithm, InitialPassword};
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use std::sync::{Arc, OnceLock};
use tokio::sync::Semaphore;

#[derive(Clone)]
pub struct PasswordHasher {
    permits: Arc<Semaphore>,
}

const MEMORY_KIB: u32 = 19 * 1024;
const PASSES: u32 = 2;
const LANES: u32 = 1;

fn argon2() -> Result<Argon2<'static>, AppError> {
    let params = Params::new(MEMORY_KIB, PASSES, LANES, None)
        .map_err(|e| AppError::internal("argon2", e))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// What a password check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Mismatch,
    Match,
    /// The password is right and the stored hash is not ours (an import, or older parameters):
    /// store this argon2id hash in its place.
    MatchUpgrade {
        new_hash: String,
    },
}

impl Verdict {
    pub fn matches(&self) -> bool {
        !matches!(self, Verdict::Mismatch)
    }
}

/// Whether `phc` is argon2id with exactly our parameters.
fn is_current(phc: &PasswordHash<'_>) -> bool {
    phc.algorithm.as_str() == "argon2id"
        && phc.version == Some(0x13)
        && Params::try_from(phc)
            .is_ok_and(|p| p.m_cost() == MEMORY_KIB && p.t_cost() == PASSES && p.p_cost() == LANES)
}

/// Checks `password` against a stored hash of any supported algorithm. A stored value that does
/// not parse never matches.
fn check(password: &str, stored: &str) -> bool {
    match HashAlgorithm::of(stored) {
        Some(HashAlgorithm::Bcrypt) => bcrypt::verify(password, stored).unwrap_or(false),
        Some(algorithm) => {
            let Ok(parsed) = PasswordHash::new(stored) else {
                return false;
            };
            let bytes = password.as_bytes();
            match algorithm {
                // Argon2's verifier takes variant, version and costs from the hash itself.
                HashAlgorithm::Argon2id | HashAlgorithm::Argon2i => {
                    Argon2::default().verify_password(bytes, &parsed).is_ok()
                }
                HashAlgorithm::Scrypt => scrypt::Scrypt.verify_password(bytes, &parsed).is_ok(),
                HashAlgorithm::Pbkdf2Sha256 => {
                    pbkdf2::Pbkdf2.verify_password(bytes, &parsed).is_ok()
                }
                HashAlgorithm::Bcrypt => false,
            }
        }
        None => false,
    }
}

fn hash_now(password: &str) -> Result<String, AppError> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    argon2()?
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::internal("argon2 hash", e))
}

impl Default for PasswordHasher {
    fn default() -> Self {
        Self::new()
    }
}

impl PasswordHasher {
    pub fn new() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        PasswordHasher {
            permits: Arc::new(Semaphore::new(cores)),
        }
    }

    async fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce() -> Result<T, AppError> + Send + 'static,
    ) -> Result<T, AppError> {
        // Wall-clock measures for the metrics only (how long hashes queue for a core).
        let queued = std::time::Instant::now();
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|e| AppError::internal("password pool", e))?;
        metrics::histogram!("arbor_password_queue_wait_seconds")
            .record(queued.elapsed().as_secs_f64());
        metrics::counter!("arbor_password_hashes_total").increment(1);
        tokio::task::spawn_blocking(job)
            .await
            .map_err(|e| AppError::internal("password pool", e))?
    }

    /// Hashes a password into a PHC string.
    pub async fn hash(&self, password: String) -> Result<String, AppError> {
        self.run(move || hash_now(&password)).await
    }

    /// What to store for an identity's optional initial password: our argon2id hash of a
    /// plaintext one (computed before any transaction opens, so the writer is never held for
    /// it), or an imported hash as it was sent.
    pub async fn hash_initial(
        &self,
        password: Option<&InitialPassword>,
    ) -> Result<Option<String>, AppError> {
        match password {
            Some(InitialPassword::Plain(password)) => {
                self.hash(password.expose().to_owned()).await.map(Some)
            }
            Some(InitialPassword::Prehashed(hash)) => Ok(Some(hash.expose().to_owned())),
            None => Ok(None),
        }
    }

    /// Checks a password against a stored hash. With no stored hash (unknown account) it still
    /// spends the same work on a dummy hash, so timing does not reveal which emails exist.
    pub async fn verify(&self, password: String, stored: Option<String>) -> Result<bool, AppError> {
        self.check_job(password, stored, false)
            .await
            .map(|verdict| verdict.matches())
    }

    /// `verify`, also telling when a matching hash should be replaced by our argon2id (the new
    /// hash is computed in the same job, while the password is at hand).
    pub async fn verify_and_upgrade(
        &self,
        password: String,
        stored: Option<String>,
    ) -> Result<Verdict, AppError> {
        self.check_job(password, stored, true).await
    }

    async fn check_job(
        &self,
        password: String,
        stored: Option<String>,
        upgrade: bool,
    ) -> Result<Verdict, AppError> {
        self.run(move || {
            let Some(stored) = stored else {
                check(&password, dummy_hash()?);
                return Ok(Verdict::Mismatch);
            };
            if !check(&password, &stored) {
                return Ok(Verdict::Mismatch);
            }
            if !upgrade || PasswordHash::new(&stored).is_ok_and(|phc| is_current(&phc)) {
                return Ok(Verdict::Match);
            }
            Ok(Verdict::MatchUpgrade {
                new_hash: hash_now(&password)?,
            })
        })
        .await
    }
}

fn dummy_hash() -> Result<&'static str, AppError> {
    static DUMMY: OnceLock<String> = OnceLock::new();
    if let Some(hash) = DUMMY.get() {
        return Ok(hash);
    }
    let hash = hash_now("arbor-timing-equaliser")?;
    Ok(DUMMY.get_or_init(|| hash))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::PrehashedPassword;

    const PASSWORD: &str = "imported-Passw0rd";

    /// The same password hashed the way other systems do (low costs: this is about formats).
    fn foreign_hashes() -> Vec<String> {
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        let argon = |algorithm, m, t| {
            let params = Params::new(m, t, 1, None).map_err(|e| e.to_string())?;
            Argon2::new(algorithm, Version::V0x13, params)
                .hash_password(PASSWORD.as_bytes(), &salt)
                .map(|h| h.to_string())
                .map_err(|e| e.to_string())
        };
        let scrypt_params = scrypt::Params::new(10, 8, 1, 32).map_err(|e| e.to_string());
        let hashes: Vec<Result<String, String>> = vec![
            argon(Algorithm::Argon2i, 4096, 3),
            // argon2id, but not our costs: upgraded too.
            argon(Algorithm::Argon2id, 8192, 1),
            scrypt_params.and_then(|params| {
                scrypt::Scrypt
                    .hash_password_customized(PASSWORD.as_bytes(), None, None, params, &salt)
                    .map(|h| h.to_string())
                    .map_err(|e| e.to_string())
            }),
            pbkdf2::Pbkdf2
                .hash_password_customized(
                    PASSWORD.as_bytes(),
                    Some(pbkdf2::Algorithm::Pbkdf2Sha256.ident()),
                    None,
                    pbkdf2::Params {
                        rounds: 1_000,
                        output_length: 32,
                    },
                    &salt,
                )
                .map(|h| h.to_string())
                .map_err(|e| e.to_string()),
            bcrypt::hash(PASSWORD, 4).map_err(|e| e.to_string()),
        ];
        hashes.into_iter().map(|h| h.unwrap_or_default()).collect()
    }

    #[tokio::test]
    async fn imported_hashes_verify_and_are_upgraded_to_ours() {
        let hasher = PasswordHasher::new();
        let prefixes = [
            "$argon2i$",
            "$argon2id$",
            "$scrypt$",
            "$pbkdf2-sha256$",
            "$2b$",
        ];
        for (hash, prefix) in foreign_hashes().into_iter().zip(prefixes) {
            assert!(hash.starts_with(prefix), "{prefix}: {hash}");
            // What other systems produce is what the import accepts.
            assert!(PrehashedPassword::parse(&hash).is_ok(), "{hash}");
            let wrong = hasher
                .verify_and_upgrade("imported-Passw0rd!".into(), Some(hash.clone()))
                .await;
            assert!(matches!(wrong, Ok(Verdict::Mismatch)), "{prefix}");
            let right = hasher
                .verify_and_upgrade(PASSWORD.into(), Some(hash.clone()))
                .await;
            let Ok(Verdict::MatchUpgrade { new_hash }) = right else {
                panic!("{prefix}: {right:?}");
            };
            assert!(new_hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
            let again = hasher
                .verify_and_upgrade(PASSWORD.into(), Some(new_hash))
                .await;
            assert!(matches!(again, Ok(Verdict::Match)), "{prefix}");
        }
    }

    #[tokio::test]
    async fn garbage_and_missing_hashes_never_match() {
        let hasher = PasswordHasher::new();
        for stored in [Some("not a hash".to_owned()), Some(String::new()), None] {
            let verdict = hasher.verify_and_upgrade(PASSWORD.into(), stored).await;
            assert!(matches!(verdict, Ok(Verdict::Mismatch)));
        }
    }
}
