//! Rate limits: a keyed limiter (GCRA — the "generic cell rate algorithm", a token bucket kept as
//! one instant per key) with bounded memory, and the limits the registry itself enforces (reset
//! e-mails per account, what the anonymous may attach to a support request). The web layer keys
//! the same limiter by route class and client address or account.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;

/// A sustained rate and the burst allowed above it. `per_period == 0` turns the limit off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    /// Requests per `period_ms`, sustained.
    pub per_period: u32,
    pub period_ms: u64,
    /// Requests that may come at once (at least 1).
    pub burst: u32,
}

impl Rate {
    pub const OFF: Rate = Rate { per_period: 0, period_ms: 60_000, burst: 1 };

    pub fn per_minute(per_minute: u32, burst: u32) -> Self {
        Rate { per_period: per_minute, period_ms: 60_000, burst: burst.max(1) }
    }

    pub fn per_hour(per_hour: u32, burst: u32) -> Self {
        Rate { per_period: per_hour, period_ms: 3_600_000, burst: burst.max(1) }
    }

    pub fn is_off(&self) -> bool {
        self.per_period == 0
    }

    /// Milliseconds between two requests at the sustained rate.
    fn interval_ms(&self) -> u64 {
        (self.period_ms / u64::from(self.per_period.max(1))).max(1)
    }
}

/// Keys a limiter remembers at most by default; idle keys are dropped first.
pub const DEFAULT_MAX_KEYS: usize = 100_000;

/// A keyed GCRA limiter. Each key holds one number, its "theoretical arrival time": a key whose
/// time has passed is idle (a full bucket) and is forgotten when memory is needed. Time is given
/// by the caller in milliseconds (a monotonic clock in the web layer, the registry's clock for
/// e-mails), so the limiter is pure and testable.
pub struct RateLimiter<K> {
    keys: Mutex<HashMap<K, u64>>,
    max_keys: usize,
}

impl<K: Hash + Eq + Clone> RateLimiter<K> {
    pub fn new(max_keys: usize) -> Self {
        RateLimiter { keys: Mutex::new(HashMap::new()), max_keys: max_keys.max(1) }
    }

    /// Counts one request of `key` at `now_ms` under `rate`: `Ok` when it is within the limit,
    /// else `Err(milliseconds until one more would be)` and nothing is counted.
    pub fn check(&self, key: &K, rate: Rate, now_ms: u64) -> Result<(), u64> {
        if rate.is_off() {
            return Ok(());
        }
        let interval = rate.interval_ms();
        let tolerance = interval * u64::from(rate.burst);
        let mut keys = self.keys.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let tat = keys.get(key).copied().unwrap_or(0).max(now_ms);
        let next = tat + interval;
        if next - now_ms > tolerance {
            return Err(next - now_ms - tolerance);
        }
        if keys.len() >= self.max_keys && !keys.contains_key(key) {
            keys.retain(|_, tat| *tat > now_ms);
            if keys.len() >= self.max_keys {
                // Every key is busy (a flood from very many keys): forget a tenth of them, in the
                // map's (random) order, so the sweeps stay rare and the map bounded.
                let excess = keys.len() + 1 - self.max_keys + self.max_keys / 10;
                let doomed: Vec<K> = keys.keys().take(excess).cloned().collect();
                for key in &doomed {
                    keys.remove(key);
                }
            }
        }
        keys.insert(key.clone(), next);
        Ok(())
    }

    /// How many keys are remembered (tests of the memory bound).
    pub fn len(&self) -> usize {
        self.keys.lock().unwrap_or_else(std::sync::PoisonError::into_inner).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What the registry itself limits (from configuration).
#[derive(Debug, Clone, Copy)]
pub struct RegistryLimits {
    /// Password-reset e-mails one account receives per hour; 0: unlimited.
    pub reset_mails_per_hour: u32,
    /// Files an anonymous support request (the public form) may carry.
    pub anonymous_support_files: usize,
    /// The largest file an anonymous support request may carry, in bytes.
    pub anonymous_support_file_bytes: u64,
}

impl Default for RegistryLimits {
    fn default() -> Self {
        RegistryLimits {
            reset_mails_per_hour: 3,
            anonymous_support_files: 1,
            anonymous_support_file_bytes: 2 * 1024 * 1024,
        }
    }
}

/// The limits and the limiter the registry keeps.
pub(crate) struct Limits {
    pub settings: RegistryLimits,
    /// Reset e-mails, keyed by account.
    pub reset_mails: RateLimiter<i64>,
}

impl Limits {
    pub fn new(settings: RegistryLimits) -> Self {
        Limits { settings, reset_mails: RateLimiter::new(DEFAULT_MAX_KEYS) }
    }

    /// Whether one more reset e-mail may go to `user_id` at `now` (Unix seconds); counts it.
    pub fn allow_reset_mail(&self, user_id: i64, now: i64) -> bool {
        let per_hour = self.settings.reset_mails_per_hour;
        let rate = Rate::per_hour(per_hour, per_hour);
        self.reset_mails.check(&user_id, rate, u64::try_from(now).unwrap_or(0).saturating_mul(1000)).is_ok()
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits::new(RegistryLimits::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_then_the_sustained_rate() {
        let limiter = RateLimiter::new(10);
        let rate = Rate::per_minute(60, 3);
        for _ in 0..3 {
            assert_eq!(limiter.check(&"a", rate, 10_000), Ok(()));
        }
        assert_eq!(limiter.check(&"a", rate, 10_000), Err(1_000));
        // Another key has its own bucket.
        assert_eq!(limiter.check(&"b", rate, 10_000), Ok(()));
        // One more a second later, not two.
        assert_eq!(limiter.check(&"a", rate, 11_000), Ok(()));
        assert_eq!(limiter.check(&"a", rate, 11_000), Err(1_000));
    }

    #[test]
    fn off_counts_nothing() {
        let limiter = RateLimiter::new(10);
        for _ in 0..1000 {
            assert_eq!(limiter.check(&1, Rate::OFF, 0), Ok(()));
        }
        assert!(limiter.is_empty());
    }

    #[test]
    fn memory_is_bounded_and_idle_keys_go_first() {
        let limiter = RateLimiter::new(100);
        let rate = Rate::per_minute(60, 2);
        for key in 0..100 {
            assert_eq!(limiter.check(&key, rate, 0), Ok(()));
        }
        // Key 0 is busy again; the others become idle after their interval.
        assert_eq!(limiter.check(&0, rate, 0), Ok(()));
        assert_eq!(limiter.check(&1000, rate, 1_500), Ok(()));
        assert_eq!(limiter.len(), 2);
        // Key 0 kept its count: one more now (1.5 intervals regained), not two.
        assert_eq!(limiter.check(&0, rate, 1_500), Ok(()));
        assert_eq!(limiter.check(&0, rate, 1_500), Err(500));
        // A flood of busy keys never grows the map past its bound.
        for key in 2000..2500 {
            assert_eq!(limiter.check(&key, rate, 1_500), Ok(()));
        }
        assert!(limiter.len() <= 100);
    }

    #[test]
    fn reset_mails_per_account_per_hour() {
        let limits = Limits::new(RegistryLimits { reset_mails_per_hour: 3, ..RegistryLimits::default() });
        assert!((0..3).all(|_| limits.allow_reset_mail(7, 1_000)));
        assert!(!limits.allow_reset_mail(7, 1_000));
        assert!(limits.allow_reset_mail(8, 1_000));
        assert!(limits.allow_reset_mail(7, 1_000 + 1_200));
    }
}
