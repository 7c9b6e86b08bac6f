//! A frame through the whole pipeline to 8-bit grey or 24-bit RGB, and PNG output.

use crate::codec::{ColorModel, DecodedFrame, Samples};
use crate::error::PixelError;
use crate::info::{ImageInfo, Photometric, VoiFunction, Window};
use crate::lut::{DisplayTable, ModalityTransform, StoredValueCodec, VoiTransform, to_u8};
use crate::notes::DisplayNote;
use std::io::Write;

/// Which VOI to apply to a greyscale frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum VoiChoice {
    /// The header's order (PS3.3 C.11.2): the first window (with its VOI LUT Function; the
    /// frame's functional group window for enhanced multi-frame), else the first VOI LUT
    /// Sequence item, else min–max of the frame's modality values excluding padding.
    FromHeader,
    /// An explicit window (LINEAR; LINEAR_EXACT when narrower than 1), e.g. from `--window C,W`
    /// or a mouse drag.
    Explicit {
        /// Window Center.
        center: f64,
        /// Window Width.
        width: f64,
    },
    /// Min–max of the frame's modality values, excluding padding.
    MinMax,
}

/// How to render a frame: the VOI, whether to draw the overlay planes (PS3.3 C.9; a choice of
/// the caller: the viewer draws them by default, `lucent render` with `--overlays`) and whether
/// to apply the display shutter (PS3.3 C.7.6.11; on unless a reader asks to look behind it). A
/// bare [`VoiChoice`] converts to options without overlays and with the shutter, so
/// `render(…, VoiChoice::FromHeader)` renders the image as the file asks, without overlays.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RenderOptions {
    /// Which VOI to apply to a greyscale frame.
    pub voi: VoiChoice,
    /// Burn the overlay planes into the frame as `dcmj2pnm` does ([`crate::overlay::burn`]).
    pub overlays: bool,
    /// Apply the image's display shutter. Off shows the image in full, with a note.
    pub shutters: bool,
}

impl From<VoiChoice> for RenderOptions {
    fn from(voi: VoiChoice) -> Self {
        RenderOptions {
            voi,
            overlays: false,
            shutters: true,
        }
    }
}

/// A frame ready for display.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderedFrame {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// 1 (grey) or 3 (RGB).
    pub channels: u8,
    /// Row-major pixels, `channels` bytes each.
    pub pixels: Vec<u8>,
    /// The data was lossy compressed (PS3.3 C.7.6.1.1.5): viewers must say so.
    pub lossy: bool,
    /// What the viewer must say about how this frame is shown: the file's notes
    /// ([`ImageInfo::notes`]) and the render's own (e.g. the window actually applied).
    pub notes: Vec<DisplayNote>,
}

impl RenderedFrame {
    /// An 8-bit grey frame of `pixels` (row-major), not lossy, without notes: e.g. a reference
    /// decoder's output read back for comparison.
    pub fn grey(width: u32, height: u32, pixels: Vec<u8>) -> Self {
        RenderedFrame {
            width,
            height,
            channels: 1,
            pixels,
            lossy: false,
            notes: Vec::new(),
        }
    }

    /// Writes the frame as an 8-bit grey or RGB PNG.
    pub fn write_png(&self, out: impl Write) -> Result<(), PixelError> {
        let mut encoder = png::Encoder::new(out, self.width, self.height);
        encoder.set_color(if self.channels == 3 {
            png::ColorType::Rgb
        } else {
            png::ColorType::Grayscale
        });
        encoder.set_depth(png::BitDepth::Eight);
        encoder.set_compression(png::Compression::Fast);
        let mut writer = encoder
            .write_header()
            .map_err(|e| PixelError::Output(e.to_string()))?;
        writer
            .write_image_data(&self.pixels)
            .map_err(|e| PixelError::Output(e.to_string()))?;
        writer
            .finish()
            .map_err(|e| PixelError::Output(e.to_string()))
    }
}

impl RenderedFrame {
    /// Reads an 8-bit grey or RGB PNG, such as a reference decoder's output, for comparison.
    pub fn read_png(input: impl std::io::Read) -> Result<Self, PixelError> {
        let bad = |e: &dyn std::fmt::Display| PixelError::Output(format!("cannot read PNG: {e}"));
        let mut reader = png::Decoder::new(std::io::BufReader::new(input))
            .read_info()
            .map_err(|e| bad(&e))?;
        let mut pixels = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut pixels).map_err(|e| bad(&e))?;
        pixels.truncate(info.buffer_size());
        let channels = match (info.color_type, info.bit_depth) {
            (png::ColorType::Grayscale, png::BitDepth::Eight) => 1,
            (png::ColorType::Rgb, png::BitDepth::Eight) => 3,
            (c, d) => return Err(bad(&format!("{c:?} {d:?} is not 8-bit grey or RGB"))),
        };
        Ok(RenderedFrame {
            width: info.width,
            height: info.height,
            channels,
            pixels,
            lossy: false,
            notes: Vec::new(),
        })
    }
}

pub(crate) fn validate_window(center: f64, width: f64) -> Result<(), PixelError> {
    if !center.is_finite() || !width.is_finite() || width <= 0.0 {
        return Err(PixelError::InvalidWindow(format!(
            "centre {center}, width {width}: width must be > 0"
        )));
    }
    Ok(())
}

/// What a cached display table was built for (all floats by bit pattern).
#[derive(Debug, Clone, PartialEq, Eq)]
struct TableKey {
    bits_stored: u16,
    high_bit: u16,
    signed: bool,
    rescale: (u64, u64),
    window: (u64, u64, u8),
    invert: bool,
}

/// Renders decoded frames, keeping the last display table so that scrolling through a stack
/// with one window builds the table once (≈ 0.35 ms) and then only maps pixels (≈ 0.17 ms for
/// 512×512). Tables from LUT sequences or min–max are built per frame.
#[derive(Debug, Default)]
pub struct Renderer {
    last: std::sync::Mutex<Option<(TableKey, std::sync::Arc<DisplayTable>)>>,
}

impl Renderer {
    /// Applies modality LUT, VOI and photometric interpretation to a decoded frame, then the
    /// display shutter and, when asked, the overlay planes over it.
    pub fn render(
        &self,
        info: &ImageInfo,
        frame: &DecodedFrame,
        k: u32,
        options: impl Into<RenderOptions>,
    ) -> Result<RenderedFrame, PixelError> {
        let RenderOptions {
            voi,
            overlays,
            shutters,
        } = options.into();
        if let VoiChoice::Explicit { center, width } = voi {
            validate_window(center, width)?;
        }
        let mut notes = info.notes.clone();
        let (channels, pixels) = match frame.color {
            ColorModel::Monochrome => {
                let (pixels, note) = self.render_monochrome(info, frame, k, voi)?;
                notes.extend(note);
                (1, pixels)
            }
            ColorModel::Palette => (3, render_palette(info, frame)?),
            _ => (3, render_color(info, frame)?),
        };
        let mut rendered = RenderedFrame {
            width: u32::from(frame.columns),
            height: u32::from(frame.rows),
            channels,
            pixels,
            lossy: info.lossy,
            notes,
        };
        // After VOI and photometric interpretation: the shutter value is a display value.
        if let Some(shutter) = &info.shutter {
            if shutters {
                shutter.apply(&mut rendered);
            } else {
                rendered.notes.push(DisplayNote::ShutterTurnedOff);
            }
        }
        // Overlay planes are drawn over the shuttered image.
        if overlays && !info.overlays.is_empty() {
            if channels == 1 {
                crate::overlay::burn(&info.overlays, k, frame, &mut rendered);
            } else {
                // dcmtk draws no overlay on colour images; neither does Lucent, and it says so.
                rendered.notes.push(DisplayNote::OverlaysNotDrawnOnColour);
            }
        }
        Ok(rendered)
    }

    fn render_monochrome(
        &self,
        info: &ImageInfo,
        frame: &DecodedFrame,
        k: u32,
        voi: VoiChoice,
    ) -> Result<(Vec<u8>, Option<DisplayNote>), PixelError> {
        let invert = info.photometric == Photometric::Monochrome1;
        let (resolved, note) = resolve_voi(info, frame, k, voi);
        let key = match (&resolved, &info.modality_lut, voi) {
            (VoiTransform::Window(w), None, VoiChoice::Explicit { .. } | VoiChoice::FromHeader) => {
                Some(TableKey {
                    bits_stored: info.bits_stored,
                    high_bit: info.high_bit,
                    signed: info.signed,
                    rescale: (info.rescale.0.to_bits(), info.rescale.1.to_bits()),
                    window: (w.center.to_bits(), w.width.to_bits(), w.function as u8),
                    invert,
                })
            }
            _ => None,
        };
        let table_input = matches!(frame.samples, Samples::U16(_) | Samples::U8(_));
        if let (Some(key), true) = (&key, table_input) {
            let cached = {
                let last = self.last.lock().unwrap_or_else(|p| p.into_inner());
                last.as_ref()
                    .filter(|(k2, _)| k2 == key)
                    .map(|(_, t)| t.clone())
            };
            let table = match cached {
                Some(t) => t,
                None => {
                    let modality = ModalityTransform::new(info);
                    let t = std::sync::Arc::new(
                        DisplayTable::build(info, &modality, &resolved, invert).ok_or_else(
                            || {
                                PixelError::InvalidAttributes(
                                    "more than 16 stored bits in a 16-bit container".into(),
                                )
                            },
                        )?,
                    );
                    *self.last.lock().unwrap_or_else(|p| p.into_inner()) =
                        Some((key.clone(), t.clone()));
                    t
                }
            };
            let mut out = Vec::new();
            match &frame.samples {
                Samples::U16(v) => table.map_u16(v, &mut out),
                Samples::U8(v) => table.map_u8(v, &mut out),
                _ => {}
            }
            return Ok((out, note));
        }
        Ok((render_monochrome(info, frame, &resolved)?, note))
    }
}

/// The VOI transform the choice resolves to for this frame, and what the viewer must say about
/// it: a LINEAR window narrower than 1 is applied as LINEAR_EXACT (PS3.3 C.11.2.1.2.1 requires
/// width ≥ 1 for LINEAR; C.11.2.1.3.2 defines LINEAR_EXACT for any width > 0 — as LINEAR it
/// would be a threshold, e.g. a uniformly white RT image whose values are below 0.3), and a
/// header without a usable window or VOI LUT falls back to min–max, said so.
pub fn resolve_voi(
    info: &ImageInfo,
    frame: &DecodedFrame,
    k: u32,
    voi: VoiChoice,
) -> (VoiTransform, Option<DisplayNote>) {
    let window = |w: Window| {
        if w.function == VoiFunction::Linear && w.width < 1.0 {
            let note = DisplayNote::NarrowWindowAsLinearExact {
                center: w.center,
                width: w.width,
            };
            let exact = Window {
                function: VoiFunction::LinearExact,
                ..w
            };
            (VoiTransform::Window(exact), Some(note))
        } else {
            (VoiTransform::Window(w), None)
        }
    };
    match voi {
        VoiChoice::Explicit { center, width } => window(Window {
            center,
            width,
            function: VoiFunction::Linear,
        }),
        VoiChoice::FromHeader => {
            if let Some(w) = info.default_window(k) {
                window(w)
            } else if let Some(t) = &info.voi_lut {
                (VoiTransform::Table(t.clone()), None)
            } else {
                let w = min_max_window(info, frame);
                let note = DisplayNote::MinMaxWindow {
                    center: w.center,
                    width: w.width,
                };
                (VoiTransform::Window(w), Some(note))
            }
        }
        VoiChoice::MinMax => (VoiTransform::Window(min_max_window(info, frame)), None),
    }
}

/// A LINEAR_EXACT window spanning the frame's modality values, padding excluded
/// (PS3.3 C.7.5.1.1.2).
fn min_max_window(info: &ImageInfo, frame: &DecodedFrame) -> Window {
    let codec = StoredValueCodec::new(info);
    let modality = ModalityTransform::new(info);
    let is_padding = |stored: i64| {
        info.padding
            .is_some_and(|(lo, hi)| (lo..=hi).contains(&stored))
    };
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    let mut see = |x: f64| {
        if x.is_finite() {
            lo = lo.min(x);
            hi = hi.max(x);
        }
    };
    match (&frame.samples, codec.table_len()) {
        (Samples::U16(v), Some(len)) => {
            let mut present = vec![false; len];
            v.iter()
                .for_each(|&r| present[codec.code(u64::from(r)) as usize] = true);
            for (code, _) in present.iter().enumerate().filter(|(_, p)| **p) {
                let stored = codec.value(code as u64);
                if !is_padding(stored) {
                    see(modality.apply(stored as f64));
                }
            }
        }
        (Samples::U8(v), _) => {
            for &r in v.iter() {
                let stored = codec.value(codec.code(u64::from(r)));
                if !is_padding(stored) {
                    see(modality.apply(stored as f64));
                }
            }
        }
        (Samples::U32(v), _) => {
            for &r in v.iter() {
                let stored = codec.value(codec.code(u64::from(r)));
                if !is_padding(stored) {
                    see(modality.apply(stored as f64));
                }
            }
        }
        (Samples::F32(v), _) => v.iter().for_each(|&x| see(modality.apply(f64::from(x)))),
        (Samples::F64(v), _) => v.iter().for_each(|&x| see(modality.apply(x))),
        (Samples::U16(_), None) => {}
    }
    if !lo.is_finite() {
        (lo, hi) = (0.0, 1.0);
    }
    let width = (hi - lo).max(f64::MIN_POSITIVE);
    Window {
        center: lo + width / 2.0,
        width,
        function: VoiFunction::LinearExact,
    }
}

fn render_monochrome(
    info: &ImageInfo,
    frame: &DecodedFrame,
    voi: &VoiTransform,
) -> Result<Vec<u8>, PixelError> {
    let invert = info.photometric == Photometric::Monochrome1;
    let modality = ModalityTransform::new(info);
    let mut out = Vec::new();
    match &frame.samples {
        Samples::U16(v) => match DisplayTable::build(info, &modality, voi, invert) {
            Some(table) => table.map_u16(v, &mut out),
            None => {
                return Err(PixelError::InvalidAttributes(
                    "16-bit container with > 16 stored bits".into(),
                ));
            }
        },
        Samples::U8(v) => match DisplayTable::build(info, &modality, voi, invert) {
            Some(table) => table.map_u8(v, &mut out),
            None => {
                return Err(PixelError::InvalidAttributes(
                    "8-bit container with > 16 stored bits".into(),
                ));
            }
        },
        Samples::U32(v) => {
            let codec = StoredValueCodec::new(info);
            out.extend(v.iter().map(|&r| {
                to_u8(
                    voi.apply(modality.apply(codec.value(codec.code(u64::from(r))) as f64)),
                    invert,
                )
            }));
        }
        Samples::F32(v) => out.extend(
            v.iter()
                .map(|&x| to_u8(voi.apply(modality.apply(f64::from(x))), invert)),
        ),
        Samples::F64(v) => out.extend(
            v.iter()
                .map(|&x| to_u8(voi.apply(modality.apply(x)), invert)),
        ),
    }
    Ok(out)
}

/// 8-bit samples of a colour frame, scaling 16-bit data by Bits Stored.
fn colour_bytes(info: &ImageInfo, samples: &Samples) -> Result<Vec<u8>, PixelError> {
    Ok(match samples {
        Samples::U8(v) => v.to_vec(),
        Samples::U16(v) => {
            // 1 << 0..=16 is at least 1: the subtraction does not underflow.
            let max = f64::from((1u32 << info.bits_stored.min(16)).saturating_sub(1).max(1));
            v.iter()
                .map(|&s| (f64::from(s) * 255.0 / max).round().clamp(0.0, 255.0) as u8)
                .collect()
        }
        Samples::U32(v) => {
            // At least 8 before the subtraction (the clamp).
            let shift = u32::from(info.bits_stored.clamp(8, 32)).saturating_sub(8);
            v.iter().map(|&s| (s >> shift).min(255) as u8).collect()
        }
        _ => {
            return Err(PixelError::UnsupportedPixelFormat(
                "floating-point colour data".into(),
            ));
        }
    })
}

/// YBR_FULL to RGB (PS3.3 C.7.6.3.1.2).
#[inline]
fn ybr_to_rgb(y: u8, cb: u8, cr: u8) -> [u8; 3] {
    let (y, cb, cr) = (f64::from(y), f64::from(cb) - 128.0, f64::from(cr) - 128.0);
    let c = |v: f64| v.round().clamp(0.0, 255.0) as u8;
    [
        c(y + 1.402 * cr),
        c(y - 0.344_136 * cb - 0.714_136 * cr),
        c(y + 1.772 * cb),
    ]
}

fn render_color(info: &ImageInfo, frame: &DecodedFrame) -> Result<Vec<u8>, PixelError> {
    let bytes = colour_bytes(info, &frame.samples)?;
    // Two 16-bit factors, and three times that, fit a usize.
    let n = usize::from(frame.rows).saturating_mul(usize::from(frame.columns));
    let interleaved: Vec<u8> = if frame.planar && frame.color != ColorModel::YbrFull422 {
        // Colour-by-plane (PS3.3 C.7.6.3.1.3): the R plane, then G, then B.
        let (red, rest) = bytes.split_at(n.min(bytes.len()));
        let (green, blue) = rest.split_at(n.min(rest.len()));
        red.iter()
            .zip(green)
            .zip(blue)
            .flat_map(|((&r, &g), &b)| [r, g, b])
            .collect()
    } else {
        bytes
    };
    Ok(match frame.color {
        ColorModel::Rgb => {
            let mut v = interleaved;
            v.truncate(n.saturating_mul(3));
            v
        }
        ColorModel::YbrFull => interleaved
            .chunks_exact(3)
            .take(n)
            .flat_map(|p| ybr_to_rgb(p[0], p[1], p[2]))
            .collect(),
        ColorModel::YbrFull422 => interleaved
            .chunks_exact(4)
            .take(n / 2)
            .flat_map(|p| {
                let [a, b] = [ybr_to_rgb(p[0], p[2], p[3]), ybr_to_rgb(p[1], p[2], p[3])];
                [a[0], a[1], a[2], b[0], b[1], b[2]]
            })
            .collect(),
        ColorModel::Monochrome | ColorModel::Palette => unreachable_color(),
    })
}

fn unreachable_color() -> Vec<u8> {
    Vec::new()
}

/// PALETTE COLOR: each stored index looks up the red, green and blue LUTs (PS3.3 C.7.6.3.1.5).
fn render_palette(info: &ImageInfo, frame: &DecodedFrame) -> Result<Vec<u8>, PixelError> {
    let Some(palette) = &info.palette else {
        return Err(PixelError::InvalidAttributes(
            "PALETTE COLOR without palettes".into(),
        ));
    };
    let codec = StoredValueCodec::new(info);
    let scale = |lut: &crate::info::LookupTable, index: i64| {
        let v = f64::from(lut.lookup(index));
        (v * 255.0 / f64::from(lut.max_output()))
            .round()
            .clamp(0.0, 255.0) as u8
    };
    let index = |raw: u64| codec.value(codec.code(raw));
    let indices: Vec<i64> = match &frame.samples {
        Samples::U8(v) => v.iter().map(|&r| index(u64::from(r))).collect(),
        Samples::U16(v) => v.iter().map(|&r| index(u64::from(r))).collect(),
        _ => {
            return Err(PixelError::UnsupportedPixelFormat(
                "palette indices wider than 16 bits".into(),
            ));
        }
    };
    Ok(indices
        .into_iter()
        .flat_map(|i| {
            [
                scale(&palette[0], i),
                scale(&palette[1], i),
                scale(&palette[2], i),
            ]
        })
        .collect())
}
