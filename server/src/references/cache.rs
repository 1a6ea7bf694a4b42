//! A bounded TTL cache of register-derived templates, per (IIN, model_id).
//!
//! Why: an applicant retries a selfie several times in a few minutes, and a kiosk session may
//! match more than once; each should not cost a round trip to ГБД ФЛ and a template
//! derivation. Why a TTL: the register's photo changes when a document is renewed, and a stale
//! reference must not linger. Only templates are cached, never photos.

use super::store::TemplateRecord;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

type Entries = HashMap<(String, String), (Instant, TemplateRecord)>;

#[derive(Debug)]
pub struct TemplateCache {
    ttl: Duration,
    max_entries: usize,
    entries: Mutex<Entries>,
}

impl TemplateCache {
    /// A zero `ttl` or `max_entries` disables caching.
    pub fn new(ttl: Duration, max_entries: usize) -> Self {
        TemplateCache { ttl, max_entries, entries: Mutex::new(HashMap::new()) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn enabled(&self) -> bool {
        !self.ttl.is_zero() && self.max_entries > 0
    }

    /// A fresh entry, if any; an expired one is dropped on the way.
    pub fn get(&self, iin: &str, model_id: &str) -> Option<TemplateRecord> {
        if !self.enabled() {
            return None;
        }
        let key = (iin.to_string(), model_id.to_string());
        let mut map = self.lock();
        match map.get(&key) {
            Some((at, rec)) if at.elapsed() < self.ttl => Some(rec.clone()),
            Some(_) => {
                map.remove(&key);
                None
            }
            None => None,
        }
    }

    /// Stores `rec` for (`iin`, `rec.model_id`). When full, expired entries go first, then the
    /// oldest one.
    pub fn insert(&self, iin: &str, rec: TemplateRecord) {
        if !self.enabled() {
            return;
        }
        let mut map = self.lock();
        let key = (iin.to_string(), rec.model_id.clone());
        if map.len() >= self.max_entries && !map.contains_key(&key) {
            let ttl = self.ttl;
            map.retain(|_, (at, _)| at.elapsed() < ttl);
            if map.len() >= self.max_entries
                && let Some(oldest) = map.iter().min_by_key(|(_, (at, _))| *at).map(|(k, _)| k.clone())
            {
                map.remove(&oldest);
            }
        }
        map.insert(key, (Instant::now(), rec));
    }

    /// Forgets every model's entry for `iin` (e.g. after the person's document changed).
    pub fn invalidate(&self, iin: &str) {
        self.lock().retain(|(k, _), _| k != iin);
    }

    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(model: &str) -> TemplateRecord {
        TemplateRecord {
            model_id: model.into(),
            template: vec![1, 2, 3],
            enrolled_at: 0,
            source: "gbd".into(),
            quality: 1.0,
            note: None,
        }
    }

    #[test]
    fn entries_expire_after_the_ttl() {
        let c = TemplateCache::new(Duration::from_millis(50), 10);
        c.insert("a", rec("m1"));
        assert_eq!(c.get("a", "m1"), Some(rec("m1")));
        assert_eq!(c.get("a", "m2"), None);
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(c.get("a", "m1"), None);
        assert!(c.is_empty());
    }

    #[test]
    fn bounded_and_invalidatable() {
        let c = TemplateCache::new(Duration::from_secs(60), 2);
        c.insert("a", rec("m1"));
        std::thread::sleep(Duration::from_millis(2));
        c.insert("b", rec("m1"));
        std::thread::sleep(Duration::from_millis(2));
        c.insert("c", rec("m1"));
        assert_eq!(c.len(), 2);
        assert_eq!(c.get("a", "m1"), None, "oldest evicted");
        std::thread::sleep(Duration::from_millis(2));
        c.insert("c", rec("m2"));
        assert_eq!(c.get("b", "m1"), None, "oldest evicted");
        assert_eq!(c.len(), 2);
        c.invalidate("c");
        assert!(c.is_empty());
    }

    #[test]
    fn zero_ttl_disables() {
        let c = TemplateCache::new(Duration::ZERO, 10);
        c.insert("a", rec("m1"));
        assert_eq!(c.get("a", "m1"), None);
    }
}
