"""The command line: ``python -m tuneboard COMMAND``."""
