"""`python -m keras_s2s.cli ...`: the `keras-s2s` command."""

import sys

from keras_s2s.cli import main

sys.exit(main())
