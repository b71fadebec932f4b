"""The read path: query embedding, vector search, clip merging and ranking, filters, paging."""
