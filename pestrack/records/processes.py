"""Child processes that end with the process that forked them.

A forked child outlives a parent killed with kill -9 unless it is told otherwise, and goes on holding
what it inherited: the SQLite file, a PostgreSQL connection, the machine's cores. Every child pestrack
forks (the import's checking process, the matching scorer's workers) calls ``die_with_parent`` first.
"""

from __future__ import annotations

import os
import signal
import sys

PR_SET_PDEATHSIG = 1  # linux/prctl.h


def die_with_parent(parent: int) -> None:
    """End this process when ``parent`` (the process that forked it) ends, however it ends: on Linux
    the kernel sends SIGKILL when the parent dies (prctl PR_SET_PDEATHSIG); elsewhere the caller must
    notice a dead parent itself (a closed pipe). A parent that died before this call is seen by its pid."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:
        os._exit(1)
