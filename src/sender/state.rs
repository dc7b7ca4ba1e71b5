//! Durable sends: pending deliveries kept in SQLite (`hookrig send --state FILE`).
//!
//! A row holds everything needed to make the next attempt — profile, URL, event, data,
//! ids, the event's time, secrets (the static `X-Webhook-Secret` too), custom headers —
//! and the attempt number and wall-clock time it is due. A file written before a column
//! existed is migrated when opened: the column is added, empty for old rows (an old row
//! has no static secret; its event time is fixed at its next attempt).
//! The row is written before the sender starts waiting, so a process killed with SIGKILL
//! at any moment resumes every delivery at its scheduled time: none is lost, none is sent
//! before it is due. (An attempt cut off while in flight is sent again on resume: webhooks
//! are at-least-once.) The file holds the signing secrets, so it is created readable by
//! its owner only.

use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, params};
use serde_json::Value;

use super::{Delivery, DeliveryHooks};
use crate::events::Outcome;
use crate::profile::DeliveryIds;

/// A stored delivery.
#[derive(Debug, Clone, PartialEq)]
pub struct Stored {
    /// Row id.
    pub id: i64,
    /// Built-in profile name.
    pub profile: String,
    /// Target URL.
    pub url: String,
    /// Event type.
    pub event_type: String,
    /// Event data.
    pub data: Value,
    /// The message id (the profile's id named `id`), kept across attempts.
    pub message_id: String,
    /// Every id of the delivery, in the profile's `ids:` order; empty in rows from before
    /// the column existed.
    pub ids: Vec<String>,
    /// Signing secrets.
    pub secrets: Vec<String>,
    /// PerfectParser's static `X-Webhook-Secret`.
    pub static_secret: Option<String>,
    /// When the event happened (ms since the Unix epoch); `None` in rows from before the
    /// column existed.
    pub event_ms: Option<i64>,
    /// Custom headers.
    pub headers: Vec<(String, String)>,
    /// The next attempt's number (1-based).
    pub next_attempt: u32,
    /// When it is due, in ms since the Unix epoch.
    pub due_ms: i64,
    /// `pending`, or the outcome once finished.
    pub status: String,
}

impl Stored {
    /// The delivery to hand the sender.
    pub fn delivery(&self) -> Delivery {
        Delivery {
            index: self.id as usize,
            event_type: self.event_type.clone(),
            data: self.data.clone(),
            ids: DeliveryIds {
                message_id: self.message_id.clone(),
                values: self.ids.clone(),
                event_time: self
                    .event_ms
                    .map(|ms| Duration::from_millis(ms.max(0) as u64)),
                attempt_seed: crate::rng::RunRng::derive(self.id as u64, "attempt ids").u64(),
            },
            jitter_seed: crate::rng::RunRng::derive(self.id as u64, &self.message_id).u64(),
        }
    }
}

/// The store.
#[derive(Debug)]
pub struct StateStore {
    conn: Mutex<Connection>,
}

fn sql_err(e: rusqlite::Error) -> std::io::Error {
    std::io::Error::other(e.to_string())
}

impl StateStore {
    /// Opens (creating) the state file.
    pub fn open(path: &Path) -> std::io::Result<Self> {
        let existed = path.exists();
        let conn = Connection::open(path).map_err(sql_err)?;
        #[cfg(unix)]
        if !existed {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
        }
        let _ = existed;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = FULL;
             CREATE TABLE IF NOT EXISTS deliveries (
                 id INTEGER PRIMARY KEY AUTOINCREMENT,
                 profile TEXT NOT NULL,
                 url TEXT NOT NULL,
                 event_type TEXT NOT NULL,
                 data TEXT NOT NULL,
                 message_id TEXT NOT NULL,
                 secrets TEXT NOT NULL,
                 headers TEXT NOT NULL,
                 next_attempt INTEGER NOT NULL,
                 due_ms INTEGER NOT NULL,
                 status TEXT NOT NULL
             );",
        )
        .map_err(sql_err)?;
        migrate(&conn).map_err(sql_err)?;
        Ok(Self {
            conn: Mutex::new(conn),
        })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds a new delivery, due now; returns it with its id.
    pub fn insert(&self, mut s: Stored) -> std::io::Result<Stored> {
        let c = self.conn();
        c.execute(
            "INSERT INTO deliveries (profile, url, event_type, data, message_id, secrets, headers, next_attempt, due_ms, status, static_secret, event_ms, ids)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'pending', ?10, ?11, ?12)",
            params![
                s.profile,
                s.url,
                s.event_type,
                s.data.to_string(),
                s.message_id,
                serde_json::to_string(&s.secrets).unwrap_or_default(),
                serde_json::to_string(&s.headers).unwrap_or_default(),
                s.next_attempt,
                s.due_ms,
                s.static_secret,
                s.event_ms,
                serde_json::to_string(&s.ids).unwrap_or_default(),
            ],
        )
        .map_err(sql_err)?;
        s.id = c.last_insert_rowid();
        s.status = "pending".into();
        Ok(s)
    }

    /// Every delivery still pending, oldest first.
    pub fn pending(&self) -> std::io::Result<Vec<Stored>> {
        let c = self.conn();
        let mut stmt = c
            .prepare(
                "SELECT id, profile, url, event_type, data, message_id, secrets, headers, next_attempt, due_ms, status, static_secret, event_ms, ids
                 FROM deliveries WHERE status = 'pending' ORDER BY id",
            )
            .map_err(sql_err)?;
        let rows = stmt
            .query_map([], |r| {
                Ok(Stored {
                    id: r.get(0)?,
                    profile: r.get(1)?,
                    url: r.get(2)?,
                    event_type: r.get(3)?,
                    data: serde_json::from_str(&r.get::<_, String>(4)?).unwrap_or(Value::Null),
                    message_id: r.get(5)?,
                    secrets: serde_json::from_str(&r.get::<_, String>(6)?).unwrap_or_default(),
                    headers: serde_json::from_str(&r.get::<_, String>(7)?).unwrap_or_default(),
                    next_attempt: r.get(8)?,
                    due_ms: r.get(9)?,
                    status: r.get(10)?,
                    static_secret: r.get(11)?,
                    event_ms: r.get(12)?,
                    ids: r
                        .get::<_, Option<String>>(13)?
                        .and_then(|t| serde_json::from_str(&t).ok())
                        .unwrap_or_default(),
                })
            })
            .map_err(sql_err)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(sql_err)
    }

    /// The status of delivery `id`, if it exists.
    pub fn status(&self, id: i64) -> std::io::Result<Option<String>> {
        self.conn()
            .query_row("SELECT status FROM deliveries WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .optional()
            .map_err(sql_err)
    }
}

/// Columns added after the first release of the file format, with their SQL types: a file
/// without one gets it (NULL in its old rows).
const ADDED_COLUMNS: &[(&str, &str)] = &[
    ("static_secret", "TEXT"),
    ("event_ms", "INTEGER"),
    ("ids", "TEXT"),
];

/// Brings a state file written by an older hookrig up to the current columns.
fn migrate(conn: &Connection) -> rusqlite::Result<()> {
    let mut have = Vec::new();
    {
        let mut stmt = conn.prepare("PRAGMA table_info(deliveries)")?;
        let names = stmt.query_map([], |r| r.get::<_, String>(1))?;
        for n in names {
            have.push(n?);
        }
    }
    for (name, ty) in ADDED_COLUMNS {
        if !have.iter().any(|h| h == name) {
            conn.execute_batch(&format!("ALTER TABLE deliveries ADD COLUMN {name} {ty};"))?;
        }
    }
    Ok(())
}

/// Hooks that keep a delivery's row up to date; `now_ms` reads the wall clock.
#[derive(Debug, Clone)]
pub struct Persist {
    /// The store.
    pub store: std::sync::Arc<StateStore>,
    /// Wall-clock milliseconds since the Unix epoch.
    pub now_ms: fn() -> i64,
}

impl DeliveryHooks for Persist {
    fn retry_scheduled(&self, d: &Delivery, next: u32, wait: Duration) {
        let due = (self.now_ms)() + wait.as_millis() as i64;
        // A failed write must not stop the delivery; it is reported by the next read.
        let _ = self.store.conn().execute(
            "UPDATE deliveries SET next_attempt = ?1, due_ms = ?2 WHERE id = ?3",
            params![next, due, d.index as i64],
        );
    }

    fn finished(&self, d: &Delivery, outcome: Outcome) {
        let _ = self.store.conn().execute(
            "UPDATE deliveries SET status = ?1 WHERE id = ?2",
            params![outcome.as_str(), d.index as i64],
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_scheduled_retry_survives_reopening_the_store() {
        let dir = std::env::temp_dir().join(format!("hookrig-state-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let path = dir.join("state.db");
        let _ = std::fs::remove_file(&path);
        let store = std::sync::Arc::new(StateStore::open(&path).unwrap());
        let s = store
            .insert(Stored {
                id: 0,
                profile: "llamacloud".into(),
                url: "http://127.0.0.1:1/x".into(),
                event_type: "parse.success".into(),
                data: json!({"id": "j"}),
                message_id: "m".into(),
                ids: vec!["m".into()],
                secrets: vec!["s".into()],
                static_secret: Some("static-1".into()),
                event_ms: Some(900),
                headers: vec![("X-A".into(), "b".into())],
                next_attempt: 1,
                due_ms: 1000,
                status: String::new(),
            })
            .unwrap();
        let persist = Persist {
            store: std::sync::Arc::clone(&store),
            now_ms: || 5_000,
        };
        persist.retry_scheduled(&s.delivery(), 2, Duration::from_secs(2));
        drop(persist);
        drop(store);

        let again = StateStore::open(&path).unwrap().pending().unwrap();

        assert_eq!(again.len(), 1);
        assert_eq!((again[0].next_attempt, again[0].due_ms), (2, 7_000));
        assert_eq!(again[0].headers, s.headers);
        assert_eq!(again[0].static_secret.as_deref(), Some("static-1"));
        assert_eq!(again[0].event_ms, Some(900));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_state_file_from_before_the_static_secret_column_is_migrated_and_resumes() {
        // Arrange: a file in the old format, one pending row.
        let dir = std::env::temp_dir().join(format!("hookrig-state-old-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let path = dir.join("old.db");
        let _ = std::fs::remove_file(&path);
        {
            let c = Connection::open(&path).unwrap();
            c.execute_batch(
                "CREATE TABLE deliveries (
                     id INTEGER PRIMARY KEY AUTOINCREMENT, profile TEXT NOT NULL, url TEXT NOT NULL,
                     event_type TEXT NOT NULL, data TEXT NOT NULL, message_id TEXT NOT NULL,
                     secrets TEXT NOT NULL, headers TEXT NOT NULL, next_attempt INTEGER NOT NULL,
                     due_ms INTEGER NOT NULL, status TEXT NOT NULL);
                 INSERT INTO deliveries (profile, url, event_type, data, message_id, secrets, headers, next_attempt, due_ms, status)
                 VALUES ('perfectparser', 'http://127.0.0.1:1/x', 'batch.completed', '{}', '', '[\"k\"]', '[]', 2, 5, 'pending');",
            )
            .unwrap();
        }

        // Act: open it with this version, and store a new delivery beside the old one.
        let store = StateStore::open(&path).unwrap();
        let old = store.pending().unwrap();
        store
            .insert(Stored {
                static_secret: Some("static-2".into()),
                event_ms: Some(1),
                ..old[0].clone()
            })
            .unwrap();
        let all = store.pending().unwrap();

        // Assert: the old row reads with no static secret; the new one keeps its own.
        assert_eq!(old.len(), 1);
        assert_eq!(
            (old[0].static_secret.clone(), old[0].event_ms),
            (None, None)
        );
        assert_eq!(old[0].secrets, ["k"]);
        assert_eq!(all[1].static_secret.as_deref(), Some("static-2"));
        drop(store);
        let again = StateStore::open(&path).unwrap().pending().unwrap();
        assert_eq!(again.len(), 2, "opening twice migrates once");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
