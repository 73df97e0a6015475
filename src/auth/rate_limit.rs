//! Login attempts are limited per account and per client address, so guessing passwords is
//! slow whichever of the two an attacker varies. Limits live in memory: a restart forgets
//! them, which costs an attacker a restart per handful of guesses.

use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

pub struct LoginLimiter {
    per_account: DefaultKeyedRateLimiter<String>,
    per_address: DefaultKeyedRateLimiter<String>,
    clock: DefaultClock,
}

/// Five attempts at once per account, then one every three minutes; twenty per address,
/// then one every thirty seconds.
const ACCOUNT_BURST: u32 = 5;
const ACCOUNT_PERIOD: Duration = Duration::from_secs(180);
const ADDRESS_BURST: u32 = 20;
const ADDRESS_PERIOD: Duration = Duration::from_secs(30);

impl Default for LoginLimiter {
    fn default() -> Self {
        Self::new()
    }
}

fn quota(period: Duration, burst: u32) -> Quota {
    let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
    Quota::with_period(period)
        .map(|q| q.allow_burst(burst))
        .unwrap_or_else(|| Quota::per_minute(burst))
}

impl LoginLimiter {
    pub fn new() -> Self {
        LoginLimiter {
            per_account: RateLimiter::keyed(quota(ACCOUNT_PERIOD, ACCOUNT_BURST)),
            per_address: RateLimiter::keyed(quota(ADDRESS_PERIOD, ADDRESS_BURST)),
            clock: DefaultClock::default(),
        }
    }

    /// Counts one attempt; `Err(wait)` when either limit is reached.
    pub fn attempt(&self, account: &str, address: &str) -> Result<(), Duration> {
        let now = self.clock.now();
        let account_check = self.per_account.check_key(&account.to_lowercase());
        let address_check = self.per_address.check_key(&address.to_owned());
        let wait = [account_check.err(), address_check.err()]
            .into_iter()
            .flatten()
            .map(|not_until| not_until.wait_time_from(now))
            .max();
        match wait {
            Some(wait) => Err(wait),
            None => Ok(()),
        }
    }
}

/// Requests per API client: a sustained rate with bursts.
pub struct ClientLimiter {
    limiter: DefaultKeyedRateLimiter<i64>,
    clock: DefaultClock,
}

impl ClientLimiter {
    pub fn new(per_second: u32, burst: u32) -> Self {
        let rate = NonZeroU32::new(per_second).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(burst).unwrap_or(rate);
        ClientLimiter {
            limiter: RateLimiter::keyed(Quota::per_second(rate).allow_burst(burst)),
            clock: DefaultClock::default(),
        }
    }

    /// Counts one request of `client`; `Err(wait)` once over the limit.
    pub fn check(&self, client: i64) -> Result<(), Duration> {
        self.limiter
            .check_key(&client)
            .map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_is_limited_whatever_the_address() {
        let limiter = LoginLimiter::new();
        for i in 0..ACCOUNT_BURST {
            assert!(limiter
                .attempt("anne@x.example", &format!("10.0.0.{i}"))
                .is_ok());
        }
        let wait = limiter
            .attempt("ANNE@x.example", "10.0.0.99")
            .expect_err("limited");
        assert!(wait > Duration::from_secs(60));
        assert!(
            limiter.attempt("other@x.example", "10.0.0.99").is_ok(),
            "other accounts unaffected"
        );
    }

    #[test]
    fn an_address_is_limited_whatever_the_account() {
        let limiter = LoginLimiter::new();
        for i in 0..ADDRESS_BURST {
            assert!(limiter
                .attempt(&format!("user{i}@x.example"), "192.0.2.1")
                .is_ok());
        }
        assert!(limiter.attempt("fresh@x.example", "192.0.2.1").is_err());
        assert!(limiter.attempt("fresh@x.example", "192.0.2.2").is_ok());
    }
}
