"""Base exception that every named error of the core derives from."""


class PlannerError(Exception):
    """An error the user can act on; its message is shown as is by the app and the CLI."""
