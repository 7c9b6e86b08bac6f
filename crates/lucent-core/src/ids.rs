//! Opaque, unforgeable ids for studies, series (stacks) and instances.
//!
//! An id is 64 random bits drawn when the session first sees the object, printed with a kind
//! prefix (`st-`, `se-`, `in-`). Ids say nothing about paths or UIDs, cannot be guessed, and are
//! only meaningful to the session that issued them: a UI can name things, never files.

use std::collections::HashMap;
use std::fmt;
use std::hash::Hash;

macro_rules! opaque_id {
    ($name:ident, $prefix:literal, $doc:literal) => {
        #[doc = $doc]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(u64);

        impl $name {
            /// Parses the printed form (`
            #[doc = $prefix]
            /// ` followed by 16 lowercase hex digits). Parsing does not mean the id exists.
            pub fn parse(s: &str) -> Option<Self> {
                let hex = s.strip_prefix($prefix)?;
                if hex.len() != 16
                    || !hex
                        .bytes()
                        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
                {
                    return None;
                }
                u64::from_str_radix(hex, 16).ok().map($name)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}{:016x}", $prefix, self.0)
            }
        }

        impl From<u64> for $name {
            fn from(v: u64) -> Self {
                $name(v)
            }
        }
    };
}

opaque_id!(StudyId, "st-", "Names a study within one session.");
opaque_id!(
    SeriesId,
    "se-",
    "Names one stack of one series within one session."
);
opaque_id!(
    FrameOfReferenceId,
    "fr-",
    "Names one Frame of Reference (0020,0052) within one session: stacks with the same id share \
     patient coordinates, so a viewer may synchronise them; the UID itself stays in Rust."
);
opaque_id!(
    InstanceId,
    "in-",
    "Names one instance (file) within one session."
);

/// Issues ids for keys, the same id for the same key for the life of the session.
#[derive(Debug, Clone)]
pub(crate) struct IdTable<K, V> {
    by_key: HashMap<K, V>,
    by_id: HashMap<V, K>,
}

impl<K: Eq + Hash + Clone, V: Eq + Hash + Copy + From<u64>> IdTable<K, V> {
    pub(crate) fn new() -> Self {
        IdTable {
            by_key: HashMap::new(),
            by_id: HashMap::new(),
        }
    }

    /// The id of `key`, drawing a fresh random one the first time.
    pub(crate) fn id_for(&mut self, key: &K) -> V {
        if let Some(&id) = self.by_key.get(key) {
            return id;
        }
        loop {
            let id = V::from(random_u64());
            if !self.by_id.contains_key(&id) {
                self.by_key.insert(key.clone(), id);
                self.by_id.insert(id, key.clone());
                return id;
            }
        }
    }

    /// The id already issued for `key`, if any (never issues one).
    pub(crate) fn get(&self, key: &K) -> Option<V> {
        self.by_key.get(key).copied()
    }

    pub(crate) fn key_of(&self, id: V) -> Option<&K> {
        self.by_id.get(&id)
    }
}

fn random_u64() -> u64 {
    let mut bytes = [0u8; 8];
    // The OS random source is always available on supported platforms; if it ever fails, fall
    // back to a time-and-address mix rather than abort (ids stay unique via the table check).
    if getrandom::fill(&mut bytes).is_err() {
        static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        return t.rotate_left(17) ^ n.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
    u64::from_le_bytes(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_reject_forgeries() {
        let mut table: IdTable<String, StudyId> = IdTable::new();
        let a = table.id_for(&"1.2.3".to_string());
        assert_eq!(table.id_for(&"1.2.3".to_string()), a, "same key, same id");
        let b = table.id_for(&"1.2.4".to_string());
        assert_ne!(a, b);
        let printed = a.to_string();
        assert!(
            printed.starts_with("st-") && printed.len() == 19,
            "{printed}"
        );
        assert_eq!(StudyId::parse(&printed), Some(a));
        assert_eq!(SeriesId::parse(&printed), None, "kind prefix is checked");
        for bad in [
            "st-",
            "st-XYZ",
            "st-00000000000000000",
            "../etc/passwd",
            "st-000000000000000G",
        ] {
            assert_eq!(StudyId::parse(bad), None, "{bad}");
        }
        assert_eq!(table.key_of(a).map(String::as_str), Some("1.2.3"));
        assert_eq!(table.key_of(StudyId::from(42)), None);
    }
}
