"""Helpers shared by the Python twins: error names spelled as the traces spell them."""
import asyncio


class Boom(Exception):
    """The error the tests raise; the Swift tests throw Boom(name:) with the same label."""

    def __init__(self, label="Boom"):
        super().__init__(label)
        self.label = label


def name(error):
    """The trace spelling of an error: its class name, CancelledError(message), ExceptionGroup[...]."""
    if isinstance(error, asyncio.CancelledError):
        message = error.args[0] if error.args else None
        return f"CancelledError({message})" if message is not None else "CancelledError"
    if isinstance(error, BaseExceptionGroup):
        return "ExceptionGroup[" + ", ".join(name(e) for e in error.exceptions) + "]"
    if isinstance(error, Boom):
        return error.label
    return type(error).__name__
