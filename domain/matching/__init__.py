"""The nearby match scheduler, as pure rules (no database, no HTTP).

model.py        input and output records (RoundInputs, Proposal, RoundResult ...)
relatedness.py  which categories fit which, and how well
geometry.py     projection for the spatial index, haversine distances
tables.py       the records as numpy columns, built once per round
candidates.py   feasible (request, offer) pairs via k-d trees
scoring.py      the score (formula in its docstring)
assignment.py   optimal assignment as a min-cost flow (OR-Tools), top-k pruning
explain.py      moderator explanations and the member-safe distance band, as message keys and data
round.py        run_round: all of the above for one antenna

Imports stay in the submodules on purpose, so reading the records (model.py) does not load scipy or OR-Tools.
"""
