"""What activities from other servers mean: one dispatch table from (activity type, object type) to
the module that verifies and receives each."""
