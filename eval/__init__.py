"""Evaluation of the QA service: the gold eval set, metrics, the runner, reports and the gate.

See eval/README.md for how to run it and what each metric means.
"""
