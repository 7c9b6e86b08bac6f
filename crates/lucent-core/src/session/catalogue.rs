//! What a session has opened: the study index, the ids handed out for it, the studies whose
//! listing was recorded, and the stacks resolved from it.
//!
//! A [`Catalogue`] is an immutable snapshot: [`Session::open`] builds the next one (ids already
//! handed out keep naming the same objects) and swaps it in, so every other call works on the
//! snapshot it took, without holding any lock while it decodes. Every id a snapshot answers
//! for is issued when the snapshot is built; lookups never issue ids.

use crate::ids::IdTable;
use crate::{CoreError, FrameOfReferenceId, InstanceId, SeriesId, StudyId};
use lucent_audit::{StudyIdentity, StudyObject};
use lucent_index::{Series, Study, StudyIndex};
use lucent_pixels::{IndexedFile, PixelError};
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// The ids a session has handed out, kept across opens.
#[derive(Debug, Clone)]
pub(crate) struct Ids {
    /// Keyed by [`Study::key`] (Study UID and patient).
    pub(crate) study: IdTable<String, StudyId>,
    /// Keyed by ([`Study::key`], [`Series::key`], stack).
    pub(crate) series: IdTable<(String, String, u32), SeriesId>,
    /// Keyed by Frame of Reference UID.
    pub(crate) frame_of_reference: IdTable<String, FrameOfReferenceId>,
    /// Keyed by path: after the index's dedupe, one file is one instance.
    pub(crate) instance: IdTable<PathBuf, InstanceId>,
}

impl Ids {
    pub(crate) fn new() -> Self {
        Ids {
            study: IdTable::new(),
            series: IdTable::new(),
            frame_of_reference: IdTable::new(),
            instance: IdTable::new(),
        }
    }

    /// Issues an id for every object of `index` that has none yet.
    fn issue_all(&mut self, index: &StudyIndex) {
        for study in &index.studies {
            self.study.id_for(&study.key);
            for series in &study.series {
                self.series.id_for(&series_key(study, series));
                if let Some(uid) = series
                    .frame_of_reference_uid
                    .as_ref()
                    .filter(|u| !u.is_empty())
                {
                    self.frame_of_reference.id_for(uid);
                }
                for instance in &series.instances {
                    self.instance.id_for(&instance.path);
                }
            }
        }
    }
}

/// One snapshot of what the session has opened.
#[derive(Debug)]
pub(crate) struct Catalogue {
    /// The paths opened so far (each open re-indexes all of them).
    pub(crate) roots: Vec<PathBuf>,
    pub(crate) index: Arc<StudyIndex>,
    pub(crate) ids: Ids,
    /// Studies (by [`Study::key`]) whose listing this session has recorded: every study of
    /// `index` is in here (an open whose listing cannot be recorded fails).
    pub(crate) listed: HashSet<String>,
    /// Per stack of this snapshot: each frame's file and frame number, resolved once.
    stacks: Mutex<HashMap<SeriesId, Arc<StackFrames>>>,
}

/// The frames of one stack, resolved once.
#[derive(Debug)]
pub(crate) struct StackFrames {
    /// Each frame's file (as indexed: it must still be that file) and frame number.
    pub(crate) frames: Vec<(Arc<IndexedFile>, u32)>,
    /// The study, as the audit trail names it.
    pub(crate) study: StudyObject,
    /// [`Study::key`] of the study.
    pub(crate) study_key: String,
}

impl StackFrames {
    /// The file and frame number of frame `index` (display order).
    pub(crate) fn frame(&self, index: usize) -> Result<(&IndexedFile, u32), CoreError> {
        self.frames
            .get(index)
            .map(|(file, frame)| (file.as_ref(), *frame))
            .ok_or(CoreError::Pixels(PixelError::FrameOutOfRange {
                requested: u32::try_from(index).unwrap_or(u32::MAX),
                frames: u32::try_from(self.frames.len()).unwrap_or(u32::MAX),
            }))
    }
}

/// The study as audit records name it.
pub(crate) fn study_object(s: &Study) -> StudyObject {
    StudyObject {
        identity: StudyIdentity {
            study_instance_uid: s.study_instance_uid.clone(),
            patient_id: s.patient.id.clone(),
            patient_name: s.patient.name.clone(),
        },
        modality: s.series.iter().find_map(|se| se.modality.clone()),
        instances: s.series.iter().map(|se| se.instances.len() as u32).sum(),
    }
}

pub(crate) fn series_key(study: &Study, series: &Series) -> (String, String, u32) {
    (study.key.clone(), series.key.clone(), series.stack)
}

impl Catalogue {
    /// Nothing opened.
    pub(crate) fn empty() -> Self {
        Catalogue {
            roots: Vec::new(),
            index: Arc::new(StudyIndex::default()),
            ids: Ids::new(),
            listed: HashSet::new(),
            stacks: Mutex::new(HashMap::new()),
        }
    }

    /// The snapshot after an open: `index` of `roots`, whose studies `listed` were recorded;
    /// the ids of `previous` kept, new objects given new ones.
    pub(crate) fn next(
        previous: &Catalogue,
        roots: Vec<PathBuf>,
        index: StudyIndex,
        listed: HashSet<String>,
    ) -> Self {
        let mut ids = previous.ids.clone();
        ids.issue_all(&index);
        Catalogue {
            roots,
            index: Arc::new(index),
            ids,
            listed,
            stacks: Mutex::new(HashMap::new()),
        }
    }

    /// The study and indexed series (stack) an id names.
    pub(crate) fn find_series(&self, series: SeriesId) -> Result<(&Study, &Series), CoreError> {
        let key = self
            .ids
            .series
            .key_of(series)
            .ok_or(CoreError::UnknownId { kind: "series" })?;
        self.index
            .studies
            .iter()
            .flat_map(|study| study.series.iter().map(move |series| (study, series)))
            .find(|(study, series)| series_key(study, series) == *key)
            .ok_or(CoreError::UnknownId { kind: "series" })
    }

    /// The frames of a stack, resolved on first use.
    pub(crate) fn stack(&self, series: SeriesId) -> Result<Arc<StackFrames>, CoreError> {
        let mut stacks = super::lock(&self.stacks);
        if let Some(s) = stacks.get(&series) {
            return Ok(s.clone());
        }
        let (study, stack) = self.find_series(series)?;
        let frames = stack
            .instances
            .iter()
            .flat_map(|i| {
                let file = Arc::new(IndexedFile::of(i));
                (0..i.frames).map(move |f| (file.clone(), f))
            })
            .collect();
        let resolved = Arc::new(StackFrames {
            frames,
            study: study_object(study),
            study_key: study.key.clone(),
        });
        stacks.insert(series, resolved.clone());
        Ok(resolved)
    }

    /// The issued id of a key (every object of the snapshot has one).
    pub(crate) fn id<K, V>(
        table: &IdTable<K, V>,
        key: &K,
        kind: &'static str,
    ) -> Result<V, CoreError>
    where
        K: Eq + std::hash::Hash + Clone,
        V: Eq + std::hash::Hash + Copy + From<u64>,
    {
        table.get(key).ok_or(CoreError::UnknownId { kind })
    }
}
