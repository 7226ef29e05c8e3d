"""Running the assistant in production: a day of traffic, the metrics dashboard, drift monitoring, shadow and canary
rollouts (reused by the capstone)."""
