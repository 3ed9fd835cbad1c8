"""Big numpy temporaries without a page fault per page: ``reused_memory()`` around work on millions of lines.

glibc's malloc gives every block above its mmap threshold (at most 32 MiB) fresh pages from the kernel
and hands them back when it is freed, so each temporary of 5 million floats (40 MiB) is zeroed page by
page again: spreading 5 M lines spent 3.4 of its 5.5 CPU-s in the kernel that way (1 M lines, 8 MiB
arrays, reuse freed memory and spent 0.3).  Inside ``reused_memory()`` such blocks come from the heap
and freed ones are reused; on leaving it big blocks are mapped as before, and the heap keeps its free
memory (as much as the biggest spread needed) for the next spread instead of giving it back.  Nothing is
computed differently.  Where the C library is not glibc (Windows, macOS, musl) it does nothing.
"""
from __future__ import annotations

import ctypes
import threading
from contextlib import contextmanager

_M_TRIM_THRESHOLD, _M_MMAP_MAX = -1, -4  # mallopt parameters (malloc.h)
_DEFAULT_MMAP_MAX = 65536  # glibc's default
_KEEP = 2**31 - 1  # bytes (mallopt takes an int): no trimming inside, freed temporaries stay for the next one
_lock = threading.Lock()
_depth = 0


def _glibc():
    try:
        libc = ctypes.CDLL(None)  # the C library the process already runs on: no file is opened
        libc.gnu_get_libc_version  # only glibc has it (and mallopt with these meanings)
        libc.mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
        return libc
    except (OSError, AttributeError, TypeError):
        return None


_LIBC = _glibc()


@contextmanager
def reused_memory():
    """Inside, big blocks are served from the heap and reused (see the module docstring); re-entrant and
    thread-safe (malloc's settings are process-wide: set by the first to enter, reset by the last to leave)."""
    global _depth
    if _LIBC is None:
        yield
        return
    with _lock:
        _depth += 1
        if _depth == 1:
            _LIBC.mallopt(_M_MMAP_MAX, 0)
            _LIBC.mallopt(_M_TRIM_THRESHOLD, _KEEP)
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:  # the freed heap is kept for the next spread (trimming it costs the next one
                _LIBC.mallopt(_M_MMAP_MAX, _DEFAULT_MMAP_MAX)  # its page faults again: 5 M lines 1.7x the CPU)
