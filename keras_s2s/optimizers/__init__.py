"""Learning-rate schedules (the Transformer's warmup + inverse square root).

A leaf package: it imports no other keras_s2s package
(tests/test_architecture.py checks the imports).
"""

from keras_s2s.optimizers.inverse_square_root_schedule import InverseSquareRootSchedule
