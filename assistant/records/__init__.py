"""What outlives an answer: conversation history and exports."""
