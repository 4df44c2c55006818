//! A minimal stderr logger: one line per event, `LEVEL message`. The service manager adds
//! timestamps; tests read these lines (e.g. `listening on http://…`). The last lines are
//! also kept in memory, for the admin's status page (the box has no screen).

use std::collections::VecDeque;
use std::io::Write;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

/// How many lines the status page can show.
pub const KEPT_LINES: usize = 100;
/// A longer line is cut when kept (it is written whole on stderr).
const KEPT_LINE_BYTES: usize = 500;

static RECENT: Mutex<VecDeque<(u64, String)>> = Mutex::new(VecDeque::new());

struct StderrLogger {
    level: log::LevelFilter,
}

impl log::Log for StderrLogger {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.level() <= self.level
    }

    fn log(&self, record: &log::Record<'_>) {
        if self.enabled(record.metadata()) {
            let line = format!("{:5} {}\n", record.level(), record.args());
            let _ = std::io::stderr().lock().write_all(line.as_bytes());
            // Each request at debug level would push out what matters.
            if record.level() <= log::Level::Info {
                keep(line.trim_end());
            }
        }
    }

    fn flush(&self) {}
}

fn keep(line: &str) {
    let mut cut = line.len().min(KEPT_LINE_BYTES);
    while !line.is_char_boundary(cut) {
        cut -= 1;
    }
    let at = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let mut recent = RECENT.lock().unwrap_or_else(|e| e.into_inner());
    if recent.len() == KEPT_LINES {
        recent.pop_front();
    }
    recent.push_back((at, line[..cut].to_owned()));
}

/// The last lines logged (info and above), oldest first, each with its time (seconds since
/// the epoch).
pub fn recent() -> Vec<(u64, String)> {
    let recent = RECENT.lock().unwrap_or_else(|e| e.into_inner());
    recent.iter().cloned().collect()
}

/// `verbosity` 0: info, 1: debug (every request), 2+: trace.
pub fn init(verbosity: u8) {
    let level = match verbosity {
        0 => log::LevelFilter::Info,
        1 => log::LevelFilter::Debug,
        _ => log::LevelFilter::Trace,
    };
    if log::set_boxed_logger(Box::new(StderrLogger { level })).is_ok() {
        log::set_max_level(level);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_lines_are_kept_cut_and_bounded() {
        for i in 0..KEPT_LINES + 10 {
            keep(&format!("INFO ligne {i}"));
        }
        keep(&"é".repeat(KEPT_LINE_BYTES));
        let recent = recent();
        assert_eq!(recent.len(), KEPT_LINES);
        let last = &recent.last().unwrap().1;
        assert!(last.len() <= KEPT_LINE_BYTES && last.starts_with('é'));
        assert!(recent.iter().all(|(_, l)| l != "INFO ligne 0"));
    }
}
