//! The `lucent info --json` document: a stable, versioned-by-test schema.
//!
//! `{"studies":[{"study_instance_uid","study_date","study_description","series":[{
//! "series_instance_uid","stack","modality","series_number","series_description","instances":[{
//! "sop_instance_uid","instance_number","frames","rows","columns","position","path"}]}]}],
//! "skipped":[{"path","reason","code"}]}`. Field order and names are pinned by a snapshot test;
//! adding a field is a schema change that must update the snapshot and the README.

use lucent_core::StudyIndex;
use serde::Serialize;

/// The whole document.
#[derive(Serialize)]
pub struct InfoDocument {
    studies: Vec<StudyJson>,
    skipped: Vec<SkippedJson>,
}

#[derive(Serialize)]
struct StudyJson {
    study_instance_uid: String,
    study_date: Option<String>,
    study_description: Option<String>,
    series: Vec<SeriesJson>,
}

#[derive(Serialize)]
struct SeriesJson {
    series_instance_uid: String,
    stack: u32,
    modality: Option<String>,
    series_number: Option<i64>,
    series_description: Option<String>,
    instances: Vec<InstanceJson>,
}

#[derive(Serialize)]
struct InstanceJson {
    sop_instance_uid: String,
    instance_number: Option<i64>,
    frames: u32,
    rows: u16,
    columns: u16,
    position: Option<[f64; 3]>,
    path: String,
}

#[derive(Serialize)]
struct SkippedJson {
    path: String,
    reason: String,
    code: &'static str,
}

impl InfoDocument {
    /// Builds the document from an index.
    pub fn from_index(index: &StudyIndex) -> Self {
        InfoDocument {
            studies: index
                .studies
                .iter()
                .map(|study| StudyJson {
                    study_instance_uid: study.study_instance_uid.clone(),
                    study_date: study.study_date.clone(),
                    study_description: study.study_description.clone(),
                    series: study
                        .series
                        .iter()
                        .map(|series| SeriesJson {
                            series_instance_uid: series.series_instance_uid.clone(),
                            stack: series.stack,
                            modality: series.modality.clone(),
                            series_number: series.series_number,
                            series_description: series.series_description.clone(),
                            instances: series
                                .instances
                                .iter()
                                .map(|i| InstanceJson {
                                    sop_instance_uid: i.sop_instance_uid.clone(),
                                    instance_number: i.instance_number,
                                    frames: i.frames,
                                    rows: i.rows,
                                    columns: i.columns,
                                    position: i.position,
                                    path: i.path.display().to_string(),
                                })
                                .collect(),
                        })
                        .collect(),
                })
                .collect(),
            skipped: index
                .skipped
                .iter()
                .map(|s| SkippedJson {
                    path: s.path.display().to_string(),
                    reason: s.reason.clone(),
                    code: s.code.as_str(),
                })
                .collect(),
        }
    }
}
