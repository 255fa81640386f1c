"""Documents -> chunks and sentences -> vectors -> a verified index directory (FAISS + BM25)."""
