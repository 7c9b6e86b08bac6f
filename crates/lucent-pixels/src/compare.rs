//! The one pixel metric of Lucent's QA: how far a rendered frame is from a reference decoder's
//! render of the same frame. Used by the golden tests, the harness's pixel check and the
//! conformance report (`docs/CONFORMANCE.md`), so every "matches" means the same thing.
//!
//! A mean alone hides a wrong region (a 64×64 block moved by 16 pixels in a 512×512 image moves
//! the mean by less than one grey level), so the metric has three numbers: the mean absolute
//! difference per sample, the fraction of samples more than 1 level off, and the worst 32×32
//! tile's mean absolute difference (tiles at the right and bottom edges are partial). A frame is
//! within a [`Tolerance`] when all three are. A size or channel mismatch is a failure, never a
//! number. Lossless data is compared by its stored values instead ([`crate::stored`]); this
//! metric is for renders (lossy data, colour, VOI).

use crate::render::RenderedFrame;
use std::fmt;

/// The side of the square tiles of [`Difference::worst_tile`].
pub const TILE: u32 = 32;

/// [`TILE`] as an index width.
const TILE_SIDE: usize = TILE as usize;

/// The largest differences a render may have from the reference's.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tolerance {
    /// Mean absolute difference per sample, in grey levels.
    pub mean: f64,
    /// Fraction of samples (0–1) more than 1 grey level off.
    pub fraction_off: f64,
    /// Mean absolute difference of any 32×32 tile.
    pub tile_mean: f64,
}

impl Tolerance {
    /// Lossless data: mean ≤ 1, at most 0.1 % of samples more than 1 level off, no tile above 2.
    pub const LOSSLESS: Tolerance = Tolerance {
        mean: 1.0,
        fraction_off: 0.001,
        tile_mean: 2.0,
    };
    /// Lossy data (PS3.3 C.7.6.1.1.5): mean ≤ 2, at most 1 % of samples more than 1 level off,
    /// no tile above 4.
    pub const LOSSY: Tolerance = Tolerance {
        mean: 2.0,
        fraction_off: 0.01,
        tile_mean: 4.0,
    };

    /// [`Tolerance::LOSSY`] when `lossy`, else [`Tolerance::LOSSLESS`].
    pub fn for_lossy(lossy: bool) -> Tolerance {
        if lossy {
            Tolerance::LOSSY
        } else {
            Tolerance::LOSSLESS
        }
    }
}

impl fmt::Display for Tolerance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "mean ≤ {}, ≤ {} % of samples > 1 level off, no {TILE}×{TILE} tile mean > {}",
            self.mean,
            self.fraction_off * 100.0,
            self.tile_mean
        )
    }
}

/// The worst tile: its top-left pixel, size (partial at the edges) and mean absolute difference.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tile {
    /// Column of the top-left pixel.
    pub x: u32,
    /// Row of the top-left pixel.
    pub y: u32,
    /// Width (32, less at the right edge).
    pub width: u32,
    /// Height (32, less at the bottom edge).
    pub height: u32,
    /// Mean absolute difference per sample in the tile.
    pub mean: f64,
}

/// How far two renders of the same size are apart.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Difference {
    /// Mean absolute difference per sample.
    pub mean: f64,
    /// Fraction of samples (0–1) more than 1 level off.
    pub fraction_off: f64,
    /// The tile with the largest mean absolute difference (the first such, in row order).
    pub worst_tile: Tile,
}

impl Difference {
    /// Whether all three numbers are within `tolerance`.
    pub fn within(&self, tolerance: Tolerance) -> bool {
        self.mean <= tolerance.mean
            && self.fraction_off <= tolerance.fraction_off
            && self.worst_tile.mean <= tolerance.tile_mean
    }
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = &self.worst_tile;
        write!(
            f,
            "mean absolute difference {:.3}, {:.3} % of samples > 1 level off, worst tile mean {:.3} at x {}, y {} ({}×{})",
            self.mean,
            self.fraction_off * 100.0,
            t.mean,
            t.x,
            t.y,
            t.width,
            t.height
        )
    }
}

/// Why two renders cannot be compared: not the same image geometry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShapeMismatch {
    /// Width, height, channels of the render under test.
    pub actual: (u32, u32, u8),
    /// Width, height, channels of the reference.
    pub expected: (u32, u32, u8),
}

impl fmt::Display for ShapeMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (a, e) = (self.actual, self.expected);
        write!(
            f,
            "sizes differ: {}×{}×{} against the reference's {}×{}×{}",
            a.0, a.1, a.2, e.0, e.1, e.2
        )
    }
}

/// The outcome of a comparison: within tolerance, or why not, with the numbers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Verdict {
    /// Same geometry, and all three numbers within the tolerance.
    Within(Difference),
    /// Same geometry, not within the tolerance.
    Outside(Difference),
    /// Another size or channel count: a failure.
    Shape(ShapeMismatch),
}

impl Verdict {
    /// Whether the render matches.
    pub fn matches(&self) -> bool {
        matches!(self, Verdict::Within(_))
    }

    /// The numbers, when the geometry agreed.
    pub fn difference(&self) -> Option<Difference> {
        match self {
            Verdict::Within(d) | Verdict::Outside(d) => Some(*d),
            Verdict::Shape(_) => None,
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::Within(d) | Verdict::Outside(d) => d.fmt(f),
            Verdict::Shape(s) => s.fmt(f),
        }
    }
}

/// The three numbers of `actual` against `expected`; an error when the sizes or channel counts
/// differ (or a pixel buffer does not hold width × height × channels samples).
pub fn difference(
    actual: &RenderedFrame,
    expected: &RenderedFrame,
) -> Result<Difference, ShapeMismatch> {
    let shape = |r: &RenderedFrame| (r.width, r.height, r.channels);
    let mismatch = ShapeMismatch {
        actual: shape(actual),
        expected: shape(expected),
    };
    // A size no buffer can hold is a mismatch, never an overflow.
    let Some(samples) = u64::from(actual.width)
        .checked_mul(u64::from(actual.height))
        .and_then(|n| n.checked_mul(u64::from(actual.channels)))
    else {
        return Err(mismatch);
    };
    if mismatch.actual != mismatch.expected
        || actual.pixels.len() as u64 != samples
        || expected.pixels.len() as u64 != samples
    {
        return Err(mismatch);
    }
    // From here on every index and count is below `samples`, the length of a buffer in memory,
    // so the saturating operations below never saturate.
    let (width, height) = (actual.width as usize, actual.height as usize);
    let channels = usize::from(actual.channels);
    let tiles_across = width.div_ceil(TILE_SIDE);
    let tiles_down = height.div_ceil(TILE_SIDE);
    let mut tile_sums = vec![0u64; tiles_across.saturating_mul(tiles_down)];
    let (mut sum, mut off) = (0u64, 0u64);
    let row_len = width.saturating_mul(channels);
    for (y, (a_row, e_row)) in actual
        .pixels
        .chunks_exact(row_len.max(1))
        .zip(expected.pixels.chunks_exact(row_len.max(1)))
        .enumerate()
    {
        let tile_row = (y / TILE_SIDE).saturating_mul(tiles_across);
        // The samples of one tile column in this row.
        let tile_len = channels.saturating_mul(TILE_SIDE).max(1);
        for (column_tile, (a_tile, e_tile)) in a_row
            .chunks(tile_len)
            .zip(e_row.chunks(tile_len))
            .enumerate()
        {
            let tile = &mut tile_sums[tile_row.saturating_add(column_tile)];
            for (a, e) in a_tile.iter().zip(e_tile) {
                let d = u64::from(a.abs_diff(*e));
                // At most 255 per sample, and fewer than 2^64 / 255 samples: no overflow.
                sum = sum.saturating_add(d);
                off = off.saturating_add(u64::from(d > 1));
                *tile = tile.saturating_add(d);
            }
        }
    }
    let mut worst = Tile {
        x: 0,
        y: 0,
        width: actual.width.min(TILE),
        height: actual.height.min(TILE),
        mean: 0.0,
    };
    for (tile_y, tile_row) in tile_sums.chunks(tiles_across.max(1)).enumerate() {
        for (tile_x, &tile_sum) in tile_row.iter().enumerate() {
            // A tile's origin lies inside the frame, so the products stay below width / height
            // and the differences are not negative.
            let x = (tile_x as u32).saturating_mul(TILE);
            let y = (tile_y as u32).saturating_mul(TILE);
            let (w, h) = (
                TILE.min(actual.width.saturating_sub(x)),
                TILE.min(actual.height.saturating_sub(y)),
            );
            let tile_samples = u64::from(w)
                .saturating_mul(u64::from(h))
                .saturating_mul(channels as u64);
            let mean = tile_sum as f64 / tile_samples as f64;
            if mean > worst.mean {
                worst = Tile {
                    x,
                    y,
                    width: w,
                    height: h,
                    mean,
                };
            }
        }
    }
    let n = samples.max(1) as f64;
    Ok(Difference {
        mean: sum as f64 / n,
        fraction_off: off as f64 / n,
        worst_tile: worst,
    })
}

/// `actual` against `expected` under `tolerance`.
pub fn compare(actual: &RenderedFrame, expected: &RenderedFrame, tolerance: Tolerance) -> Verdict {
    match difference(actual, expected) {
        Ok(d) if d.within(tolerance) => Verdict::Within(d),
        Ok(d) => Verdict::Outside(d),
        Err(s) => Verdict::Shape(s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(width: u32, height: u32, f: impl Fn(u32, u32) -> u8) -> RenderedFrame {
        let pixels = (0..height)
            .flat_map(|y| (0..width).map(move |x| (x, y)))
            .map(|(x, y)| f(x, y))
            .collect();
        RenderedFrame::grey(width, height, pixels)
    }

    fn texture(x: u32, y: u32) -> u8 {
        ((x * 37 + y * 91) % 200) as u8
    }

    #[test]
    fn identical_frames_have_no_difference() {
        let a = frame(70, 40, texture);
        let d = difference(&a, &a).unwrap();
        assert_eq!((d.mean, d.fraction_off, d.worst_tile.mean), (0.0, 0.0, 0.0));
        assert!(compare(&a, &a, Tolerance::LOSSLESS).matches());
    }

    /// The case the mean alone misses: one 64×64 block moved 16 pixels in a 512×512 texture has
    /// a mean difference below 1 but fails on the fraction and on the tile, which it names.
    #[test]
    fn a_shifted_block_passes_the_mean_and_fails_the_metric() {
        let a = frame(512, 512, texture);
        let b = frame(512, 512, |x, y| {
            if (200..264).contains(&y) && (216..280).contains(&x) {
                texture(x - 16, y)
            } else {
                texture(x, y)
            }
        });
        let d = difference(&b, &a).unwrap();
        assert!(d.mean <= 1.0, "{d}");
        assert!(d.fraction_off > Tolerance::LOSSLESS.fraction_off, "{d}");
        assert!(d.worst_tile.mean > Tolerance::LOSSY.tile_mean, "{d}");
        assert!((200..264).contains(&d.worst_tile.y) && (192..280).contains(&d.worst_tile.x));
        assert!(!compare(&b, &a, Tolerance::LOSSY).matches());
        assert!(d.to_string().contains("worst tile mean"));
    }

    #[test]
    fn edge_tiles_are_partial_and_averaged_over_their_own_pixels() {
        let a = frame(40, 40, |_, _| 0);
        // The bottom-right tile is 8×8 pixels; all of them 8 levels off.
        let b = frame(40, 40, |x, y| if x >= 32 && y >= 32 { 8 } else { 0 });
        let d = difference(&b, &a).unwrap();
        assert_eq!(
            d.worst_tile,
            Tile {
                x: 32,
                y: 32,
                width: 8,
                height: 8,
                mean: 8.0
            }
        );
    }

    #[test]
    fn small_noise_everywhere_is_within_and_another_size_is_not() {
        let a = frame(64, 64, texture);
        let b = frame(64, 64, |x, y| {
            texture(x, y).saturating_add(((x + y) % 2) as u8)
        });
        assert!(compare(&b, &a, Tolerance::LOSSLESS).matches());
        let c = frame(64, 63, texture);
        assert!(matches!(
            compare(&c, &a, Tolerance::LOSSY),
            Verdict::Shape(_)
        ));
        let mut rgb = a.clone();
        rgb.channels = 3;
        assert!(difference(&rgb, &a).is_err());
    }
}
