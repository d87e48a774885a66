"""The cyclic garbage collector and requests that build large results.

A national report builds hundreds of thousands of dicts and tuples (facts, published values, the JSON document)
that form no reference cycles: reference counting frees them all. Yet every 700 container allocations start a
collection, and as the result grows the collector's older generations rescan it again and again — measured on a
national table of ~19,000 entries (bench.rec4), up to half the request. `collector_paused` switches the collector
off while such a result is built; it is process-wide, so overlapping requests share one pause (a counter) and the
last to leave switches it back on — only if it was on before.
"""

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0
_enable_after = False


@contextmanager
def collector_paused() -> Iterator[None]:
    global _depth, _enable_after
    with _lock:
        if _depth == 0:
            _enable_after = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _enable_after:
                gc.enable()
