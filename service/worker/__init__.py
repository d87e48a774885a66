"""`tvaers worker`: webhook deliveries and the scheduled jobs, in one loop (several may run at once)."""
