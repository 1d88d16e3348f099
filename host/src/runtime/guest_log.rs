//! What a guest writes for people to read — `log` lines, `progress` lines and (for WASI
//! guests) stdout/stderr — sanitized, and bounded per run so that no stream of cheap calls can
//! grow the host's memory, `run.log` or the terminal (docs/security.md, "Log and progress").
//!
//! - Every line goes through [`crate::text::sanitize`] and is cut to
//!   [`GuestLimits::log_message_bytes`] (progress: 200 bytes).
//! - `log` calls and WASI output lines count against [`GuestLimits::log_calls`]; `progress`
//!   calls against [`GuestLimits::progress_calls`] — every call counts, empty or not.
//! - Every line written to `run.log` costs its full length (prefix and newline included) and at
//!   least [`LOG_CALL_COST`] bytes against [`GuestLimits::log_total_bytes`]; a line that would
//!   cross the limit is dropped, so the guest's share of `run.log` never exceeds it.
//! - Progress shown on the terminal costs the same way against
//!   [`GuestLimits::progress_total_bytes`], and is rate-limited (a token bucket: a burst of
//!   [`GuestLimits::progress_burst`] lines, then [`GuestLimits::progress_per_second`]); a
//!   progress line over the rate is dropped from the terminal and from `run.log` alike.
//! - When a limit is first reached, one `[host]` line in `run.log` says which and that later
//!   lines are dropped; nothing else is written for the dropped calls.
use super::limits::{GuestLimits, LOG_CALL_COST};
use crate::text::sanitize;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Shared, bounded run log (`run.log`): host and guest lines, in order.
#[derive(Default)]
pub struct RunLog {
    lines: Mutex<Vec<String>>,
}

impl RunLog {
    /// Appends one line (already sanitized by the caller).
    pub fn push(&self, line: String) {
        self.lines.lock().expect("run log lock").push(line);
    }
    /// The whole log, one line per entry.
    pub fn text(&self) -> String {
        let mut s = self.lines.lock().expect("run log lock").join("\n");
        s.push('\n');
        s
    }
}

/// Longest progress line shown, in bytes.
const PROGRESS_LINE_BYTES: usize = 200;

/// A progress sink: one already-sanitized line per call.
pub type ProgressSink = Arc<dyn Fn(&str) + Send + Sync>;

/// One guest's log and progress output for one run, with its counters.
pub struct GuestLog {
    strategy: String,
    limits: GuestLimits,
    log: Arc<RunLog>,
    progress: ProgressSink,
    log_calls: u32,
    log_bytes: usize,
    log_full: bool,
    progress_calls: u32,
    progress_bytes: usize,
    progress_full: bool,
    bucket: Bucket,
    /// Calls dropped so far (over a limit or over the progress rate).
    pub dropped: u64,
}

impl GuestLog {
    /// Output of guest `strategy` into `log` (run.log) and `progress` (the terminal), bounded
    /// by `limits`.
    pub fn new(
        strategy: &str,
        limits: &GuestLimits,
        log: Arc<RunLog>,
        progress: ProgressSink,
    ) -> GuestLog {
        GuestLog {
            strategy: strategy.to_string(),
            limits: limits.clone(),
            log,
            progress,
            log_calls: 0,
            log_bytes: 0,
            log_full: false,
            progress_calls: 0,
            progress_bytes: 0,
            progress_full: false,
            bucket: Bucket::new(limits.progress_burst, limits.progress_per_second),
            dropped: 0,
        }
    }

    /// A `log` call (or one line of WASI output, `level` being `stdout`/`stderr`).
    pub fn log(&mut self, level: &str, message: &str) {
        if self.log_calls >= self.limits.log_calls {
            let why = format!("{} log lines per run", self.limits.log_calls);
            self.log_limit(&why);
            return;
        }
        self.log_calls += 1;
        self.append(level, message);
    }

    /// A `progress` call, at the current time.
    pub fn progress(&mut self, message: &str) {
        self.progress_at(message, Instant::now());
    }

    /// A `progress` call at time `now` (tests pass their own clock).
    pub fn progress_at(&mut self, message: &str, now: Instant) {
        if self.progress_calls >= self.limits.progress_calls {
            self.dropped += 1;
            if !self.progress_full {
                self.progress_full = true;
                self.host_line(&format!(
                    "guest {} reached its progress limit ({} progress calls per run): its later progress lines are dropped",
                    self.strategy, self.limits.progress_calls
                ));
            }
            return;
        }
        self.progress_calls += 1;
        if !self.bucket.take(now) {
            self.dropped += 1;
            return;
        }
        let line = sanitize(message, PROGRESS_LINE_BYTES);
        let cost = line.len().max(LOG_CALL_COST);
        if self.progress_bytes + cost > self.limits.progress_total_bytes {
            self.progress_calls = self.limits.progress_calls;
            self.dropped += 1;
            self.progress_full = true;
            self.host_line(&format!(
                "guest {} reached its progress limit ({} KiB of progress per run): its later progress lines are dropped",
                self.strategy,
                self.limits.progress_total_bytes >> 10
            ));
            return;
        }
        self.progress_bytes += cost;
        (self.progress)(&line);
        self.append("progress", message);
    }

    /// Appends one guest line to run.log within the byte limit.
    fn append(&mut self, level: &str, message: &str) {
        if self.log_full {
            self.dropped += 1;
            return;
        }
        let line = format!(
            "[guest {}] {level}: {}",
            self.strategy,
            sanitize(message, self.limits.log_message_bytes)
        );
        let cost = (line.len() + 1).max(LOG_CALL_COST);
        if self.log_bytes + cost > self.limits.log_total_bytes {
            let why = format!("{} KiB of log per run", self.limits.log_total_bytes >> 10);
            self.log_limit(&why);
            return;
        }
        self.log_bytes += cost;
        self.log.push(line);
    }

    /// Drops a log call over a limit, saying so once.
    fn log_limit(&mut self, why: &str) {
        self.dropped += 1;
        if !self.log_full {
            self.log_full = true;
            self.host_line(&format!(
                "guest {} reached its log limit ({why}): its later log lines are dropped",
                self.strategy
            ));
        }
    }

    fn host_line(&self, text: &str) {
        self.log.push(format!("[host] {text}"));
    }
}

/// A token bucket: `burst` tokens, refilled at `rate` per second.
struct Bucket {
    tokens: f64,
    burst: f64,
    rate: f64,
    last: Option<Instant>,
}

impl Bucket {
    fn new(burst: u32, rate: u32) -> Bucket {
        Bucket {
            tokens: f64::from(burst),
            burst: f64::from(burst),
            rate: f64::from(rate),
            last: None,
        }
    }

    /// Takes a token at `now`, if one is there.
    fn take(&mut self, now: Instant) -> bool {
        if let Some(last) = self.last {
            let dt = now
                .saturating_duration_since(last)
                .min(Duration::from_secs(3600));
            self.tokens = (self.tokens + dt.as_secs_f64() * self.rate).min(self.burst);
        }
        self.last = Some(now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    fn guest(limits: &GuestLimits) -> (GuestLog, Arc<RunLog>, Arc<Mutex<Vec<String>>>) {
        let log = Arc::new(RunLog::default());
        let shown = Arc::new(Mutex::new(Vec::new()));
        let s = shown.clone();
        let sink: ProgressSink = Arc::new(move |l: &str| s.lock().unwrap().push(l.to_string()));
        (GuestLog::new("evil", limits, log.clone(), sink), log, shown)
    }

    fn notes(text: &str) -> usize {
        text.lines().filter(|l| l.starts_with("[host]")).count()
    }

    #[test]
    fn empty_log_calls_cost_their_overhead_and_stop_at_the_call_limit() {
        let limits = GuestLimits::default();
        let (mut g, log, _) = guest(&limits);
        for _ in 0..200_000 {
            g.log("info", "");
        }
        let text = log.text();
        let guest_lines = text.lines().filter(|l| l.starts_with("[guest")).count();
        assert_eq!(guest_lines, limits.log_calls as usize);
        assert_eq!(notes(&text), 1, "one line says the limit was reached");
        assert!(
            text.contains("10000 log lines per run"),
            "{}",
            &text[text.len() - 200..]
        );
        assert!(g.dropped >= 190_000);
    }

    #[test]
    fn the_log_byte_limit_is_never_exceeded() {
        let limits = GuestLimits {
            log_total_bytes: 64 << 10,
            ..GuestLimits::default()
        };
        let (mut g, log, _) = guest(&limits);
        for i in 0..5_000 {
            g.log("info", &"y".repeat(i % 300));
        }
        let text = log.text();
        let guest_bytes: usize = text
            .lines()
            .filter(|l| l.starts_with("[guest"))
            .map(|l| l.len() + 1)
            .sum();
        assert!(guest_bytes <= limits.log_total_bytes, "{guest_bytes}");
        assert_eq!(notes(&text), 1);
        assert!(text.contains("64 KiB of log per run"));
    }

    #[test]
    fn progress_is_rate_limited_on_the_terminal_and_in_the_log() {
        let limits = GuestLimits::default();
        let (mut g, log, shown) = guest(&limits);
        let t0 = Instant::now();
        for _ in 0..1_000 {
            g.progress_at("", t0);
        }
        assert_eq!(shown.lock().unwrap().len(), 20, "the burst");
        // One second later: ten more.
        for _ in 0..1_000 {
            g.progress_at("step", t0 + Duration::from_secs(1));
        }
        assert_eq!(shown.lock().unwrap().len(), 30);
        let in_log = log
            .text()
            .lines()
            .filter(|l| l.contains("progress:"))
            .count();
        assert_eq!(in_log, 30);
    }

    #[test]
    fn progress_stops_at_its_call_limit_with_one_line() {
        let limits = GuestLimits {
            progress_calls: 100,
            ..GuestLimits::default()
        };
        let (mut g, log, _) = guest(&limits);
        let t0 = Instant::now();
        for i in 0..10_000u64 {
            // Spread over time so the rate does not drop them first.
            g.progress_at("x\u{1b}[2Jy\n[host] forged", t0 + Duration::from_secs(i));
        }
        let text = log.text();
        assert_eq!(
            text.lines().filter(|l| l.contains("progress:")).count(),
            100
        );
        assert_eq!(notes(&text), 1);
        assert!(!text.contains('\u{1b}'));
        assert!(!text.lines().any(|l| l.starts_with("[host] forged")));
    }

    #[test]
    fn progress_bytes_on_the_terminal_are_bounded() {
        let limits = GuestLimits {
            progress_total_bytes: 4 << 10,
            ..GuestLimits::default()
        };
        let (mut g, _, shown) = guest(&limits);
        let t0 = Instant::now();
        for i in 0..1_000u64 {
            g.progress_at(&"z".repeat(500), t0 + Duration::from_secs(i));
        }
        let bytes: usize = shown.lock().unwrap().iter().map(String::len).sum();
        assert!(bytes <= 4 << 10, "{bytes}");
    }
}
