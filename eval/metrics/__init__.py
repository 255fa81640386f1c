"""Offline, deterministic metrics: pure functions from gold data and a service response to numbers.

Each module is one concern (retrieval, answer, support, faithfulness, citations, abstention,
latency); eval/README.md defines every metric exactly.
"""
