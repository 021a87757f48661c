"""Two partners running a paired sequence together (issue 12): the turn policy and what it needs."""
