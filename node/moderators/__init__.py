"""What moderators do and see: reports (received, filed, decided), removals, bans, suspensions, the
moderation log and who may act."""
