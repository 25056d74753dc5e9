"""User errors: bad spec, argument or path. The CLI prints ``error: <where>: <what>`` and exits 2."""
from __future__ import annotations


class UserError(Exception):
    def __init__(self, where: str, what: str):
        super().__init__(f"{where}: {what}")
        self.where, self.what = where, what


class StudyIncomplete(Exception):
    """Tune came back with trials unfinished (interrupted, or errored after its retries)."""

    def __init__(self, study_dir, experiment: str, left: int, errors: int):
        super().__init__(f"{study_dir}: {experiment}: {left} trial(s) unfinished ({errors} errored); "
                         f"finish with `ganstudy resume {study_dir}`")
