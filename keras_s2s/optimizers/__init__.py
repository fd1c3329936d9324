"""Learning-rate schedules."""

from keras_s2s.optimizers.inverse_square_root_schedule import InverseSquareRootSchedule
