"""Benchmarks of a Cove node run as a real process on loopback: inbox load, fan-out, end-to-end
latency, reads and pages, each beside a ceiling measured in the same run (`make bench`)."""
