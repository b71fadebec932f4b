"""The ``vidseek`` command line: nouns and verbs over the Python API."""
