"""Crisis care: escalation of what reads as acute, care messages, and verified professionals."""
