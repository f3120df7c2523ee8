//! Swarm objects carry a version; a write against a stale one is refused with "update out of
//! sequence". Every read-modify-write goes through this one helper.

use std::future::Future;

use crate::Result;

/// How many times a write is attempted when others keep changing the object under it
/// (fifty people pressing + at once must all land).
pub const STALE_VERSION_ATTEMPTS: u32 = 12;

/// Runs `write(attempt)` (attempt 0, 1, …) until it succeeds, fails for another reason, or
/// has met a stale version [`STALE_VERSION_ATTEMPTS`] times. Each attempt must read the
/// object afresh (attempt 0 may use what the caller already read).
pub async fn retry_on_stale_version<T, F, Fut>(mut write: F) -> Result<T>
where
    F: FnMut(u32) -> Fut,
    Fut: Future<Output = Result<T>>,
{
    let mut attempt = 0;
    loop {
        match write(attempt).await {
            Err(err) if err.is_out_of_sequence() && attempt + 1 < STALE_VERSION_ATTEMPTS => {
                tracing::debug!(attempt, "stale object version; reading it again");
                attempt += 1;
                // Writers that met each other wait different times before the next read.
                tokio::time::sleep(jitter(attempt)).await;
            }
            other => return other,
        }
    }
}

/// Up to 10 ms per attempt so far, varying from call to call.
fn jitter(attempt: u32) -> std::time::Duration {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u32(attempt);
    let spread = u64::from(attempt) * 10_000;
    std::time::Duration::from_micros(hasher.finish() % spread.max(1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::EngineError;

    fn stale() -> EngineError {
        EngineError::Api {
            action: "update service s".into(),
            endpoint: "unix:///a.sock".into(),
            status: Some(500),
            message: "rpc error: code = Unknown desc = update out of sequence".into(),
        }
    }

    #[tokio::test]
    async fn a_stale_write_is_read_and_tried_again_until_it_lands() {
        let result = retry_on_stale_version(|attempt| async move {
            if attempt < 2 {
                Err(stale())
            } else {
                Ok(attempt)
            }
        })
        .await;
        assert_eq!(result.ok(), Some(2));
    }

    #[tokio::test]
    async fn other_errors_and_endless_staleness_end_the_retries() {
        let mut calls = 0;
        let result: Result<()> = retry_on_stale_version(|_| {
            calls += 1;
            async { Err(stale()) }
        })
        .await;
        assert!(result.is_err_and(|e| e.is_out_of_sequence()));
        assert_eq!(calls, STALE_VERSION_ATTEMPTS);
        let mut calls = 0;
        let refused: Result<()> = retry_on_stale_version(|_| {
            calls += 1;
            async {
                Err(EngineError::NotInSwarm {
                    endpoint: "e".into(),
                })
            }
        })
        .await;
        assert!(refused.is_err());
        assert_eq!(calls, 1);
    }
}
