"""Answers: markers, citations, prompts, engines, summaries and comparisons."""
