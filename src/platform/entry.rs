//! The Worker's entry points. Each one only adapts the runtime to the modules that do the
//! work.

use super::{app, clock, http};
use crate::api;
use crate::delivery::consumer::{self, Next};
use crate::delivery::ports::{DeliveryQueue, HookStore};
use crate::delivery::task::DeliveryTask;
use worker::{console_error, console_log, event, Context, Env, MessageBatch, MessageExt};

const DEAD_LETTER_QUEUE: &str = "hookwing-deliveries-dlq";

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
    let mut to_disable: Vec<(String, String)> = Vec::new();
    for message in batch.raw_iter() {
        let Some(task) = message
            .body()
            .as_string()
            .and_then(|t| DeliveryTask::from_json(&t).ok())
        else {
            // Unreadable: it could never succeed, so let it dead-letter after the queue's retries.
            console_error!("unreadable delivery message {}", message.id());
            message.retry();
            continue;
        };
        let hook = hooks.iter().find(|h| h.id == task.hook_id);
        let delivery_id = task.delivery_id.clone();
        let out = consumer::process(
            task,
            hook,
            &app.config,
            &app.http,
            &app.clock,
            clock::unit_random(),
        )
        .await;
        if let (Some(reason), Some(hook)) = (out.disable_hook, hook) {
            to_disable.push((hook.id.clone(), reason));
        }
        if let Some(reason) = out.dropped {
            console_log!("delivery {delivery_id} dropped: {reason}");
        }
        if let Some(report) = &out.report {
            console_log!(
                "delivery {delivery_id}: {:?} status={:?} {}ms {}",
                report.verdict,
                report.response_status,
                report.duration_ms,
                report.error.as_deref().unwrap_or("")
            );
        }
        let settled = match out.next {
            Next::Done => Ok(()),
            Next::Retry {
                task,
                delay_seconds,
            } => app.queue.enqueue(&[task], delay_seconds).await,
        };
        match settled {
            Ok(()) => message.ack(),
            Err(err) => {
                console_error!("delivery {delivery_id}: could not schedule the retry: {err}");
                message.retry();
            }
        }
    }
    if !to_disable.is_empty() {
        disable_hooks(&app.hooks, &to_disable).await;
    }
    Ok(())
}

/// Disables hooks whose endpoint asked for it (410), re-reading the snapshot so concurrent
/// management edits are kept.
async fn disable_hooks(store: &impl HookStore, which: &[(String, String)]) {
    let result = async {
        let mut hooks = store.load().await?;
        for hook in hooks.iter_mut() {
            if let Some((_, reason)) = which.iter().find(|(id, _)| *id == hook.id) {
                hook.enabled = false;
                hook.disabled_reason = Some(reason.clone());
            }
        }
        store.save(&hooks).await
    };
    if let Err(err) = result.await {
        console_error!("could not disable hooks: {err}");
    }
}
