"""Every file keras_s2s writes goes through here: temp sibling + one rename.

A reader (or a kill at any moment) sees either the old file or the new
one, never a half-written one. New files and directories get the mode a
plain `open()` / `mkdir` would give them (0666 / 0777 minus the umask):
they are created with that mode and the kernel applies the umask, so the
process-wide umask is never read or changed (`os.umask` is not
thread-safe). A model server running as another user can read an export.
"""

import contextlib
import json
import os
import secrets
import shutil

_DIR_MODE = 0o777


@contextlib.contextmanager
def atomic_path(path, overwrite=False, is_dir=True):
    """Yields a temporary path that replaces `path` only if the block succeeds.

    A failure inside the block leaves neither a half-written `path` nor the
    temporary path behind. An existing `path` is an error unless `overwrite`.

    Args:
        path: the final file or directory.
        overwrite: replace an existing `path`.
        is_dir: whether a directory (else a file) is being written.

    Raises:
        FileExistsError: `path` exists and `overwrite` is False.
    """
    path = os.path.abspath(os.fspath(path))
    check_writable(path, overwrite)
    parent, base = os.path.split(path)
    os.makedirs(parent, exist_ok=True)
    tmp = _make_temp_dir(parent, f".{base}.tmp-")
    target = tmp if is_dir else os.path.join(tmp, base)
    try:
        yield target
        if not is_dir:  # one rename replaces a file: `path` never goes missing
            os.replace(target, path)
        elif os.path.exists(path):
            old = _make_temp_dir(parent, f".{base}.old-")
            os.replace(path, os.path.join(old, base))
            os.replace(target, path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(target, path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def check_writable(path, overwrite=False):
    """Raises unless `path` may be (over)written; call it before slow work.

    Args:
        path: a file or directory about to be written.
        overwrite: whether an existing `path` may be replaced.

    Raises:
        FileExistsError: `path` exists and `overwrite` is False (the
            message names `overwrite=`; the CLI says `--overwrite`).
        PermissionError / NotADirectoryError: the nearest existing parent
            cannot be written.
    """
    path = os.path.abspath(os.fspath(path))
    if os.path.exists(path) and not overwrite:
        raise FileExistsError(
            f"{path} already exists; pass overwrite=True to replace it. Received: overwrite={overwrite}"
        )
    ensure_writable_dir(os.path.dirname(path))


def ensure_writable_dir(directory):
    """Creates `directory` if needed and checks that files can be made in it.

    Raises:
        PermissionError, NotADirectoryError, FileExistsError: with the
            directory named, before any long computation starts.
    """
    directory = os.path.abspath(os.fspath(directory))
    try:
        os.makedirs(directory, exist_ok=True)
        probe = _make_temp_dir(directory, ".write-check-")
        os.rmdir(probe)
    except FileExistsError:
        raise NotADirectoryError(f"{directory} exists and is not a directory.") from None
    except OSError as error:
        raise type(error)(
            error.errno, f"{directory} cannot be created or written ({error.strerror})"
        ) from None


def write_text(path, text):
    """Writes `text` (UTF-8) to `path` atomically, replacing an existing file."""
    with atomic_path(path, overwrite=True, is_dir=False) as tmp:
        with open(tmp, "w", encoding="utf-8", newline="") as f:
            f.write(text)


def write_bytes(path, content, overwrite=True):
    """Writes `content` to `path` atomically."""
    with atomic_path(path, overwrite=overwrite, is_dir=False) as tmp:
        with open(tmp, "wb") as f:
            f.write(content)


def write_json(path, obj):
    """Writes `obj` as indented JSON atomically (temp file + rename)."""
    write_text(path, json.dumps(obj, indent=2, ensure_ascii=False))


def _make_temp_dir(parent, prefix):
    """`mkdtemp` with the umask applied (mkdtemp forces 0700)."""
    for _ in range(100):
        name = os.path.join(parent, prefix + secrets.token_hex(4))
        try:
            os.mkdir(name, _DIR_MODE)
            return name
        except FileExistsError:
            continue
    raise FileExistsError(f"Could not create a temporary directory in {parent}.")
