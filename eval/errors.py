"""The eval's error tree: every failure the CLI turns into a one-line message and exit code 2.

EvalError
├── GoldDataError     the eval set does not match the corpus
├── ServiceError      the QA service did not answer a question with a valid AskResponse
├── IndexBuildError   an eval corpus's index cannot be built
├── ModelLoadError    the embedding model for support scoring cannot be loaded
├── GateConfigError   the thresholds file is missing or malformed
└── RunDirError       a run directory cannot be read (compare, reports)
"""

from __future__ import annotations


class EvalError(Exception):
    """Base of every error the eval raises on purpose; the message says what to do next."""


class GoldDataError(EvalError):
    pass


class ServiceError(EvalError):
    pass


class IndexBuildError(EvalError):
    pass


class ModelLoadError(EvalError):
    pass


class GateConfigError(EvalError):
    pass


class RunDirError(EvalError):
    pass
