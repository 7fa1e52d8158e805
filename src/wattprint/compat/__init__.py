"""Drop-in replacements for other tools' APIs, backed by wattprint.

``wattprint.compat.codecarbon`` stands in for CodeCarbon. Nothing in
wattprint imports this package; it sits on top of ``measure`` and ``store``.
"""
