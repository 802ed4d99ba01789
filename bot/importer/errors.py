"""The one error type for program files that cannot be loaded."""

from __future__ import annotations


class ProgramFileError(Exception):
    """A program file is wrong in a way a person must fix.

    It names the file, the line and the line's text where there is one, because the
    person fixing it has a text editor open, not a debugger.
    """

    def __init__(
        self, path: str, reason: str, line_no: int | None = None, line: str | None = None
    ) -> None:
        self.path = path
        self.reason = reason
        self.line_no = line_no
        self.line = line
        where = f"{path}:{line_no}" if line_no is not None else path
        text = f"{where}: {reason}"
        if line is not None:
            shown = line if len(line) <= 160 else line[:157] + "..."
            text += f"\n    {shown!r}"
        super().__init__(text)
