use crate::delivery::ports::Clock;

pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        js_sys::Date::now() as i64
    }
}

/// A uniform number in [0, 1) for retry jitter.
pub fn unit_random() -> f64 {
    js_sys::Math::random()
}
