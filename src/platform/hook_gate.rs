//! `HookGate`: one Durable Object per hook with delivery controls (SPEC §11). It runs the
//! decisions of `delivery::gate` (rate limit, max in flight) and, for an ordered hook, keeps
//! its line (`delivery::line`). A single object serialises its requests, so both hold across
//! every invocation and isolate.
//!
//! The gate's state is in memory: an object is only evicted once idle, and every lease ends by
//! itself (the attempt's timeout plus a margin), so an eviction at worst forgets slots that
//! were about to free anyway. The line is durable (SQLite): it holds deliveries that nothing
//! else would send, and its alarm resends a head that went quiet.

use super::delivery_bucket::{col_int, col_text, int, opt_int, text, Row};
use super::{queue::QueueSender, QUEUE_BINDING};
use crate::core::{Error, Result};
use crate::delivery::gate::{Gate, GateRequest, Grant};
use crate::delivery::line::{self, Effects, Head, LineAnswer, LineRequest, LineStore};
use crate::delivery::ports::{DeliveryQueue, HookGates};
use crate::delivery::task::DeliveryTask;
use std::cell::{Cell, RefCell};
use worker::{
    durable_object, DurableObject, Env, ObjectNamespace, Request, Response, SqlStorageValue, State,
};

pub struct GateClient {
    namespace: ObjectNamespace,
}

impl GateClient {
    pub fn new(namespace: ObjectNamespace) -> Self {
        Self { namespace }
    }
}

impl HookGates for GateClient {
    async fn acquire(&self, hook_id: &str, request: &GateRequest, _now_ms: i64) -> Result<Grant> {
        // The object decides on its own clock: one clock for every caller.
        super::objects::call(&self.namespace, hook_id, request, &format!("gate of {hook_id}")).await
    }

    async fn release(&self, hook_id: &str, request: &GateRequest) -> Result<()> {
        self.acquire(hook_id, request, 0).await.map(drop)
    }

    async fn line(&self, hook_id: &str, request: LineRequest, _now_ms: i64) -> Result<LineAnswer> {
        super::objects::call(&self.namespace, hook_id, &request, &format!("line of {hook_id}")).await
    }
}

enum HookRequest {
    Gate(GateRequest),
    Line(LineRequest),
}

impl HookRequest {
    /// A gate request first (the hot one), else a line's. Not a serde `untagged` enum: that
    /// buffers its input, which a task's raw payload refuses.
    fn parse(text: &str) -> serde_json::Result<Self> {
        serde_json::from_str(text).map(Self::Gate).or_else(|_| serde_json::from_str(text).map(Self::Line))
    }
}

// `line`: rowid order is join order (a new row always gets the largest rowid + 1).
// `finished`: pruned by time on every report, so indexed by it.
const SCHEMA: &str = "\
CREATE TABLE IF NOT EXISTS line (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, task TEXT NOT NULL);\
CREATE TABLE IF NOT EXISTS head (k INTEGER PRIMARY KEY CHECK (k = 0), id TEXT NOT NULL, deadline INTEGER, resends INTEGER NOT NULL);\
CREATE TABLE IF NOT EXISTS finished (id TEXT PRIMARY KEY, attempt INTEGER NOT NULL, at INTEGER NOT NULL) WITHOUT ROWID;\
CREATE INDEX IF NOT EXISTS finished_by_time ON finished (at);\
CREATE TABLE IF NOT EXISTS closed (k INTEGER PRIMARY KEY CHECK (k = 0), until INTEGER NOT NULL)";

#[durable_object]
pub struct HookGate {
    state: State,
    env: Env,
    gate: RefCell<Gate>,
    line_ready: Cell<bool>,
}

impl DurableObject for HookGate {
    fn new(state: State, env: Env) -> Self {
        Self { state, env, gate: RefCell::new(Gate::default()), line_ready: Cell::new(false) }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        let now = worker::Date::now().as_millis() as i64;
        match HookRequest::parse(&req.text().await?)? {
            HookRequest::Gate(GateRequest::Acquire { ids, limits, lease_ms }) => {
                Response::from_json(&self.gate.borrow_mut().acquire(&ids, limits, lease_ms, now))
            }
            HookRequest::Gate(GateRequest::Release { ids }) => {
                self.gate.borrow_mut().release(&ids);
                Response::from_json(&Grant::default())
            }
            HookRequest::Line(request) => {
                let flush = matches!(request, LineRequest::Flush);
                let fx = self.with_line(|store| line::handle(store, request, now))?;
                match self.apply(&fx).await {
                    Ok(()) => Response::from_json(&fx.answer),
                    Err(err) if flush => {
                        // Nothing flushed may be lost: they go back in line and the caller hears.
                        self.with_line(|store| fx.send.iter().for_each(|t| store.push(t)))?;
                        Response::error(err.message, 503)
                    }
                    // The head's deadline is set: the alarm sends it again.
                    Err(err) => {
                        worker::console_error!("line: could not send the next delivery: {}", err.message);
                        Response::from_json(&fx.answer)
                    }
                }
            }
        }
    }

    async fn alarm(&self) -> worker::Result<Response> {
        let now = worker::Date::now().as_millis() as i64;
        let fx = self.with_line(|store| line::on_alarm(store, now))?;
        if let Err(err) = self.apply(&fx).await {
            worker::console_error!("line: could not resend its head: {}", err.message);
        }
        Response::ok("")
    }
}

impl HookGate {
    /// Runs `f` over the line's SQLite store; a storage error fails the request.
    fn with_line<T>(&self, f: impl FnOnce(&mut SqlLine) -> T) -> worker::Result<T> {
        let mut store = SqlLine { state: &self.state, error: RefCell::new(None) };
        if !self.line_ready.get() {
            for statement in SCHEMA.split(';') {
                store.run(statement, vec![]);
            }
            self.line_ready.set(store.error.borrow().is_none());
        }
        let out = f(&mut store);
        match store.error.into_inner() {
            None => Ok(out),
            Some(e) => Err(worker::Error::RustError(format!("line storage: {e}"))),
        }
    }

    /// Sets the alarm to the head's deadline, then sends what the line must send.
    async fn apply(&self, fx: &Effects) -> Result<()> {
        let storage = self.state.storage();
        let alarm = match fx.alarm {
            Some(at) => {
                let when = js_sys::Date::new(&worker::wasm_bindgen::JsValue::from_f64(at as f64));
                storage.set_alarm(worker::ScheduledTime::new(when)).await
            }
            None => storage.delete_alarm().await,
        };
        alarm.map_err(|e| Error::unavailable(format!("line alarm: {e}")))?;
        if fx.send.is_empty() {
            return Ok(());
        }
        let queue = self.env.queue(QUEUE_BINDING).map_err(|e| Error::unavailable(e.to_string()))?;
        let tasks: Vec<(DeliveryTask, u32)> = fx.send.iter().map(|t| (t.clone(), 0)).collect();
        QueueSender::new(queue).enqueue(&tasks).await
    }
}

/// The line in the object's SQLite. `LineStore` cannot fail, so the first error is kept and
/// fails the request (its writes are one implicit transaction with no await inside).
struct SqlLine<'a> {
    state: &'a State,
    error: RefCell<Option<String>>,
}

impl SqlLine<'_> {
    fn rows(&self, query: &str, bindings: Vec<SqlStorageValue>) -> Vec<Row> {
        if self.error.borrow().is_some() {
            return Vec::new();
        }
        let result = self
            .state
            .storage()
            .sql()
            .exec(query, bindings)
            .and_then(|cursor| cursor.raw().collect::<worker::Result<Vec<Row>>>());
        result.unwrap_or_else(|e| {
            *self.error.borrow_mut() = Some(e.to_string());
            Vec::new()
        })
    }

    fn run(&self, query: &str, bindings: Vec<SqlStorageValue>) {
        self.rows(query, bindings);
    }

    fn task_of(row: &Row, k: usize) -> Option<DeliveryTask> {
        col_text(row, k).and_then(|json| DeliveryTask::from_json(&json).ok())
    }
}

impl LineStore for SqlLine<'_> {
    fn first(&self) -> Option<String> {
        let rows = self.rows("SELECT id FROM line ORDER BY seq LIMIT 1", vec![]);
        rows.first().and_then(|r| col_text(r, 0))
    }

    fn contains(&self, id: &str) -> bool {
        !self.rows("SELECT 1 FROM line WHERE id = ?", vec![text(id)]).is_empty()
    }

    fn push(&mut self, task: &DeliveryTask) {
        self.run(
            "INSERT OR IGNORE INTO line (id, task) VALUES (?, ?)",
            vec![text(&task.delivery_id), text(&task.to_json())],
        );
    }

    fn remove(&mut self, id: &str) {
        self.run("DELETE FROM line WHERE id = ?", vec![text(id)]);
    }

    fn task(&self, id: &str) -> Option<DeliveryTask> {
        let rows = self.rows("SELECT task FROM line WHERE id = ?", vec![text(id)]);
        rows.first().and_then(|r| Self::task_of(r, 0))
    }

    fn replace(&mut self, task: &DeliveryTask) {
        self.run(
            "UPDATE line SET task = ? WHERE id = ?",
            vec![text(&task.to_json()), text(&task.delivery_id)],
        );
    }

    fn drain(&mut self) -> Vec<DeliveryTask> {
        let rows = self.rows("SELECT task FROM line ORDER BY seq LIMIT -1 OFFSET 1", vec![]);
        self.run("DELETE FROM line", vec![]);
        rows.iter().filter_map(|r| Self::task_of(r, 0)).collect()
    }

    fn head(&self) -> Option<Head> {
        let rows = self.rows("SELECT id, deadline, resends FROM head WHERE k = 0", vec![]);
        rows.first().map(|r| Head {
            delivery_id: col_text(r, 0).unwrap_or_default(),
            deadline: col_int(r, 1),
            resends: col_int(r, 2).unwrap_or(0) as u32,
        })
    }

    fn set_head(&mut self, head: Option<Head>) {
        match head {
            None => self.run("DELETE FROM head", vec![]),
            Some(h) => self.run(
                "INSERT OR REPLACE INTO head (k, id, deadline, resends) VALUES (0, ?, ?, ?)",
                vec![text(&h.delivery_id), opt_int(h.deadline), int(h.resends as i64)],
            ),
        }
    }

    fn finished(&self, id: &str) -> Option<u32> {
        let rows = self.rows("SELECT attempt FROM finished WHERE id = ?", vec![text(id)]);
        rows.first().and_then(|r| col_int(r, 0)).map(|a| a as u32)
    }

    fn finish(&mut self, id: &str, attempt: u32, now_ms: i64) {
        self.run(
            "INSERT OR REPLACE INTO finished (id, attempt, at) VALUES (?, ?, ?)",
            vec![text(id), int(attempt as i64), int(now_ms)],
        );
    }

    fn forget_finished_before(&mut self, ms: i64) {
        self.run("DELETE FROM finished WHERE at < ?", vec![int(ms)]);
    }

    fn closed_until(&self) -> Option<i64> {
        self.rows("SELECT until FROM closed WHERE k = 0", vec![]).first().and_then(|r| col_int(r, 0))
    }

    fn close_until(&mut self, ms: i64) {
        self.run("INSERT OR REPLACE INTO closed (k, until) VALUES (0, ?)", vec![int(ms)]);
    }
}
