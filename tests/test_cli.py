"""The `keras-s2s` command end to end on a tiny run (seconds, not minutes)."""

import io
import json
import pathlib
import subprocess
import sys

import pytest

from keras_s2s import cli, data
from keras_s2s.training import run_directory

TINY = [
    "--tokenizer",
    "word",
    "--embedding-dim",
    "16",
    "--units",
    "32",
    "--epochs",
    "3",
    "--batch-size",
    "32",
    "--quiet",
    "--dropout",
    "0.0",
]


def _files(tmp_path, n=600, seed=0, name="train"):
    sources, targets = data.reverse(n, seed=seed)
    src, tgt = tmp_path / f"{name}.src", tmp_path / f"{name}.tgt"
    src.write_text("\n".join(sources) + "\n")
    tgt.write_text("\n".join(targets) + "\n")
    return str(src), str(tgt), sources, targets


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cli")
    src, tgt, _, _ = _files(tmp)
    out = tmp / "run"
    assert cli.main(["train", "--source", src, "--target", tgt, "--output-dir", str(out), *TINY]) == 0
    return tmp, out


def test_train_writes_a_complete_run_directory(run_dir):
    _, out = run_dir
    names = {p.name for p in out.iterdir()}
    assert {
        "model.keras",
        "source_tokenizer.json",
        "target_tokenizer.json",
        "settings.json",
        "history.csv",
        "logs",
    } <= names
    backup = json.loads((out / "backup" / "training_metadata.json").read_text())
    assert backup["epoch"] == 3 and backup["steps_in_epoch"] == 0  # the final state, kept
    settings = json.loads((out / "settings.json").read_text())
    assert settings["model"]["units"] == 32 and settings["tokenizer"] == "word"
    assert len((out / "history.csv").read_text().splitlines()) == 4  # header + 3 epochs


def test_training_into_an_existing_run_needs_resume(run_dir, capsys):
    tmp, out = run_dir
    src, tgt = str(tmp / "train.src"), str(tmp / "train.tgt")
    assert cli.main(["train", "--source", src, "--target", tgt, "--output-dir", str(out), *TINY]) == 1
    err = capsys.readouterr().err
    assert "already holds a run; pass --resume" in err and len(err.strip().splitlines()) == 1
    before = (out / "model.keras").stat().st_mtime_ns
    assert (
        cli.main(
            [
                "train",
                "--source",
                src,
                "--target",
                tgt,
                "--output-dir",
                str(out),
                "--resume",
                *TINY,
                "--epochs",
                "4",
            ]
        )
        == 0
    )
    rows = (out / "history.csv").read_text().splitlines()
    assert [r.split(",")[0] for r in rows[1:]] == ["0", "1", "2", "3"]  # continued to 4
    assert (out / "model.keras").stat().st_mtime_ns >= before


def test_a_run_refused_by_its_model_leaves_nothing_that_blocks_a_retry(tmp_path, capsys):
    src, tgt, _, _ = _files(tmp_path, n=64)
    out = tmp_path / "run"
    base = ["train", "--source", src, "--target", tgt, "--output-dir", str(out), *TINY, "--epochs", "1"]
    for bad in (["--dropout", "0.95", "--units", "0"], ["--epochs", "0"]):
        assert cli.main(base + bad) == 1
        err = capsys.readouterr().err
        assert "units" in err or "epochs" in err
        assert not out.exists() or list(out.iterdir()) == []  # no settings, no tokenizers
    # so a retry there with good settings is a new run (no "already holds a run", no --resume)
    assert not run_directory.holds_run(out)


def test_translate_arguments_and_stdin(run_dir, capsys, monkeypatch):
    _, out = run_dir
    assert (
        cli.main(
            ["translate", "--model", str(out), "--strategy", "greedy", "a b c d e f g h", "b c d e f g h i"]
        )
        == 0
    )
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and all(isinstance(line, str) for line in lines)
    monkeypatch.setattr(sys, "stdin", io.StringIO("a b c d e f g h\nb c d e f g h i\n"))
    assert cli.main(["translate", "--model", str(out), "--strategy", "greedy"]) == 0
    assert capsys.readouterr().out.splitlines() == lines
    # bytes on stdin, as from a pipe: CRLF line ends are fine, invalid UTF-8 is named
    stdin = io.TextIOWrapper(io.BytesIO(b"a b c d e f g h\r\nb c d e f g h i\r\n"))
    monkeypatch.setattr(sys, "stdin", stdin)
    assert cli.main(["translate", "--model", str(out), "--strategy", "greedy"]) == 0
    assert capsys.readouterr().out.splitlines() == lines
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"a b c\nd \xff\xfe e\n")))
    assert cli.main(["translate", "--model", str(out), "--strategy", "greedy"]) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and "not valid UTF-8: line 2, byte offset 2 in the line is ff" in captured.err


def test_evaluate_reports_bleu_chrf_and_buckets(run_dir, capsys):
    tmp, out = run_dir
    src, tgt, _, _ = _files(tmp, n=40, seed=3, name="test")
    report = tmp / "scores.json"
    hyps = tmp / "hyps.txt"
    assert (
        cli.main(
            [
                "evaluate",
                "--model",
                str(out),
                "--source",
                src,
                "--reference",
                tgt,
                "--by-length",
                "--json",
                str(report),
                "--hypotheses",
                str(hyps),
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out
    assert "BLEU" in printed and "chrF" in printed and "source words" in printed
    scores = json.loads(report.read_text())
    assert scores["sentences"] == 40 and 0 <= scores["bleu"] <= 100
    assert set(scores["by_length"]) == {"0-9", "10-19"}
    assert len(hyps.read_text().splitlines()) == 40
    # refused before any translating: no sentences, an output path that is a directory
    (tmp / "empty.txt").write_text("")
    empty = [
        "evaluate",
        "--model",
        str(out),
        "--source",
        str(tmp / "empty.txt"),
        "--reference",
        str(tmp / "empty.txt"),
    ]
    assert cli.main(empty) == 1
    assert "holds no sentences" in capsys.readouterr().err
    for flag in ("--hypotheses", "--json"):
        assert (
            cli.main(["evaluate", "--model", str(out), "--source", src, "--reference", tgt, flag, str(tmp)])
            == 1
        )
        err = capsys.readouterr().err
        assert f"{flag} {tmp} is a directory" in err and ".tmp-" not in err


def test_export_both_formats_and_translate_with_the_saved_model(run_dir, capsys):
    tmp, out = run_dir
    saved = tmp / "served" / "reverse" / "1"
    assert cli.main(["export", "--model", str(out), "--output", str(saved), "--strategy", "greedy"]) == 0
    assert (
        cli.main(
            [
                "export",
                "--model",
                str(out),
                "--format",
                "litert",
                "--output",
                str(tmp / "lite" / "reverse.tflite"),
                "--strategy",
                "greedy",
            ]
        )
        == 0
    )
    assert (tmp / "lite" / "reverse.tflite").stat().st_size > 0
    assert (tmp / "lite" / "reverse.source_vocab.txt").exists()
    capsys.readouterr()
    cli.main(["translate", "--model", str(out), "--strategy", "greedy", "a b c d e f g h"])
    expected = capsys.readouterr().out
    assert cli.main(["translate", "--model", str(tmp / "served" / "reverse"), "a b c d e f g h"]) == 0
    assert capsys.readouterr().out == expected
    served = ["translate", "--model", str(tmp / "served" / "reverse"), "a b c d e f g h"]
    assert cli.main([*served, "--beam-size", "9"]) == 0  # translated as exported, and said so
    captured = capsys.readouterr()
    assert captured.out == expected and "--beam-size does not apply to the SavedModel" in captured.err
    for bad in ("0", "-5"):
        assert cli.main([*served, "--max-length", bad]) == 1
        assert f"max_length={bad}" in capsys.readouterr().err
    assert cli.main(["export", "--model", str(out), "--output", str(saved)]) == 1
    assert "overwrite" in capsys.readouterr().err


def test_export_never_replaces_the_run_it_exports(run_dir, capsys):
    tmp, out = run_dir
    before = sorted(p.name for p in out.iterdir())
    for output, fmt in ((out, "saved_model"), (tmp, "saved_model"), (out / "model.keras", "litert")):
        args = ["export", "--model", str(out), "--output", str(output), "--overwrite", "--format", fmt]
        assert cli.main([*args, "--strategy", "greedy"]) == 1
        assert "part of the run being read" in capsys.readouterr().err
    # LiteRT's side files too: settings.tflite would write settings.json
    args = ["export", "--model", str(out), "--format", "litert", "--output", str(out / "settings.tflite")]
    assert cli.main([*args, "--overwrite", "--strategy", "greedy"]) == 1
    assert f"would replace {out / 'settings.json'}" in capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == before
    # an earlier export inside the run (a new path there) may be replaced
    from keras_s2s.cli.commands import _check_output_spares_run

    (out / "export" / "1").mkdir(parents=True)
    _check_output_spares_run(str(out), [str(out / "export" / "1")])
    (out / "export" / "1").rmdir()
    (out / "export").rmdir()
    with pytest.raises(ValueError, match="backup"):
        _check_output_spares_run(str(out), [str(out / "backup" / "x.tflite")])
    other = tmp / "not_an_export"
    other.mkdir()
    (other / "notes.txt").write_text("keep me")
    args = ["export", "--model", str(out), "--output", str(other), "--overwrite", "--strategy", "greedy"]
    assert cli.main(args) == 1
    assert "no saved_model.pb" in capsys.readouterr().err
    assert (other / "notes.txt").read_text() == "keep me"


def test_attention_writes_a_heat_map(run_dir, capsys):
    tmp, out = run_dir
    png = tmp / "att.png"
    assert cli.main(["attention", "--model", str(out), "a b c d e f g h", "--output", str(png)]) == 0
    assert png.read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize(
    "argv, message",
    [
        (["translate", "--model", "/nonexistent/run", "x"], "does not exist"),
        (
            [
                "train",
                "--source",
                "/nonexistent.src",
                "--target",
                "/nonexistent.tgt",
                "--output-dir",
                "/tmp/x",
            ],
            "nonexistent",
        ),
        (["train", "--output-dir", "/tmp/x"], "Training data is missing"),
    ],
)
def test_user_errors_are_one_line_and_exit_1(argv, message, capsys):
    assert cli.main(argv) == 1
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_unequal_line_counts_and_corrupt_model(run_dir, tmp_path, capsys):
    _, out = run_dir
    (tmp_path / "a.txt").write_text("x\ny\n")
    (tmp_path / "b.txt").write_text("x\n")
    assert (
        cli.main(
            [
                "train",
                "--source",
                str(tmp_path / "a.txt"),
                "--target",
                str(tmp_path / "b.txt"),
                "--output-dir",
                str(tmp_path / "run"),
            ]
        )
        == 1
    )
    err = capsys.readouterr().err
    assert "a.txt" in err and "b.txt" in err
    broken = tmp_path / "broken"
    broken.mkdir()
    for name in ("source_tokenizer.json", "target_tokenizer.json"):
        (broken / name).write_text((out / name).read_text())
    (broken / "model.keras").write_bytes(b"not a zip")
    assert cli.main(["translate", "--model", str(broken), "x y"]) == 1
    assert "corrupt" in capsys.readouterr().err
    (broken / "source_tokenizer.json").write_text("{truncated")
    assert cli.main(["translate", "--model", str(broken), "x y"]) == 1
    assert "source_tokenizer.json is corrupt" in capsys.readouterr().err
    # a tokenizer of another size than the model's: not silently [UNK] everywhere
    (broken / "model.keras").write_bytes((out / "model.keras").read_bytes())
    (broken / "settings.json").write_text((out / "settings.json").read_text())  # a run made by train
    config = json.loads((out / "target_tokenizer.json").read_text())
    config["config"]["vocabulary"] = config["config"]["vocabulary"][:-3]
    (broken / "source_tokenizer.json").write_text((out / "source_tokenizer.json").read_text())
    (broken / "target_tokenizer.json").write_text(json.dumps(config))
    assert cli.main(["translate", "--model", str(broken), "x y"]) == 1
    assert "does not belong to this model" in capsys.readouterr().err
    # the reason a tokenizer file is refused, not Keras' generic first line
    config = json.loads((out / "target_tokenizer.json").read_text())
    config["config"]["vocabulary"][5] = config["config"]["vocabulary"][4]
    for content, reason in (
        (json.dumps(config), "Vocabulary tokens must be unique"),
        ("[]", "no serialized Keras object in it"),
        ('{"module": "keras.layers", "class_name": "Dense", "config": {"units": 3}}', "class_name='Dense'"),
    ):
        (broken / "target_tokenizer.json").write_text(content)
        assert cli.main(["translate", "--model", str(broken), "x y"]) == 1
        assert reason in capsys.readouterr().err
    (broken / "settings.json").write_text("[1, 2]")
    assert cli.main(["train", "--source", "x", "--target", "y", "--output-dir", str(broken), "--resume"]) == 1
    err = capsys.readouterr().err
    assert "settings.json is corrupt" in err and "internal error" not in err


def test_negative_samples_and_out_of_memory_are_user_errors(tmp_path, capsys, monkeypatch):
    import tensorflow as tf

    from keras_s2s.cli import commands
    from keras_s2s.training.settings import TrainSettings

    with pytest.raises(ValueError, match="--samples must be an int >= 0. Received: samples=-1"):
        TrainSettings(samples=-1)
    missing = ["train", "--source", str(tmp_path / "no.src"), "--target", str(tmp_path / "no.tgt")]
    assert (
        cli.main([*missing, "--output-dir", str(tmp_path / "r"), "--tokenizer", "char", "--vocab-size", "99"])
        == 1
    )
    assert "--vocab-size does not apply to --tokenizer char" in capsys.readouterr().err

    def exhausted(args):
        raise tf.errors.ResourceExhaustedError(
            None, None, "OOM when allocating tensor with shape[100000,4578]"
        )

    monkeypatch.setattr(commands, "translate", exhausted)
    assert cli.main(["translate", "--model", "x", "a"]) == 1
    err = capsys.readouterr().err
    assert (
        "out of memory (OOM when allocating" in err and "--beam-size" in err and "internal error" not in err
    )
    # PyTorch's and JAX's out-of-memory errors, by name and status
    from keras_s2s.cli import _out_of_memory

    assert _out_of_memory(type("OutOfMemoryError", (RuntimeError,), {})("CUDA out of memory"))
    assert _out_of_memory(type("XlaRuntimeError", (RuntimeError,), {})("RESOURCE_EXHAUSTED: Out of memory"))
    assert not _out_of_memory(type("XlaRuntimeError", (RuntimeError,), {})("INVALID_ARGUMENT: shapes"))
    monkeypatch.setattr(commands, "train", exhausted)
    assert cli.main(["train", "--output-dir", str(tmp_path / "r")]) == 1
    assert "into a new --output-dir" in capsys.readouterr().err


def test_unknown_choices_and_help_without_traceback():
    for argv in (["train", "--attention", "luong", "--output-dir", "x"], ["fly"]):
        result = subprocess.run(
            [sys.executable, "-m", "keras_s2s.cli", *argv], capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 2 and "invalid choice" in result.stderr
        assert "Traceback" not in result.stderr
    # --help through the console script's launcher, which answers without
    # importing TensorFlow (a second each instead of ~7 s).
    launcher = pathlib.Path(__file__).resolve().parents[1] / "keras_s2s_cli.py"
    for command in ("train", "translate", "evaluate", "export", "attention", "average", "demo"):
        result = subprocess.run(
            [sys.executable, str(launcher), command, "--help"],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0 and "usage: keras-s2s" in result.stdout


def test_saved_model_file_holds_weights_without_optimizer_state(run_dir):
    import zipfile

    _, out = run_dir
    with zipfile.ZipFile(out / "model.keras") as archive:
        names = archive.namelist()
        weights = archive.read("model.weights.h5")
    assert "model.weights.h5" in names
    assert b"optimizer" not in weights


@pytest.mark.parametrize(
    "flags, expected",
    [
        (["--strategy", "greedy", "--min-length", "2"], {"class": "GreedySearch", "min_length": 2}),
        (
            ["--coverage-penalty", "0.2", "--beam-size", "5"],
            {"class": "BeamSearch", "coverage_penalty": 0.2, "beam_size": 5, "min_length": 0},
        ),
        (
            [
                "--strategy",
                "sampling",
                "--top-p",
                "0.9",
                "--top-k",
                "20",
                "--temperature",
                "0.7",
                "--seed",
                "3",
            ],
            {"class": "Sampling", "top_p": 0.9, "top_k": 20, "temperature": 0.7, "seed": 3},
        ),
    ],
)
def test_decoding_flags_build_the_strategy(flags, expected):
    from keras_s2s.cli.commands import _strategy
    from keras_s2s.cli.parser import build_parser

    args = build_parser().parse_args(["translate", "--model", "m", *flags])
    strategy = _strategy(args)
    assert type(strategy).__name__ == expected.pop("class")
    config = strategy.get_config()
    assert {k: config[k] for k in expected} == expected


def test_train_on_another_backend_then_translate_on_tensorflow(tmp_path, capsys):
    """`keras-s2s train --backend torch` (the console script sets KERAS_BACKEND
    before Keras is imported); the run directory then translates on TensorFlow
    (exports of such runs: tests/test_cross_backend_export.py)."""
    src, tgt, sources, _ = _files(tmp_path, n=200)
    launcher = pathlib.Path(__file__).resolve().parents[1] / "keras_s2s_cli.py"
    out = tmp_path / "run"
    code = (
        "import sys, keras_s2s_cli; rc = keras_s2s_cli.main(sys.argv[1:]); "
        "import keras; print('backend', keras.backend.backend()); sys.exit(rc)"
    )
    args = ["train", "--backend", "torch", "--source", src, "--target", tgt, "--output-dir", str(out)]
    result = subprocess.run(
        [sys.executable, "-c", code, *args, *TINY[:6], "--epochs", "1", "--quiet", "--samples", "0"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=launcher.parent,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "backend torch" in result.stdout
    assert cli.main(["translate", "--model", str(out), "--strategy", "greedy", sources[0]]) == 0
    # `python -m keras_s2s.cli` has imported Keras already: a different --backend is refused.
    other = ["--output-dir", str(tmp_path / "other")]
    assert cli.main(["train", "--backend", "jax", "--source", src, "--target", tgt, *other]) == 1
    assert "Keras already runs on 'tensorflow'" in capsys.readouterr().err
    assert not (tmp_path / "other").exists()


def test_quantization_only_for_litert(tmp_path, capsys):
    output = ["--output", str(tmp_path / "m.onnx")]
    assert cli.main(["export", "--model", "x", "--format", "onnx", "--quantization", "dynamic", *output]) == 1
    assert "--quantization applies to --format litert only" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())
