"""Text as the XML documents of the server carry it (WMS, WMTS, OGC exception reports).

XML 1.0 has no way to write most control characters (``\\x00``-``\\x1f`` but tab, newline
and carriage return), unpaired surrogates or ``\\ufffe``/``\\uffff``, not even escaped: one
of them in a layer's title (from the serve config, or a ``long_name`` tag of its data)
made every capabilities document unparseable, so QGIS and GDAL could open no layer at all.
:func:`escape` and :func:`quoteattr` are :mod:`xml.sax.saxutils`'s, after dropping them.
"""

from __future__ import annotations

import re
from xml.sax import saxutils

__all__ = ["escape", "quoteattr", "xml_safe"]

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(text: object) -> str:
    """``text`` as a string without the characters XML 1.0 cannot carry.

    Parameters
    ----------
    text
        Any value; it is converted with ``str``.

    Returns
    -------
    str
        The text with those characters removed (nothing else changed).
    """
    return _NOT_XML.sub("", str(text))


def escape(text: object) -> str:
    """Element text: :func:`xml_safe`, then ``&``, ``<`` and ``>`` escaped."""
    return saxutils.escape(xml_safe(text))


def quoteattr(text: object) -> str:
    """A quoted attribute value: :func:`xml_safe`, then :func:`xml.sax.saxutils.quoteattr`."""
    return saxutils.quoteattr(xml_safe(text))
