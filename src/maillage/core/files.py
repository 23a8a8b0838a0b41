"""Files written to disk that hold personal data or secrets (backups, exports): readable by their owner only.

A backup holds password hashes and live session keys; an export holds the contacts and gifts of a workspace. They
are created with mode 0600 from the very first byte (``tempfile.mkstemp`` opens with ``O_EXCL`` and 0600, whatever
the umask), written completely, then moved over the destination (``os.replace``, atomic on one file system): no
window in which another account of the machine could open them, no half-written file left behind on failure, and
an older file of the same name (perhaps world-readable) is replaced, not rewritten in place.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

PRIVATE_MODE = 0o600


@contextlib.contextmanager
def private_file(path: Path | str) -> Iterator[BinaryIO]:
    """Open ``path`` for writing in binary, created 0600; it appears under its name only once complete."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_private(path: Path | str, content: bytes) -> None:
    """Write ``content`` to ``path``, created 0600 (see :func:`private_file`)."""
    with private_file(path) as handle:
        handle.write(content)
