"""Training methods: one ``step`` updates both players (a method owns both players, as in the ICR code)."""
