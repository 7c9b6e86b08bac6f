//! A deliberately broken decoder, for tests only (cargo feature `test-fault`; release binaries
//! are built without it and `scripts/check-release-binaries.sh` proves the variable's name is
//! absent from them). It proves the pixel checks can fail: the golden tests and
//! `lucent-bench decode`'s pixel check must catch each fault.
//!
//! [`Fault::ShiftBlock`] moves one 64×64 block of every decoded frame 16 pixels to the right (a
//! wrong region the mean absolute difference alone hides); [`Fault::OneValue`] changes one stored
//! value by 1 (its lowest bit flipped) (invisible in a render, caught only by the exact stored-value comparison).
//! The fault is chosen per thread ([`with`]) or, for a whole process such as the harness binary,
//! by the environment variable `LUCENT_TEST_FAULT` (`shift-block` or `one-value`).

use crate::codec::{DecodedFrame, Samples};
use std::cell::Cell;
use std::num::NonZeroUsize;

/// The environment variable that switches a fault on for a process.
pub const FAULT_VARIABLE: &str = "LUCENT_TEST_FAULT";

/// The side of the moved block, and how far it moves.
pub const BLOCK: usize = 64;
/// How far the block moves to the right.
pub const SHIFT: usize = 16;

/// A fault injected after decoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The 64×64 block at [`block_origin`] is drawn 16 pixels to the right of where it belongs.
    ShiftBlock,
    /// The first sample of the frame's centre pixel differs by 1 (lowest bit flipped).
    OneValue,
}

impl Fault {
    fn from_env() -> Option<Fault> {
        match std::env::var(FAULT_VARIABLE).ok()?.as_str() {
            "shift-block" => Some(Fault::ShiftBlock),
            "one-value" => Some(Fault::OneValue),
            _ => None,
        }
    }
}

thread_local! {
    static ACTIVE: Cell<Option<Fault>> = Cell::new(Fault::from_env());
}

/// Runs `f` with `fault` injected into every frame this thread decodes.
pub fn with<R>(fault: Fault, f: impl FnOnce() -> R) -> R {
    let before = ACTIVE.with(|a| a.replace(Some(fault)));
    let result = f();
    ACTIVE.with(|a| a.set(before));
    result
}

/// Top-left pixel of the moved block: (64, 64), or as near as the image allows.
pub fn block_origin(rows: usize, columns: usize) -> Option<(usize, usize)> {
    let x = 64.min(columns.checked_sub(BLOCK + SHIFT)?);
    let y = 64.min(rows.checked_sub(BLOCK)?);
    Some((x, y))
}

fn shift_block<T: Copy>(s: &mut [T], rows: usize, columns: usize, spp: usize) {
    let Some((x0, y0)) = block_origin(rows, columns) else {
        return;
    };
    // Inside the frame (block_origin keeps the block and its shift within rows × columns):
    // no sum or product here overflows.
    for y in y0..y0.saturating_add(BLOCK) {
        let from = y
            .saturating_mul(columns)
            .saturating_add(x0)
            .saturating_mul(spp);
        s.copy_within(
            from..from.saturating_add(BLOCK.saturating_mul(spp)),
            from.saturating_add(SHIFT.saturating_mul(spp)),
        );
    }
}

/// Applies this thread's fault, if any, to a decoded frame (interleaved or by plane: the
/// block moves in the first plane only when by plane, which is still a wrong region).
pub(crate) fn inject(frame: &mut DecodedFrame) {
    let Some(fault) = ACTIVE.with(Cell::get) else {
        return;
    };
    let (rows, columns) = (usize::from(frame.rows), usize::from(frame.columns));
    // Two 16-bit factors and a pixel index of the frame: no overflow.
    let pixels = NonZeroUsize::new(rows.saturating_mul(columns));
    let spp = match pixels {
        Some(pixels) if !frame.planar => (frame.samples.len() / pixels).max(1),
        _ => 1,
    };
    let centre = (rows / 2)
        .saturating_mul(columns)
        .saturating_add(columns / 2)
        .saturating_mul(spp);
    macro_rules! apply {
        ($s:expr, $one:expr) => {{
            let s = $s.as_mut_slice();
            match fault {
                Fault::ShiftBlock => shift_block(s, rows, columns, spp),
                Fault::OneValue => {
                    if let Some(v) = s.get_mut(centre) {
                        *v = $one(*v);
                    }
                }
            }
        }};
    }
    match &mut frame.samples {
        Samples::U8(s) => apply!(s, |v: u8| v ^ 1),
        Samples::U16(s) => apply!(s, |v: u16| v ^ 1),
        Samples::U32(s) => apply!(s, |v: u32| v ^ 1),
        Samples::F32(s) => apply!(s, |v: f32| v + 1.0),
        Samples::F64(s) => apply!(s, |v: f64| v + 1.0),
    }
}

/// A decode that waits, for the concurrency tests: while a [`DecodeHold`] is armed for a SOP
/// Instance UID, a decode of that instance (on any thread) says it has started and then waits
/// until the hold is released (or dropped). A test can so keep one stack busy inside its decoder
/// for as long as it likes, deterministically, and check that another stack is not held up.
#[derive(Debug)]
pub struct DecodeHold {
    /// One hold at a time: a second `arm` (another test thread) waits for this one to end.
    _one_at_a_time: std::sync::MutexGuard<'static, ()>,
}

static ONE_HOLD: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[derive(Debug, Default)]
struct HoldState {
    /// The held instance, while armed.
    sop_instance_uid: Option<String>,
    /// Decodes of it that have started.
    entered: usize,
}

static HOLD: std::sync::Mutex<HoldState> = std::sync::Mutex::new(HoldState {
    sop_instance_uid: None,
    entered: 0,
});
static HOLD_CHANGED: std::sync::Condvar = std::sync::Condvar::new();

fn hold_state() -> std::sync::MutexGuard<'static, HoldState> {
    HOLD.lock().unwrap_or_else(|p| p.into_inner())
}

impl DecodeHold {
    /// Holds every decode of the instance `sop_instance_uid` until [`DecodeHold::release`].
    /// One hold at a time per process: arming waits for an earlier hold to end.
    pub fn arm(sop_instance_uid: &str) -> DecodeHold {
        let one = ONE_HOLD.lock().unwrap_or_else(|p| p.into_inner());
        let mut state = hold_state();
        state.sop_instance_uid = Some(sop_instance_uid.to_string());
        state.entered = 0;
        DecodeHold {
            _one_at_a_time: one,
        }
    }

    /// Waits until a decode of the held instance has started (and is waiting), at most
    /// `timeout`; whether one did.
    pub fn wait_until_entered(&self, timeout: std::time::Duration) -> bool {
        let state = hold_state();
        let (state, _) = HOLD_CHANGED
            .wait_timeout_while(state, timeout, |s| s.entered == 0)
            .unwrap_or_else(|p| p.into_inner());
        state.entered > 0
    }

    /// Lets the held decodes go on.
    pub fn release(self) {}
}

impl Drop for DecodeHold {
    fn drop(&mut self) {
        hold_state().sop_instance_uid = None;
        HOLD_CHANGED.notify_all();
    }
}

/// Called at the start of every decode: waits while the instance is held.
pub(crate) fn wait_if_held(sop_instance_uid: &str) {
    let mut state = hold_state();
    if state.sop_instance_uid.as_deref() != Some(sop_instance_uid) {
        return;
    }
    state.entered = state.entered.saturating_add(1);
    HOLD_CHANGED.notify_all();
    let _released = HOLD_CHANGED
        .wait_while(state, |s| {
            s.sop_instance_uid.as_deref() == Some(sop_instance_uid)
        })
        .unwrap_or_else(|p| p.into_inner());
}
