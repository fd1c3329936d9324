"""The names decoding strategies are found by, and `get`.

An explicit table: the three built-in strategies are registered here, by
name, and a user's strategy joins with `register(MyStrategy, "mine")`.
Subclassing `DecodingStrategy` registers nothing (a test's fake strategy
never shadows `"beam"`). Imports the strategy modules; only `dynamic_decode`
and the package's `__init__` import this one.
"""

from keras_s2s.decoding.beam_search import BeamSearch
from keras_s2s.decoding.decoding_strategy import DecodingStrategy
from keras_s2s.decoding.greedy_search import GreedySearch
from keras_s2s.decoding.sampling import Sampling

_STRATEGIES = {}  # lower-case name -> class
_ALIASES = {}  # class -> the names it was registered with, in order


def register(cls, *names):
    """Makes `get(name)` (and a config dict naming it) return a `cls`.

    The class name (any case) is always registered too.

    Args:
        cls: a `DecodingStrategy` subclass.
        *names: short names, e.g. `"beam"`.

    Returns:
        `cls`, so it can be used as `register(cls, "x")` after the class.

    Raises:
        ValueError: `cls` is no `DecodingStrategy` subclass, or a name is
            already taken by another class.
    """
    if not (isinstance(cls, type) and issubclass(cls, DecodingStrategy)):
        raise ValueError(f"Only DecodingStrategy subclasses can be registered. Received: cls={cls!r}")
    for name in (cls.__name__, *names):
        key = name.lower()
        if _STRATEGIES.get(key, cls) is not cls:
            raise ValueError(
                f"The strategy name {name!r} is taken by {_STRATEGIES[key].__name__}. Received: cls={cls.__name__}"
            )
        _STRATEGIES[key] = cls
    _ALIASES.setdefault(cls, []).extend(n for n in names if n not in _ALIASES.get(cls, []))
    return cls


register(GreedySearch, "greedy", "greedy_search")
register(BeamSearch, "beam", "beam_search")
register(Sampling, "sampling", "sample", "random")


def get(identifier):
    """Return a `DecodingStrategy` from an instance, a name or a config dict.

    Args:
        identifier: a `DecodingStrategy` instance (returned as is) or class
            (instantiated with defaults); a registered name: `"greedy"`,
            `"beam"`, `"sampling"` (or the class name, any case); a config
            dict, either Keras style `{"class_name": "BeamSearch", "config":
            {...}}` (as written by `keras.saving.serialize_keras_object`) or
            flat `{"name": "beam", "beam_size": 8}`; or `None` for
            `GreedySearch()`.

    Returns:
        A `DecodingStrategy` instance.

    Raises:
        ValueError: for an unknown name or an uninterpretable identifier.
    """
    if identifier is None:
        identifier = "greedy"
    if isinstance(identifier, DecodingStrategy):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, DecodingStrategy):
        return identifier()
    if isinstance(identifier, str):
        return _lookup(identifier, identifier)()
    if isinstance(identifier, dict):
        config = dict(identifier)
        name = config.pop("class_name", None) or config.pop("name", None)
        if isinstance(name, str):
            config.pop("module", None)
            config.pop("registered_name", None)
            if "config" in config:
                config = config.pop("config") or {}
            cls = _lookup(name.split(">")[-1], identifier)
            if not isinstance(config, dict):
                raise ValueError(
                    f"A strategy's config must be a dict of its arguments. Received: strategy={identifier!r}"
                )
            try:
                return cls.from_config(dict(config))
            except TypeError as error:  # an unknown or missing argument
                raise ValueError(
                    f"{cls.__name__} does not take this config ({error}). Received: strategy={identifier!r}"
                ) from None
    raise ValueError(
        "Could not interpret the decoding strategy: expected a DecodingStrategy, "
        f"a name or a config dict. Received: strategy={identifier!r}"
    )


def _lookup(name, identifier):
    cls = _STRATEGIES.get(name.lower())
    if cls is None:
        names = sorted(n for aliases in _ALIASES.values() for n in aliases)
        raise ValueError(
            f"Unknown decoding strategy {name!r}. Expected one of {names}. Received: strategy={identifier!r}"
        )
    return cls
