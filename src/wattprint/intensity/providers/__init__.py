"""Carbon-intensity providers: embedded data, files and live APIs, one protocol."""
