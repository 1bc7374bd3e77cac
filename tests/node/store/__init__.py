"""Tests of node/store: migrations, tables, states and the change feed."""
