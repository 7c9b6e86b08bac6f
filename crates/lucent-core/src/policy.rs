//! The managed policy as the facade's callers see it (`lucent policy show`): the keys it may
//! set, the policy in force and where each value comes from. Loading and its fail-closed rules
//! are `lucent-policy`'s; the audit folder it decides is [`crate::data_dir::audit_location`].

pub use lucent_policy::{KEYS, Policy, PolicyError, Source};
