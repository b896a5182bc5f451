"""The API key: read from the variable the user names, used only in the request header.

Nothing the plugin records (configuration, traces, failure reasons, errors) holds the key's value:
the configuration names the variable, and every text that came from a server is passed through
`redact` before it is kept, since a server may echo what it was sent.
"""

from __future__ import annotations

import os

#: What the client sends when the variable is unset (local servers accept any key).
NO_KEY = "no-key"


def read_key(variable: str) -> str | None:
    """The key's value, or None when the variable is unset or empty."""
    return os.environ.get(variable) or None


def redact(text: str, key: str | None) -> str:
    """`text` with every occurrence of the key (and of its long enough prefixes a server may quote) masked."""
    if not key:
        return text
    text = text.replace(key, "***")
    for cut in (24, 16, 12):  # "Incorrect API key provided: sk-abc...xyz" style quotes
        if len(key) > cut:
            text = text.replace(key[:cut], "***")
    return text
