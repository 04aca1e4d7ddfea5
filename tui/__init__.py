"""axpush: Actionstep billing into Xero, with a terminal console to watch and fix every push."""

__version__ = "0.1.0"
