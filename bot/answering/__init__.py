"""How an answer is chosen: extractive sentences, follow-ups, generated answers and their checks."""
