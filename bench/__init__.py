"""Fast turns: a benchmark of a 3-turn chat session, the product's code path against a seed-style
baseline, on real-size random-weight models (`python -m bench`, `make bench`) or tiny ones
(`python -m bench --quick`). See docs/performance.md."""
