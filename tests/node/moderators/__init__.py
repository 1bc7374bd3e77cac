"""Tests of node/moderators: reports filed elsewhere, removals, purges and suspensions."""
