"""Modal screens: confirmations, pickers, help."""
