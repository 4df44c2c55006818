//! Long admin work (installing, rolling back, removing, exporting packs) runs on a thread of
//! its own; its page shows the progress and then the result. The last few jobs are kept, in
//! memory only.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use crate::packs::progress::Watch;

/// How many finished jobs are remembered.
const KEPT: usize = 20;

/// How a job ended.
#[derive(Debug, Clone)]
pub enum Outcome {
    Done(String),
    Failed(String),
}

#[derive(Debug, Clone)]
pub struct JobState {
    /// What it is doing now, in French.
    pub step: String,
    /// Bytes done of `total` (0 of 0 when not counting).
    pub done: u64,
    pub total: u64,
    pub outcome: Option<Outcome>,
}

pub struct Job {
    pub id: u64,
    pub title: String,
    pub started: Instant,
    state: Mutex<JobState>,
}

impl Job {
    pub fn state(&self) -> JobState {
        self.lock().clone()
    }

    fn lock(&self) -> MutexGuard<'_, JobState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Progress as a percentage, when counted.
    pub fn percent(state: &JobState) -> Option<u64> {
        (state.total > 0).then(|| (state.done.min(state.total) * 100) / state.total)
    }
}

impl Watch for Job {
    fn step(&self, message: &str) {
        let mut state = self.lock();
        state.step = message.to_owned();
        state.done = 0;
        state.total = 0;
    }

    fn start_bytes(&self, total: u64) {
        let mut state = self.lock();
        state.total = total;
        state.done = 0;
    }

    fn advance(&self, bytes: u64) {
        let mut state = self.lock();
        state.done = state.done.saturating_add(bytes);
    }
}

#[derive(Default)]
pub struct Jobs {
    next: AtomicU64,
    list: Mutex<VecDeque<Arc<Job>>>,
}

impl Jobs {
    /// Starts `work` on a thread of its own; what it returns is the job's outcome.
    pub fn start(
        &self,
        title: String,
        first_step: String,
        work: impl FnOnce(&Arc<Job>) -> Result<String, String> + Send + 'static,
    ) -> Result<Arc<Job>, String> {
        let job = Arc::new(Job {
            id: self.next.fetch_add(1, Ordering::Relaxed) + 1,
            title,
            started: Instant::now(),
            state: Mutex::new(JobState {
                step: first_step,
                done: 0,
                total: 0,
                outcome: None,
            }),
        });
        {
            let mut list = self.list.lock().unwrap_or_else(|e| e.into_inner());
            // Finished jobs make room; running ones are always kept.
            while list.len() >= KEPT {
                match list.iter().position(|j| j.lock().outcome.is_some()) {
                    Some(i) => {
                        list.remove(i);
                    }
                    None => break,
                }
            }
            list.push_back(Arc::clone(&job));
        }
        let running = Arc::clone(&job);
        std::thread::Builder::new()
            .name(format!("job-{}", job.id))
            .spawn(move || {
                let outcome =
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(&running)))
                        .unwrap_or_else(|_| Err("erreur interne du kit (voir le journal)".into()));
                match &outcome {
                    Ok(done) => log::info!("{}: {done}", running.title),
                    Err(failed) => log::warn!("{}: {failed}", running.title),
                }
                running.lock().outcome = Some(match outcome {
                    Ok(text) => Outcome::Done(text),
                    Err(text) => Outcome::Failed(text),
                });
            })
            .map_err(|e| format!("impossible de lancer le travail : {e}"))?;
        Ok(job)
    }

    pub fn get(&self, id: u64) -> Option<Arc<Job>> {
        let list = self.list.lock().unwrap_or_else(|e| e.into_inner());
        list.iter().find(|j| j.id == id).cloned()
    }

    /// The jobs kept, newest first.
    pub fn recent(&self) -> Vec<Arc<Job>> {
        let list = self.list.lock().unwrap_or_else(|e| e.into_inner());
        list.iter().rev().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn wait_done(job: &Job) -> Outcome {
        let start = Instant::now();
        loop {
            if let Some(outcome) = job.state().outcome {
                return outcome;
            }
            assert!(start.elapsed() < Duration::from_secs(5));
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    #[test]
    fn a_job_reports_progress_then_its_outcome_and_panics_are_failures() {
        let jobs = Jobs::default();
        let job = jobs
            .start("essai".into(), "début".into(), |job| {
                job.step("copie");
                job.start_bytes(200);
                job.advance(50);
                assert_eq!(Job::percent(&job.state()), Some(25));
                Ok("fini".into())
            })
            .unwrap();
        assert!(matches!(wait_done(&job), Outcome::Done(t) if t == "fini"));
        assert_eq!(job.state().step, "copie");
        let job = jobs
            .start("essai".into(), "début".into(), |_| panic!("boum"))
            .unwrap();
        assert!(matches!(wait_done(&job), Outcome::Failed(_)));
        assert_eq!(jobs.get(job.id).unwrap().id, job.id);
        assert_eq!(jobs.recent()[0].id, job.id);
    }

    #[test]
    fn only_finished_jobs_make_room() {
        let jobs = Jobs::default();
        for _ in 0..KEPT + 5 {
            let job = jobs
                .start("x".into(), "x".into(), |_| Ok(String::new()))
                .unwrap();
            wait_done(&job);
        }
        assert!(jobs.recent().len() <= KEPT);
    }
}
