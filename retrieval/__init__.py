"""Loading, chunking, embedding, storing and searching news articles."""
