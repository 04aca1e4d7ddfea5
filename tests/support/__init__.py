"""What the tests share: driving the console, sandboxes with settings, fault-injecting
transports, the sandbox's clock, and the OpenAPI checks."""
