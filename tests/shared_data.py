"""Where the tests find ../shared/data (or $KERAS_S2S_DATA); they never download."""

import os
import pathlib

import pytest

DATA = pathlib.Path(
    os.environ.get("KERAS_S2S_DATA") or pathlib.Path(__file__).resolve().parents[2] / "shared" / "data"
)
MULTI30K = DATA / "multi30k"
ANKI = DATA / "anki" / "spa-eng.zip"

needs_multi30k = pytest.mark.skipif(
    not (MULTI30K / "train.de.gz").is_file(),
    reason=f"Multi30k not found in {MULTI30K} (set KERAS_S2S_DATA to the data root)",
)
