//! The scheduler: actions become jobs, jobs become stages, stages become tasks.
//!
//! As in Spark's `DAGScheduler`, a job's lineage is cut at shuffle dependencies. Every shuffle whose output does
//! not exist yet is a *shuffle map stage*, run (parents first) before the *result stage* that computes the
//! action's partitions. A stage runs one task per partition on the session's rayon pool. Shuffle outputs are
//! kept, so a later job over the same lineage skips those stages, as Spark's UI shows "skipped".

pub mod listener;
pub(crate) mod task;

use crate::error::{Error, Result};
use crate::rdd::{BoxIter, Data, Dependency, Rdd, RddBase, Runs, iterator, runs};
use crate::session::SessionContext;
use crate::shuffle::ShuffleDep;
use listener::{Event, StageInfo, TaskMetrics};
use rayon::prelude::*;
use std::collections::HashSet;
use std::panic::{AssertUnwindSafe, Location, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;
pub use task::TaskContext;
use task::{CurrentTask, JobState};
pub(crate) use task::{Monitored, MonitoredRuns};

/// A job description set on the current thread for a while (see [`SessionContext::replace_job_description`]):
/// the previous one comes back when the guard drops.
pub(crate) struct JobDescription {
    ctx: crate::opaque::Opaque<SessionContext>,
    previous: Option<String>,
}

impl JobDescription {
    pub(crate) fn set(ctx: &crate::opaque::Opaque<SessionContext>, description: String) -> Self {
        JobDescription { ctx: ctx.clone(), previous: ctx.replace_job_description(Some(description)) }
    }
}

impl Drop for JobDescription {
    fn drop(&mut self) {
        self.ctx.replace_job_description(self.previous.take());
    }
}

/// How an action takes its partitions' records.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pull {
    /// Computed a run of records at a time, for actions that drain the partition.
    Runs,
    /// Computed only as pulled, for actions that may stop early (`take`, `first`): a closure runs no further
    /// than Spark would run it.
    Records,
}

/// Runs an action: `f` consumes each requested partition's iterator and returns that partition's result.
/// The partition is computed a run of records at a time, so `f` should drain it (see [`run_job_pulling`]).
pub(crate) fn run_job<T: Data, U: Send>(
    rdd: &Rdd<T>,
    partitions: &[usize],
    action: &str,
    site: &Location<'_>,
    f: impl Fn(BoxIter<T>, &TaskContext) -> Result<U> + Send + Sync,
) -> Result<Vec<U>> {
    run_job_pulling(rdd, partitions, action, site, Pull::Runs, f)
}

/// [`run_job`], pulling records as `pull` says.
pub(crate) fn run_job_pulling<T: Data, U: Send>(
    rdd: &Rdd<T>,
    partitions: &[usize],
    action: &str,
    site: &Location<'_>,
    pull: Pull,
    f: impl Fn(BoxIter<T>, &TaskContext) -> Result<U> + Send + Sync,
) -> Result<Vec<U>> {
    let node = &rdd.node;
    run_result_job(rdd, partitions, action, site, |tc| {
        let split = tc.partition_id();
        match pull {
            Pull::Records => f(Box::new(Monitored::output(iterator(node, split, tc)?, tc)), tc),
            Pull::Runs => f(Box::new(Monitored::output(runs(node, split, tc)?.flatten(), tc)), tc),
        }
    })
}

/// [`run_job`] for actions that consume a partition a run at a time (counting, hashing): their loop over a
/// run's vector compiles to a tight loop, where a boxed iterator costs a dynamic call per record.
pub(crate) fn run_job_runs<T: Data, U: Send>(
    rdd: &Rdd<T>,
    partitions: &[usize],
    action: &str,
    site: &Location<'_>,
    f: impl Fn(Runs<T>, &TaskContext) -> Result<U> + Send + Sync,
) -> Result<Vec<U>> {
    let node = &rdd.node;
    run_result_job(rdd, partitions, action, site, |tc| {
        f(Box::new(MonitoredRuns::output(runs(node, tc.partition_id(), tc)?, tc)), tc)
    })
}

/// Runs the parent stages of `rdd`, then the result stage of `action` on `partitions`, posting the job's events.
fn run_result_job<T: Data, U: Send>(
    rdd: &Rdd<T>,
    partitions: &[usize],
    action: &str,
    site: &Location<'_>,
    task: impl Fn(&TaskContext) -> Result<U> + Send + Sync,
) -> Result<Vec<U>> {
    let ctx = rdd.context();
    ctx.check_active()?;
    let job = Arc::new(JobState {
        job_id: ctx.next_id(&ctx.ids.job),
        abort: AtomicBool::new(false),
        epoch: ctx.cancel_epoch(),
    });
    let at = format!("{}:{}", site.file(), site.line());
    let call_site = format!("{action} at {at}");
    let description = ctx.job_description(action, &at);
    ctx.listeners.post(Event::JobStart { job_id: job.job_id, description });
    let started = Instant::now();
    let result = (|| {
        run_parent_stages(ctx, &job, &*rdd.node)?;
        let stage = StageInfo {
            stage_id: ctx.next_id(&ctx.ids.stage),
            name: call_site,
            num_tasks: partitions.len(),
            is_shuffle_map: false,
        };
        run_stage(ctx, &job, stage, partitions, &task)
    })();
    ctx.listeners.post(Event::JobEnd {
        job_id: job.job_id,
        duration: started.elapsed(),
        failure: result.as_ref().err().map(|e| e.to_string()),
    });
    if let Err(e) = &result {
        crate::notebook::report_failure(e);
    }
    result
}

/// Runs, parents first, the map stages of every shuffle below `root` whose output is missing.
pub(crate) fn run_parent_stages(
    ctx: &crate::opaque::Opaque<SessionContext>,
    job: &Arc<JobState>,
    root: &dyn RddBase,
) -> Result<()> {
    let mut order = Vec::new();
    let mut seen = HashSet::new();
    collect_shuffles(root, &mut seen, &mut order);
    for dep in order {
        let stage = StageInfo {
            stage_id: ctx.next_id(&ctx.ids.stage),
            name: dep.parent().describe(),
            num_tasks: dep.parent().num_partitions(),
            is_shuffle_map: true,
        };
        // One map stage per shuffle at a time: a concurrent job waits and then finds the output ready.
        let lock = ctx.shuffles.stage_lock(dep.shuffle_id());
        let _guard = lock.lock().unwrap_or_else(|e| e.into_inner());
        if ctx.shuffles.is_complete(dep.shuffle_id()) {
            ctx.listeners.post(Event::StageSkipped { job_id: job.job_id, stage });
            continue;
        }
        dep.prepare()?;
        let maps: Vec<usize> = (0..stage.num_tasks).collect();
        // Equal tasks that do not divide evenly among the threads leave threads idle at the end of the stage
        // (Hadoop cuts a 167 MB file into 5 splits; 2 threads then run 3 and 2). Such map tasks over large text
        // splits run as one byte-range piece per thread, which idle threads take up; the stage still has its
        // Spark tasks, partitions and answer.
        let threads = ctx.parallelism;
        let pieces: Vec<usize> = if maps.len().is_multiple_of(threads) {
            vec![1; maps.len()]
        } else {
            maps.iter().map(|&m| dep.pieces(m, threads)).collect()
        };
        run_stage(ctx, job, stage, &maps, |tc| {
            let map = tc.partition_id();
            match pieces[map] {
                1 => dep.run_map_task(map, tc),
                count => (0..count).into_par_iter().try_for_each(|index| {
                    let piece = tc.piece_of(index, count);
                    let _current = CurrentTask::enter(&piece);
                    dep.run_map_task(map, &piece)
                }),
            }
        })?;
        ctx.shuffles.mark_complete(dep.shuffle_id());
    }
    Ok(())
}

/// Post-order walk: a shuffle comes after the shuffles its own parent depends on.
fn collect_shuffles(rdd: &dyn RddBase, seen: &mut HashSet<usize>, order: &mut Vec<Arc<dyn ShuffleDep>>) {
    for dep in rdd.dependencies() {
        match dep {
            Dependency::Narrow(parent) => collect_shuffles(parent.as_ref(), seen, order),
            Dependency::Shuffle(shuffle) => {
                if seen.insert(shuffle.shuffle_id()) {
                    collect_shuffles(shuffle.parent().as_ref(), seen, order);
                    order.push(shuffle);
                }
            }
        }
    }
}

pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        format!("panicked: {s}")
    } else if let Some(s) = payload.downcast_ref::<String>() {
        format!("panicked: {s}")
    } else {
        "panicked".to_string()
    }
}

/// Runs one task per partition on the pool; the first failure fails the stage (and tells the other tasks to stop).
fn run_stage<R: Send>(
    ctx: &crate::opaque::Opaque<SessionContext>,
    job: &Arc<JobState>,
    stage: StageInfo,
    partitions: &[usize],
    task: impl Fn(&TaskContext) -> Result<R> + Send + Sync,
) -> Result<Vec<R>> {
    ctx.listeners.post(Event::StageSubmitted { job_id: job.job_id, stage: stage.clone() });
    let started = Instant::now();
    let run_one = |partition: usize| -> (Result<R>, TaskMetrics) {
        let tc = TaskContext::new(ctx.clone(), Arc::clone(job), stage.stage_id, partition);
        let task_started = Instant::now();
        let outcome = {
            let _current = CurrentTask::enter(&tc);
            catch_unwind(AssertUnwindSafe(|| task(&tc)))
        };
        let result = match outcome {
            Ok(Ok(value)) => match tc.take_error() {
                Some(e) => Err(e),
                // A cancel that came while the task ran fails the job even if the task finished first.
                None if ctx.cancel_epoch() != job.epoch => Err(Error::Cancelled { job: job.job_id }),
                None => Ok(value),
            },
            Ok(Err(e)) => Err(e),
            Err(payload) => Err(Error::TaskFailed {
                stage: stage.stage_id,
                stage_name: stage.name.clone(),
                partition,
                message: panic_message(payload.as_ref()),
            }),
        };
        let accumulables = if result.is_ok() {
            tc.commit_accumulators()
        } else {
            job.abort.store(true, Ordering::Relaxed);
            Vec::new()
        };
        let mut metrics = tc.metrics();
        metrics.duration = task_started.elapsed();
        ctx.listeners.post(Event::TaskEnd {
            stage_id: stage.stage_id,
            partition,
            success: result.is_ok(),
            metrics: metrics.clone(),
            accumulables,
        });
        (result, metrics)
    };
    let outcomes: Vec<(Result<R>, TaskMetrics)> = ctx.install(|| partitions.par_iter().map(|&p| run_one(p)).collect());
    let mut total = TaskMetrics::default();
    let mut values = Vec::with_capacity(outcomes.len());
    let mut failure: Option<Error> = None;
    for (result, metrics) in outcomes {
        total.merge(&metrics);
        match result {
            Ok(v) => values.push(v),
            // Prefer the root cause over the tasks that merely stopped because of it.
            Err(e) => match (&failure, &e) {
                (None, _) | (Some(Error::Cancelled { .. }), _) => failure = Some(e),
                _ => {}
            },
        }
    }
    ctx.listeners.post(Event::StageCompleted {
        stage,
        metrics: total,
        duration: started.elapsed(),
        failure: failure.as_ref().map(|e| e.to_string()),
    });
    match failure {
        Some(e) => Err(e),
        None => Ok(values),
    }
}
