"""Named models and their versions: promote a finished run to a name, aliases (production, candidate),
roll back, and who did what when. Kept in the same database as the queue.

The front door: other folders and the UI import these names from here (each is loaded when first used).
"""
from __future__ import annotations

from tuneboard.doors import lend

__getattr__, __all__ = lend(__name__, {
})
