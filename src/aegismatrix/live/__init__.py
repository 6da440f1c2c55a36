"""Running the day: what is due now by the NSE session clock, run under a lock, with notifications
(`python -m aegismatrix.live run-due`; docs/inference.md, "Running the day")."""
