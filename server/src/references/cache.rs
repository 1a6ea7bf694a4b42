//! A bounded TTL cache of register-derived templates, per (IIN, model_id).
//!
//! Why: an applicant retries a selfie several times in a few minutes, and a kiosk session may
//! match more than once; each should not cost a round trip to ГБД ФЛ and a template
//! derivation. Why a TTL: the register's photo changes when a document is renewed, and a stale
//! reference must not linger. Only templates are cached, never photos.

use super::store::TemplateRecord;
use moka::policy::EvictionPolicy;
use moka::sync::Cache;
use std::time::Duration;

/// moka's cache (time to live, a bound on entries, least recently used out first); `None` when
/// disabled.
#[derive(Debug)]
pub struct TemplateCache {
    entries: Option<Cache<(String, String), TemplateRecord>>,
}

impl TemplateCache {
    /// A zero `ttl` or `max_entries` disables caching.
    pub fn new(ttl: Duration, max_entries: usize) -> Self {
        let entries = (!ttl.is_zero() && max_entries > 0).then(|| {
            Cache::builder()
                .max_capacity(max_entries as u64)
                .time_to_live(ttl)
                .eviction_policy(EvictionPolicy::lru())
                .support_invalidation_closures()
                .build()
        });
        TemplateCache { entries }
    }

    /// A fresh entry, if any.
    pub fn get(&self, iin: &str, model_id: &str) -> Option<TemplateRecord> {
        self.entries.as_ref()?.get(&(iin.to_string(), model_id.to_string()))
    }

    /// Stores `rec` for (`iin`, `rec.model_id`). When full, the least recently used entry goes.
    pub fn insert(&self, iin: &str, rec: TemplateRecord) {
        if let Some(entries) = &self.entries {
            entries.insert((iin.to_string(), rec.model_id.clone()), rec);
            entries.run_pending_tasks();
        }
    }

    /// Forgets every model's entry for `iin` (e.g. after the person's document changed).
    pub fn invalidate(&self, iin: &str) {
        if let Some(entries) = &self.entries {
            let iin = iin.to_string();
            // Fails only without `support_invalidation_closures`, which the builder sets.
            let _ = entries.invalidate_entries_if(move |(k, _), _| *k == iin);
            entries.run_pending_tasks();
        }
    }

    pub fn len(&self) -> usize {
        self.entries.as_ref().map_or(0, |e| {
            e.run_pending_tasks();
            e.entry_count() as usize
        })
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
