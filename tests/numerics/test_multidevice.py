"""Sharding over 4 forced CPU devices gives the single-device numbers for the same seed."""

import json
import os
import subprocess
import sys
import textwrap

import jax
import numpy as np

from numerics.sampling import draw
from numerics.spec import array_spec
from theory import Network

SCRIPT = textwrap.dedent("""
    import json, sys
    import jax
    from numerics.sampling import draw
    from numerics.spec import array_spec
    from theory import Network
    assert len(jax.devices()) == 4, jax.devices()
    out = {}
    for method, widths in (("matrixfree", (4, 8, 8, 8, 2)), ("scalar", (4, 8, 8, 1)), ("bruteforce", (4, 6, 1))):
        out[method] = draw(array_spec(Network(widths=widths), "he"), 103, key=jax.random.key(11),
                           method=method).tolist()
    json.dump(out, sys.stdout)
""")


def test_four_cpu_devices_equal_one():
    env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=4", JAX_PLATFORMS="cpu")
    res = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, timeout=600)
    assert res.returncode == 0, res.stderr[-2000:]
    multi = json.loads(res.stdout)
    assert len(jax.devices()) == 1
    for method, widths in (("matrixfree", (4, 8, 8, 8, 2)), ("scalar", (4, 8, 8, 1)), ("bruteforce", (4, 6, 1))):
        single = draw(array_spec(Network(widths=widths), "he"), 103, key=jax.random.key(11), method=method)
        np.testing.assert_allclose(np.array(multi[method]), single, rtol=1e-12, err_msg=method)
