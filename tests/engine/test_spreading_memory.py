"""``engine.memory.reused_memory``: malloc's settings while a spread runs, set by the first to enter and
reset by the last to leave, also when the work inside fails; and spreading gives the same lines with it."""
from __future__ import annotations

import threading

import numpy as np
import pytest

from kamplan.engine import memory
from kamplan.engine.spreading import _spread, spread


class _Recorder:
    """Stands in for the C library: records the mallopt calls."""
    def __init__(self):
        self.calls = []

    def mallopt(self, what, value):
        self.calls.append((what, value))
        return 1


def test_nested_and_failing_work_sets_malloc_once_and_resets_it_once(monkeypatch):
    rec = _Recorder()
    monkeypatch.setattr(memory, "_LIBC", rec)
    with pytest.raises(ZeroDivisionError):
        with memory.reused_memory():
            with memory.reused_memory():
                assert memory._depth == 2
            1 / 0
    assert memory._depth == 0
    assert rec.calls == [(memory._M_MMAP_MAX, 0), (memory._M_TRIM_THRESHOLD, memory._KEEP),
                         (memory._M_MMAP_MAX, memory._DEFAULT_MMAP_MAX)]


def test_threads_share_one_setting(monkeypatch):
    rec = _Recorder()
    monkeypatch.setattr(memory, "_LIBC", rec)
    inside, go = threading.Barrier(3), threading.Event()

    def work():
        with memory.reused_memory():
            inside.wait()
            go.wait()
    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    inside.wait()
    assert memory._depth == 2 and len(rec.calls) == 2  # set once, by the first
    go.set()
    for t in threads:
        t.join()
    assert memory._depth == 0 and rec.calls[-1] == (memory._M_MMAP_MAX, memory._DEFAULT_MMAP_MAX)


def test_without_glibc_nothing_is_called_and_spreading_is_the_same(monkeypatch):
    rng = np.random.default_rng(7)
    cur = np.round(rng.uniform(0, 5000, 5000), 2)
    reg = rng.integers(0, 4, cur.size)
    kw = dict(weights=None, reference=None, growth=None, held=None, floors=None, caps=None, unit=0.01,
              hierarchy=[reg], by=None, zero_weights="equal")
    plain = _spread(round(cur.sum() * 1.05, 2), cur, "proportional", **kw)
    monkeypatch.setattr(memory, "_LIBC", None)
    with memory.reused_memory():
        assert memory._depth == 0  # nothing to set
    got = spread(round(cur.sum() * 1.05, 2), cur, "proportional", hierarchy=[reg])
    assert np.array_equal(got.units, plain.units) and got.units.sum() == round(round(cur.sum() * 1.05, 2) * 100)
