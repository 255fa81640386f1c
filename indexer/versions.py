"""Index versions: each build is a new directory, switched in by one symlink flip, one at a time.

Layout, for RAG_INDEX_DIR=var/index:
    var/index                 a symlink to index.versions/<id>: what every reader opens
    var/index.versions/<id>   one complete, verified index directory per build
    var/index.versions/.building-*   a build in progress (or one that died: removed by the next)
    var/index.lock            held (flock) by the build running now; freed when its process dies

Readers resolve the symlink once, so a reader keeps the version it started with; the previous
version stays on disk until the next build, for readers that resolved it just before a flip.
"""

from __future__ import annotations

import errno
import fcntl
import logging
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

logger = logging.getLogger(__name__)

__all__ = [
    "BuildRunningError",
    "IndexBuildError",
    "build_lock",
    "clean_dead_builds",
    "current_version",
    "lock_path",
    "new_staging",
    "publish",
    "versions_dir",
]

STAGING_PREFIX = ".building-"
KEEP_PREVIOUS = 1  # versions kept besides the current one, for readers that just resolved them


class IndexBuildError(Exception):
    """A build cannot start or finish; the message says what to do."""


class BuildRunningError(IndexBuildError):
    """Another build holds the lock."""


def versions_dir(index_dir: Path) -> Path:
    return index_dir.with_name(index_dir.name + ".versions")


def lock_path(index_dir: Path) -> Path:
    return index_dir.with_name(index_dir.name + ".lock")


def current_version(index_dir: Path) -> str | None:
    """The id of the version `index_dir` points to; None without a versioned index."""
    if not index_dir.is_symlink():
        return None
    return Path(os.readlink(index_dir)).name


@contextmanager
def build_lock(index_dir: Path, wait: bool = True) -> Iterator[None]:
    """Hold the index's build lock: wait for a running build, or raise `BuildRunningError`.

    An flock dies with its process, so a killed build never leaves the index locked.
    """
    path = lock_path(index_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            if error.errno not in (errno.EWOULDBLOCK, errno.EAGAIN):
                raise
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            if not wait:
                raise BuildRunningError(
                    f"a build of {index_dir} is running ({holder}): wait for it to finish"
                ) from error
            logger.warning("waiting for the build of %s running in %s", index_dir, holder)
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            handle.truncate(0)
            handle.write(f"pid {os.getpid()}\n")
            handle.flush()
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def new_staging(index_dir: Path) -> Path:
    """A fresh directory to build a version in; created under the umask (no forced mode)."""
    staging = versions_dir(index_dir) / f"{STAGING_PREFIX}{uuid.uuid4().hex[:12]}"
    staging.mkdir(parents=True)
    return staging


def clean_dead_builds(index_dir: Path) -> list[Path]:
    """Remove what killed builds left: staging folders, and the old layout's temporary folders.

    Call it holding the build lock: then no staging folder belongs to a live build.
    """
    leftovers = [
        *versions_dir(index_dir).glob(f"{STAGING_PREFIX}*"),
        *index_dir.parent.glob(f".{index_dir.name}.building-*"),
        *index_dir.parent.glob(f".{index_dir.name}.old-*"),
    ]
    for path in leftovers:
        logger.warning("removing %s, left by a build that did not finish", path)
        shutil.rmtree(path, ignore_errors=True)
    return leftovers


def publish(staging: Path, index_dir: Path) -> str:
    """Make the finished `staging` directory the current version in one atomic rename.

    The symlink is made beside `index_dir` and renamed over it: a reader sees the old version
    or the new one, never neither. An index of the old layout (a plain directory) is moved
    into the versions folder first, once.
    """
    version = f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"
    final = versions_dir(index_dir) / version
    _fsync_tree(staging)
    os.replace(staging, final)
    if index_dir.exists() and not index_dir.is_symlink():
        os.replace(index_dir, versions_dir(index_dir) / f"{version}-previous")
    link = index_dir.with_name(f".{index_dir.name}.link-{uuid.uuid4().hex[:8]}")
    os.symlink(Path(final.parent.name) / final.name, link)
    os.replace(link, index_dir)
    _fsync_dir(index_dir.parent)
    _prune(index_dir, version)
    return version


def _prune(index_dir: Path, current: str) -> None:
    """Remove all but the current version and the `KEEP_PREVIOUS` newest before it."""
    older = sorted(
        (
            p
            for p in versions_dir(index_dir).iterdir()
            if p.is_dir() and not p.name.startswith(".") and p.name != current
        ),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for path in older[KEEP_PREVIOUS:]:
        shutil.rmtree(path, ignore_errors=True)


def _fsync_tree(folder: Path) -> None:
    """Flush the version's files before the flip, so a power cut cannot publish empty files."""
    for path in folder.rglob("*"):
        if path.is_file():
            with path.open("rb") as handle:
                os.fsync(handle.fileno())
    _fsync_dir(folder)


def _fsync_dir(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
