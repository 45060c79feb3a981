//! The `DELIVERIES` queue producer. Tasks go out with `sendBatch`, split to respect its
//! limits (100 messages, 256 KB per call).

use crate::core::{Error, Result};
use crate::delivery::ports::DeliveryQueue;
use crate::delivery::task::DeliveryTask;
use std::time::Duration;
use worker::{Delay, MessageBuilder, Queue, QueueContentType, SendMessage};

const MAX_BATCH_MESSAGES: usize = 100;
/// Below the 256 KB limit, leaving room for per-message overhead.
const MAX_BATCH_BYTES: usize = 250_000;

pub struct QueueSender {
    queue: Queue,
}

impl QueueSender {
    pub fn new(queue: Queue) -> Self {
        Self { queue }
    }
}

impl DeliveryQueue for QueueSender {
    async fn enqueue(&self, tasks: &[(DeliveryTask, u32)]) -> Result<()> {
        let mut batch: Vec<(String, u32)> = Vec::new();
        let mut bytes = 0;
        for (task, delay_seconds) in tasks {
            let body = task.to_json();
            if !batch.is_empty()
                && (batch.len() == MAX_BATCH_MESSAGES || bytes + body.len() > MAX_BATCH_BYTES)
            {
                self.flush(&std::mem::take(&mut batch)).await?;
                bytes = 0;
            }
            bytes += body.len();
            batch.push((body, *delay_seconds));
        }
        if !batch.is_empty() {
            self.flush(&batch).await?;
        }
        Ok(())
    }
}

fn messages(batch: &[(String, u32)]) -> Vec<SendMessage<String>> {
    batch
        .iter()
        .map(|(body, delay)| {
            let message = MessageBuilder::new(body.clone()).content_type(QueueContentType::Text);
            if *delay > 0 { message.delay_seconds(*delay) } else { message }.build()
        })
        .collect()
}

impl QueueSender {
    /// One `sendBatch`, tried twice: an overloaded queue can fail a call that passes a moment
    /// later. A failed call may still have enqueued some messages, so the second try can
    /// duplicate them (deliveries are at-least-once; receivers dedupe on `webhook-id`).
    async fn flush(&self, batch: &[(String, u32)]) -> Result<()> {
        let Err(first) = self.queue.send_batch(messages(batch)).await else {
            return Ok(());
        };
        Delay::from(Duration::from_millis(50)).await;
        self.queue
            .send_batch(messages(batch))
            .await
            .map_err(|e| Error::unavailable(format!("enqueueing deliveries: {e} (first try: {first})")))
    }
}
