"""Atomic writes: build in a temporary sibling, then rename into place."""

import contextlib
import os
import shutil
import tempfile


@contextlib.contextmanager
def atomic_path(path, overwrite=False, is_dir=True):
    """Yields a temporary path that replaces `path` only if the block succeeds.

    A failure inside the block leaves neither a half-written `path` nor the
    temporary path behind. An existing `path` is an error unless `overwrite`.

    Args:
        path: the final file or directory.
        overwrite: replace an existing `path`.
        is_dir: whether a directory (else a file) is being written.
    """
    path = os.path.abspath(os.fspath(path))
    if os.path.exists(path) and not overwrite:
        raise FileExistsError(
            f"{path} already exists; pass overwrite=True to replace it. Received: overwrite={overwrite}"
        )
    parent = os.path.dirname(path)
    os.makedirs(parent, exist_ok=True)
    base = os.path.basename(path)
    tmp = tempfile.mkdtemp(prefix=f".{base}.tmp-", dir=parent)
    target = tmp if is_dir else os.path.join(tmp, base)
    try:
        if is_dir:  # mkdtemp makes it 0700: a model server running as another user could not read it
            os.chmod(tmp, 0o777 & ~_umask())
        yield target
        if not is_dir:  # one rename replaces a file: `path` never goes missing
            os.replace(target, path)
        elif os.path.exists(path):
            old = tempfile.mkdtemp(prefix=f".{base}.old-", dir=parent)
            os.replace(path, os.path.join(old, base))
            os.replace(target, path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(target, path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _umask():
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
