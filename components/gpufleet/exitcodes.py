"""The exit codes of the ``gpufleet`` command: one table, documented in README.md ("Exit codes").

CI scripts branch on these numbers, so they never change meaning. A new failure kind gets
a new code here, a row in the README table and a CLI test (tests/test_cli_errors.py).
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """What a ``gpufleet`` run ended with. Every non-zero code comes with a one-line ``error:`` on stderr."""

    OK = 0
    """Success: valid config, plan without mandatory violations, file already pinned."""
    POLICY = 1
    """A mandatory policy violation (``plan``), or ``resolve --check`` on a file that is not pinned."""
    CONFIG = 2
    """Invalid config or usage: a bad stack or policy config file, an unknown option, value or stack."""
    CONTRACT = 3
    """A contract finding: a cloud API would reject a request the plan makes (``gpufleet.contract``)."""
    IO = 4
    """An output could not be written (``--out`` into a missing folder, a read-only stack file)."""
    INTERNAL = 5
    """A bug in gpufleet: an unexpected exception. Rerun with ``GPUFLEET_DEBUG=1`` for the traceback."""
    INTERRUPTED = 130
    """Stopped by Ctrl-C (128 + SIGINT, the shell convention)."""
