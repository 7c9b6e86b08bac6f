#!/usr/bin/env python3
"""Independent reference for display shutters (PS3.3 C.7.6.11), for tests/shutters.rs.

dcmtk 3.6.7 does not apply geometric shutters to pixels (dcmp2pgm copies them into its
presentation state, but DVPresentationState::renderPixelData only applies bitmap shutters), so
the visible area is computed here, per pixel with numpy, from the attributes as pydicom reads
them: a different algorithm (ray casting per pixel centre plus an exact on-edge test) from
Lucent's (exact scanline spans), under the same reading of the standard:

- pixel centres at 1-based (row, column);
- RECTANGULAR: Left <= column <= Right and Upper <= row <= Lower;
- CIRCULAR: (row - r0)^2 + (column - c0)^2 <= radius^2;
- POLYGONAL: inside by the even-odd rule, or on an edge;
- several shapes: the intersection.

Usage: shutter_reference.py IMAGE.dcm MASK.pgm  (writes 255 = visible, 0 = hidden)
"""
import sys

import numpy as np
import pydicom


def visible_mask(ds):
    rows, columns = int(ds.Rows), int(ds.Columns)
    r, c = np.mgrid[1 : rows + 1, 1 : columns + 1].astype(np.int64)
    visible = np.ones((rows, columns), dtype=bool)
    shapes = ds.ShutterShape
    shapes = [shapes] if isinstance(shapes, str) else list(shapes)
    for shape in shapes:
        if shape == "RECTANGULAR":
            visible &= (c >= int(ds.ShutterLeftVerticalEdge)) & (
                c <= int(ds.ShutterRightVerticalEdge)
            )
            visible &= (r >= int(ds.ShutterUpperHorizontalEdge)) & (
                r <= int(ds.ShutterLowerHorizontalEdge)
            )
        elif shape == "CIRCULAR":
            r0, c0 = (int(v) for v in ds.CenterOfCircularShutter)
            radius = int(ds.RadiusOfCircularShutter)
            visible &= (r - r0) ** 2 + (c - c0) ** 2 <= radius**2
        elif shape == "POLYGONAL":
            v = [int(x) for x in ds.VerticesOfThePolygonalShutter]
            vertices = list(zip(v[0::2], v[1::2]))
            inside = np.zeros((rows, columns), dtype=bool)
            on_edge = np.zeros((rows, columns), dtype=bool)
            for (ri, ci), (rj, cj) in zip(vertices, vertices[1:] + vertices[:1]):
                # Ray casting towards +column (W. R. Franklin's PNPOLY).
                if ri != rj:
                    straddles = (ri > r) != (rj > r)
                    x = (cj - ci) * (r - ri) / (rj - ri) + ci
                    inside ^= straddles & (c < x)
                # On the segment: collinear (exact integer cross product) and within its box.
                cross = (rj - ri) * (c - ci) - (cj - ci) * (r - ri)
                on_edge |= (
                    (cross == 0)
                    & (r >= min(ri, rj))
                    & (r <= max(ri, rj))
                    & (c >= min(ci, cj))
                    & (c <= max(ci, cj))
                )
            visible &= inside | on_edge
        else:
            raise SystemExit(f"unexpected shape {shape}")
    return visible


def main():
    ds = pydicom.dcmread(sys.argv[1])
    mask = visible_mask(ds)
    with open(sys.argv[2], "wb") as out:
        out.write(b"P5\n%d %d\n255\n" % (mask.shape[1], mask.shape[0]))
        out.write((mask * 255).astype(np.uint8).tobytes())


if __name__ == "__main__":
    main()
