"""The token cache's bookkeeping: where tokenized datasets are kept, and which runs used which entry
(so that deleting a run for good removes the entries only it used)."""
from __future__ import annotations

import re
from pathlib import Path

from tuneboard.files import locked, write_text_atomic
from tuneboard.paths import RunFiles, workspace

CACHE_KEYS_FILE = RunFiles.TOKEN_CACHE_KEYS
_CACHE_NAME = re.compile(r"[0-9a-f]{40}\.arrow")


def token_cache_dir() -> Path:
    """Where ``encode_cached`` keeps its entries (the folder training passes to it)."""
    return workspace().token_cache


def record_cache_use(run_folder: Path, entry: Path) -> None:
    """Append ``entry`` (a cache file) to the run's list of token-cache entries it used."""
    listed = run_folder / CACHE_KEYS_FILE
    with locked(run_folder):
        known = set(listed.read_text(encoding="utf-8").split()) if listed.is_file() else set()
        if entry.name not in known:
            write_text_atomic(listed, "".join(f"{n}\n" for n in sorted(known | {entry.name})))


def cache_entries_used(run_folder: Path) -> set[str]:
    """Names of the token-cache files a run recorded (only plain ``<sha1>.arrow`` names)."""
    listed = Path(run_folder) / CACHE_KEYS_FILE
    try:
        names = listed.read_text(encoding="utf-8").split()
    except OSError:
        return set()
    return {n for n in names if _CACHE_NAME.fullmatch(n)}
