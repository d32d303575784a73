#!/usr/bin/python3
"""Regenerates the .npy fixtures of tests/unit/cli_test.cc with NumPy (Debian's /usr/bin/python3).

The files are committed; run this only to change them:  /usr/bin/python3 make_fixtures.py
The tests compute the expected values on their own; the formulas here are mirrored there.
"""
import os

import numpy as np

here = os.path.dirname(os.path.abspath(__file__))


def save(name, arr, **kw):
    np.save(os.path.join(here, name), arr, **kw)


def write_version(name, arr, version):
    with open(os.path.join(here, name), "wb") as f:
        np.lib.format.write_array(f, arr, version=version)


# Valid files. Values: a[i] = i * 0.5 - 1, b[i] = 2 - i (flattened C order).
a = (np.arange(6, dtype=np.float32) * 0.5 - 1).reshape(2, 3)
b = (2 - np.arange(6, dtype=np.float32)).reshape(2, 3)
save("a_f32_2x3.npy", a)
save("b_f32_2x3.npy", b)
save("i64_4.npy", np.array([-3, 0, 7, 1 << 40], dtype=np.int64))
save("f16_3.npy", np.array([0.5, -2.0, 65504.0], dtype=np.float16))
save("f64_scalar.npy", np.float64(3.25))
save("bool_4.npy", np.array([True, False, False, True]))
save("u8_2x2.npy", np.array([[0, 255], [7, 128]], dtype=np.uint8))
save("i8_3.npy", np.array([-128, 0, 127], dtype=np.int8))
save("i32_2.npy", np.array([-5, 2147483647], dtype=np.int32))
save("empty_f32_0x3.npy", np.zeros((0, 3), dtype=np.float32))
save("str_3.npy", np.array(["ab", "", "h\u00e9llo"]))
write_version("v2_f32_2x3.npy", a, (2, 0))
write_version("v3_f32_2x3.npy", a, (3, 0))

# Files onnxedge must refuse.
save("bad_fortran.npy", np.asfortranarray(a))
save("bad_bigendian.npy", a.astype(">f4"))
save("bad_object.npy", np.array([1, "x", None], dtype=object), allow_pickle=True)
save("bad_structured.npy", np.zeros(2, dtype=[("x", "<f4"), ("y", "<i4")]))
save("bad_complex.npy", np.zeros(2, dtype=np.complex64))
with open(os.path.join(here, "a_f32_2x3.npy"), "rb") as f:
    whole = f.read()
with open(os.path.join(here, "bad_truncated.npy"), "wb") as f:
    f.write(whole[:-5])
with open(os.path.join(here, "bad_magic.npy"), "wb") as f:
    f.write(b"\x93NUMPX" + whole[6:])
