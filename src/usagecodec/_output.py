"""Output files that never destroy data: written beside the target, renamed on success only.

A regular file (or a path that does not exist yet) is written to a temporary file in the
target's folder and renamed over the target by :meth:`Output.commit`; on any failure
:meth:`Output.abort` removes the temporary file and the target is untouched. A symbolic link is
followed: the file it names is replaced, the link stays. A FIFO or a device (``/dev/stdout``,
``/dev/null``) is written in place, never replaced. An output that is one of the inputs (the
same file, also through a link) is refused before anything is written.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterable
from typing import IO

__all__ = ["Output", "OutputRefused"]


class OutputRefused(ValueError):
    """The output path cannot be used (it is an input, a directory, ...)."""


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


class Output:
    """Where one output goes; see the module docstring.

    Args:
        target: The path given by the user.
        inputs: Paths read by the same run (``"-"`` is ignored); the target may not be one.

    Raises:
        OutputRefused: The target is a directory or one of the inputs.
    """

    def __init__(self, target: str | os.PathLike[str], inputs: Iterable[str] = ()) -> None:
        self.target = os.fspath(target)
        self.final = os.path.realpath(self.target)
        try:
            st: os.stat_result | None = os.stat(self.final)
        except OSError:
            st = None
        if st is not None and stat.S_ISDIR(st.st_mode):
            raise OutputRefused(f"{self.target}: is a directory")
        self.special = st is not None and not stat.S_ISREG(st.st_mode)
        if st is not None and not self.special:
            for name in inputs:
                if name == "-":
                    continue
                with contextlib.suppress(OSError):
                    other = os.stat(name)
                    if (other.st_dev, other.st_ino) == (st.st_dev, st.st_ino):
                        raise OutputRefused(
                            f"{self.target}: is also an input ({name}); write to another file"
                        )
        self._mode = stat.S_IMODE(st.st_mode) if st is not None else 0o666 & ~_umask()
        self.tmp: str | None = None
        self.file: IO[bytes] | None = None

    def path(self) -> str:
        """A path to write to (for writers that open files themselves): the temporary file."""
        if self.tmp is None:
            # Beside the target (same file system: the rename is atomic); for a FIFO or a
            # device, whose content is copied at the end, in the temporary folder.
            folder = tempfile.gettempdir() if self.special else os.path.dirname(self.final)
            # A short name of its own, so that a target name near the length limit works.
            fd, self.tmp = tempfile.mkstemp(prefix=".usagecodec-", suffix=".tmp", dir=folder)
            os.close(fd)
        return self.tmp

    def sibling(self) -> str:
        """Another temporary path beside :meth:`path` (for a writer that starts over)."""
        fd, name = tempfile.mkstemp(
            prefix=".usagecodec-", suffix=".tmp", dir=os.path.dirname(self.path())
        )
        os.close(fd)
        return name

    def open(self) -> IO[bytes]:
        """Open the output for binary writing (a FIFO or device in place, else a temp file)."""
        if self.special:
            self.file = open(self.final, "wb")  # noqa: SIM115 - closed by commit/abort
        else:
            self.file = open(self.path(), "wb")  # noqa: SIM115 - closed by commit/abort
        return self.file

    def commit(self) -> None:
        """Finish: close the file and, for a regular target, rename the temp file over it.

        Raises:
            OSError: When the data cannot be written (a full disk, ...); the target is then
                untouched and the temporary file removed.
        """
        try:
            if self.file is not None:
                self.file.close()
            if self.tmp is not None:
                if self.special:
                    with open(self.tmp, "rb") as src, open(self.final, "wb") as dst:
                        while block := src.read(1 << 20):
                            dst.write(block)
                    os.remove(self.tmp)
                else:
                    os.chmod(self.tmp, self._mode)
                    os.replace(self.tmp, self.final)
                self.tmp = None
        except BaseException:
            self.abort()
            raise

    def abort(self) -> None:
        """Give up: close the file and remove the temporary file (the target is untouched)."""
        if self.file is not None:
            with contextlib.suppress(OSError):
                self.file.close()
        if self.tmp is not None:
            with contextlib.suppress(OSError):
                os.remove(self.tmp)
            self.tmp = None
