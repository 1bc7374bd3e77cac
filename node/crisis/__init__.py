"""Crisis care: what happens when something in a group reads as a crisis (escalation, held
posts, webhooks), care messages and crisis resources, worried reports and referrals across
servers, and verified professionals."""
