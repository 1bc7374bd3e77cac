"""Crisis care: resources, care messages, worried reports and referrals across servers."""
