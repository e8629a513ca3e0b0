"""The command line: parses arguments, calls the Assistant, prints."""
