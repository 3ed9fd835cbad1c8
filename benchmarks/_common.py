"""What every benchmark reports about the machine it ran on (imported by the bench_*.py scripts,
which are run as ``python benchmarks/bench_x.py`` so this folder is on the path)."""
from __future__ import annotations

import multiprocessing
import os
import platform
import sys
from importlib import metadata
from pathlib import Path


def machine_info(packages: tuple[str, ...]) -> dict:
    """CPUs (all and usable), CPU model, platform, Python, start method and ``packages``' versions."""
    def ver(name):
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return None
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    return {"cpu_count": os.cpu_count(), "cpus_usable": usable, "cpu": cpu_model(),
            "platform": platform.platform(), "python": sys.version.split()[0],
            "multiprocessing_start_method": multiprocessing.get_start_method(),
            "packages": {n: ver(n) for n in packages}}


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def peak_rss_mib() -> float:
    """This process's peak resident memory in MiB: ``VmHWM`` (reset by exec, unlike ``ru_maxrss``, which
    a child started with fork + exec inherits from its parent)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
