"""Files: TinyDB behind an atomic, locked storage; profiles, tokens, the outbox and history."""
