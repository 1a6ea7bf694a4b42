//! The bounded CPU pool. Decoding, inference and checks run here, never on the async runtime's
//! threads. Admission is decided up front: when `workers + queue` jobs are already taken, the
//! request is refused at once (a 503 with `Retry-After`) instead of joining a queue that only
//! grows until every request times out.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::{Semaphore, oneshot};

/// Why a job did not produce its result.
#[derive(Debug, PartialEq, Eq)]
pub enum PoolError {
    /// Every worker is busy and the queue is full.
    Saturated,
    /// The deadline passed (while queued or while running).
    DeadlineExceeded,
    /// The job panicked; the worker survived.
    Panicked,
}

pub struct CpuPool {
    pool: rayon::ThreadPool,
    permits: Arc<Semaphore>,
    workers: usize,
    /// Jobs admitted but not yet started.
    waiting: Arc<AtomicI64>,
    /// Jobs running.
    running: Arc<AtomicI64>,
}

/// A place in the pool, taken before the request's body is read: a request that would be refused
/// for want of a worker is refused before any of its body is buffered.
pub struct Admission(tokio::sync::OwnedSemaphorePermit);

/// What a finished job reports besides its value.
pub struct Ran<T> {
    pub value: T,
    /// Time spent waiting for a worker.
    pub queued: Duration,
}

impl CpuPool {
    pub fn new(workers: usize, queue: usize) -> anyhow::Result<Self> {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(workers)
            .thread_name(|i| format!("sapa-cpu-{i}"))
            .build()?;
        Ok(Self::around(pool, workers, queue))
    }

    /// A pool whose workers run only on CPU time nobody else wants (Linux `SCHED_IDLE`; the
    /// lowest priority elsewhere), for work that may wait: a kiosk stream's background parse.
    /// Every thread of [`Self::new`]'s pool pre-empts it, so it never slows the frames a person
    /// is waiting for; under full load it still moves, slowly, as the scheduler gives an idle
    /// thread a small share rather than none.
    pub fn idle(workers: usize, queue: usize) -> anyhow::Result<Self> {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(workers)
            .thread_name(|i| format!("sapa-idle-{i}"))
            .start_handler(|_| lower_this_thread())
            .build()?;
        Ok(Self::around(pool, workers, queue))
    }

    fn around(pool: rayon::ThreadPool, workers: usize, queue: usize) -> Self {
        Self {
            pool,
            permits: Arc::new(Semaphore::new(workers + queue)),
            workers,
            waiting: Arc::new(AtomicI64::new(0)),
            running: Arc::new(AtomicI64::new(0)),
        }
    }

    pub fn workers(&self) -> usize {
        self.workers
    }

    /// Jobs waiting for a worker.
    pub fn waiting(&self) -> i64 {
        self.waiting.load(Ordering::Relaxed)
    }

    /// Jobs running now.
    pub fn running(&self) -> i64 {
        self.running.load(Ordering::Relaxed)
    }

    /// Runs `job` on a worker and waits for it until `deadline`. A job that is still queued at
    /// its deadline is dropped unstarted; one that is running keeps its slot until it ends, so
    /// admission always reflects the work the CPUs really have.
    pub async fn run<T, F>(&self, deadline: Instant, job: F) -> Result<Ran<T>, PoolError>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        self.run_admitted(self.admit()?, deadline, job).await
    }

    /// Takes a place in the pool now (a worker or a queue slot), or says it is full.
    pub fn admit(&self) -> Result<Admission, PoolError> {
        self.permits.clone().try_acquire_owned().map(Admission).map_err(|_| PoolError::Saturated)
    }

    /// [`Self::run`] on a place taken earlier with [`Self::admit`].
    pub async fn run_admitted<T, F>(
        &self,
        admission: Admission,
        deadline: Instant,
        job: F,
    ) -> Result<Ran<T>, PoolError>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        self.spawn(admission, deadline, job, move |r| {
            let _ = tx.send(r);
        });
        match tokio::time::timeout_at(deadline.into(), rx).await {
            Ok(Ok(result)) => result,
            Ok(Err(_)) => Err(PoolError::Panicked),
            Err(_) => Err(PoolError::DeadlineExceeded),
        }
    }

    /// [`Self::run`] for a caller on a plain thread (the reference store's blocking tasks, where
    /// a ГБД ФЛ photo becomes a template): the same admission, deadline and workers, so register
    /// photos cannot decode outside the pool's bound.
    pub fn run_blocking<T, F>(&self, deadline: Instant, job: F) -> Result<Ran<T>, PoolError>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let (tx, rx) = std::sync::mpsc::channel();
        self.spawn(self.admit()?, deadline, job, move |r| {
            let _ = tx.send(r);
        });
        match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(result) => result,
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => Err(PoolError::DeadlineExceeded),
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => Err(PoolError::Panicked),
        }
    }

    /// Queues `job` on a worker under `admission`; `done` gets its result.
    fn spawn<T, F>(
        &self,
        admission: Admission,
        deadline: Instant,
        job: F,
        done: impl FnOnce(Result<Ran<T>, PoolError>) + Send + 'static,
    ) where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let permit = admission.0;
        let (waiting, running) = (self.waiting.clone(), self.running.clone());
        let admitted = Instant::now();
        waiting.fetch_add(1, Ordering::Relaxed);
        self.pool.spawn(move || {
            waiting.fetch_sub(1, Ordering::Relaxed);
            let queued = admitted.elapsed();
            if Instant::now() >= deadline {
                drop(permit);
                done(Err(PoolError::DeadlineExceeded));
                return;
            }
            running.fetch_add(1, Ordering::Relaxed);
            let out = std::panic::catch_unwind(AssertUnwindSafe(job));
            running.fetch_sub(1, Ordering::Relaxed);
            // The place is free before the caller hears the result, so its next step (a request's
            // second job) never races its own first one for it.
            drop(permit);
            done(out.map(|value| Ran { value, queued }).map_err(|_| PoolError::Panicked));
        });
    }
}

/// Puts the calling thread in the idle scheduling class. Failing that (a platform without it),
/// the thread keeps its priority: the work is still bounded by the pool's own admission.
fn lower_this_thread() {
    #[cfg(target_os = "linux")]
    let lowered = {
        use thread_priority::unix::{
            NormalThreadSchedulePolicy, ThreadSchedulePolicy, set_thread_priority_and_policy,
            thread_native_id,
        };
        let idle = ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Idle);
        set_thread_priority_and_policy(thread_native_id(), thread_priority::ThreadPriority::Min, idle)
    };
    #[cfg(not(target_os = "linux"))]
    let lowered = thread_priority::set_current_thread_priority(thread_priority::ThreadPriority::Min);
    if let Err(e) = lowered {
        tracing::warn!(error = ?e, "could not lower a background worker's priority");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn later(ms: u64) -> Instant {
        Instant::now() + Duration::from_millis(ms)
    }

    #[tokio::test]
    async fn a_full_pool_refuses_instead_of_queueing() {
        let pool = Arc::new(CpuPool::new(1, 1).unwrap());
        let (release, gate) = std::sync::mpsc::channel::<()>();
        let gate = std::sync::Mutex::new(gate);
        let p = pool.clone();
        let busy = tokio::spawn(async move {
            p.run(later(5_000), move || {
                let _ = gate.lock().unwrap().recv();
                1
            })
            .await
        });
        while pool.running() == 0 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        let p = pool.clone();
        let queued = tokio::spawn(async move { p.run(later(5_000), || 2).await });
        while pool.waiting() == 0 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        assert_eq!(pool.run(later(5_000), || 3).await.err(), Some(PoolError::Saturated));
        release.send(()).unwrap();
        assert_eq!(busy.await.unwrap().unwrap().value, 1);
        assert_eq!(queued.await.unwrap().unwrap().value, 2);
        assert_eq!(pool.run(later(5_000), || 4).await.unwrap().value, 4);
    }

    #[tokio::test]
    async fn an_admission_holds_its_place_until_its_job_runs() {
        let pool = CpuPool::new(1, 0).unwrap();
        let admitted = pool.admit().unwrap();
        assert!(pool.admit().is_err(), "the only place is taken before any job runs");
        assert_eq!(pool.run(later(5_000), || 1).await.err(), Some(PoolError::Saturated));
        assert_eq!(pool.run_admitted(admitted, later(5_000), || 2).await.unwrap().value, 2);
        assert_eq!(pool.run(later(5_000), || 3).await.unwrap().value, 3, "the place is free again");
    }

    #[test]
    fn a_blocking_caller_runs_on_the_pool_under_its_bound() {
        let pool = CpuPool::new(1, 0).unwrap();
        let on = pool.run_blocking(later(5_000), || std::thread::current().name().map(String::from)).unwrap();
        assert_eq!(on.value.as_deref(), Some("sapa-cpu-0"), "the job ran on a pool worker");
        let held = pool.admit().unwrap();
        assert_eq!(pool.run_blocking(later(5_000), || 1).err(), Some(PoolError::Saturated));
        drop(held);
        let slow = pool.run_blocking(later(20), || std::thread::sleep(Duration::from_millis(300)));
        assert_eq!(slow.err(), Some(PoolError::DeadlineExceeded));
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn the_idle_pool_runs_its_jobs_in_the_idle_class() {
        use thread_priority::unix::{
            NormalThreadSchedulePolicy, ThreadSchedulePolicy, thread_schedule_policy,
        };
        let idle = CpuPool::idle(1, 1).unwrap();
        let on = idle
            .run(later(5_000), || (std::thread::current().name().map(String::from), thread_schedule_policy()))
            .await
            .unwrap()
            .value;
        assert_eq!(on.0.as_deref(), Some("sapa-idle-0"));
        assert_eq!(on.1.unwrap(), ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Idle));
        let main = CpuPool::new(1, 1).unwrap();
        let policy = main.run(later(5_000), thread_schedule_policy).await.unwrap().value.unwrap();
        assert_eq!(policy, ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Other));
    }

    #[tokio::test]
    async fn deadlines_and_panics_are_errors_not_crashes() {
        let pool = CpuPool::new(1, 4).unwrap();
        let slow = pool.run(later(20), || std::thread::sleep(Duration::from_millis(300))).await;
        assert_eq!(slow.err(), Some(PoolError::DeadlineExceeded));
        let boom = pool.run(later(5_000), || -> u8 { panic!("a bug") }).await;
        assert_eq!(boom.err(), Some(PoolError::Panicked));
        assert_eq!(pool.run(later(5_000), || 7).await.unwrap().value, 7);
    }
}
