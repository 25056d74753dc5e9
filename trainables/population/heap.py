"""Keep a population's freed memory in the process instead of handing it back to the system (glibc).

A population's tensors are large: one ``(members, batch, width)`` activation of the toy environment
at 35 members is 1 to 2 MB, and a step allocates and frees tens of them. glibc's malloc serves such
blocks from the top of the heap and, whenever more than its trim threshold lies free there (it does
at the end of every step, once autograd has freed the step's activations and gradients), gives that
memory back to the system; the next step takes it back page by page, and the first write to each
page is a page fault (the kernel maps and zeroes it). Measured on the toy environment at K = 35:
about 4,000 page faults per step (adam, no regularizer), landing on whichever op first writes a
fresh output (ReLU's backward, the bias copy of ``baddbmm``), and about a quarter of the step's time.
Solo trials do not pay this: their tensors are small and come from glibc's free lists.

``keep_freed_memory()`` asks glibc to keep up to ``TOP_PAD`` bytes free at the top of the heap
(``M_TOP_PAD``) and to serve blocks below ``MMAP_THRESHOLD`` from the heap rather than from a fresh
``mmap`` each time (``M_MMAP_THRESHOLD``; setting either turns off glibc's own adjustment of the
other). The setting is process-wide and only changes where freed memory waits: a process that
trains a population keeps up to ``TOP_PAD`` more memory than it uses at the moment. Elsewhere
(another C library, another system) it does nothing.
"""
from __future__ import annotations

import ctypes
import platform

M_TOP_PAD, M_MMAP_THRESHOLD = -2, -3  # glibc's mallopt parameters (malloc.h)
TOP_PAD = 64 << 20
MMAP_THRESHOLD = 32 << 20  # glibc's own ceiling for its adjustable threshold

_done: bool | None = None


def keep_freed_memory() -> bool:
    """Set glibc's heap to keep freed memory (once per process); False where that is not possible."""
    global _done
    if _done is None:
        _done = False
        if platform.system() == "Linux" and platform.libc_ver()[0] == "glibc":
            try:
                mallopt = ctypes.CDLL(None).mallopt
            except (OSError, AttributeError):
                return False
            mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
            _done = bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(M_TOP_PAD, TOP_PAD))
    return _done
