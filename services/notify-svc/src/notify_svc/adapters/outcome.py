"""The third outcome of a send: neither taken nor refused, as far as the sender knows."""

from __future__ import annotations


class OutcomeUnknown(Exception):
    """The request was written but no answer came (timeout, dropped connection).

    The provider may have the message. Retrying it like a failure risks a
    second message; the reconciler asks the provider instead.
    """
