import pytest

from keras_s2s import cli
from keras_s2s.demo import run_demo


def test_demo_learns_the_reverse_task_quickly():
    lines = []
    result = run_demo(seconds=20, epochs=8, print_fn=lines.append)
    assert result["exact_match"] > 0.9
    assert any("->" in line for line in lines)


def test_unknown_subcommand_exits_with_usage_error(capsys):
    with pytest.raises(SystemExit) as error:
        cli.main(["fly"])
    assert error.value.code == 2
    assert "invalid choice: 'fly'" in capsys.readouterr().err
