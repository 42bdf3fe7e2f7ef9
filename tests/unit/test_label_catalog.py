"""The Label page's words built at run time (its modes, the colours of classes) are in both catalogs."""
from __future__ import annotations

import pytest

from tuneboard import i18n


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_every_mode_and_colour_of_the_label_page_has_its_words(lang):
    from components.labeling import MODES
    from tuneboard.labeling import COLOURS

    keys = {f"label.mode.{m}" for m in MODES} | {f"label.colour.{c}" for c in COLOURS} | {"nav.label"}
    assert sorted(keys - set(i18n.catalog(lang))) == []
