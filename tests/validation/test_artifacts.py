"""Result files: whole or absent, readable like any other file, never holding a NaN."""

import os
import stat

import numpy as np
import pytest

from validation.artifacts import atomic_write, dumps


def test_atomic_write_has_the_mode_open_would_give(tmp_path):
    p = atomic_write(tmp_path / "a.json", "{}\n")
    ref = tmp_path / "ref.txt"
    ref.write_text("x")
    assert stat.S_IMODE(os.stat(p).st_mode) == stat.S_IMODE(os.stat(ref).st_mode)


def test_interrupted_write_leaves_the_old_file_and_no_temporary(tmp_path):
    p = atomic_write(tmp_path / "a.txt", "old")
    with pytest.raises(TypeError):
        atomic_write(p, 12345)  # write() fails after the temporary file exists
    assert p.read_text() == "old"
    assert sorted(x.name for x in tmp_path.iterdir()) == ["a.txt"]


def test_dumps_refuses_non_finite_and_names_where():
    with pytest.raises(ValueError, match=r"output\.b\[1\]"):
        dumps({"a": 1.0, "b": [0.0, np.float64("nan")]})
    assert dumps({"x": np.arange(2)}) == '{\n  "x": [\n    0,\n    1\n  ]\n}'
