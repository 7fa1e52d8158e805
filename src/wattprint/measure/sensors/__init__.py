"""Sensor backends (one module each), the ``Sensor`` protocol and detection."""
