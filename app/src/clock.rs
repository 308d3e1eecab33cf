//! The time the screens are drawn at: the wall clock in the app, a fixed
//! instant in tests, so that "tomorrow" or "this month" cannot move under a
//! test that runs across midnight or a change of daylight-saving time.

use chrono::{DateTime, Local, TimeZone};

/// Where the app reads the time.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Clock {
    /// The computer's clock.
    #[default]
    System,
    /// Always this instant (milliseconds since the epoch).
    Fixed(i64),
}

impl Clock {
    /// The time now, in the computer's time zone.
    pub fn now(self) -> DateTime<Local> {
        match self {
            Clock::System => Local::now(),
            Clock::Fixed(ms) => Local
                .timestamp_millis_opt(ms)
                .single()
                .expect("a fixed clock names a valid instant"),
        }
    }
}
