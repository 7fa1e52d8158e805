"""Accounting: IT energy, PUE and grid intensity to facility energy and CO2e."""
