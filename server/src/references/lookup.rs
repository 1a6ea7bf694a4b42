//! The reference template of a person, one lookup for `sapa verify --iin` and `POST /v1/verify`:
//! the store first; else the ГБД ФЛ register, whose template is then kept in the store (the
//! template, never the photo) so the next check of that person needs no round trip.

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
}

/// The reference template of `iin` for `model_id`. `register` is called only when the store has
/// none: it gives the ГБД ФЛ client, or `None` when none is configured. Blocking I/O.
pub fn find_reference<G: Borrow<GbdClient>>(
    store: &ReferenceStore,
    iin: &Iin,
    model_id: &str,
    register: impl FnOnce() -> Result<Option<G>, ReferenceError>,
) -> Result<(TemplateRecord, Origin), LookupError> {
    if let Some(record) = store.get(iin, model_id)? {
        return Ok((record, Origin::Store));
    }
    let Some(register) = register()? else {
        return Err(LookupError::NotEnrolled);
    };
    let record = register.borrow().reference(iin)?;
    store.put(iin, &record)?;
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
        // Another model's template is not this one's.
        assert!(matches!(find_reference(&store, &iin, "m2", none), Err(LookupError::NotEnrolled)));
        let broken =
            || -> Result<Option<GbdClient>, ReferenceError> { Err(ReferenceError::unavailable("no config")) };
        let e = find_reference(&store, &iin, "m2", broken).unwrap_err();
        assert!(matches!(&e, LookupError::Register(r) if r.code() == "reference_unavailable"), "{e}");
    }
}
