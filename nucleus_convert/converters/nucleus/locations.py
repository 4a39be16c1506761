"""Where a Nucleus payload's locations point, as the official client sees them.

The client (``nucleus.annotation.is_local_path``) counts a location as remote only when its
URL scheme is ``http``, ``https``, ``s3`` or ``gs``; anything else, ``file://`` or ``ftp://``
included, it opens as a local file, which fails. Both the reader and the writer refuse such a
location with the same message (:func:`check_scheme`), so a bundle we write never holds one
and a bundle we read never makes us treat ``file:///dev/zero`` as an address we pass on.

:func:`nucleus_convert.toolkit.files.is_remote` (any ``scheme://``) stays as it is for the
other formats; this module is the Nucleus format's own view.
"""

from __future__ import annotations

__all__ = ["CLIENT_SCHEMES", "check_scheme", "client_remote", "scheme_of"]

CLIENT_SCHEMES = frozenset({"http", "https", "s3", "gs"})
"""The URL schemes the client uploads from (``nucleus.annotation.is_local_path``)."""


def scheme_of(location: str) -> str | None:
    """The lower-cased scheme of a ``scheme://...`` location, ``None`` for a plain path."""
    head, sep, _ = location.partition("://")
    if not sep or not head or "/" in head:
        return None
    return head.lower()


def client_remote(location: str) -> bool:
    """True when the client treats ``location`` as remote (http, https, s3 or gs)."""
    return scheme_of(location) in CLIENT_SCHEMES


def check_scheme(location: str) -> str | None:
    """``None`` when ``location`` is a plain path or a URL the client takes; otherwise the
    reason it cannot be used (the caller raises its own error with file, record and field)."""
    scheme = scheme_of(location)
    if scheme is None or scheme in CLIENT_SCHEMES:
        return None
    return (
        f"{location!r} has URL scheme {scheme!r}; the Nucleus client takes only "
        f"{', '.join(sorted(CLIENT_SCHEMES))} URLs or local files"
    )
