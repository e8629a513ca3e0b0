"""Finding passages: question analysis and the hybrid retriever."""
