//! Files outside any index, for the CLI's `render` and `decode`: the file is opened once, the
//! access is recorded with the identity read from that descriptor, and only then are its
//! pixels decoded from the same descriptor (a file swapped in between cannot be shown under the
//! recorded patient).

use super::Session;
use crate::CoreError;
use lucent_audit::StudyObject;
use lucent_pixels::{RenderOptions, RenderedFrame};
use std::path::Path;

/// The viewed-studies key of a file opened outside any index, keyed like a study of the index:
/// the UID and the patient.
fn single_file_key(study: &StudyObject) -> String {
    format!(
        "file:{}|{}|{}",
        study.identity.study_instance_uid,
        study.identity.patient_id.as_deref().unwrap_or(""),
        study.identity.patient_name.as_deref().unwrap_or("")
    )
}

impl Session {
    /// Renders frame `frame` (0-based) of a file through the full pipeline (decode, modality
    /// LUT, VOI, photometric) to 8-bit grey or RGB. For the CLI's `render`; the viewer addresses
    /// frames by id. Audited as the module says.
    pub fn render_file(
        &self,
        path: &Path,
        frame: u32,
        options: impl Into<RenderOptions>,
    ) -> Result<RenderedFrame, CoreError> {
        let options = options.into();
        let file = self.gate.open_file(path)?;
        self.gate
            .viewed(&file.study, &single_file_key(&file.study))?
            .read_file(&file, |f| f.render(frame, options))
    }

    /// Decodes frame `frame` of a file outside any index to its stored values
    /// ([`lucent_pixels::StoredValues`], for QA: `lucent decode --raw`), audited exactly like
    /// [`Session::render_file`]: the viewing is recorded before any pixel is read, a failure is
    /// recorded too, and without an audit log nothing is decoded.
    pub fn decode_file(
        &self,
        path: &Path,
        frame: u32,
    ) -> Result<lucent_pixels::StoredValues, CoreError> {
        let file = self.gate.open_file(path)?;
        self.gate
            .viewed(&file.study, &single_file_key(&file.study))?
            .read_file(&file, |f| {
                let decoded = f.decode_frame(frame)?;
                Ok(lucent_pixels::StoredValues::of(&f.info, &decoded))
            })
    }
}
