"""Tests of node/cli: the `cove` command as a person runs it."""
