"""Writes the HTJ2K codestreams that crates/lucent-pixels/tests/known_pixels.rs decodes
(htj2k/*.j2c beside this script, one per frame).

The encoder is OpenJPH 0.14.0 (an HTJ2K implementation independent of OpenJPEG, which Lucent
decodes with), through the Python wheels itk-ioopenjph==1.3.0 (itk 5.4.7), from the Python
package index. Not run by the tests: the codestreams are committed, so the tests need no
encoder; run this to regenerate them (python3 htj2k_vectors.py).

Pixels: frame f, row y, column x holds (197 x + 3041 y + 13 x y + 1009 f) mod 4096 (16 rows,
20 columns, 16-bit unsigned), the same formula as `known_value` in the test.
"""
import os
import tempfile

import itk
import numpy as np

ROWS, COLUMNS, FRAMES = 16, 20, 2
# OpenJPH's progression orders: LRCP 0, RLCP 1, RPCL 2, PCRL 3, CPRL 4.
LRCP, RPCL = 0, 2


def frame(f):
    y, x = np.mgrid[0:ROWS, 0:COLUMNS]
    return ((197 * x + 3041 * y + 13 * x * y + 1009 * f) % 4096).astype(np.uint16)


def encode(pixels, lossy, order):
    io = itk.OpenJPHImageIO.New()
    io.SetNotReversible(lossy)
    io.SetProgressionOrder(order)
    io.SetDecompositions(2)
    if lossy:
        io.SetQuantizationStep(0.0005)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "frame.j2c")
        itk.ImageFileWriter.New(Input=itk.image_view_from_array(pixels), FileName=path, ImageIO=io).Update()
        with open(path, "rb") as f:
            return f.read()


out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "htj2k")
os.makedirs(out, exist_ok=True)
for name, lossy, order in [
    ("lossless-lrcp", False, LRCP),  # for 1.2.840.10008.1.2.4.201 (any progression order)
    ("lossless-rpcl", False, RPCL),  # for 1.2.840.10008.1.2.4.202 (RPCL required)
    ("lossy", True, RPCL),  # for 1.2.840.10008.1.2.4.203 (irreversible 9/7 wavelet)
]:
    for f in range(FRAMES):
        with open(os.path.join(out, f"{name}-{f}.j2c"), "wb") as file:
            file.write(encode(frame(f), lossy, order))
