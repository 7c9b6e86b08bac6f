//! Bounded caches: decoded frames by bytes (LRU), open files by count (LRU).
//!
//! The frame cache holds *decoded stored values*, not windowed 8-bit frames: measured on a
//! 512×512 16-bit CT, windowing a cached frame costs ≈ 0.17 ms while decoding costs 0.025 ms
//! (native) to 20+ ms (JPEG 2000), so a window/level drag re-windows cached frames and never
//! re-decodes; a windowed cache would be invalidated by every drag. Entries are `Arc`s: a frame
//! being drawn stays alive while the cache evicts it. The byte count includes only sample data
//! (a few hundred bytes of bookkeeping per entry are not counted).

use crate::codec::{DecodedFrame, Samples};
use crate::error::PixelError;
use crate::frames::PixelFile;
use lucent_index::FileFingerprint;
use std::collections::{BTreeMap, HashMap};
use std::hash::Hash;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// A least-recently-used map bounded by a weight (bytes, or 1 per entry).
#[derive(Debug)]
pub struct Lru<K, V> {
    entries: HashMap<K, (Arc<V>, u64, u64)>,
    order: BTreeMap<u64, K>,
    tick: u64,
    weight: u64,
    capacity: u64,
}

impl<K: Eq + Hash + Clone, V> Lru<K, V> {
    /// An empty map holding at most `capacity` weight.
    pub fn new(capacity: u64) -> Self {
        Lru {
            entries: HashMap::new(),
            order: BTreeMap::new(),
            tick: 0,
            weight: 0,
            capacity,
        }
    }

    /// The value, marking it most recently used.
    pub fn get(&mut self, key: &K) -> Option<Arc<V>> {
        // One tick per access: 2^64 accesses do not happen in a process's life.
        self.tick = self.tick.wrapping_add(1);
        let tick = self.tick;
        let (value, old, _) = self.entries.get_mut(key)?;
        self.order.remove(old);
        *old = tick;
        self.order.insert(tick, key.clone());
        Some(value.clone())
    }

    /// Inserts, evicting least-recently-used entries to stay within capacity. A value heavier
    /// than the whole capacity is not kept.
    pub fn insert(&mut self, key: K, value: Arc<V>, weight: u64) {
        if let Some((_, old, w)) = self.entries.remove(&key) {
            self.order.remove(&old);
            // `w` is part of `weight` (the sum of the entries' weights): no underflow.
            self.weight = self.weight.saturating_sub(w);
        }
        if weight > self.capacity {
            return;
        }
        // Saturated means more than any capacity, which is what the comparison asks.
        while self.weight.saturating_add(weight) > self.capacity {
            let Some((&oldest, _)) = self.order.iter().next() else {
                break;
            };
            if let Some(k) = self.order.remove(&oldest)
                && let Some((_, _, w)) = self.entries.remove(&k)
            {
                self.weight = self.weight.saturating_sub(w);
            }
        }
        self.tick = self.tick.wrapping_add(1);
        self.order.insert(self.tick, key.clone());
        self.entries.insert(key, (value, self.tick, weight));
        // Within capacity after the evictions above.
        self.weight = self.weight.saturating_add(weight);
    }

    /// Whether the key is present (without touching its recency).
    pub fn contains(&self, key: &K) -> bool {
        self.entries.contains_key(key)
    }

    /// Total weight held.
    pub fn weight(&self) -> u64 {
        self.weight
    }

    /// Entries held.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Changes the capacity, evicting as needed.
    pub fn set_capacity(&mut self, capacity: u64) {
        self.capacity = capacity;
        while self.weight > self.capacity {
            let Some((&oldest, _)) = self.order.iter().next() else {
                break;
            };
            if let Some(k) = self.order.remove(&oldest)
                && let Some((_, _, w)) = self.entries.remove(&k)
            {
                self.weight = self.weight.saturating_sub(w);
            }
        }
    }

    /// Removes everything.
    pub fn clear(&mut self) {
        self.entries.clear();
        self.order.clear();
        self.weight = 0;
    }
}

/// Bytes of sample data in a decoded frame.
pub fn frame_weight(frame: &DecodedFrame) -> u64 {
    let n = frame.samples.len() as u64;
    // The samples of a frame in memory times at most 8 bytes: no overflow.
    n.saturating_mul(match frame.samples {
        Samples::U8(_) => 1,
        Samples::U16(_) => 2,
        Samples::U32(_) | Samples::F32(_) => 4,
        Samples::F64(_) => 8,
    })
}

/// Hit/miss counters.
#[derive(Debug, Default)]
pub struct CacheStats {
    /// Frames served from the cache.
    pub hits: AtomicU64,
    /// Frames decoded.
    pub misses: AtomicU64,
}

/// A frame about to live in the cache, its large buffers in their own mappings.
fn mapped(frame: DecodedFrame) -> DecodedFrame {
    DecodedFrame {
        samples: frame.samples.into_mapped(),
        ..frame
    }
}

/// Default frame cache size: 1 GiB.
pub const DEFAULT_CACHE_BYTES: u64 = 1 << 30;
/// Open files kept (each holds a descriptor and its frame table).
pub const OPEN_FILES: u64 = 64;

/// A file as the study index knows it: where it is and what it must still be when its pixels
/// are read (PS3.3 C.12.1: the SOP Instance UID names the instance; the fingerprint the bytes).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IndexedFile {
    /// Where the file is.
    pub path: PathBuf,
    /// Its SOP Instance UID when indexed (empty when the file has none).
    pub sop_instance_uid: String,
    /// Its size, modification time and header hash when indexed.
    pub fingerprint: FileFingerprint,
}

impl IndexedFile {
    /// The file of an indexed instance.
    pub fn of(instance: &lucent_index::Instance) -> Self {
        IndexedFile {
            path: instance.path.clone(),
            sop_instance_uid: instance.sop_instance_uid.clone(),
            fingerprint: instance.fingerprint,
        }
    }
}

/// Decoded frames keyed by file, fingerprint and frame number: a file indexed again with other
/// content never gets the old file's frames.
type FrameKey = (PathBuf, FileFingerprint, u32);

/// Decoded frames and open files, shared by the foreground and the prefetch workers.
#[derive(Debug)]
pub struct FrameCache {
    frames: Mutex<Lru<FrameKey, DecodedFrame>>,
    files: Mutex<Lru<PathBuf, PixelFile>>,
    /// Hit/miss counters.
    pub stats: CacheStats,
    /// Bumped by [`FrameCache::clear`] (under the frames' lock): a frame whose decode started
    /// before a clear is returned to its caller but not kept, so an emptied cache stays empty
    /// of what was being decoded when it was emptied (the benchmarks' cold start, with other
    /// commands in flight).
    clears: std::sync::atomic::AtomicU64,
}

impl FrameCache {
    /// A cache holding at most `bytes` of decoded samples.
    pub fn new(bytes: u64) -> Self {
        FrameCache {
            frames: Mutex::new(Lru::new(bytes)),
            files: Mutex::new(Lru::new(OPEN_FILES)),
            stats: CacheStats::default(),
            clears: std::sync::atomic::AtomicU64::new(0),
        }
    }

    fn lock_frames(&self) -> std::sync::MutexGuard<'_, Lru<FrameKey, DecodedFrame>> {
        self.frames.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The open file for `file`, opening (and caching) it when needed. A file is opened with
    /// [`PixelFile::open_indexed`]: it must still be the file that was indexed.
    pub fn file(&self, file: &IndexedFile) -> Result<Arc<PixelFile>, PixelError> {
        if let Some(f) = self
            .files
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&file.path)
            && f.is_indexed_as(&file.sop_instance_uid, &file.fingerprint)
        {
            return Ok(f);
        }
        let opened = Arc::new(PixelFile::open_indexed(
            &file.path,
            &file.sop_instance_uid,
            &file.fingerprint,
        )?);
        self.files.lock().unwrap_or_else(|p| p.into_inner()).insert(
            file.path.clone(),
            opened.clone(),
            1,
        );
        Ok(opened)
    }

    fn key(file: &IndexedFile, k: u32) -> FrameKey {
        (file.path.clone(), file.fingerprint, k)
    }

    /// Frame `k` of `file`, decoded once and then served from memory.
    pub fn frame(&self, file: &IndexedFile, k: u32) -> Result<Arc<DecodedFrame>, PixelError> {
        Ok(self.frame_with_file(file, k)?.1)
    }

    /// Frame `k` of `file` as [`FrameCache::frame`] gives it, and the open file it came from
    /// (its attributes window the frame), looked up once.
    pub fn frame_with_file(
        &self,
        file: &IndexedFile,
        k: u32,
    ) -> Result<(Arc<PixelFile>, Arc<DecodedFrame>), PixelError> {
        let key = Self::key(file, k);
        if let Some(frame) = self.lock_frames().get(&key) {
            self.stats.hits.fetch_add(1, Ordering::Relaxed);
            return Ok((self.file(file)?, frame));
        }
        self.stats.misses.fetch_add(1, Ordering::Relaxed);
        let epoch = self.clears.load(Ordering::SeqCst);
        let opened = self.file(file)?;
        let decoded = Arc::new(mapped(opened.decode_frame(k)?));
        self.keep_unless_cleared(epoch, key, &decoded);
        Ok((opened, decoded))
    }

    /// Keeps a decoded frame unless the cache was cleared since its decode began (`epoch`).
    fn keep_unless_cleared(&self, epoch: u64, key: FrameKey, decoded: &Arc<DecodedFrame>) {
        let mut frames = self.lock_frames();
        if self.clears.load(Ordering::SeqCst) == epoch {
            frames.insert(key, decoded.clone(), frame_weight(decoded));
        }
    }

    /// Decodes into the cache without counting a hit or miss (prefetch).
    pub fn warm(&self, file: &IndexedFile, k: u32) -> Result<(), PixelError> {
        let key = Self::key(file, k);
        if self.lock_frames().contains(&key) {
            return Ok(());
        }
        let epoch = self.clears.load(Ordering::SeqCst);
        let decoded = Arc::new(self.file(file)?.decode_frame(k)?);
        self.keep_unless_cleared(epoch, key, &decoded);
        Ok(())
    }

    /// Whether frame `k` of `file` is cached.
    pub fn contains(&self, file: &IndexedFile, k: u32) -> bool {
        self.lock_frames().contains(&Self::key(file, k))
    }

    /// Bytes of decoded samples held.
    pub fn bytes(&self) -> u64 {
        self.lock_frames().weight()
    }

    /// Changes the byte cap.
    pub fn set_capacity(&self, bytes: u64) {
        self.lock_frames().set_capacity(bytes);
    }

    /// Empties the cache (frames and files) and resets the counters.
    pub fn clear(&self) {
        let mut frames = self.lock_frames();
        self.clears.fetch_add(1, Ordering::SeqCst);
        frames.clear();
        drop(frames);
        self.files.lock().unwrap_or_else(|p| p.into_inner()).clear();
        self.stats.hits.store(0, Ordering::Relaxed);
        self.stats.misses.store(0, Ordering::Relaxed);
    }

    /// Fraction of frame requests served from memory since the last clear.
    pub fn hit_rate(&self) -> f64 {
        let h = self.stats.hits.load(Ordering::Relaxed) as f64;
        let m = self.stats.misses.load(Ordering::Relaxed) as f64;
        if h + m == 0.0 { 0.0 } else { h / (h + m) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lru_evicts_least_recent_by_weight() {
        let mut lru: Lru<u32, &str> = Lru::new(10);
        lru.insert(1, Arc::new("a"), 4);
        lru.insert(2, Arc::new("b"), 4);
        assert!(lru.get(&1).is_some()); // 1 is now more recent than 2
        lru.insert(3, Arc::new("c"), 4); // over 10: evicts 2
        assert!(lru.contains(&1) && lru.contains(&3) && !lru.contains(&2));
        assert_eq!(lru.weight(), 8);
        lru.insert(4, Arc::new("too big"), 11);
        assert!(!lru.contains(&4), "heavier than the capacity: not kept");
        lru.set_capacity(4);
        assert_eq!(lru.len(), 1);
        assert!(lru.contains(&3));
    }
}
