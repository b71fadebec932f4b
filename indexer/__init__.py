"""The write path: discover, decode, sample, embed, segment and pool, commit; executors and jobs."""
