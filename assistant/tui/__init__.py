"""The Textual chat app (``assistant chat``): a thin shell over :class:`assistant.Assistant`."""
