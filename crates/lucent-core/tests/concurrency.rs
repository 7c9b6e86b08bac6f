//! Two viewports never wait on each other: with stack A held inside its decoder (a test-only
//! hold, `lucent_pixels::fault::DecodeHold`), stack B's frames, the study list and a new open
//! all complete while A is still held.

use lucent_core::{SeriesId, Session, VoiChoice};
use lucent_pixels::fault::DecodeHold;
use lucent_testdata::*;
use std::sync::Arc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How long the test waits for anything that should happen at once; a call blocked behind the
/// held decode never completes until the hold is released, so this bound only decides how soon
/// such a failure is reported.
const PATIENCE: Duration = Duration::from_secs(10);

fn two_stacks(dir: &std::path::Path) -> (Arc<Session>, SeriesId, SeriesId) {
    for (seed, name) in [(31, "PHANTOM^ALPHA"), (32, "PHANTOM^BRAVO")] {
        let study = StudyIdentity::phantom(seed, name);
        let p = CtSeries {
            seed,
            slices: 4,
            size: 64,
            ..CtSeries::default()
        };
        write_all(&dir.join(name), &ct_series_specs(&study, &p), None).unwrap();
    }
    let session = Arc::new(Session::new().with_data_dir(dir.join("lucent-data")));
    session.open(&[dir.join("PHANTOM^ALPHA")]).unwrap();
    session.open(&[dir.join("PHANTOM^BRAVO")]).unwrap();
    let studies = session.studies();
    let id_of = |name: &str| {
        studies
            .iter()
            .find(|s| s.patient.name.as_deref() == Some(name))
            .unwrap()
            .series[0]
            .id
    };
    (
        session.clone(),
        id_of("PHANTOM^ALPHA"),
        id_of("PHANTOM^BRAVO"),
    )
}

fn forget_key(data: &std::path::Path) {
    let _ = lucent_audit::AuditKeychain::open(data).and_then(|k| k.forget());
}

/// Runs `f` on its own thread; what it returned and how long the call itself took, if it
/// completed within [`PATIENCE`].
fn completes<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Option<(T, Duration)> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let started = Instant::now();
        let value = f();
        let _ = tx.send((value, started.elapsed()));
    });
    rx.recv_timeout(PATIENCE).ok()
}

#[test]
fn a_stack_held_in_its_decoder_does_not_hold_up_another_stack() {
    let dir = tempfile::tempdir().unwrap();
    let (session, a, b) = two_stacks(dir.path());
    let voi = VoiChoice::FromHeader;
    // Viewport B has shown frame 0 (now cached); viewport A has shown nothing.
    let b_first = session.stack_frame(b, 0, voi).unwrap();
    let a_frame = session.frames(a).unwrap()[0];
    let a_uid = session.instance(a_frame.instance).unwrap().sop_instance_uid;

    let hold = DecodeHold::arm(&a_uid);
    let held = {
        let session = session.clone();
        std::thread::spawn(move || session.stack_frame(a, 0, voi))
    };
    assert!(
        hold.wait_until_entered(PATIENCE),
        "stack A's decode never started"
    );

    // B's cached frame: returns at once, the same pixels.
    let (cached, took) = {
        let session = session.clone();
        completes(move || session.stack_frame(b, 0, voi))
            .expect("B's cached frame waited for A's decode")
    };
    assert_eq!(cached.unwrap(), b_first);
    assert!(
        took < Duration::from_millis(50),
        "B's cached frame took {took:?} while A was decoding"
    );
    // B's next frame, not cached: decoded while A is still held.
    let (uncached, _) = {
        let session = session.clone();
        completes(move || session.stack_frame(b, 1, voi))
            .expect("B's uncached frame waited for A's decode")
    };
    uncached.unwrap();
    // The browser's list and its values probe do not wait either.
    let (studies, _) = {
        let session = session.clone();
        completes(move || session.studies()).expect("the study list waited for A's decode")
    };
    assert_eq!(studies.len(), 2);
    let (values, _) = {
        let session = session.clone();
        completes(move || session.frame_values(b, 0)).expect("B's values waited for A's decode")
    };
    values.unwrap();

    assert!(!held.is_finished(), "A must still be held while B was read");
    hold.release();
    let a_rendered = held.join().unwrap().unwrap();
    assert_eq!((a_rendered.width, a_rendered.height), (64, 64));
    forget_key(&dir.path().join("lucent-data"));
}

#[test]
fn an_open_does_not_wait_for_a_decode_and_ids_stay_valid() {
    let dir = tempfile::tempdir().unwrap();
    let (session, a, b) = two_stacks(dir.path());
    let voi = VoiChoice::FromHeader;
    let a_uid = {
        let frame = session.frames(a).unwrap()[1];
        session.instance(frame.instance).unwrap().sop_instance_uid
    };
    let hold = DecodeHold::arm(&a_uid);
    let held = {
        let session = session.clone();
        std::thread::spawn(move || session.stack_frame(a, 1, voi))
    };
    assert!(hold.wait_until_entered(PATIENCE));
    // Re-opening (the same roots again) swaps the catalogue while A decodes from the old one.
    let again = dir.path().join("PHANTOM^BRAVO");
    let (opened, _) = {
        let session = session.clone();
        completes(move || session.open(&[again])).expect("an open waited for A's decode")
    };
    opened.unwrap();
    hold.release();
    held.join().unwrap().unwrap();
    // Ids handed out before the open still name the same stacks.
    assert_eq!(session.frame_count(a).unwrap(), 4);
    assert_eq!(session.frame_count(b).unwrap(), 4);
    forget_key(&dir.path().join("lucent-data"));
}
