"""Reporting: the leaderboard store, its views and exports, statistics over seeds, plots."""
