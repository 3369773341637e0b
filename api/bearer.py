"""Reading `Authorization: Bearer <token>` the same way everywhere it matters."""

from __future__ import annotations


def bearer_token(header: str) -> str | None:
    """The token of a bearer header, however its scheme is cased or its spaces placed
    ("bearer  X", "Bearer X " are X); None when the header is not a bearer token."""
    scheme, _, rest = header.strip().partition(" ")
    token = rest.strip()
    if scheme.lower() != "bearer" or not token:
        return None
    return token
