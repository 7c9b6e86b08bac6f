//! Reading stacks by id: windowed frames (the viewer's hot path), pyramids of large frames,
//! thumbnails, prefetch, stored values for the probe, default windows, slice locations and
//! stack geometry. Every pixel or value passes through the audit gate first.

use super::Session;
use super::catalogue::study_object;
use crate::views::{FrameRef, StackGeometry};
use crate::{CoreError, SeriesId, SliceLocations, slice_location};
use lucent_pixels::{FrameValues, IndexedFile, Pyramid, RenderOptions, RenderedFrame, VoiChoice};
use std::sync::Arc;
use std::sync::atomic::Ordering;

impl Session {
    /// Frames in a stack.
    pub fn frame_count(&self, series: SeriesId) -> Result<usize, CoreError> {
        Ok(self.catalogue().stack(series)?.frames.len())
    }

    /// Frame `index` of a stack (display order), windowed: the viewer's hot path. Decoded frames
    /// come from the cache; the first access to the study is audited first (viewed), and the file
    /// must still be the one that was indexed (`E_FILE_CHANGED`, audited, otherwise). `options`
    /// is a [`VoiChoice`] (no overlays) or [`RenderOptions`] (overlay planes drawn when asked).
    pub fn stack_frame(
        &self,
        series: SeriesId,
        index: usize,
        options: impl Into<RenderOptions>,
    ) -> Result<RenderedFrame, CoreError> {
        let options = options.into();
        let stack = self.catalogue().stack(series)?;
        let (file, frame) = stack.frame(index)?;
        self.gate.viewed(&stack.study, &stack.study_key)?.read(|p| {
            let (opened, decoded) = p.cache.frame_with_file(file, frame)?;
            p.renderer.render(&opened.info, &decoded, frame, options)
        })
    }

    /// A small preview of a stack's middle frame for a study browser, no larger than `max_dim`
    /// a side. Covered by the study's listing record (a thumbnail is part of the list, not a
    /// study viewed); failures are recorded.
    /// Overlay planes (PS3.3 C.9) are drawn, as a viewport draws them by default.
    pub fn thumbnail(&self, series: SeriesId, max_dim: u32) -> Result<Pyramid, CoreError> {
        let catalogue = self.catalogue();
        let stack = catalogue.stack(series)?;
        let recorded = catalogue.listed.contains(&stack.study_key);
        let (file, frame) = stack.frame(stack.frames.len() / 2)?;
        self.gate.listed(&stack.study, recorded)?.read(|p| {
            let (opened, decoded) = p.cache.frame_with_file(file, frame)?;
            let options = RenderOptions {
                voi: VoiChoice::FromHeader,
                overlays: true,
                shutters: true,
            };
            let full = p.renderer.render(&opened.info, &decoded, frame, options)?;
            Ok(Pyramid::new(full, max_dim))
        })
    }

    /// Decodes up to `count` frames after `index` in `direction` (+1 forward, −1 back) on the
    /// worker pool, nearest first. A newer request (the user moved on) cancels older ones.
    /// Prefetch only warms the cache: what it decodes is returned, later, through the gate.
    pub fn prefetch(
        &self,
        series: SeriesId,
        index: usize,
        direction: i32,
        count: usize,
    ) -> Result<(), CoreError> {
        let stack = self.catalogue().stack(series)?;
        let generation = self.prefetch_generation.fetch_add(1, Ordering::SeqCst) + 1;
        let cache = self.gate.cache().clone();
        let targets: Vec<(Arc<IndexedFile>, u32)> = (1..=count as isize)
            .map(|d| index as isize + d * if direction < 0 { -1 } else { 1 })
            .take_while(|&i| i >= 0 && (i as usize) < stack.frames.len())
            .map(|i| stack.frames[i as usize].clone())
            .filter(|(file, f)| !cache.contains(file, *f))
            .collect();
        if targets.is_empty() {
            return Ok(());
        }
        let current = self.prefetch_generation.clone();
        rayon::spawn(move || {
            for (file, frame) in targets {
                if current.load(Ordering::SeqCst) != generation {
                    return; // the user jumped away
                }
                let _ = cache.warm(&file, frame);
            }
        });
        Ok(())
    }

    /// Cancels queued prefetches and waits for the running ones to finish their frame (so none
    /// lands afterwards): a prefetch job checks the generation before each frame, so every
    /// worker of the pool is waited for to be between jobs.
    pub(crate) fn cancel_prefetches(&self) {
        self.prefetch_generation.fetch_add(1, Ordering::SeqCst);
        rayon::broadcast(|_| ());
    }

    /// Per frame of a stack (display order): the slice location in mm along the normal (else
    /// Slice Location), and the stack's header windows. One pass over the stack.
    pub fn slice_locations(&self, series: SeriesId) -> Result<SliceLocations, CoreError> {
        let catalogue = self.catalogue();
        let stack = catalogue.find_series(series)?.1;
        let mut locations = Vec::new();
        for i in &stack.instances {
            let location = match (i.position, i.orientation) {
                (Some(p), Some(o)) => slice_location(&o, &p),
                _ => None,
            }
            .or(i.slice_location);
            locations.extend(std::iter::repeat_n(location, i.frames as usize));
        }
        let windows = stack
            .instances
            .first()
            .map(|i| i.windows.clone())
            .unwrap_or_default();
        Ok((locations, windows))
    }

    /// Orientation, frame of reference and frame time of a stack. Reads the first file's header
    /// (no pixels), checked against the index like a pixel read.
    pub fn stack_geometry(&self, series: SeriesId) -> Result<StackGeometry, CoreError> {
        let catalogue = self.catalogue();
        let (_, s) = catalogue.find_series(series)?;
        let orientation = s.instances.first().and_then(|i| i.orientation);
        let frame_of_reference = s
            .frame_of_reference_uid
            .as_ref()
            .filter(|u| !u.is_empty())
            .and_then(|u| catalogue.ids.frame_of_reference.get(u));
        let modality = s.modality.clone();
        let stack = catalogue.stack(series)?;
        let (frame_time_ms, ultrasound_regions) = match stack.frames.first() {
            Some((file, _)) => {
                let opened = self
                    .gate
                    .listed(&stack.study, catalogue.listed.contains(&stack.study_key))?
                    .read(|p| p.cache.file(file))?;
                (
                    opened.info.frame_time_ms,
                    opened.info.ultrasound_regions.clone(),
                )
            }
            None => (None, Vec::new()),
        };
        Ok(StackGeometry {
            orientation,
            frame_of_reference,
            frame_time_ms,
            modality,
            ultrasound_regions,
        })
    }

    /// Stored and modality values of frame `index` of a stack at full resolution, for a pixel
    /// probe and region statistics. Audited like [`Session::stack_frame`]: the access is recorded
    /// before any value is returned, and a failure is recorded too.
    pub fn frame_values(&self, series: SeriesId, index: usize) -> Result<FrameValues, CoreError> {
        let catalogue = self.catalogue();
        let modality = catalogue.find_series(series)?.1.modality.clone();
        let stack = catalogue.stack(series)?;
        let (file, frame) = stack.frame(index)?;
        self.gate.viewed(&stack.study, &stack.study_key)?.read(|p| {
            let (opened, decoded) = p.cache.frame_with_file(file, frame)?;
            FrameValues::new(&opened.info, &decoded, modality.as_deref())
        })
    }

    /// The window the file's own VOI resolves to for frame `index` of a stack (the header
    /// window, else min–max of the frame without padding): where a W/L drag starts. `None` for
    /// colour images and VOI LUT tables.
    pub fn default_window(
        &self,
        series: SeriesId,
        index: usize,
    ) -> Result<Option<(f64, f64)>, CoreError> {
        let stack = self.catalogue().stack(series)?;
        let Ok((file, frame)) = stack.frame(index) else {
            return Ok(None);
        };
        self.gate.viewed(&stack.study, &stack.study_key)?.read(|p| {
            let opened = p.cache.file(file)?;
            if !opened.info.photometric.is_monochrome() {
                return Ok(None);
            }
            let decoded = p.cache.frame(file, frame)?;
            Ok(
                match lucent_pixels::render::resolve_voi(
                    &opened.info,
                    &decoded,
                    frame,
                    VoiChoice::FromHeader,
                )
                .0
                {
                    lucent_pixels::lut::VoiTransform::Window(w) => Some((w.center, w.width)),
                    lucent_pixels::lut::VoiTransform::Table(_) => None,
                },
            )
        })
    }

    /// A large frame as a pyramid: the coarsest level (≤ `coarse_max` pixels a side) is shown
    /// first, then full-resolution tiles of the visible region.
    pub fn stack_frame_pyramid(
        &self,
        series: SeriesId,
        index: usize,
        options: impl Into<RenderOptions>,
        coarse_max: u32,
    ) -> Result<Pyramid, CoreError> {
        Ok(Pyramid::new(
            self.stack_frame(series, index, options)?,
            coarse_max,
        ))
    }

    /// Renders a frame of a stack by id (audited like [`Session::stack_frame`]; the file must
    /// still be the one that was indexed). Opened afresh, outside the frame cache.
    pub fn render_frame(
        &self,
        frame: FrameRef,
        options: impl Into<RenderOptions>,
    ) -> Result<RenderedFrame, CoreError> {
        let options = options.into();
        let catalogue = self.catalogue();
        let path = catalogue
            .ids
            .instance
            .key_of(frame.instance)
            .ok_or(CoreError::UnknownId { kind: "instance" })?;
        let (study, instance) = catalogue
            .index
            .studies
            .iter()
            .find_map(|s| {
                s.series
                    .iter()
                    .flat_map(|se| se.instances.iter())
                    .find(|i| &i.path == path)
                    .map(|i| (s, i))
            })
            .ok_or(CoreError::UnknownId { kind: "instance" })?;
        let indexed = IndexedFile::of(instance);
        let object = study_object(study);
        self.gate.viewed(&object, &study.key)?.read(|_| {
            lucent_pixels::PixelFile::open_indexed(
                &indexed.path,
                &indexed.sop_instance_uid,
                &indexed.fingerprint,
            )?
            .render(frame.frame, options)
        })
    }
}
