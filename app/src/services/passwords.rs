//! argon2id with the OWASP parameters (19 MiB, 2 passes, 1 lane), run on the blocking pool but
//! never more at once than there are cores, so a burst of sign-ins cannot starve the server.

use crate::error::AppError;
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use std::sync::{Arc, OnceLock};
use tokio::sync::Semaphore;

#[derive(Clone)]
pub struct PasswordHasher {
    permits: Arc<Semaphore>,
}

fn argon2() -> Result<Argon2<'static>, AppError> {
    let params = Params::new(19 * 1024, 2, 1, None).map_err(|e| AppError::internal("argon2", e))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
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
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|e| AppError::internal("password pool", e))?;
        tokio::task::spawn_blocking(job)
            .await
            .map_err(|e| AppError::internal("password pool", e))?
    }

    /// Hashes a password into a PHC string.
    pub async fn hash(&self, password: String) -> Result<String, AppError> {
        self.run(move || {
            let salt = SaltString::generate(&mut rand::rngs::OsRng);
            argon2()?
                .hash_password(password.as_bytes(), &salt)
                .map(|h| h.to_string())
                .map_err(|e| AppError::internal("argon2 hash", e))
        })
        .await
    }

    /// Checks a password against a stored PHC string. With no stored hash (unknown account) it
    /// still spends the same work on a dummy hash, so timing does not reveal which emails exist.
    /// The argon2id hash of an identity's optional initial password (hashed before any
    /// transaction opens, so the writer is never held for it).
    pub async fn hash_initial(
        &self,
        password: Option<&crate::model::IdentityPassword>,
    ) -> Result<Option<String>, AppError> {
        match password {
            Some(password) => self.hash(password.expose().to_owned()).await.map(Some),
            None => Ok(None),
        }
    }

    pub async fn verify(&self, password: String, stored: Option<String>) -> Result<bool, AppError> {
        self.run(move || {
            let known = stored.is_some();
            let phc = match stored {
                Some(phc) => phc,
                None => dummy_hash()?.to_owned(),
            };
            let parsed =
                PasswordHash::new(&phc).map_err(|e| AppError::internal("argon2 parse", e))?;
            let matches = argon2()?
                .verify_password(password.as_bytes(), &parsed)
                .is_ok();
            Ok(known && matches)
        })
        .await
    }
}

fn dummy_hash() -> Result<&'static str, AppError> {
    static DUMMY: OnceLock<String> = OnceLock::new();
    if let Some(hash) = DUMMY.get() {
        return Ok(hash);
    }
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    let hash = argon2()?
        .hash_password(b"arbor-timing-equaliser", &salt)
        .map_err(|e| AppError::internal("argon2 hash", e))?
        .to_string();
    Ok(DUMMY.get_or_init(|| hash))
}
