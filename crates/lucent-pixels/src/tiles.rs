//! Tiles and a pyramid for large images: a coarse level first, then full-resolution tiles of
//! the visible region. Downsampling averages 2×2 blocks of display pixels; measurements and pixel
//! probes never use these levels (they read the decoded frame).

use crate::render::RenderedFrame;
use std::num::NonZeroU32;

/// Edge of a tile in pixels.
pub const TILE: u32 = 256;

/// One tile of one level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tile {
    /// Level (0 = full resolution).
    pub level: u32,
    /// Left pixel at this level.
    pub x: u32,
    /// Top pixel at this level.
    pub y: u32,
    /// Width (≤ TILE).
    pub width: u32,
    /// Height (≤ TILE).
    pub height: u32,
    /// 1 or 3.
    pub channels: u8,
    /// Row-major pixels.
    pub pixels: Vec<u8>,
}

/// Level 0 (the rendered frame) and 2× reductions down to a level that fits `coarse_max`.
#[derive(Debug, Clone)]
pub struct Pyramid {
    levels: Vec<RenderedFrame>,
}

fn half(src: &RenderedFrame) -> RenderedFrame {
    let (w, h, c) = (
        src.width.div_ceil(2),
        src.height.div_ceil(2),
        usize::from(src.channels),
    );
    let (sw, sh) = (src.width as usize, src.height as usize);
    // Positions and sizes of a frame held in memory, and sums of four 8-bit values: the
    // saturating operations never saturate (sw, sh ≥ 1 whenever a pixel is visited).
    let mut pixels = Vec::with_capacity((w as usize).saturating_mul(h as usize).saturating_mul(c));
    let pair = |i: usize, len: usize| {
        let first = i.saturating_mul(2);
        (first, first.saturating_add(1).min(len.saturating_sub(1)))
    };
    for y in 0..h as usize {
        let (y0, y1) = pair(y, sh);
        for x in 0..w as usize {
            let (x0, x1) = pair(x, sw);
            for ch in 0..c {
                let at = |xx: usize, yy: usize| {
                    let pixel = yy.saturating_mul(sw).saturating_add(xx);
                    u32::from(src.pixels[pixel.saturating_mul(c).saturating_add(ch)])
                };
                let sum = at(x0, y0)
                    .saturating_add(at(x1, y0))
                    .saturating_add(at(x0, y1))
                    .saturating_add(at(x1, y1));
                pixels.push((sum.saturating_add(2) / 4) as u8);
            }
        }
    }
    RenderedFrame {
        width: w,
        height: h,
        channels: src.channels,
        pixels,
        lossy: src.lossy,
        notes: src.notes.clone(),
    }
}

impl Pyramid {
    /// Builds levels until the coarsest fits in `coarse_max` × `coarse_max`.
    pub fn new(full: RenderedFrame, coarse_max: u32) -> Self {
        let mut levels = vec![full];
        while let Some(last) = levels.last() {
            if last.width.max(last.height) <= coarse_max.max(1) || last.width.max(last.height) <= 1
            {
                break;
            }
            let next = half(last);
            levels.push(next);
        }
        Pyramid { levels }
    }

    /// Number of levels.
    pub fn levels(&self) -> u32 {
        self.levels.len() as u32
    }

    /// A level (0 = full resolution).
    pub fn level(&self, level: u32) -> Option<&RenderedFrame> {
        self.levels.get(level as usize)
    }

    /// The coarsest level: what is shown first.
    pub fn coarsest(&self) -> &RenderedFrame {
        self.levels
            .last()
            .expect("a pyramid has at least one level")
    }

    /// Tile (tx, ty) of a level, `None` outside the image.
    pub fn tile(&self, level: u32, tx: u32, ty: u32) -> Option<Tile> {
        let img = self.level(level)?;
        let (x, y) = (tx.checked_mul(TILE)?, ty.checked_mul(TILE)?);
        if x >= img.width || y >= img.height {
            return None;
        }
        // x < width and y < height (just checked), and the tile lies inside the level's
        // pixels in memory: no difference, sum or product here overflows.
        let (w, h) = (
            img.width.saturating_sub(x).min(TILE),
            img.height.saturating_sub(y).min(TILE),
        );
        let c = usize::from(img.channels);
        let row_len = (w as usize).saturating_mul(c);
        let mut pixels = Vec::with_capacity(row_len.saturating_mul(h as usize));
        for row in y..y.saturating_add(h) {
            let pixel = (row as usize)
                .saturating_mul(img.width as usize)
                .saturating_add(x as usize);
            let start = pixel.saturating_mul(c);
            pixels.extend_from_slice(&img.pixels[start..start.saturating_add(row_len)]);
        }
        Some(Tile {
            level,
            x,
            y,
            width: w,
            height: h,
            channels: img.channels,
            pixels,
        })
    }

    /// The tiles of `level` that intersect the region (x, y, w, h) given in level-0 pixels.
    pub fn visible_tiles(&self, level: u32, region: (u32, u32, u32, u32)) -> Vec<(u32, u32)> {
        let Some(img) = self.level(level) else {
            return Vec::new();
        };
        // A level below the pyramid's depth (< 32): the shift never gives 0.
        let scale = NonZeroU32::new(1u32 << level).unwrap_or(NonZeroU32::MIN);
        let (x0, y0) = (region.0 / scale / TILE, region.1 / scale / TILE);
        let x1 =
            (region.0.saturating_add(region.2) / scale).min(img.width.saturating_sub(1)) / TILE;
        let y1 =
            (region.1.saturating_add(region.3) / scale).min(img.height.saturating_sub(1)) / TILE;
        (y0..=y1)
            .flat_map(|ty| (x0..=x1).map(move |tx| (tx, ty)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ramp(width: u32, height: u32) -> RenderedFrame {
        let pixels = (0..width * height)
            .map(|i| ((i % width) * 255 / width.max(1)) as u8)
            .collect();
        RenderedFrame::grey(width, height, pixels)
    }

    #[test]
    fn pyramid_halves_until_coarse_and_tiles_cover_the_image() {
        let p = Pyramid::new(ramp(4000, 5000), 512);
        assert_eq!(p.levels(), 5); // 5000 → 2500 → 1250 → 625 → 313
        let coarse = p.coarsest();
        assert_eq!((coarse.width, coarse.height), (250, 313));
        let tiles = p.visible_tiles(0, (0, 0, 4000, 5000));
        assert_eq!(tiles.len(), 16 * 20);
        let edge = p.tile(0, 15, 19).unwrap();
        assert_eq!(
            (edge.x, edge.y, edge.width, edge.height),
            (3840, 4864, 160, 136)
        );
        assert_eq!(p.tile(0, 16, 0), None);
        // A tile holds exactly the pixels of its region.
        let full = p.level(0).unwrap();
        let t = p.tile(0, 2, 3).unwrap();
        assert_eq!(
            t.pixels[0],
            full.pixels[(3 * 256 * 4000 + 2 * 256) as usize]
        );
        // Averaging keeps the mean (±1 rounding).
        let mean = |f: &RenderedFrame| {
            f.pixels.iter().map(|&v| f64::from(v)).sum::<f64>() / f.pixels.len() as f64
        };
        assert!((mean(full) - mean(p.level(1).unwrap())).abs() < 1.0);
    }

    #[test]
    fn visible_tiles_of_a_region() {
        let p = Pyramid::new(ramp(1000, 1000), 512);
        assert_eq!(p.visible_tiles(0, (300, 300, 100, 100)), vec![(1, 1)]);
        assert_eq!(
            p.visible_tiles(0, (200, 0, 400, 10)),
            vec![(0, 0), (1, 0), (2, 0)]
        );
        assert_eq!(
            p.visible_tiles(1, (0, 0, 1000, 1000)),
            vec![(0, 0), (1, 0), (0, 1), (1, 1)]
        );
    }
}
