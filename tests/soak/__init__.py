"""Load and soak: many monitors, churn, deaf clients, events under load."""
