"""Training methods: one ``step`` updates both players (a method owns both, anchors.md §0.7)."""
