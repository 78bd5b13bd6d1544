//! TAXII status resources (§4.3): one per POST, kept in memory for the last
//! [`MAX_STATUSES`] requests (publishing is synchronous, so every status is `complete`
//! when it is created).

use std::collections::VecDeque;
use std::sync::Mutex;

use serde_json::Value;

/// Status resources kept.
pub const MAX_STATUSES: usize = 10_000;

/// The kept status resources.
#[derive(Debug, Default)]
pub struct Statuses {
    inner: Mutex<VecDeque<(String, Value)>>,
}

impl Statuses {
    /// Keep a status resource.
    pub fn put(&self, id: String, status: Value) {
        if let Ok(mut q) = self.inner.lock() {
            if q.len() >= MAX_STATUSES {
                q.pop_front();
            }
            q.push_back((id, status));
        }
    }

    /// A kept status resource.
    pub fn get(&self, id: &str) -> Option<Value> {
        self.inner
            .lock()
            .ok()?
            .iter()
            .rev()
            .find(|(k, _)| k == id)
            .map(|(_, v)| v.clone())
    }
}
