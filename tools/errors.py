"""The project's exception types. Every message is written for the person using the app.

Front ends catch `EditError` and show `error.message_for(language)`; any other exception is a bug
and goes to the log with its traceback, never to the user.
"""
from __future__ import annotations


class EditError(Exception):
    """Base of every error a user may see. `message` is English; `message_zh` the Chinese text."""

    kind = "error"

    def __init__(self, message: str, *, zh: str | None = None):
        super().__init__(message)
        self.message = message
        self.message_zh = zh or message

    def message_for(self, language: str) -> str:
        """The message in `language` ("zh" or "en")."""
        return self.message_zh if language == "zh" else self.message


class BadInputError(EditError, ValueError):
    """The user gave something we cannot use: a broken image, an empty prompt, a nonsense setting."""

    kind = "bad_input"


class NothingToDoError(BadInputError):
    """A harmless request with nothing to act on (undo at the start, redo at the latest version,
    reset on the original, a pick with nothing to pick, regenerate before any edit): nothing
    changed, and a script may go on."""

    kind = "nothing_to_do"


class ModelUnavailableError(EditError):
    """A model cannot be loaded (missing offline, corrupted, wrong format)."""

    kind = "model_unavailable"


class NotFoundError(EditError):
    """The thing to edit was not found in the image."""

    kind = "not_found"

    def __init__(self, message: str, *, zh: str | None = None, source: str = ""):
        super().__init__(message, zh=zh)
        self.source = source


class StorageError(EditError):
    """A session could not be saved or loaded (disk full, unwritable or corrupted data)."""

    kind = "storage"
