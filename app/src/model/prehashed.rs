//! A password hash imported from another system (bulk create's `password_hash`): a PHC string of
//! argon2id, argon2i, scrypt or pbkdf2-sha256, or a bcrypt (`$2b$…`) string. It is stored as sent,
//! verified with its own algorithm at sign-in and then replaced by our argon2id hash
//! (`services::passwords`). Costs are capped so that one imported hash cannot tie up a core for
//! seconds at every sign-in attempt.

use crate::error::FieldError;
use password_hash::PasswordHash;

pub const FIELD: &str = "password_hash";

/// Longer than any legitimate hash of the supported algorithms.
pub const MAX_LEN: usize = 512;

/// argon2: memory in KiB, passes, lanes.
const ARGON2_MAX_MEMORY_KIB: u32 = 256 * 1024;
const ARGON2_MAX_PASSES: u32 = 16;
const ARGON2_MAX_LANES: u32 = 16;
/// scrypt: 128 · r · 2^ln bytes of memory.
const SCRYPT_MAX_MEMORY_BYTES: u64 = 256 * 1024 * 1024;
const SCRYPT_MAX_P: u32 = 16;
const PBKDF2_MAX_ROUNDS: u32 = 2_000_000;
const BCRYPT_COSTS: std::ops::RangeInclusive<u32> = 4..=15;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashAlgorithm {
    Argon2id,
    Argon2i,
    Scrypt,
    Pbkdf2Sha256,
    Bcrypt,
}

impl HashAlgorithm {
    pub const SUPPORTED: &'static str =
        "argon2id, argon2i, scrypt, pbkdf2-sha256 (PHC strings) or bcrypt ($2a$/$2b$/$2y$)";

    /// The algorithm of a stored hash, from its prefix (`None`: not one we can verify).
    pub fn of(stored: &str) -> Option<HashAlgorithm> {
        if is_bcrypt_shape(stored) {
            return Some(HashAlgorithm::Bcrypt);
        }
        let id = stored.strip_prefix('$')?.split('$').next()?;
        match id {
            "argon2id" => Some(HashAlgorithm::Argon2id),
            "argon2i" => Some(HashAlgorithm::Argon2i),
            "scrypt" => Some(HashAlgorithm::Scrypt),
            "pbkdf2-sha256" => Some(HashAlgorithm::Pbkdf2Sha256),
            _ => None,
        }
    }
}

/// A validated imported hash. Debug output never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct PrehashedPassword {
    phc: String,
    algorithm: HashAlgorithm,
}

impl std::fmt::Debug for PrehashedPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PrehashedPassword({:?}, …)", self.algorithm)
    }
}

fn invalid(code: &str, message: impl Into<String>) -> FieldError {
    FieldError::new(FIELD, code, message)
}

/// `$2a$` / `$2b$` / `$2y$`, two cost digits, 22 salt + 31 hash characters of bcrypt's base64.
fn is_bcrypt_shape(raw: &str) -> bool {
    let Some(rest) = ["$2a$", "$2b$", "$2y$"]
        .iter()
        .find_map(|prefix| raw.strip_prefix(prefix))
    else {
        return false;
    };
    let (cost, body) = rest.split_at_checked(2).unwrap_or(("", ""));
    cost.chars().all(|c| c.is_ascii_digit())
        && body.strip_prefix('$').is_some_and(|b| {
            b.len() == 53
                && b.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '/')
        })
}

fn param(hash: &PasswordHash<'_>, name: &str) -> Result<u32, FieldError> {
    let missing = || {
        invalid(
            "invalid_format",
            format!("The {} hash has no `{name}` parameter.", hash.algorithm),
        )
    };
    hash.params.get_decimal(name).ok_or_else(missing)
}

fn too_costly(what: &str) -> FieldError {
    invalid(
        "cost_too_high",
        format!("This hash's {what} is higher than Arbor accepts for imported passwords."),
    )
}

impl PrehashedPassword {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err(invalid("required", "Enter the password hash."));
        }
        if raw.len() > MAX_LEN {
            return Err(invalid(
                "too_long",
                format!("A password hash can be at most {MAX_LEN} characters."),
            ));
        }
        if is_bcrypt_shape(raw) {
            let cost: u32 = raw[4..6].parse().unwrap_or(0);
            if !BCRYPT_COSTS.contains(&cost) {
                return Err(invalid(
                    "cost_too_high",
                    format!(
                        "bcrypt cost must be {} to {}.",
                        BCRYPT_COSTS.start(),
                        BCRYPT_COSTS.end()
                    ),
                ));
            }
            return Ok(PrehashedPassword {
                phc: raw.to_owned(),
                algorithm: HashAlgorithm::Bcrypt,
            });
        }
        let hash = PasswordHash::new(raw).map_err(|_| {
            invalid(
                "invalid_format",
                format!(
                    "This is not a PHC password hash. Supported: {}.",
                    HashAlgorithm::SUPPORTED
                ),
            )
        })?;
        let algorithm = HashAlgorithm::of(raw).ok_or_else(|| {
            invalid(
                "unsupported_algorithm",
                format!(
                    "{} hashes are not supported. Supported: {}.",
                    hash.algorithm,
                    HashAlgorithm::SUPPORTED
                ),
            )
        })?;
        if hash.salt.is_none() || hash.hash.is_none() {
            return Err(invalid(
                "invalid_format",
                "The hash must include its salt and its output.",
            ));
        }
        match algorithm {
            HashAlgorithm::Argon2id | HashAlgorithm::Argon2i => {
                if param(&hash, "m")? > ARGON2_MAX_MEMORY_KIB {
                    return Err(too_costly("memory"));
                }
                if param(&hash, "t")? > ARGON2_MAX_PASSES {
                    return Err(too_costly("number of passes"));
                }
                if param(&hash, "p")? > ARGON2_MAX_LANES {
                    return Err(too_costly("parallelism"));
                }
            }
            HashAlgorithm::Scrypt => {
                let ln = param(&hash, "ln")?;
                let r = u64::from(param(&hash, "r")?);
                let memory = 1u64
                    .checked_shl(ln)
                    .and_then(|n| n.checked_mul(128 * r))
                    .unwrap_or(u64::MAX);
                if ln >= 64 || memory > SCRYPT_MAX_MEMORY_BYTES {
                    return Err(too_costly("memory"));
                }
                if param(&hash, "p")? > SCRYPT_MAX_P {
                    return Err(too_costly("parallelism"));
                }
            }
            HashAlgorithm::Pbkdf2Sha256 => {
                if param(&hash, "i")? > PBKDF2_MAX_ROUNDS {
                    return Err(too_costly("number of rounds"));
                }
            }
            HashAlgorithm::Bcrypt => {}
        }
        Ok(PrehashedPassword {
            phc: raw.to_owned(),
            algorithm,
        })
    }

    pub fn algorithm(&self) -> HashAlgorithm {
        self.algorithm
    }

    pub fn expose(&self) -> &str {
        &self.phc
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(raw: &str) -> String {
        PrehashedPassword::parse(raw).map_or_else(|e| e.rule, |_| "ok".to_owned())
    }

    const ARGON2ID: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Wq6lHn4Z0K6pIqyLEv6nHG5VXKdYjgd3b0SYj4YCl2o";
    const BCRYPT: &str = "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW";

    #[test]
    fn accepts_each_supported_algorithm() {
        let cases = [
            (ARGON2ID, HashAlgorithm::Argon2id),
            (
                "$argon2i$v=19$m=4096,t=3,p=1$c29tZXNhbHQ$iWh06vD8Fy27wf9npn6FXWiCX4K6pW6Ue1Bnzz07Z8A",
                HashAlgorithm::Argon2i,
            ),
            (
                "$scrypt$ln=15,r=8,p=1$c29tZXNhbHQ$Q3TRp5jlvnTV+Nmo7ZeZBZDA6h7ZgiyrHyB3t3vTzBs",
                HashAlgorithm::Scrypt,
            ),
            (
                "$pbkdf2-sha256$i=600000,l=32$c29tZXNhbHQ$HxIkY2Zr+1mTDx/Q0l9Kt2Xz/2n4K7b4qWkq0z0Y6xo",
                HashAlgorithm::Pbkdf2Sha256,
            ),
            (BCRYPT, HashAlgorithm::Bcrypt),
        ];
        for (raw, algorithm) in cases {
            let parsed = PrehashedPassword::parse(raw);
            assert_eq!(parsed.map(|p| p.algorithm()), Ok(algorithm), "{raw}");
        }
    }

    #[test]
    fn refuses_what_cannot_be_verified_or_costs_too_much() {
        assert_eq!(code(""), "required");
        assert_eq!(code("hunter22"), "invalid_format");
        assert_eq!(code("$md5$salt$hash"), "invalid_format");
        assert_eq!(
            code("$md5$c29tZXNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"),
            "unsupported_algorithm"
        );
        assert_eq!(
            code("$sha512crypt$v=1$c29tZXNhbHQ$aGFzaGhhc2hoYXNo"),
            "unsupported_algorithm"
        );
        assert_eq!(code("$argon2id$v=19$m=19456,t=2,p=1"), "invalid_format");
        assert_eq!(
            code("$argon2id$v=19$m=1048576,t=2,p=1$c29tZXNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"),
            "cost_too_high"
        );
        assert_eq!(
            code("$scrypt$ln=22,r=8,p=1$c29tZXNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"),
            "cost_too_high"
        );
        assert_eq!(
            code("$pbkdf2-sha256$i=9000000,l=32$c29tZXNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"),
            "cost_too_high"
        );
        assert_eq!(
            code("$2b$20$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW"),
            "cost_too_high"
        );
        assert_eq!(code(&"$".repeat(MAX_LEN + 1)), "too_long");
        assert!(!format!("{:?}", PrehashedPassword::parse(BCRYPT)).contains("R9h"));
    }
}
