"""Background work: the outbox, its dispatcher, and the jobs RQ workers run."""
