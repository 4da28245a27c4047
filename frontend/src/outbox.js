// The grid worker's outbox: every submission is stored on the phone first and
// sent when a connection is there, each with its own idempotency key, so a
// report made offline is neither lost nor, when sent twice, doubled.

import { openDB } from "idb";
import { call } from "./lib/http.js";

const DATABASE = "civicgrid-field";
const STORE = "outbox";

function database() {
  return openDB(DATABASE, 1, {
    upgrade(db) {
      db.createObjectStore(STORE, { keyPath: "key" });
    },
  });
}

export async function enqueue(item) {
  const entry = { key: crypto.randomUUID(), createdAt: new Date().toISOString(), ...item };
  await (await database()).put(STORE, entry);
  return entry;
}

export async function pending() {
  return (await database()).getAll(STORE);
}

async function save(entry) {
  await (await database()).put(STORE, entry);
}

async function remove(key) {
  await (await database()).delete(STORE, key);
}

/** A refusal the server will give again (bad data): keep it visible, stop retrying it. */
class Refused extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function post(url, body, key) {
  let response;
  try {
    response = await call("POST", url, body, key ? { "Idempotency-Key": key } : {});
  } catch {
    return null; // no connection: try again later
  }
  const data = await response.json().catch(() => null);
  if (response.ok) return data;
  // Signed out, or a page older than its session (its CSRF token is stale): the entry
  // waits for the next sign-in or page load instead of being marked refused.
  const stale = data?.error?.code === "csrf_refused";
  if (response.status >= 500 || response.status === 401 || stale) return null;
  throw new Refused(response.status, data?.error?.message ?? response.statusText);
}

/** A report, then (if the worker fixed it on the spot) its self-resolution; each step once. */
async function sendReport(entry) {
  if (!entry.caseNumber) {
    const created = await post("/api/v1/cases", entry.body, entry.key);
    if (!created) return false;
    entry.caseNumber = created.number;
    await save(entry);
  }
  if (entry.resolveNote && !entry.resolved) {
    const path = `/api/v1/cases/${encodeURIComponent(entry.caseNumber)}`;
    try {
      if (!(await post(`${path}/transitions`, { to: "self_resolved", note: entry.resolveNote }))) {
        return false;
      }
    } catch (error) {
      // A 409 after a lost reply means the first attempt already moved it.
      if (!(error instanceof Refused && error.status === 409)) throw error;
    }
    entry.resolved = true;
    await save(entry);
  }
  return true;
}

const SENDERS = {
  report: sendReport,
  // An SOS is stored once per key however often it is sent (POST /api/v1/sos).
  sos: async (entry) => Boolean(await post("/api/v1/sos", entry.body, entry.key)),
  record: async (entry) => Boolean(await post("/api/v1/fieldwork/records", entry.body, entry.key)),
};

let flushing = null;

/** Send what waits, SOS first, then oldest first; one flush at a time, however many triggers fire.
 * `onChange(entry)` hears of each entry sent (it is gone from the outbox) or refused (`error`). */
export function flush(onChange = () => {}) {
  flushing ??= (async () => {
    try {
      // SOS first, whatever waited before it; otherwise oldest first.
      const urgent = (entry) => (entry.kind === "sos" ? 0 : 1);
      const entries = (await pending()).sort(
        (a, b) => urgent(a) - urgent(b) || a.createdAt.localeCompare(b.createdAt),
      );
      for (const entry of entries) {
        if (entry.error) continue;
        try {
          if (!(await SENDERS[entry.kind](entry))) break;
          await remove(entry.key);
        } catch (error) {
          entry.error = error.message;
          await save(entry);
        }
        onChange(entry);
      }
    } finally {
      flushing = null;
    }
  })();
  return flushing;
}

export async function discard(key) {
  await remove(key);
}
