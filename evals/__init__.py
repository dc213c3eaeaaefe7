"""Evaluations run by ``make eval`` (see evals/README.md)."""
