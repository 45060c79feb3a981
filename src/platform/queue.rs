//! The `DELIVERIES` queue producer. Tasks go out with `sendBatch`, split to respect its
//! limits (100 messages, 256 KB per call).

use crate::core::{Error, Result};
use crate::delivery::ports::DeliveryQueue;
use crate::delivery::task::DeliveryTask;
use worker::{MessageBuilder, Queue, QueueContentType, SendMessage};

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
        let mut batch: Vec<SendMessage<String>> = Vec::new();
        let mut bytes = 0;
        for (task, delay_seconds) in tasks {
            let body = task.to_json();
            if !batch.is_empty()
                && (batch.len() == MAX_BATCH_MESSAGES || bytes + body.len() > MAX_BATCH_BYTES)
            {
                self.flush(std::mem::take(&mut batch)).await?;
                bytes = 0;
            }
            bytes += body.len();
            let mut message = MessageBuilder::new(body).content_type(QueueContentType::Text);
            if *delay_seconds > 0 {
                message = message.delay_seconds(*delay_seconds);
            }
            batch.push(message.build());
        }
        if !batch.is_empty() {
            self.flush(batch).await?;
        }
        Ok(())
    }
}

impl QueueSender {
    async fn flush(&self, batch: Vec<SendMessage<String>>) -> Result<()> {
        self.queue
            .send_batch(batch)
            .await
            .map_err(|e| Error::unavailable(format!("enqueueing deliveries: {e}")))
    }
}
