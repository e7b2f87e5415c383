"""Using what a run made: `predict` on a user's own files, `export` to other formats, TensorBoard over its runs.

Downstream of the search: it reads run folders (results.json, the final
model, the event files) and never trains.
"""
