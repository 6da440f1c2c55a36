"""Options maths in the trader's units: option-chain analytics, model premiums and the seller
strategy backtest."""
