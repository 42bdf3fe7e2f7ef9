"""Agreement between people labeling the same table: Cohen's kappa on the rows two of them both labeled, and the
rows they disagree about, for the table's owner to settle (``LabelStore.settle``)."""
from __future__ import annotations

from dataclasses import dataclass

from tuneboard.labeling.store import LabelStore


@dataclass(frozen=True)
class Conflict:
    """A row its labelers disagree about: ``labels`` is ``{user id: code}``."""

    row: int
    labels: dict[str, str]


def kappa(store: LabelStore, first: str | None = None, second: str | None = None) -> float | None:
    """Cohen's kappa between two labelers on the rows both labeled (by default the two who share the most rows);
    None when no two people labeled a common row, or when both used one class only (kappa is undefined)."""
    from sklearn.metrics import cohen_kappa_score

    views = store.by_user()
    if first is None or second is None:
        pairs = [(len(views[a].keys() & views[b].keys()), a, b) for a in views for b in views if a < b]
        if not pairs:
            return None
        _, first, second = max(pairs)
    a, b = views.get(first, {}), views.get(second, {})
    rows = sorted(a.keys() & b.keys())
    if not rows:
        return None
    x, y = [a[r] for r in rows], [b[r] for r in rows]
    if len(set(x) | set(y)) < 2:
        return None
    return float(cohen_kappa_score(x, y))


def conflicts(store: LabelStore) -> list[Conflict]:
    """Rows whose labelers gave different labels (since the row was last settled), in row order."""
    out = []
    for row, seen in sorted(store.views().items()):
        if len(set(seen.values())) > 1:
            out.append(Conflict(row, dict(seen)))
    return out
