//! The Worker's entry points. Each one only adapts the runtime to the modules that do the
//! work.

use super::{app, http};
use crate::api;
use crate::core::ids::unit_random;
use crate::delivery::consumer::{self, Next, Processed};
use crate::delivery::ports::{DeliveryQueue, HookStore};
use crate::delivery::task::DeliveryTask;
use futures_util::stream::{self, StreamExt};
use worker::{console_error, console_log, event, Context, Env, MessageBatch, MessageExt, RawMessage};

const DEAD_LETTER_QUEUE: &str = "hookwing-deliveries-dlq";
/// Attempts in flight per consumer invocation: Workers allow 6 open connections, and the
/// retry `sendBatch` needs one.
const CONSUMER_CONCURRENCY: usize = 5;

#[event(start)]
fn start() {
    // A panic in wasm poisons the isolate; at least make it legible in the logs.
    console_error_panic_hook::set_once();
}

#[event(fetch)]
async fn fetch(req: worker::Request, env: Env, _ctx: Context) -> worker::Result<worker::Response> {
    let resp = match app(&env) {
        Ok(app) => app.handle(http::to_api(req).await?).await,
        Err(err) => api::Response::error(&err),
    };
    http::from_api(resp)
}

/// One message is one delivery attempt. Each message is acked or retried on its own, so one
/// bad message never makes the whole batch redeliver.
#[event(queue)]
async fn queue(batch: MessageBatch<String>, env: Env, _ctx: Context) -> worker::Result<()> {
    if batch.queue() == DEAD_LETTER_QUEUE {
        // Messages the consumer could not process at all. Until the D1 delivery log records
        // them as failed deliveries, they are at least never silently dropped from the logs.
        for message in batch.raw_iter() {
            console_error!(
                "dead letter {}: {}",
                message.id(),
                message.body().as_string().unwrap_or_default()
            );
            message.ack();
        }
        return Ok(());
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
    let hooks = match app.hooks.load().await {
        Ok(h) => h,
        Err(err) => {
            console_error!("cannot load hooks: {err}");
            batch.retry_all();
            return Ok(());
        }
    };

    let mut work: Vec<(RawMessage, DeliveryTask)> = Vec::new();
    for message in batch.raw_iter() {
        match message.body().as_string().and_then(|t| DeliveryTask::from_json(&t).ok()) {
            Some(task) => work.push((message, task)),
            None => {
                // Unreadable: it can never succeed, so let the queue dead-letter it.
                console_error!("unreadable delivery message {}", message.id());
                message.retry();
            }
        }
    }

    let results: Vec<Settled> = stream::iter(work)
        .map(|(message, task)| {
            let hook = hooks.iter().find(|h| h.id == task.hook_id);
            let app = &app;
            let (delivery_id, hook_id) = (task.delivery_id.clone(), task.hook_id.clone());
            async move {
                let out =
                    consumer::process(task, hook, &app.config, &app.http, &app.clock, unit_random()).await;
                Settled { message, delivery_id, hook_id, out }
            }
        })
        .buffer_unordered(CONSUMER_CONCURRENCY)
        .collect()
        .await;

    let mut retries = Vec::new();
    let mut to_disable = Vec::new();
    for r in &results {
        log_outcome(&r.delivery_id, &r.out);
        if let Next::Retry { task, delay_seconds } = &r.out.next {
            retries.push((task.clone(), *delay_seconds));
        }
        if let Some(reason) = &r.out.disable_hook {
            to_disable.push((r.hook_id.clone(), reason.clone()));
        }
    }
    // One sendBatch for every retry of this batch; a message is acked only once its next
    // attempt is durable.
    let scheduled = retries.is_empty()
        || app
            .queue
            .enqueue(&retries)
            .await
            .map_err(|e| console_error!("could not schedule retries: {e}"))
            .is_ok();
    for r in &results {
        if matches!(r.out.next, Next::Retry { .. }) && !scheduled {
            r.message.retry();
        } else {
            r.message.ack();
        }
    }
    if let Err(err) = consumer::disable_hooks(&app.hooks, &to_disable).await {
        console_error!("could not disable hooks: {err}");
    }
    Ok(())
}

struct Settled {
    message: RawMessage,
    delivery_id: String,
    hook_id: String,
    out: Processed,
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
