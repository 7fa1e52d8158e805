"""Measurement: sensors, sampler, integration and the tracker."""
