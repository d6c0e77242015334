"""Base exception that every named error of the core derives from."""


class PlannerError(Exception):
    """An error the user can act on; its message is shown as is by the app and the CLI."""


class Refused(PlannerError):
    """A whole file was refused and nothing was written; `report` says what was wrong, row by row."""

    def __init__(self, message: str, report):
        super().__init__(message)
        self.report = report
