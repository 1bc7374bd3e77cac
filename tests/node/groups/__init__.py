"""Tests of node/groups: admission, rules, anonymous posts, announcing to each peer kind."""
