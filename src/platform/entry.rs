//! The Worker's entry points. Each one only adapts the runtime to the modules that do the
//! work.

use super::{app, http};
use crate::api;
use crate::delivery::consumer::{Next, Processed};
use crate::delivery::runner::RunOutcome;
use crate::delivery::seen::RecentlyDone;
use crate::delivery::task::DeliveryTask;
use std::cell::RefCell;
use worker::{console_error, console_log, event, Context, Env, MessageBatch, MessageExt, RawMessage};

const DEAD_LETTER_QUEUE: &str = "hookwing-deliveries-dlq";

thread_local! {
    /// Attempts this isolate already finished (see `delivery::seen`).
    static DONE: RefCell<RecentlyDone> = RefCell::new(RecentlyDone::new(10_000));
}

#[event(start)]
fn start() {
    // A panic in wasm poisons the isolate; at least make it legible in the logs.
    console_error_panic_hook::set_once();
}

#[event(fetch)]
async fn fetch(req: worker::Request, env: Env, ctx: Context) -> worker::Result<worker::Response> {
    let app = match app(&env) {
        Ok(app) => app,
        Err(err) => return http::from_api(api::Response::error(&err)),
    };
    let resp = app.handle(http::to_api(req).await?).await;
    // First attempts go out right after the answer, in this invocation (see
    // `delivery::dispatch`); what does not finish is covered by the buckets' guard.
    if let Some(dispatch) = app.take_dispatch() {
        ctx.wait_until(async move {
            let run = app.dispatch(dispatch).await;
            finish(&run);
        });
    }
    http::from_api(resp)
}

/// Logs a run's outcomes. (Not added to `DONE`: the guard only sends a first attempt
/// whose record is missing, and then it must really be made again.)
fn finish(run: &RunOutcome) {
    for (task, out) in &run.results {
        log_outcome(&task.delivery_id, out);
    }
    if let Some(err) = &run.retries_lost {
        // Recorded as retrying: the bucket's sweep re-enqueues them once overdue.
        console_error!("could not schedule retries: {err}");
    }
}

/// One message is one delivery attempt. Each message is acked or retried on its own, so one
/// bad message never makes the whole batch redeliver.
#[event(queue)]
async fn queue(batch: MessageBatch<String>, env: Env, _ctx: Context) -> worker::Result<()> {
    if batch.queue() == DEAD_LETTER_QUEUE {
        return dead_letters(batch, &env).await;
    }
    let app = match app(&env) {
        Ok(app) => app,
        Err(err) => {
            // Configuration is broken: let the queue redeliver (and eventually dead-letter).
            console_error!("queue consumer cannot start: {err}");
            batch.retry_all();
            return Ok(());
        }
    };
    let mut work: Vec<(RawMessage, DeliveryTask)> = Vec::new();
    for message in batch.raw_iter() {
        match message.body().as_string().and_then(|t| DeliveryTask::from_json(&t).ok()) {
            Some(task)
                if DONE
                    .with(|d| d.borrow().contains(&RecentlyDone::key(&task.delivery_id, task.attempt))) =>
            {
                console_log!(
                    "delivery {} attempt {} already done here: redelivery skipped",
                    task.delivery_id,
                    task.attempt
                );
                message.ack();
            }
            Some(task) => work.push((message, task)),
            None => {
                // Unreadable: it can never succeed, so let the queue dead-letter it.
                console_error!("unreadable delivery message {}", message.id());
                message.retry();
            }
        }
    }

    let (messages, tasks): (Vec<RawMessage>, Vec<DeliveryTask>) = work.into_iter().unzip();
    let hooks = match app.hooks_for(&tasks).await {
        Ok(h) => h,
        Err(err) => {
            console_error!("cannot load hooks: {err}");
            batch.retry_all();
            return Ok(());
        }
    };
    let ids: Vec<String> = tasks.iter().map(|t| t.delivery_id.clone()).collect();
    let run = app.run_deliveries(&hooks, tasks).await;
    for (task, out) in &run.results {
        log_outcome(&task.delivery_id, out);
    }
    if let Some(err) = &run.retries_lost {
        console_error!("could not schedule retries: {err}");
    }
    // A message is acked once its next attempt (if any) is durable; otherwise the queue
    // redelivers it (at-least-once: the attempt may be repeated).
    for (message, id) in messages.iter().zip(&ids) {
        let needs_retry = run
            .results
            .iter()
            .find(|(t, _)| t.delivery_id == *id)
            .is_some_and(|(_, out)| matches!(out.next, Next::Retry { .. }));
        if needs_retry && run.retries_lost.is_some() {
            message.retry();
        } else {
            message.ack();
            // Only a real attempt (or drop) counts as done: a hop of a long wait carries the
            // same attempt number on to the next message.
            if let Some((t, _)) = run
                .results
                .iter()
                .find(|(t, out)| t.delivery_id == *id && (out.report.is_some() || out.dropped.is_some()))
            {
                DONE.with(|d| d.borrow_mut().insert(RecentlyDone::key(&t.delivery_id, t.attempt)));
            }
        }
    }
    Ok(())
}

/// Messages the consumer could not process at all: each is recorded as a failed delivery
/// (replayable), and only acked once recorded.
async fn dead_letters(batch: MessageBatch<String>, env: &Env) -> worker::Result<()> {
    let app = match app(env) {
        Ok(app) => app,
        Err(err) => {
            console_error!("dead-letter consumer cannot start: {err}");
            batch.retry_all();
            return Ok(());
        }
    };
    for message in batch.raw_iter() {
        let body = message.body().as_string().unwrap_or_default();
        match DeliveryTask::from_json(&body) {
            Ok(task) => match app.record_dead_letter(&task).await {
                Ok(()) => {
                    console_error!("delivery {} dead-lettered and recorded as failed", task.delivery_id);
                    message.ack();
                }
                Err(err) => {
                    console_error!("could not record dead letter {}: {err}", task.delivery_id);
                    message.retry();
                }
            },
            Err(_) => {
                // Not a delivery at all: nothing to record or replay; keep it in the logs.
                console_error!("unreadable dead letter {}: {body}", message.id());
                message.ack();
            }
        }
    }
    Ok(())
}

fn log_outcome(delivery_id: &str, out: &Processed) {
    if let Some(reason) = out.dropped {
        console_log!("delivery {delivery_id} dropped: {reason}");
    }
    if let Some(report) = &out.report {
        console_log!(
            "delivery {delivery_id}: {} status={:?} {}ms {}",
            out.status(),
            report.response_status,
            report.duration_ms,
            report.error.as_deref().unwrap_or("")
        );
    }
}
