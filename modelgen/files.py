"""Writing files so nothing is ever half-done: one file atomically, or many all-or-nothing.

Every command that writes (generate, drift --fix, snapshot, init, migration) goes
through here, so a new file gets the same mode (the user's umask, as any editor
gives) and a failure is one line that says what happened to the files.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

from modelgen.errors import ModelgenError


def new_file_mode() -> int:
    """The mode a file created now gets from the user's umask (0644 under umask 022)."""
    mask = os.umask(0o022)  # the only way to read it; restored at once
    os.umask(mask)
    return 0o666 & ~mask


def _why(exc: OSError) -> str:
    return exc.strerror or str(exc) or type(exc).__name__


def _stage(path: Path, data: bytes, mode: int) -> Path:
    """A complete, synced temp file beside ``path`` (``.NAME.xxxxxxxx.tmp``) with ``mode``."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(
            dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
        )
    except OSError as exc:
        raise ModelgenError(f"{path.parent}: cannot write here: {_why(exc)}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise ModelgenError(f"{path}: cannot write: {_why(exc)}") from None
        raise
    return Path(tmp)


def _mode_for(path: Path) -> int:
    try:
        return path.stat().st_mode & 0o777  # a replaced file keeps its mode
    except OSError:  # absent (or unreachable: staging will say why)
        return new_file_mode()


def _bytes(content: str | bytes) -> bytes:
    return content.encode("utf-8") if isinstance(content, str) else content


def atomic_write(path: Path, content: str | bytes) -> None:
    """Write ``content`` to a temp file beside ``path`` and rename it over ``path``:
    readers (and a run killed at any instant) see the old file or the new one.
    Every failure is one ModelgenError line naming the path."""
    tmp = _stage(path, _bytes(content), _mode_for(path))
    try:
        os.replace(tmp, path)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise ModelgenError(f"{path}: cannot write: {_why(exc)}") from None
        raise


def replace_all(contents: Mapping[Path, str | bytes]) -> None:
    """Write every file of one run, all or nothing.

    Every new version is first staged completely beside its target; only then
    are the targets replaced, one rename each.  If a rename fails (or the run is
    interrupted) the files already replaced get their previous bytes back and
    the files this run created are removed, so the error can say that nothing
    changed.  Only a SIGKILL in the middle of the renames can leave a mix, and
    then every file is still whole: old or new.
    """
    staged: list[tuple[Path, Path]] = []
    try:
        for path, content in contents.items():
            staged.append((path, _stage(path, _bytes(content), _mode_for(path))))
    except BaseException as exc:
        for _, tmp in staged:
            tmp.unlink(missing_ok=True)
        if isinstance(exc, ModelgenError):
            raise ModelgenError(f"{exc}; nothing was changed") from None
        raise
    previous: dict[Path, bytes | None] = {}
    try:
        for index, (path, tmp) in enumerate(staged):
            previous[path] = path.read_bytes() if path.exists() else None
            os.replace(tmp, path)
            staged[index] = (path, path)
    except BaseException as exc:
        _undo(previous, staged)
        if isinstance(exc, OSError):
            failed = next(iter(p for p, t in staged if t != p), None)
            raise ModelgenError(
                f"{failed or 'a file'}: cannot write: {_why(exc)}; nothing was changed "
                "(the files already replaced were put back)"
            ) from None
        raise


def _undo(previous: dict[Path, bytes | None], staged: list[tuple[Path, Path]]) -> None:
    """Put back what a failed replace_all replaced; remove its leftover temps."""
    for path, tmp in staged:
        if tmp != path:
            tmp.unlink(missing_ok=True)
    for path, before in previous.items():
        done = any(p == path and t == path for p, t in staged)
        if not done:
            continue
        try:
            if before is None:
                path.unlink(missing_ok=True)
            else:
                atomic_write(path, before)
        except (OSError, ModelgenError):
            pass  # the next file may still be restorable; the error says what failed
