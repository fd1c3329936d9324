"""The committed German→English model loads, translates, and keeps its BLEU."""

import json

import pytest
from conftest import REPO
from shared_data import MULTI30K, needs_multi30k

from keras_s2s import cli

MODEL = REPO / "saved_models" / "multi30k_de_en"


def test_translate_right_after_install(capsys):
    assert cli.main(["translate", "--model", str(MODEL), "Ein Hund rennt durch den Schnee."]) == 0
    assert capsys.readouterr().out.strip() == "a dog runs through the snow."


def test_size_budget():
    size = sum(p.stat().st_size for p in MODEL.iterdir())
    assert size < 30 * 1024 * 1024


@needs_multi30k
def test_beam_bleu_on_test2016(tmp_path, capsys):
    source = str(MULTI30K / "test_2016_flickr.de.gz")
    reference = str(MULTI30K / "test_2016_flickr.en.gz")
    report = tmp_path / "bleu.json"
    assert (
        cli.main(
            [
                "evaluate",
                "--model",
                str(MODEL),
                "--source",
                source,
                "--reference",
                reference,
                "--strategy",
                "beam",
                "--json",
                str(report),
            ]
        )
        == 0
    )
    scores = json.loads(report.read_text())
    assert scores["sentences"] == 1000
    assert scores["bleu_lowercase"] == pytest.approx(38.59, abs=0.5)  # CPU numerics may differ slightly
    assert scores["bleu_lowercase"] >= 33
