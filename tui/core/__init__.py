"""The domain, free of Textual, HTTP and files: models, money, mapping, preflight, engine,
triage."""
