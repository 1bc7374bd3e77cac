"""Tests of node/actors: local and remote actors, keys, and the node's pinned identity."""
