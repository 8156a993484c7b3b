"""Long-running loops beside the projections (weekly group suggestions)."""
