"""User errors: bad spec, argument or path. The CLI prints ``error: <where>: <what>`` and exits 2."""
from __future__ import annotations

from collections.abc import Sequence

ERROR_FILES_SHOWN = 3  # the incomplete line names this many error files, and counts the rest


class UserError(Exception):
    def __init__(self, where: str, what: str):
        super().__init__(f"{where}: {what}")
        self.where, self.what = where, what


class StudyIncomplete(Exception):
    """Tune came back with trials unfinished (interrupted, or errored after its retries)."""

    def __init__(self, study_dir, experiment: str, left: int, errors: int, error_files: Sequence[str] = ()):
        where = ""
        if error_files:
            shown = ", ".join(error_files[:ERROR_FILES_SHOWN])
            more = f" and {len(error_files) - ERROR_FILES_SHOWN} more" if len(error_files) > ERROR_FILES_SHOWN else ""
            where = f"; why: {shown}{more}"
        super().__init__(f"{study_dir}: {experiment}: {left} trial(s) unfinished ({errors} errored{where}); "
                         f"finish with `ganstudy resume {study_dir}`")
