"""The `axpush` command line: `main` parses and dispatches, and catches the error root once; one
module per command group does the printing. Every command calls the same service use cases as
the console. Exit codes are `tui.core.errors`'s (and the README's)."""
