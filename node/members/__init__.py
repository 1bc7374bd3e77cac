"""Local members: accounts, API tokens, taking part in groups here and elsewhere, and their
notifications."""
