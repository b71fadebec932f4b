"""``vidseek eval``: annotations, retrieval metrics, a run through the real pipeline, reports."""
