"""The read side: results from the ``assessments`` projection, scoped to one district."""
