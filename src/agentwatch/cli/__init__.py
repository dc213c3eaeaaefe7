"""The ``agentwatch`` command line: one module per command group, Rich only here."""
