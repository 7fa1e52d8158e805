"""The ``wattprint`` command line."""
