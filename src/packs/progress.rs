//! Progress of long pack work: a bar on a terminal, one log line per step otherwise, or
//! a watcher's record (the admin page's progress bar).

use std::io::IsTerminal;
use std::sync::Arc;

use indicatif::{ProgressBar, ProgressStyle};

pub struct Progress {
    bar: ProgressBar,
    on_terminal: bool,
    watcher: Option<Arc<dyn Watch>>,
}

/// Something that follows long work from elsewhere (a page showing an install).
pub trait Watch: Send + Sync {
    fn step(&self, message: &str);
    fn start_bytes(&self, total: u64);
    fn advance(&self, bytes: u64);
}

impl Progress {
    /// A bar when stderr is a terminal; plain log lines otherwise (scripts, services).
    pub fn for_stderr() -> Progress {
        let on_terminal = std::io::stderr().is_terminal();
        let bar = if on_terminal {
            let bar = ProgressBar::new(0);
            bar.set_style(
                ProgressStyle::with_template("{msg:30} [{bar:30}] {bytes}/{total_bytes} {eta}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
            );
            bar
        } else {
            ProgressBar::hidden()
        };
        Progress {
            bar,
            on_terminal,
            watcher: None,
        }
    }

    /// Tells `watcher` each step and byte count, and logs each step.
    pub fn watched(watcher: Arc<dyn Watch>) -> Progress {
        Progress {
            bar: ProgressBar::hidden(),
            on_terminal: false,
            watcher: Some(watcher),
        }
    }

    /// No output at all (tests, the starter pack at start-up).
    pub fn silent() -> Progress {
        Progress {
            bar: ProgressBar::hidden(),
            on_terminal: true,
            watcher: None,
        }
    }

    /// A new step, e.g. "vérification de `x.kitpack`".
    pub fn step(&self, message: String) {
        if let Some(watcher) = &self.watcher {
            watcher.step(&message);
        }
        if self.on_terminal {
            self.bar.set_message(message);
        } else {
            log::info!("{message}");
        }
    }

    /// Starts counting `total` bytes of work.
    pub fn start_bytes(&self, total: u64) {
        if let Some(watcher) = &self.watcher {
            watcher.start_bytes(total);
        }
        self.bar.set_length(total);
        self.bar.set_position(0);
    }

    pub fn advance(&self, bytes: u64) {
        if let Some(watcher) = &self.watcher {
            watcher.advance(bytes);
        }
        self.bar.inc(bytes);
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
