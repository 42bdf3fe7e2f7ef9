"""Writing files safely on a shared server: atomic, locked, and CSV cells a spreadsheet will not run.

- ``write_json_atomic`` / ``write_bytes_atomic`` / ``atomic_path``: write to a temp file with a
  unique name in the same folder, fsync it, then ``os.replace`` it over the target, so a reader
  sees the old file or the new one, never half of one (two writers never share a temp file).
- ``locked(folder)``: an exclusive ``flock`` on ``folder/.lock`` around a read-modify-write. It
  serialises threads *and* processes (a flock belongs to an open file description, so two threads
  that each open the lock file exclude each other) and is re-entrant within a thread.
- A full disk becomes ``DiskFull``: one line saying how much space was needed, temp file removed.
- ``safe_csv``: OWASP's advice against CSV injection (cells starting with ``= + - @``, tab or CR
  get a leading ``'``), for every CSV a user downloads.
- Private by default: files hold people's texts, labels and settings, so the writers here make files
  0600 (``mkstemp`` does) and the folders they create 0700 (``private_dir``); ``make_private`` brings
  what a library wrote with the process umask (``save_pretrained``, TensorBoard) to the same modes.
"""
from __future__ import annotations

import csv
import errno
import fcntl
import json
import os
import re
import shutil
import stat
import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, Callable, Iterator

from tuneboard.errors import DiskFull
from tuneboard.i18n import t

LOCK_NAME = ".lock"
FILE_MODE, DIR_MODE = 0o600, 0o700  # only the server's own user reads what people trained on
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NO_SPACE = (errno.ENOSPC, errno.EDQUOT)
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_held = threading.local()


@contextmanager
def atomic_path(path: str | Path, size_hint: int = 0) -> Iterator[Path]:
    """Yield a unique temp path beside ``path``; when the block succeeds, fsync it and move it
    over ``path``. On any error the temp file is removed; a full disk raises ``DiskFull``."""
    path = Path(path)
    private_dir(path.parent)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        if e.errno in _NO_SPACE:
            raise disk_full(path, size_hint) from None
        raise
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def write_bytes_atomic(path: str | Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically (unique temp name, fsync, ``os.replace``)."""
    with atomic_path(path, len(data)) as tmp:
        tmp.write_bytes(data)


def write_text_atomic(path: str | Path, text: str) -> None:
    write_bytes_atomic(path, text.encode("utf-8"))


def write_json_atomic(path: str | Path, data: Any, default: Callable[[Any], Any] | None = None) -> None:
    """``data`` as indented UTF-8 JSON, written atomically."""
    write_text_atomic(path, json.dumps(data, indent=2, ensure_ascii=False, default=default or jsonable))


def read_json(path: str | Path) -> Any:
    return json.loads(Path(path).read_text(encoding="utf-8"))


@contextmanager
def locked(folder: str | Path) -> Iterator[None]:
    """Hold an exclusive lock on ``folder`` (a ``.lock`` file in it) for a read-modify-write.
    Re-entrant in one thread; other threads and processes wait."""
    key = str(Path(folder).resolve())
    held: dict[str, int] = _held.__dict__.setdefault("counts", {})
    if held.get(key):
        held[key] += 1
        try:
            yield
        finally:
            held[key] -= 1
        return
    private_dir(folder)
    with open_private(Path(folder) / LOCK_NAME, "a+b") as f:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX)
        held[key] = 1
        try:
            yield
        finally:
            held[key] = 0
            fcntl.flock(f.fileno(), fcntl.LOCK_UN)


def update_json(path: str | Path, change: Callable[[dict[str, Any]], dict[str, Any] | None]) -> dict[str, Any]:
    """Read ``path`` (a JSON object; {} when missing), apply ``change``, write it back atomically,
    all under the folder's lock. ``change`` may edit the dict in place or return a new one."""
    path = Path(path)
    with locked(path.parent):
        try:
            data = read_json(path)
        except FileNotFoundError:
            data = {}
        new = change(data)
        data = data if new is None else new
        write_json_atomic(path, data)
        return data


def private_dir(folder: str | Path) -> Path:
    """``folder``, made with every missing level 0700. A folder that exists keeps its mode: it may be one a
    person chose (``--output ~/Desktop/x.zip``), not one of Tuneboard's."""
    folder = Path(folder)
    missing = []
    for level in (folder, *folder.parents):
        if level.exists():
            break
        missing.append(level)
    for level in reversed(missing):
        try:
            level.mkdir(mode=DIR_MODE)  # the umask can only take bits away from 0700
        except FileExistsError:  # another thread or process made it meanwhile
            continue
    return folder


def open_private(path: str | Path, mode: str = "ab", **kwargs: Any) -> IO[Any]:
    """``open(path, mode)``, a file it creates being 0600 (appended logs: ``history.jsonl``, a server's log)."""
    return open(path, mode, opener=lambda name, flags: os.open(name, flags, FILE_MODE), **kwargs)


def create_private(path: str | Path) -> Path:
    """Create ``path`` empty and 0600 unless it exists; for a SQLite database before its first connection
    (SQLite gives its -wal and -shm files the database file's mode, so they are 0600 too)."""
    path = Path(path)
    private_dir(path.parent)
    open_private(path, "ab").close()
    return path


def make_private(path: str | Path) -> None:
    """Make ``path`` (a file, or a folder and everything in it) 0600 / 0700, never following a symlink:
    for what a library wrote with the umask's modes."""
    path = Path(path)
    if path.is_symlink() or not path.exists():
        return
    if path.is_dir():
        for sub in path.iterdir():
            make_private(sub)
    os.chmod(path, DIR_MODE if path.is_dir() else FILE_MODE)


def is_regular_inside(path: str | Path, root: str | Path) -> bool:
    """``path`` is a regular file itself (not a symlink to one) whose real location is inside ``root``."""
    try:
        st = os.lstat(path)
    except OSError:
        return False
    return stat.S_ISREG(st.st_mode) and Path(path).resolve().is_relative_to(Path(root).resolve())


def regular_files(folder: str | Path, root: str | Path) -> list[Path]:
    """The regular files under ``folder`` that lie inside ``root``, found without following a symlink: a run
    folder may come from someone else, and ``notes.txt -> ~/.ssh/id_rsa`` must not travel in its export."""
    folder = Path(folder)
    if folder.is_symlink() or not folder.is_dir():
        return []
    found = [Path(top) / name for top, _, names in os.walk(folder) for name in names]  # never enters a symlink
    return sorted(p for p in found if is_regular_inside(p, root))


def open_regular(path: str | Path) -> IO[bytes]:
    """``path`` opened for reading, refusing (``OSError``) a symlink or anything but a regular file, so a
    file swapped for a link after ``regular_files`` listed it is not read either."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise OSError(errno.EINVAL, "not a regular file", str(path))
    return os.fdopen(fd, "rb")


def uploads_dir() -> Path:
    """Where the app keeps uploaded files (``TUNEBOARD_UPLOADS_DIR``, else ``models/uploads``)."""
    from tuneboard.paths import workspace

    return workspace().uploads


def is_disk_full(e: BaseException) -> bool:
    """Whether ``e`` is the operating system saying the disk (or the user's quota) is full."""
    return isinstance(e, OSError) and e.errno in _NO_SPACE


def disk_full(path: Path, needed_bytes: int = 0) -> DiskFull:
    """The one-line message for a write that ran out of space."""
    try:
        free = shutil.disk_usage(path.parent if path.parent.exists() else Path.cwd()).free
    except OSError:
        free = 0
    needed = max(needed_bytes, 1)
    return DiskFull(t("engine.err.disk_full", name=path.name, needed=needed / 1e6, free=free / 1e6))


def safe_csv_frame(df: Any) -> Any:
    """A copy of ``df`` whose text cells and column names cannot start a spreadsheet formula.
    Numbers stay numbers; only strings starting with ``= + - @``, tab or CR get a leading ``'``."""
    from pandas.api.types import is_numeric_dtype

    out = df.copy()
    for i in range(out.shape[1]):  # by position: column names may repeat
        if not is_numeric_dtype(out.iloc[:, i]):  # text, object, category, mixed: every str cell
            out.isetitem(i, out.iloc[:, i].astype(object).map(escape_cell))
    out.columns = [escape_cell(c) for c in out.columns]
    return out


def safe_csv(df: Any, path: str | Path | None = None, index: bool = False) -> bytes | None:
    """``df`` as CSV with formula cells escaped: the bytes, or written atomically to ``path``."""
    # Every text cell quoted: pandas leaves a lone CR unquoted, which splits the row in a spreadsheet.
    text = safe_csv_frame(df).to_csv(index=index, quoting=csv.QUOTE_NONNUMERIC)
    if path is None:
        return text.encode("utf-8")
    write_text_atomic(path, text)
    return None


def escape_cell(value: Any) -> Any:
    """``'`` before a text that starts like a formula; a plain number written as text ("-1") stays
    as it is (a spreadsheet reads it as that number, which runs nothing)."""
    if isinstance(value, str) and value.startswith(FORMULA_START) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def jsonable(o: Any) -> Any:
    """``json.dumps`` default: numpy scalars/arrays and paths."""
    if hasattr(o, "tolist"):
        return o.tolist()
    if hasattr(o, "item"):
        return o.item()
    if isinstance(o, Path):
        return str(o)
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
