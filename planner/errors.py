"""Base exception that every named error of the core derives from."""


class PlannerError(Exception):
    """An error the user can act on; its message is shown as is by the app and the CLI."""


def one_line(message: object) -> str:
    """Return `message` on one line: line breaks and runs of spaces become single spaces."""
    return " ".join(str(message).split())
