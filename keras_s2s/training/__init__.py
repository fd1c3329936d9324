"""Training into a run directory: settings, data, fit, fault tolerance, tf.distribute.

`train(output_dir, train_pairs, val_pairs, TrainSettings(...))` is what
`keras-s2s train` runs; the callbacks it uses are public for `model.fit`
users (`AtomicBackupAndRestore` with `keras_s2s.data.make_epochs` gives them
the same exact resume). Training imports models, data, text and the
Translator; never the CLI.
"""

from keras_s2s.training.atomic_backup_and_restore import AtomicBackupAndRestore, read_backup_metadata
from keras_s2s.training.best_model_saver import BestModelSaver
from keras_s2s.training.distribute import get_strategy
from keras_s2s.training.epoch_checkpoints import EpochCheckpoints, average_checkpoints, checkpoint_paths
from keras_s2s.training.history_log import HistoryLog, trim_history
from keras_s2s.training.nan_guard import NaNGuard
from keras_s2s.training.resumable_early_stopping import ResumableEarlyStopping
from keras_s2s.training.run_budget import RunBudget
from keras_s2s.training.sample_translations import SampleTranslations
from keras_s2s.training.settings import SettingsMismatch, TrainSettings
from keras_s2s.training.time_budget import TimeBudget
from keras_s2s.training.trainer import TrainResult, train
from keras_s2s.training.training_data import build_tokenizers, load_training_data
