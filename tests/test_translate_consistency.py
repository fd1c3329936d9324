"""Issue 12 item 5: the same input gives the same string on every call and in every runtime."""

import subprocess
import sys

import pytest

from keras_s2s import cli, data

TINY = [
    "--tokenizer",
    "subword",
    "--vocab-size",
    "60",
    "--lowercase",
    "--embedding-dim",
    "16",
    "--units",
    "32",
    "--epochs",
    "2",
    "--batch-size",
    "32",
    "--quiet",
    "--dropout",
    "0.0",
]
# Cased, empty, punctuated and unknown-character inputs to a lowercased model.
INPUTS = ["A B C D", "", "Where's E F?", "g h I j k", "ÄÖ q r", "a"]


def _translate(model, capsys):
    assert cli.main(["translate", "--model", str(model), "--strategy", "greedy", *INPUTS]) == 0
    return capsys.readouterr().out.splitlines()


@pytest.mark.slow  # over 40 s on 2 cores; `make test-slow` runs it
def test_ten_identical_calls_give_the_saved_models_strings(tmp_path, capsys):
    sources, targets = data.reverse(400, seed=3)
    (tmp_path / "s").write_text("\n".join(sources) + "\n")
    (tmp_path / "t").write_text("\n".join(targets) + "\n")
    run = tmp_path / "run"
    assert (
        cli.main(
            [
                "train",
                "--source",
                str(tmp_path / "s"),
                "--target",
                str(tmp_path / "t"),
                "--output-dir",
                str(run),
                *TINY,
            ]
        )
        == 0
    )
    served = tmp_path / "served" / "1"
    assert cli.main(["export", "--model", str(run), "--output", str(served), "--strategy", "greedy"]) == 0
    capsys.readouterr()
    expected = _translate(served, capsys)
    assert len(expected) == len(INPUTS)
    assert all(line == line.lower() for line in expected)  # a lowercased model's vocabulary
    for _ in range(10):
        assert _translate(run, capsys) == expected
    # A fresh process (new hash seed, new thread pools) agrees as well.
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "keras_s2s.cli",
            "translate",
            "--model",
            str(run),
            "--strategy",
            "greedy",
            *INPUTS,
        ],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.splitlines() == expected
