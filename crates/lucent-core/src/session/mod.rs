//! [`Session`]: one user's working set — the opened paths, the index built from them, the ids
//! handed out — and every operation a UI or the CLI performs on it.
//!
//! Split by concern: [`catalogue`] (what is open: snapshots swapped by [`Session::open`]),
//! [`audit_gate`] (the only way to pixels: record first), [`frames`] (stack frames, thumbnails,
//! prefetch, values, geometry), [`single_file`] (files outside any index, for the CLI).
//!
//! **Concurrency.** Every method takes `&self`; a session is shared by reference (`Arc`) and
//! each concern locks only itself: the catalogue is an `Arc` snapshot behind a read-write lock
//! held for the clone of the pointer (an open builds the next snapshot without it), the stack
//! table of a snapshot is locked while a stack is resolved, the audit gate locks its set of
//! viewed studies across a first record only, and the frame cache locks its tables, never a
//! decode. Two viewports therefore never wait on each other's decoding (`tests/concurrency.rs`).

pub(crate) mod audit_gate;
pub(crate) mod catalogue;
mod frames;
mod single_file;

use crate::views::{FrameRef, SeriesSummary, StudySummary};
use crate::{CoreError, DEFAULT_CACHE_BYTES, InstanceId};
use audit_gate::AuditGate;
use catalogue::{Catalogue, series_key, study_object};
use lucent_audit::{Action, AuditLog, Event, EventId, EventType, Outcome};
use lucent_error::ErrorCode;
use lucent_index::{Instance, Skipped, StudyIndex};
use std::path::PathBuf;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

/// Locks a mutex of the session; a panic while it was held (contained by the caller's thread)
/// left data that is still consistent (every critical section is a lookup or an insert).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// One user's working set: opened paths, the index built from them, and the ids handed out.
#[derive(Debug)]
pub struct Session {
    /// What is open (swapped whole by [`Session::open`]).
    catalogue: RwLock<Arc<Catalogue>>,
    /// Held by an open from its scan to its swap: opens run one at a time.
    opening: Mutex<()>,
    /// Records accesses; owns the frame cache and the renderer.
    gate: AuditGate,
    /// Bumped by every prefetch request; older prefetch work stops when it changes.
    prefetch_generation: Arc<AtomicU64>,
}

impl Default for Session {
    fn default() -> Self {
        Self::new()
    }
}

/// How full the decoded-frame cache is and how well it serves.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CacheStats {
    /// Bytes of decoded samples held.
    pub bytes: u64,
    /// Hits over hits and misses since the cache was last emptied (0 when unused).
    pub hit_rate: f64,
}

impl Session {
    /// An empty session.
    pub fn new() -> Self {
        Session {
            catalogue: RwLock::new(Arc::new(Catalogue::empty())),
            opening: Mutex::new(()),
            gate: AuditGate::new(DEFAULT_CACHE_BYTES),
            prefetch_generation: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Uses `dir` instead of `LUCENT_DATA_DIR` for everything the session writes.
    pub fn with_data_dir(mut self, dir: PathBuf) -> Self {
        self.gate.set_data_dir(dir);
        self
    }

    /// Names the application in audit records (e.g. `lucent-viewer 0.1.0`).
    pub fn with_application(mut self, app: &str) -> Self {
        self.gate.set_application(app);
        self
    }

    /// Caps the decoded-frame cache (bytes of decoded samples; default 1 GiB).
    pub fn set_cache_bytes(&self, bytes: u64) {
        self.gate.cache().set_capacity(bytes);
    }

    /// How full the frame cache is and its hit rate.
    pub fn cache_stats(&self) -> CacheStats {
        let cache = self.gate.cache();
        CacheStats {
            bytes: cache.bytes(),
            hit_rate: cache.hit_rate(),
        }
    }

    /// Starts the hit counters again (the frames stay): for a measurement of one pass.
    pub fn reset_cache_stats(&self) {
        let stats = &self.gate.cache().stats;
        stats.hits.store(0, std::sync::atomic::Ordering::Relaxed);
        stats.misses.store(0, std::sync::atomic::Ordering::Relaxed);
    }

    /// Empties the frame cache (frames, open files, hit counters): for cold measurements.
    pub fn clear_cache(&self) {
        self.gate.cache().clear();
    }

    /// The current snapshot of what is open.
    pub(crate) fn catalogue(&self) -> Arc<Catalogue> {
        self.catalogue
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The audit log, opened (and checked) on first use where [`crate::data_dir::audit_location`] says
    /// (the managed policy's folder, else this session's data dir or `LUCENT_DATA_DIR`).
    pub fn audit_log(&self) -> Result<&AuditLog, CoreError> {
        self.gate.log()
    }

    /// Records application start or stop (110100, Application Activity).
    pub fn audit_application(&self, started: bool) -> Result<(), CoreError> {
        let event = Event {
            detail: Some(
                if started {
                    "application start"
                } else {
                    "application stop"
                }
                .into(),
            ),
            event_type: Some(if started {
                EventType::ApplicationStart
            } else {
                EventType::ApplicationStop
            }),
            ..Event::new(EventId::ApplicationActivity, Action::Execute)
        };
        self.gate.record(&[event])
    }

    /// Records a request the application refused (bad id or argument from a UI), as a security
    /// alert (110113). `what` must not contain PHI.
    pub fn audit_rejected_request(&self, what: &str) -> Result<(), CoreError> {
        let event = Event {
            outcome: Outcome::MinorFailure,
            detail: Some(format!("rejected request: {what}")),
            event_type: Some(EventType::UseOfRestrictedFunction),
            ..Event::new(EventId::SecurityAlert, Action::Execute)
        };
        self.gate.record(&[event])
    }

    /// Adds files, folders or DICOMDIRs to the session and re-indexes (header-only).
    /// Ids already handed out keep naming the same objects.
    ///
    /// Audit first: the studies this open makes visible are recorded as listed (one append)
    /// before the session holds them; if that record cannot be written the open fails and the
    /// session keeps its previous index (nothing new can be shown or printed).
    pub fn open(&self, paths: &[PathBuf]) -> Result<(), CoreError> {
        let _opening = lock(&self.opening);
        let current = self.catalogue();
        let mut roots = current.roots.clone();
        roots.extend(paths.iter().cloned());
        let index = lucent_index::scan(&roots)?;
        let newly_listed: Vec<_> = index
            .studies
            .iter()
            .filter(|s| !current.listed.contains(&s.key))
            .collect();
        self.gate.record_listed(
            &newly_listed
                .iter()
                .map(|s| study_object(s))
                .collect::<Vec<_>>(),
        )?;
        let mut listed = current.listed.clone();
        listed.extend(newly_listed.iter().map(|s| s.key.clone()));
        let next = Arc::new(Catalogue::next(&current, roots, index, listed));
        *self.catalogue.write().unwrap_or_else(|p| p.into_inner()) = next;
        Ok(())
    }

    /// The full index, paths included: for local tools (the CLI), never for a UI over IPC. Every
    /// study in it has been recorded as listed ([`Session::open`]).
    pub fn index(&self) -> Arc<StudyIndex> {
        self.catalogue().index.clone()
    }

    /// Files that were not indexed, with reasons.
    pub fn skipped(&self) -> Vec<Skipped> {
        self.catalogue().index.skipped.clone()
    }

    /// How many files were not indexed, per error code, most frequent first: what a UI may show
    /// (no paths, no reasons with file names).
    pub fn skipped_counts(&self) -> Vec<(ErrorCode, usize)> {
        let mut counts: Vec<(ErrorCode, usize)> = Vec::new();
        for s in &self.catalogue().index.skipped {
            match counts.iter_mut().find(|(c, _)| *c == s.code) {
                Some((_, n)) => *n += 1,
                None => counts.push((s.code, 1)),
            }
        }
        counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        counts
    }

    /// The studies as a UI shows them: ids and display text, no paths. Every one of them was
    /// recorded as listed when it was opened.
    pub fn studies(&self) -> Vec<StudySummary> {
        let catalogue = self.catalogue();
        let mut out = Vec::with_capacity(catalogue.index.studies.len());
        for study in &catalogue.index.studies {
            if !catalogue.listed.contains(&study.key) {
                continue; // not recorded: never shown (cannot happen, see `open`)
            }
            let Ok(study_id) = Catalogue::id(&catalogue.ids.study, &study.key, "study") else {
                continue; // every study of a snapshot has an id
            };
            let series = study
                .series
                .iter()
                .filter_map(|s| {
                    let id = Catalogue::id(&catalogue.ids.series, &series_key(study, s), "series")
                        .ok()?;
                    Some(SeriesSummary {
                        id,
                        modality: s.modality.clone(),
                        number: s.series_number,
                        description: s.series_description.clone(),
                        stack: s.stack,
                        instance_count: s.instances.len(),
                        frame_count: s.frame_count(),
                        size: s
                            .instances
                            .first()
                            .map(|i| (i.rows, i.columns))
                            .unwrap_or((0, 0)),
                    })
                })
                .collect();
            out.push(StudySummary {
                id: study_id,
                date: study.study_date.clone(),
                description: study.study_description.clone(),
                patient: study.patient.clone(),
                warnings: study.warnings.clone(),
                series,
            });
        }
        out
    }

    /// The frames of a stack in display order (multi-frame instances expanded).
    pub fn frames(&self, series: crate::SeriesId) -> Result<Vec<FrameRef>, CoreError> {
        let catalogue = self.catalogue();
        let (_, stack) = catalogue.find_series(series)?;
        let mut frames = Vec::new();
        for instance in &stack.instances {
            let id = Catalogue::id(&catalogue.ids.instance, &instance.path, "instance")?;
            frames.extend((0..instance.frames).map(|frame| FrameRef {
                instance: id,
                frame,
            }));
        }
        Ok(frames)
    }

    /// The indexed instance an id names (for local tools; paths stay in Rust).
    pub fn instance(&self, id: InstanceId) -> Result<Instance, CoreError> {
        let catalogue = self.catalogue();
        let path = catalogue
            .ids
            .instance
            .key_of(id)
            .ok_or(CoreError::UnknownId { kind: "instance" })?;
        catalogue
            .index
            .instances()
            .find(|i| &i.path == path)
            .cloned()
            .ok_or(CoreError::UnknownId { kind: "instance" })
    }
}
