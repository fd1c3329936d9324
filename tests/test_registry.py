import pytest

from keras_s2s import decoding
from keras_s2s.decoding import BeamSearch, DecodingStrategy, GreedySearch, Sampling, get, register, registry


@pytest.mark.parametrize(
    "name, cls",
    [("greedy", GreedySearch), ("Beam", BeamSearch), ("beam_search", BeamSearch), ("sample", Sampling)],
)
def test_builtin_names_any_case(name, cls):
    assert type(get(name)) is cls
    assert type(get(name.upper())) is cls


def test_config_dicts_keras_style_and_flat():
    keras_style = {"class_name": "keras_s2s>BeamSearch", "config": {"beam_size": 8}}
    assert get(keras_style) == BeamSearch(8)
    assert get({"name": "beam", "beam_size": 2, "length_penalty": 0.0}) == BeamSearch(2, 0.0)


def test_a_subclass_registers_nothing():
    class Fake(BeamSearch):
        pass

    assert type(get("beam")) is BeamSearch
    with pytest.raises(ValueError, match="Unknown decoding strategy 'Fake'"):
        get("Fake")


def test_register_a_user_strategy(monkeypatch):
    monkeypatch.setattr(registry, "_STRATEGIES", dict(registry._STRATEGIES))
    monkeypatch.setattr(registry, "_ALIASES", {k: list(v) for k, v in registry._ALIASES.items()})

    class Mine(GreedySearch):
        pass

    assert register(Mine, "mine") is Mine
    assert type(get("mine")) is Mine and type(get("MINE")) is Mine
    assert type(get({"class_name": "Mine", "config": {}})) is Mine
    with pytest.raises(ValueError, match=r"Expected one of \[.*'mine'.*\]"):
        get("yours")


def test_register_refuses_a_taken_name_or_a_non_strategy():
    class Other(DecodingStrategy):
        pass

    with pytest.raises(ValueError, match="'beam' is taken by BeamSearch. Received: cls=Other"):
        register(Other, "beam")
    with pytest.raises(ValueError, match="Received: cls=<class 'int'>"):
        register(int, "int")
    assert type(get("beam")) is BeamSearch


def test_unknown_names_list_the_registered_ones():
    with pytest.raises(
        ValueError, match=r"Expected one of \['beam', 'beam_search', 'greedy'.*Received: strategy='nucleus'"
    ):
        decoding.get("nucleus")


def test_config_dicts_with_bad_configs_name_them():
    with pytest.raises(ValueError, match=r"must be a dict.*Received: strategy=\{'class_name': 'BeamSearch'"):
        decoding.get({"class_name": "BeamSearch", "config": [1]})
    with pytest.raises(ValueError, match=r"BeamSearch does not take this config.*beam_sz"):
        decoding.get({"name": "beam", "beam_sz": 3})
