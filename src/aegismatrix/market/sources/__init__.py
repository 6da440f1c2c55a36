"""Market data sources: Yahoo Finance (via yfinance), CSV folders and the synthetic simulator."""
