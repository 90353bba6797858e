"""Evaluation: score extractions against gold, compare prompt versions, import annotated gold.

- `scorer`: one document, driven by the schema's `Score` annotations (counting rules there),
  with its parts `counts` (row slots, result types, scope), `slots` and `overlap`;
- `results`: the report models and how figures derive from counts;
- `files`: reading prediction and gold folders (`score_dirs`);
- `suite`, `runner`, `compare`, `baseline`, `report`: the `abstraction eval` harness;
- `brat`: partial gold from brat-annotated corpora.

Nothing is imported here, so `import abstraction.evaluation.brat` does not pull in numpy/scipy.
"""
