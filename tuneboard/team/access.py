"""Who may do what to a run: the access policy of a shared (team) server, and each run's owner.

The policy is small on purpose. Teammates can see every run; only the run's owner or an admin can
change it (stop, delete, threshold, relabel, rename its classes, export, resume, share); another person's
texts (validation rows, mistakes) are shown only when the owner shares the run. On a single-user server the one user is
``LOCAL`` (an admin), so nothing is hidden.

A run's owner lives in ``owner.json`` in its run folder, written atomically, next to (not inside)
``status.json``. Runs with no owner on record (made before this file existed, or by the CLI) belong to
``"local"``: on a team server only admins may change them.
"""
from __future__ import annotations

import json
import os
import tempfile
import time
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tuneboard.errors import PermissionDenied
from tuneboard.i18n import t
from tuneboard.paths import RunFiles
from tuneboard.server_settings import server_settings

OWNER_FILE = RunFiles.OWNER
LOCAL_ID = "local"
# Every action the UI or the engine asks about. ``view`` is open to all teammates; ``view_texts`` to the
# owner, admins, and everyone when the run is shared; the rest to the owner and admins only.
ACTIONS = ("view", "view_texts", "stop", "delete", "set_threshold", "relabel", "export", "resume", "share",
           "deploy", "feedback", "rename_classes")


def normalize(user_id: str) -> str:
    """Ids compare case-insensitively (e-mail addresses do in practice), NFKC-normalised (a full-width or
    compatibility letter is its plain letter) and without outer spaces."""
    return unicodedata.normalize("NFKC", user_id).strip().casefold()


def canonical_email(email: str) -> bool:
    """Whether ``email`` names exactly one id: it has no compatibility character (the Kelvin sign K, a
    full-width letter) and no letter that case folding turns into another (German sharp s becomes 'ss').
    A provider treats such an address as distinct from its look-alike; Tuneboard would not, so it is no
    identity here (``kate@`` with a Kelvin sign must never become the admin ``kate@``)."""
    return "@" in email and unicodedata.normalize("NFKC", email) == email and email.casefold() == email.lower()


@dataclass(frozen=True)
class User:
    """A signed-in person. ``id`` is the stable key (the e-mail address when the provider gives one)."""

    id: str
    name: str = ""
    is_admin: bool = False

    def __post_init__(self) -> None:
        if not self.id.strip():
            raise ValueError("A user needs a non-empty id.")
        object.__setattr__(self, "id", normalize(self.id))

    @property
    def label(self) -> str:
        """What the UI shows: the name when known, else the id."""
        return self.name or self.id


LOCAL = User(LOCAL_ID, "local", is_admin=True)


def admin_ids(extra: Iterable[str] = ()) -> frozenset[str]:
    """Admins: ``TUNEBOARD_ADMINS`` (comma- or space-separated ids) plus ``extra`` (the settings' list)."""
    names = server_settings().admins
    return frozenset(normalize(n) for n in [*names, *extra] if n.strip())


def user_from_claims(claims: dict[str, Any], admins: Iterable[str] = ()) -> User:
    """A ``User`` from an OpenID Connect identity (``st.user``): id = the e-mail address the provider says
    it verified, else ``<issuer>|<subject>``.

    An e-mail is used only when ``email_verified`` is true: a missing claim is not a yes (some providers let
    anyone type an admin's address at sign-up), nor is an address that ``canonical_email`` refuses. A subject
    is unique only at its provider, so it is namespaced by the issuer (two providers' ``sub: 1`` are two
    people); the ``://`` of the issuer keeps such an id from ever equalling an e-mail address."""
    email = str(claims.get("email") or "").strip()
    if email and claims.get("email_verified") is True and canonical_email(email):
        user_id = email
    else:
        sub, issuer = str(claims.get("sub") or "").strip(), str(claims.get("iss") or "").strip()
        if not sub or not issuer:
            raise PermissionDenied(t("access.err.no_identity"))
        user_id = f"{issuer}|{sub}"
    name = str(claims.get("name") or claims.get("preferred_username") or "")
    return User(user_id, name, is_admin=normalize(user_id) in set(admin_ids(admins)))


def can(user: User, action: str, owner: str | None, shared: bool = False) -> bool:
    """Whether ``user`` may take ``action`` on a run owned by ``owner`` (``None`` = ``"local"``)."""
    if action not in ACTIONS:
        raise ValueError(f"Unknown action {action!r}; expected one of {', '.join(ACTIONS)}.")
    if user.is_admin or user.id == normalize(owner or LOCAL_ID):
        return True
    if action == "view":
        return True
    return action == "view_texts" and shared


def require(user: User, action: str, owner: str | None, shared: bool = False) -> None:
    """Raise ``PermissionDenied`` (one line) unless ``can(user, action, owner, shared)``."""
    if not can(user, action, owner, shared):
        extra = t("engine.access.or_share") if action == "view_texts" else ""
        # one verb per action: engine.access.verb.<action> for every action in ACTIONS
        raise PermissionDenied(t("engine.err.access.denied", verb=t(f"engine.access.verb.{action}"),
                                 owner=owner or LOCAL_ID, extra=extra))


# -- owner.json -------------------------------------------------------------------------------------
def record_owner(run_path: str | Path, user: User | str, shared: bool = False) -> None:
    """Write ``owner.json`` for a new run (atomically: a reader sees the old file or the new, never half)."""
    owner = user.id if isinstance(user, User) else normalize(user)
    _write(Path(run_path), {"owner": owner, "shared": bool(shared), "created_at": time.time()})


def owner_record(run_path: str | Path) -> dict[str, Any]:
    """``{"owner": id, "shared": bool}``; a missing or unreadable file reads as ``local``, not shared
    (fails closed: on a team server only admins may then act on the run)."""
    try:
        data = json.loads((Path(run_path) / OWNER_FILE).read_text(encoding="utf-8"))
        owner = normalize(str(data["owner"])) or LOCAL_ID
        return {"owner": owner, "shared": data.get("shared") is True}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {"owner": LOCAL_ID, "shared": False}


def run_owner(run_path: str | Path) -> str:
    """The owner's id of the run at ``run_path`` (``"local"`` when none is on record)."""
    return owner_record(run_path)["owner"]


def is_shared(run_path: str | Path) -> bool:
    """Whether the owner lets teammates see the run's texts."""
    return owner_record(run_path)["shared"]


def set_shared(run_path: str | Path, shared: bool) -> None:
    """Share (or stop sharing) a run's texts with the team; the owner on record is kept."""
    record = owner_record(run_path)
    _write(Path(run_path), {**record, "shared": bool(shared), "shared_at": time.time()})


def allowed(user: User, action: str, run_path: str | Path) -> bool:
    """``can`` for the run at ``run_path``, reading its owner and sharing from disk."""
    record = owner_record(run_path)
    return can(user, action, record["owner"], record["shared"])


def check(user: User, action: str, run_path: str | Path) -> None:
    """``require`` for the run at ``run_path``."""
    record = owner_record(run_path)
    require(user, action, record["owner"], record["shared"])


def _write(folder: Path, data: dict[str, Any]) -> None:
    # A unique temp name per writer (two writers never share one), fsync, then an atomic rename.
    fd, tmp = tempfile.mkstemp(prefix=f".{OWNER_FILE}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=2)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, folder / OWNER_FILE)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
