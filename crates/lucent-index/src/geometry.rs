//! Image plane geometry: splitting a series into stacks and sorting each stack.
//!
//! PS3.3 C.7.6.2.1.1: Image Orientation (Patient) gives the row and column direction cosines;
//! their cross product is the slice normal, and the projection of Image Position (Patient) on the
//! normal is the slice's location along the stack. Sorting by that projection is right for gantry
//! tilt and oblique stacks, where neither InstanceNumber nor a single coordinate is reliable.

/// What the stack builder needs to know about one instance.
#[derive(Debug, Clone, PartialEq)]
pub struct SliceGeometry {
    /// Image Position (Patient), mm.
    pub position: Option<[f64; 3]>,
    /// Image Orientation (Patient): row cosines then column cosines.
    pub orientation: Option<[f64; 6]>,
    /// Instance Number (0020,0013).
    pub instance_number: Option<i64>,
    /// Rows × Columns: differently sized images never share a stack.
    pub size: (u16, u16),
    /// Frames in the instance; a multi-frame instance is a stack of its own.
    pub frames: u32,
    /// Acquisition Number, Echo Numbers, Temporal Position Identifier: used to separate stacks
    /// that revisit the same positions.
    pub acquisition_key: AcquisitionKey,
    /// SOP Instance UID, the last tie-breaker (deterministic order).
    pub sop_instance_uid: String,
}

/// Acquisition Number, Echo Numbers, Temporal Position Identifier.
pub type AcquisitionKey = (Option<i64>, Option<i64>, Option<i64>);

/// Single-frame instances that may share a stack: (rows, columns), orientation, members.
type SizeOrientationGroup = ((u16, u16), Option<[f64; 6]>, Vec<usize>);

/// Directions closer than this (cosine of ~0.8°) count as the same orientation.
const SAME_DIRECTION_COS: f64 = 0.9999;

/// Positions along the normal closer than this (mm) count as the same slice location.
const SAME_LOCATION_MM: f64 = 0.01;

/// The unit slice normal of an orientation, `None` when the cosines are degenerate.
pub fn slice_normal(orientation: &[f64; 6]) -> Option<[f64; 3]> {
    let r = [orientation[0], orientation[1], orientation[2]];
    let c = [orientation[3], orientation[4], orientation[5]];
    let n = [
        r[1] * c[2] - r[2] * c[1],
        r[2] * c[0] - r[0] * c[2],
        r[0] * c[1] - r[1] * c[0],
    ];
    let len = (n[0] * n[0] + n[1] * n[1] + n[2] * n[2]).sqrt();
    (len.is_finite() && len > 1e-6).then(|| [n[0] / len, n[1] / len, n[2] / len])
}

/// Location of a slice along the normal: the projection of its position (PS3.3 C.7.6.2.1.1).
pub fn location_along(normal: &[f64; 3], position: &[f64; 3]) -> f64 {
    normal[0] * position[0] + normal[1] * position[1] + normal[2] * position[2]
}

fn unit(v: [f64; 3]) -> Option<[f64; 3]> {
    let len = (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt();
    (len.is_finite() && len > 1e-6).then(|| [v[0] / len, v[1] / len, v[2] / len])
}

fn same_orientation(a: &[f64; 6], b: &[f64; 6]) -> bool {
    let dir = |o: &[f64; 6], k: usize| unit([o[k], o[k + 1], o[k + 2]]);
    match (dir(a, 0), dir(b, 0), dir(a, 3), dir(b, 3)) {
        (Some(ra), Some(rb), Some(ca), Some(cb)) => {
            let dot = |x: [f64; 3], y: [f64; 3]| x[0] * y[0] + x[1] * y[1] + x[2] * y[2];
            dot(ra, rb) > SAME_DIRECTION_COS && dot(ca, cb) > SAME_DIRECTION_COS
        }
        _ => false,
    }
}

/// Splits instances of one series into stacks, each sorted in display order, and orders the
/// stacks. Returns indices into `slices`.
///
/// Rules: a multi-frame instance is its own stack; single-frame instances are grouped by image
/// size and orientation; a group whose slices revisit a location is split by acquisition key
/// (acquisition, echo, temporal position), else by visit order. A stack with complete geometry is
/// sorted by ascending location along the normal; otherwise by InstanceNumber.
pub fn build_stacks(slices: &[SliceGeometry]) -> Vec<Vec<usize>> {
    let mut stacks: Vec<Vec<usize>> = Vec::new();
    // Groups of single-frame instances: (size, orientation or None, members).
    let mut groups: Vec<SizeOrientationGroup> = Vec::new();
    for (i, s) in slices.iter().enumerate() {
        if s.frames > 1 {
            stacks.push(vec![i]);
            continue;
        }
        let orientation = s.orientation.filter(|o| slice_normal(o).is_some());
        let found = groups.iter_mut().find(|(size, o, _)| {
            *size == s.size
                && match (o, &orientation) {
                    (Some(a), Some(b)) => same_orientation(a, b),
                    (None, None) => true,
                    _ => false,
                }
        });
        match found {
            Some((_, _, members)) => members.push(i),
            None => groups.push((s.size, orientation, vec![i])),
        }
    }
    for (_, orientation, members) in groups {
        let normal = orientation.as_ref().and_then(slice_normal);
        match normal {
            Some(n) if members.iter().all(|&i| slices[i].position.is_some()) => {
                for stack in split_revisits(slices, &members, &n) {
                    stacks.push(sorted_by_location(slices, stack, &n));
                }
            }
            _ => stacks.push(sorted_by_instance_number(slices, members)),
        }
    }
    // Order stacks by their first InstanceNumber, then by size (larger first), then UID.
    stacks.sort_by(|a, b| {
        let first = |s: &Vec<usize>| s.iter().filter_map(|&i| slices[i].instance_number).min();
        first(a)
            .unwrap_or(i64::MAX)
            .cmp(&first(b).unwrap_or(i64::MAX))
            .then(b.len().cmp(&a.len()))
            .then_with(|| {
                slices[a[0]]
                    .sop_instance_uid
                    .cmp(&slices[b[0]].sop_instance_uid)
            })
    });
    stacks
}

fn location(slices: &[SliceGeometry], i: usize, n: &[f64; 3]) -> f64 {
    slices[i]
        .position
        .map(|p| location_along(n, &p))
        .unwrap_or(0.0)
}

fn has_revisits(slices: &[SliceGeometry], members: &[usize], n: &[f64; 3]) -> bool {
    let mut locs: Vec<f64> = members.iter().map(|&i| location(slices, i, n)).collect();
    locs.sort_by(f64::total_cmp);
    locs.windows(2)
        .any(|w| (w[1] - w[0]).abs() < SAME_LOCATION_MM)
}

/// Splits a group whose slices revisit the same location (several acquisitions, echoes or time
/// points interleaved in one series) into stacks that each visit a location once.
fn split_revisits(slices: &[SliceGeometry], members: &[usize], n: &[f64; 3]) -> Vec<Vec<usize>> {
    if !has_revisits(slices, members, n) {
        return vec![members.to_vec()];
    }
    // First try the acquisition key.
    let mut by_key: Vec<(AcquisitionKey, Vec<usize>)> = Vec::new();
    for &i in members {
        let key = slices[i].acquisition_key;
        match by_key.iter_mut().find(|(k, _)| *k == key) {
            Some((_, v)) => v.push(i),
            None => by_key.push((key, vec![i])),
        }
    }
    if by_key.len() > 1 && by_key.iter().all(|(_, v)| !has_revisits(slices, v, n)) {
        return by_key.into_iter().map(|(_, v)| v).collect();
    }
    // Otherwise the k-th visit of each location (in InstanceNumber order) goes to stack k.
    let ordered = sorted_by_instance_number(slices, members.to_vec());
    let mut visits: Vec<(f64, usize)> = Vec::new();
    let mut out: Vec<Vec<usize>> = Vec::new();
    for i in ordered {
        let loc = location(slices, i, n);
        let k = match visits
            .iter_mut()
            .find(|(l, _)| (l - loc).abs() < SAME_LOCATION_MM)
        {
            Some((_, count)) => {
                *count += 1;
                *count - 1
            }
            None => {
                visits.push((loc, 1));
                0
            }
        };
        if out.len() <= k {
            out.resize_with(k + 1, Vec::new);
        }
        out[k].push(i);
    }
    out
}

fn sorted_by_location(slices: &[SliceGeometry], mut stack: Vec<usize>, n: &[f64; 3]) -> Vec<usize> {
    stack.sort_by(|&a, &b| {
        location(slices, a, n)
            .total_cmp(&location(slices, b, n))
            .then(cmp_instance_number(&slices[a], &slices[b]))
    });
    stack
}

fn cmp_instance_number(a: &SliceGeometry, b: &SliceGeometry) -> std::cmp::Ordering {
    a.instance_number
        .unwrap_or(i64::MAX)
        .cmp(&b.instance_number.unwrap_or(i64::MAX))
        .then_with(|| a.sop_instance_uid.cmp(&b.sop_instance_uid))
}

fn sorted_by_instance_number(slices: &[SliceGeometry], mut stack: Vec<usize>) -> Vec<usize> {
    stack.sort_by(|&a, &b| cmp_instance_number(&slices[a], &slices[b]));
    stack
}

#[cfg(test)]
mod tests {
    use super::*;

    const AXIAL: [f64; 6] = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0];

    fn slice(z: f64, n: i64) -> SliceGeometry {
        SliceGeometry {
            position: Some([-100.0, -100.0, z]),
            orientation: Some(AXIAL),
            instance_number: Some(n),
            size: (64, 64),
            frames: 1,
            acquisition_key: (Some(1), None, None),
            sop_instance_uid: format!("1.2.{n}"),
        }
    }

    #[test]
    fn normal_of_axial_is_z() {
        assert_eq!(slice_normal(&AXIAL), Some([0.0, 0.0, 1.0]));
        assert_eq!(slice_normal(&[1.0, 0.0, 0.0, 1.0, 0.0, 0.0]), None);
    }

    #[test]
    fn sorts_by_position_not_instance_number() {
        // Instance numbers run against the geometry.
        let slices = vec![slice(10.0, 1), slice(0.0, 3), slice(5.0, 2)];
        assert_eq!(build_stacks(&slices), vec![vec![1, 2, 0]]);
    }

    #[test]
    fn tilted_gantry_sorts_along_the_normal() {
        // 20° tilt about x: columns run along (0, cos, sin); slices advance along z with a y shift.
        let t = 20f64.to_radians();
        let o = [1.0, 0.0, 0.0, 0.0, t.cos(), t.sin()];
        let slices: Vec<_> = [3.0, 1.0, 2.0, 0.0]
            .iter()
            .enumerate()
            .map(|(k, &step)| SliceGeometry {
                position: Some([0.0, -step * 5.0 * t.tan(), step * 5.0]),
                orientation: Some(o),
                instance_number: Some(k as i64),
                ..slice(0.0, k as i64)
            })
            .collect();
        let stacks = build_stacks(&slices);
        assert_eq!(stacks.len(), 1);
        let n = slice_normal(&o).unwrap();
        let locs: Vec<f64> = stacks[0]
            .iter()
            .map(|&i| location(&slices, i, &n))
            .collect();
        assert!(locs.windows(2).all(|w| w[0] < w[1]), "{locs:?}");
    }

    #[test]
    fn interleaved_acquisitions_become_two_stacks() {
        let mut slices = Vec::new();
        for k in 0..4 {
            let mut a = slice(k as f64 * 2.0, 2 * k);
            a.acquisition_key = (Some(1), None, None);
            let mut b = slice(k as f64 * 2.0, 2 * k + 1);
            b.acquisition_key = (Some(2), None, None);
            slices.push(a);
            slices.push(b);
        }
        let stacks = build_stacks(&slices);
        assert_eq!(stacks, vec![vec![0, 2, 4, 6], vec![1, 3, 5, 7]]);
    }

    #[test]
    fn revisits_without_a_key_split_by_visit_order() {
        let slices = vec![slice(0.0, 1), slice(2.0, 2), slice(0.0, 3), slice(2.0, 4)];
        assert_eq!(build_stacks(&slices), vec![vec![0, 1], vec![2, 3]]);
    }

    #[test]
    fn different_orientations_are_different_stacks() {
        let mut sagittal = slice(0.0, 10);
        sagittal.orientation = Some([0.0, 1.0, 0.0, 0.0, 0.0, -1.0]);
        let slices = vec![slice(0.0, 1), sagittal, slice(1.0, 2)];
        assert_eq!(build_stacks(&slices), vec![vec![0, 2], vec![1]]);
    }

    #[test]
    fn missing_geometry_falls_back_to_instance_number() {
        let mut slices = vec![slice(9.0, 3), slice(0.0, 1), slice(5.0, 2)];
        slices[0].position = None;
        assert_eq!(build_stacks(&slices), vec![vec![1, 2, 0]]);
    }

    #[test]
    fn multi_frame_instances_are_their_own_stacks() {
        let mut cine = slice(0.0, 5);
        cine.frames = 30;
        let slices = vec![slice(0.0, 1), cine, slice(1.0, 2)];
        assert_eq!(build_stacks(&slices), vec![vec![0, 2], vec![1]]);
    }
}
