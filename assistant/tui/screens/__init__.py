"""Screens of the chat app: chat, library, history, help and small dialogs."""
