"""Every setting of a Tuneboard server: the ``TUNEBOARD_*`` environment variables and the ``[tuneboard]`` section
of the secrets table, read here and nowhere else.

``server_settings()`` reads the environment each time it is called, never at import: a test, a child process or
``python -m tuneboard.team.server`` may change a variable at any moment, and the next call must see it. Values are
parsed when asked for, so one malformed variable breaks only what uses it. Folders are ``None`` when not set:
where they are by default is ``tuneboard.paths``'s business (``workspace()``).

    variable                   what it sets (default)
    TUNEBOARD_RUNS_DIR         the runs folder (models/runs); the workspace's other folders sit beside it
    TUNEBOARD_MODELS_DIR       the folder local models may be loaded from (models/)
    TUNEBOARD_UPLOADS_DIR      uploaded files (models/uploads)
    TUNEBOARD_DATASETS_DIR     corrected datasets (beside the runs folder: datasets/)
    TUNEBOARD_DB               the queue's database (beside the runs folder: tuneboard.db)
    TUNEBOARD_TEAM             1: a shared server, login on every page (also ``[tuneboard] team = true``)
    TUNEBOARD_ADMINS           admins' ids, comma- or space-separated (merged with ``[tuneboard] admins``)
    TUNEBOARD_MAX_QUEUED       runs one person may have waiting (3; 0 = no limit)
    TUNEBOARD_USER_DISK_GB     disk one person's runs may use (100; 0 = no limit)
    TUNEBOARD_USER_UPLOAD_MB   uploads one person may keep (2048; 0 = no limit)
    TUNEBOARD_HEARTBEAT_S      seconds between a worker's heartbeats (2)
    TUNEBOARD_STALE_S          a heartbeat older than this means nobody trains the run (30)
    TUNEBOARD_DIST_TIMEOUT_S   seconds a multi-GPU collective waits for the other ranks (1800)
    TUNEBOARD_PARENT           set for a child process: the process it must not outlive
    TUNEBOARD_SERVES           set for an API server: the run it serves
    TUNEBOARD_ENERGY_COUNTRY   ISO 3166 alpha-3 code of the grid: measure each run's energy with codecarbon (off)
    TUNEBOARD_API_KEY          read by a client of a served model (the snippets Deploy shows), never by the server
"""
from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tuneboard.errors import ConfigError
from tuneboard.i18n import t

RUNS_DIR = "TUNEBOARD_RUNS_DIR"
MODELS_DIR = "TUNEBOARD_MODELS_DIR"
UPLOADS_DIR = "TUNEBOARD_UPLOADS_DIR"
DATASETS_DIR = "TUNEBOARD_DATASETS_DIR"
DB = "TUNEBOARD_DB"
TEAM = "TUNEBOARD_TEAM"
ADMINS = "TUNEBOARD_ADMINS"
MAX_QUEUED = "TUNEBOARD_MAX_QUEUED"
USER_DISK_GB = "TUNEBOARD_USER_DISK_GB"
USER_UPLOAD_MB = "TUNEBOARD_USER_UPLOAD_MB"
HEARTBEAT_S = "TUNEBOARD_HEARTBEAT_S"
STALE_S = "TUNEBOARD_STALE_S"
DIST_TIMEOUT_S = "TUNEBOARD_DIST_TIMEOUT_S"
PARENT = "TUNEBOARD_PARENT"
SERVES = "TUNEBOARD_SERVES"
API_KEY = "TUNEBOARD_API_KEY"
ENERGY_COUNTRY = "TUNEBOARD_ENERGY_COUNTRY"
PREFIX = "TUNEBOARD_"
_TRUE = ("1", "true", "yes", "on")


@dataclass(frozen=True)
class ServerSettings:
    """The server's settings as the environment and the secrets table said when ``server_settings()`` was called."""

    env: Mapping[str, str] = field(default_factory=dict)  # only the TUNEBOARD_* variables
    secrets: Mapping[str, Any] = field(default_factory=dict)

    def _path(self, name: str) -> Path | None:
        value = self.env.get(name)
        return Path(value) if value is not None else None

    def _number(self, name: str, default: str) -> float:
        return float(self.env.get(name, default))

    # -- places (None: not set; tuneboard.paths knows the defaults) ------------------------------------------------
    @property
    def runs_dir(self) -> Path | None:
        return self._path(RUNS_DIR)

    @property
    def models_dir(self) -> Path | None:
        return self._path(MODELS_DIR)

    @property
    def uploads_dir(self) -> Path | None:
        return self._path(UPLOADS_DIR)

    @property
    def datasets_dir(self) -> Path | None:
        return self._path(DATASETS_DIR)

    @property
    def db(self) -> Path | None:
        return Path(self.env[DB]) if self.env.get(DB) else None  # an empty value means the default, as before

    # -- the team ------------------------------------------------------------------------------------------------
    @property
    def team(self) -> bool:
        """Whether this server is shared: ``TUNEBOARD_TEAM=1`` or ``[tuneboard] team = true``."""
        if self.env.get(TEAM, "").strip().lower() in _TRUE:
            return True
        section = self.secrets.get("tuneboard")
        return isinstance(section, Mapping) and section.get("team") is True

    @property
    def admins(self) -> list[str]:
        """``TUNEBOARD_ADMINS`` (comma- or space-separated), as written."""
        return self.env.get(ADMINS, "").replace(",", " ").split()

    @property
    def secret_admins(self) -> list[str]:
        """The ``[tuneboard] admins`` list of the secrets table (ids or e-mail addresses)."""
        section = self.secrets.get("tuneboard")
        admins = section.get("admins", []) if isinstance(section, Mapping) else []
        return [str(a) for a in admins] if isinstance(admins, (list, tuple)) else [str(admins)]

    # -- sharing the machine -------------------------------------------------------------------------------------
    @property
    def max_queued(self) -> int:
        return int(self.env.get(MAX_QUEUED, "3"))

    @property
    def user_disk_gb(self) -> float:
        return self._number(USER_DISK_GB, "100")

    @property
    def user_upload_mb(self) -> float:
        return self._number(USER_UPLOAD_MB, "2048")

    # -- workers -------------------------------------------------------------------------------------------------
    @property
    def heartbeat_s(self) -> float:
        return self._number(HEARTBEAT_S, "2")

    @property
    def stale_s(self) -> float:
        return self._number(STALE_S, "30")

    @property
    def dist_timeout_s(self) -> float:
        return self._number(DIST_TIMEOUT_S, "1800")

    @property
    def parent(self) -> str | None:
        return self.env.get(PARENT)

    @property
    def energy_country(self) -> str | None:
        """The grid's ISO code when the operator asked for runs' energy (three letters), else None."""
        code = self.env.get(ENERGY_COUNTRY, "").strip().upper()
        return code if len(code) == 3 and code.isalpha() else None

    @property
    def serves(self) -> str | None:
        return self.env.get(SERVES)


def server_settings(secrets: Mapping[str, Any] | None = None) -> ServerSettings:
    """The settings now: this process's ``TUNEBOARD_*`` variables and ``secrets`` (a secrets table already read:
    ``st.secrets`` in the app, ``load_secrets`` in the team launcher; none: the environment alone)."""
    env = {k: v for k, v in os.environ.items() if k.startswith(PREFIX)}
    return ServerSettings(env, dict(secrets or {}))


def secrets_files(cwd: Path | None = None) -> list[Path]:
    """Where Streamlit looks for secrets by default, lowest precedence first."""
    return [Path.home() / ".streamlit" / "secrets.toml", (cwd or Path.cwd()) / ".streamlit" / "secrets.toml"]


def load_secrets(paths: Sequence[Path]) -> dict[str, Any]:
    """The secrets Streamlit will see: each existing file's top-level keys override earlier files'."""
    merged: dict[str, Any] = {}
    for path in paths:
        if not Path(path).is_file():
            continue
        try:
            merged.update(tomllib.loads(Path(path).read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
            raise ConfigError(t("engine.err.team.secrets", path=path, reason=e)) from None
    return merged
