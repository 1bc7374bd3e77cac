"""The `cove` command: one module per family of subcommands; each imports what it needs when it
runs."""
