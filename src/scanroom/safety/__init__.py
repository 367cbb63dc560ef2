"""Safety: MR screening, and (later) the dose ledger checked against limits and reference levels."""
