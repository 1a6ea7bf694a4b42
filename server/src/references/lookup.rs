//! The reference template of a person, one lookup for `sapa verify --iin` and `POST /v1/verify`:
//! the store of enrolled references first; else the ГБД ФЛ register. A template derived from the
//! register is kept only in the adapter's cache, for its TTL (`cache_ttl_s`), never in the
//! permanent store: so a renewed document photo is fetched again once the TTL passes, and the
//! store never silently collects templates of everyone verified by IIN without enrolment.

use super::error::ReferenceError;
use super::gbd::GbdClient;
use super::iin::Iin;
use super::store::{ReferenceStore, StoreError, TemplateRecord};
use std::borrow::Borrow;

/// Where a reference template came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// The store: enrolled, or fetched from the register by an earlier lookup.
    Store,
    /// The ГБД ФЛ register, by this lookup.
    Register,
}

impl Origin {
    /// As the API names it: `store` or `gbd`.
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Store => "store",
            Origin::Register => "gbd",
        }
    }
}

/// Why a lookup found no template.
#[derive(Debug, thiserror::Error)]
pub enum LookupError {
    /// The store could not be read or written.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Nothing stored for this person, and no register to ask.
    #[error("no reference enrolled for this IIN")]
    NotEnrolled,
    /// The register was asked (or could not be set up) and gave no template.
    #[error(transparent)]
    Register(#[from] ReferenceError),
    /// Only a template of another model, or of an older version of this one, is stored, and
    /// there is no register to derive a current one from.
    #[error(
        "the stored reference was made with {found}; this service matches with {wanted}: re-enrol the reference, or configure ГБД ФЛ to re-derive it"
    )]
    Outdated { found: String, wanted: String },
}

/// The reference template of `iin` for `model_id`. `register` is called only when the store has
/// none: it gives the ГБД ФЛ client, or `None` when none is configured. Blocking I/O.
pub fn find_reference<G: Borrow<GbdClient>>(
    store: &ReferenceStore,
    iin: &Iin,
    model_id: &str,
    register: impl FnOnce() -> Result<Option<G>, ReferenceError>,
) -> Result<(TemplateRecord, Origin), LookupError> {
    find_current_reference(store, iin, model_id, |_| true, register)
}

/// [`find_reference`] for a service that may have changed its model or pre-processing since the
/// template was stored. This is how Sapa migrates: lazily, person by person.
/// - A stored template `is_current` does not accept (an older template version), or a person with
///   templates of other models only, is answered from ГБД ФЛ (derived now, cached for its TTL);
///   the stored templates stay, so a service still on the old model keeps working during a rollout.
/// - Without a register, either case is [`LookupError::Outdated`], never a silent miss: the
///   reference exists but must be re-enrolled.
pub fn find_current_reference<G: Borrow<GbdClient>>(
    store: &ReferenceStore,
    iin: &Iin,
    model_id: &str,
    is_current: impl Fn(&TemplateRecord) -> bool,
    register: impl FnOnce() -> Result<Option<G>, ReferenceError>,
) -> Result<(TemplateRecord, Origin), LookupError> {
    let stored = store.get(iin, model_id)?;
    if let Some(record) = &stored
        && is_current(record)
    {
        return Ok((record.clone(), Origin::Store));
    }
    let Some(register) = register()? else {
        let outdated = |found: String| LookupError::Outdated { found, wanted: model_id.to_string() };
        if stored.is_some() {
            return Err(outdated(format!("an older version of {model_id}")));
        }
        return match store.metadata(iin)?.into_iter().next() {
            Some(other) => Err(outdated(other.model_id)),
            None => Err(LookupError::NotEnrolled),
        };
    };
    let record = register.borrow().reference(iin)?;
    Ok((record, Origin::Register))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> TemplateRecord {
        TemplateRecord {
            model_id: "m1".into(),
            template: vec![1, 2, 3],
            enrolled_at: 1_750_000_000,
            source: "enrol".into(),
            quality: 0.9,
            note: None,
        }
    }

    #[test]
    fn the_store_answers_first_and_a_miss_without_register_is_not_enrolled() {
        let store = ReferenceStore::open_in_memory().unwrap();
        let iin = Iin::parse("900101300017").unwrap();
        let none = || -> Result<Option<GbdClient>, ReferenceError> { Ok(None) };
        assert!(matches!(find_reference(&store, &iin, "m1", none), Err(LookupError::NotEnrolled)));
        store.put(&iin, &record()).unwrap();
        let never = || -> Result<Option<GbdClient>, ReferenceError> { panic!("the register was asked") };
        let (found, origin) = find_reference(&store, &iin, "m1", never).unwrap();
        assert_eq!((found, origin), (record(), Origin::Store));
        // Another model's template is not this one's: the person has a reference, but an outdated one.
        assert!(matches!(find_reference(&store, &iin, "m2", none), Err(LookupError::Outdated { .. })));
        let broken =
            || -> Result<Option<GbdClient>, ReferenceError> { Err(ReferenceError::unavailable("no config")) };
        let e = find_reference(&store, &iin, "m2", broken).unwrap_err();
        assert!(matches!(&e, LookupError::Register(r) if r.code() == "reference_unavailable"), "{e}");
    }

    #[test]
    fn a_reference_of_another_model_or_version_is_outdated_without_a_register() {
        let store = ReferenceStore::open_in_memory().unwrap();
        let iin = Iin::parse("900101300017").unwrap();
        let none = || -> Result<Option<GbdClient>, ReferenceError> { Ok(None) };
        store.put(&iin, &record()).unwrap();
        let e = find_current_reference(&store, &iin, "m2", |_| true, none).unwrap_err();
        assert!(
            matches!(&e, LookupError::Outdated { found, wanted } if found == "m1" && wanted == "m2"),
            "{e}"
        );
        let e = find_current_reference(&store, &iin, "m1", |_| false, none).unwrap_err();
        assert!(matches!(&e, LookupError::Outdated { found, .. } if found.contains("older version")), "{e}");
        assert_eq!(store.get(&iin, "m1").unwrap(), Some(record()), "nothing is dropped");
    }
}
