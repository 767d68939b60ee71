"""Post-purchase service actions on an Order Summary (pure rules, on ``summary``'s model)."""
