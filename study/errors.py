"""User errors: bad spec, argument or path. The CLI prints ``error: <where>: <what>`` and exits 2."""
from __future__ import annotations


class UserError(Exception):
    def __init__(self, where: str, what: str):
        super().__init__(f"{where}: {what}")
        self.where, self.what = where, what
