"""golfcheck: would this Parameter Golf submission be accepted?

The library is the product; the CLI in :mod:`golfcheck.cli` is a thin shell over it.
"""

__version__ = "0.1.0"

ARTIFACT_LIMIT_BYTES = 16_000_000  # README FAQ: decimal 16 MB, code + compressed model
TIME_LIMIT_SECONDS = 600.0  # training and evaluation, each, on 8xH100 SXM
