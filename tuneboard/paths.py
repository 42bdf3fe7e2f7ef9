"""Where Tuneboard's files live: the project folder, the default home of ``models/``."""
from __future__ import annotations

import os
from pathlib import Path

# The repository (or install) folder: ``models/`` sits beside ``tuneboard/`` unless the environment says otherwise
PROJECT = Path(__file__).resolve().parent.parent

RUNS_DIR = Path(os.environ.get("TUNEBOARD_RUNS_DIR", PROJECT / "models" / "runs"))


def runs_root() -> Path:
    return Path(os.environ.get("TUNEBOARD_RUNS_DIR", RUNS_DIR))


def embeddings_root() -> Path:
    """Where sentence embeddings of tables are cached (one file per table and encoder)."""
    return Path(os.environ.get("TUNEBOARD_EMBEDDINGS_DIR", runs_root().parent / "embeddings"))
