// Direct access to the Worker's delivery bucket objects (SPEC §10), for tests that need
// delivery state the API cannot make (old attempts, expired days) and for the capacity
// counters. Speaks the same JSON as `delivery/buckets.rs`.
export const DAY_MS = 86_400_000;
export const dayOf = (ms) => Math.floor(ms / DAY_MS);

export async function bucket(w, hookId, day, request) {
  const ns = await w.mf.getDurableObjectNamespace("DELIVERY_BUCKETS");
  const stub = ns.get(ns.idFromName(`${hookId}/${day}`));
  const res = await stub.fetch("https://bucket/", { method: "POST", body: JSON.stringify(request) });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`bucket ${hookId}/${day}: ${res.status} ${text}`);
  return JSON.parse(text);
}

/** Writes delivery rows and attempt rows into the bucket of `day`, as the consumer would. */
export const record = (w, hookId, day, { deliveries = [], attempts = [] }) =>
  bucket(w, hookId, day, { op: "record", hookId, day, deliveries, attempts });

export const usage = (w, hookId, day) => bucket(w, hookId, day, { op: "usage" });

export const attemptRow = (deliveryId, startedAt, success, number = 1) => ({
  deliveryId,
  event: "PostSignIn",
  number,
  startedAt,
  durationMs: 5,
  success,
  responseStatus: success ? 200 : 500,
  responseBody: null,
  error: success ? null : "HTTP 500",
});

export const deliveryRow = (id, at, status = "succeeded", extra = {}) => ({
  id,
  eventId: "evt_test",
  event: "PostSignIn",
  payload: '{"event":"PostSignIn"}',
  status,
  attempts: 1,
  nextAttemptAt: null,
  lastError: null,
  createdAt: at,
  updatedAt: at,
  ...extra,
});
