"""Base exception that every named error of the core derives from."""


class PlannerError(Exception):
    """An error the user can act on; its message is shown as is by the app and the CLI."""


def one_line(message: object) -> str:
    """Return `message` on one line: line breaks and runs of spaces become single spaces."""
    return " ".join(str(message).split())


class Refused(PlannerError):
    """A whole file was refused and nothing was written; `report` says what was wrong, row by row."""

    def __init__(self, message: str, report):
        super().__init__(one_line(message))
        self.report = report
