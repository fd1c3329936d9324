"""Decoding: one graph loop (`dynamic_decode`) and pluggable strategies.

Strategies see only a step function `(token_ids, state, memory) -> (logits,
state, attention)`, never a model; see `dynamic_decode` for the contract.
Imports run one way: `dynamic_decode` → `registry` → the strategies →
`decoding_strategy` (the base class), `row_ops`, `validation`. Nothing here
imports a model, a layer or the export code.
"""

from keras_s2s.decoding.beam_search import BeamSearch
from keras_s2s.decoding.decoding_strategy import DecodingStrategy
from keras_s2s.decoding.dynamic_decode import dynamic_decode
from keras_s2s.decoding.greedy_search import GreedySearch
from keras_s2s.decoding.registry import get, register
from keras_s2s.decoding.sampling import Sampling

__all__ = [
    "BeamSearch",
    "DecodingStrategy",
    "GreedySearch",
    "Sampling",
    "dynamic_decode",
    "get",
    "register",
]
