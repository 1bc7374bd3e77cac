"""The node's domain policy: blocks and allows, what a suspension cuts, files, the federation mode,
subscriptions and sharing with other nodes."""
