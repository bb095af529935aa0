//! Time in the store: seconds since the Unix epoch ([`Timestamp`]), read
//! from a [`Clock`] that tests replace ([`ManualClock`]) so that expiry and
//! throttling need no sleeping.

use std::fmt;
use std::sync::atomic::{AtomicI64, Ordering};

use serde::{Serialize, Serializer};

use crate::model::Date;

/// A moment, in whole seconds since 1970-01-01T00:00:00Z.
///
/// Shown and serialized as RFC 3339 in UTC:
///
/// ```
/// use nianbao::store::Timestamp;
/// let t = Timestamp::from_unix(1_737_331_200);
/// assert_eq!(t.to_string(), "2025-01-20T00:00:00Z");
/// assert_eq!(serde_json::to_string(&t).unwrap(), "\"2025-01-20T00:00:00Z\"");
/// assert_eq!(t.to_beijing(), "2025-01-20 08:00");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

/// China Standard Time (UTC+8), the time of the deadlines and of
/// [`Timestamp::to_beijing`].
const BEIJING_OFFSET: i64 = 8 * 3600;

impl Timestamp {
    /// The moment `seconds` after the Unix epoch.
    pub const fn from_unix(seconds: i64) -> Timestamp {
        Timestamp(seconds)
    }

    /// Seconds since the Unix epoch.
    pub const fn unix(self) -> i64 {
        self.0
    }

    /// `seconds` later (earlier when negative), saturating.
    pub const fn plus(self, seconds: i64) -> Timestamp {
        Timestamp(self.0.saturating_add(seconds))
    }

    /// The local time in Beijing, `2025-01-20 08:00`, for messages.
    pub fn to_beijing(self) -> String {
        let local = self.0.saturating_add(BEIJING_OFFSET);
        let (y, m, d) = civil_from_days(local.div_euclid(86_400));
        let secs = local.rem_euclid(86_400);
        format!(
            "{y:04}-{m:02}-{d:02} {:02}:{:02}",
            secs / 3600,
            secs % 3600 / 60
        )
    }

    /// The first moment after the day `date` in Beijing time: a deadline of
    /// `2025-01-31` ends at `2025-01-31T16:00:00Z` (midnight in Beijing).
    ///
    /// ```
    /// use nianbao::store::Timestamp;
    /// let end = Timestamp::end_of_beijing_day("2025-01-31".parse().unwrap());
    /// assert_eq!(end.to_string(), "2025-01-31T16:00:00Z");
    /// ```
    pub fn end_of_beijing_day(date: Date) -> Timestamp {
        let days = days_from_civil(i64::from(date.year), date.month.into(), date.day.into());
        Timestamp((days + 1) * 86_400 - BEIJING_OFFSET)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = civil_from_days(self.0.div_euclid(86_400));
        let secs = self.0.rem_euclid(86_400);
        write!(
            f,
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
            secs / 3600,
            secs % 3600 / 60,
            secs % 60
        )
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day number of [`days_from_civil`].
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Where the store reads the time. [`SystemClock`] in service;
/// [`ManualClock`] in tests.
pub trait Clock: Send + Sync {
    /// Now.
    fn now(&self) -> Timestamp;
}

/// The system's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        Timestamp(secs)
    }
}

/// A clock that stands still until it is moved, for tests.
///
/// ```
/// use nianbao::store::{Clock, ManualClock, Timestamp};
/// let clock = ManualClock::new(Timestamp::from_unix(100));
/// clock.advance(60);
/// assert_eq!(clock.now().unix(), 160);
/// ```
#[derive(Debug, Default)]
pub struct ManualClock(AtomicI64);

impl ManualClock {
    /// A clock showing `start`.
    pub fn new(start: Timestamp) -> ManualClock {
        ManualClock(AtomicI64::new(start.0))
    }

    /// Moves the clock `seconds` on.
    pub fn advance(&self, seconds: i64) {
        self.0.fetch_add(seconds, Ordering::SeqCst);
    }

    /// Sets the clock to `t`.
    pub fn set(&self, t: Timestamp) {
        self.0.store(t.0, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        Timestamp(self.0.load(Ordering::SeqCst))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_round_trip_over_centuries() {
        for days in (-800_000..800_000).step_by(97) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days, "{y}-{m}-{d}");
        }
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    }

    #[test]
    fn shown_in_utc_and_in_beijing() {
        let t = Timestamp::from_unix(1_706_716_799); // 2024-01-31T15:59:59Z
        assert_eq!(t.to_string(), "2024-01-31T15:59:59Z");
        assert_eq!(t.to_beijing(), "2024-01-31 23:59");
        assert_eq!(Timestamp::from_unix(-1).to_string(), "1969-12-31T23:59:59Z");
        let date = Date {
            year: 2024,
            month: 1,
            day: 31,
        };
        assert_eq!(Timestamp::end_of_beijing_day(date), t.plus(1));
    }
}
