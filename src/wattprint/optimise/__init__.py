"""Use less for the same work: compare variants of a workload on energy and quality."""
