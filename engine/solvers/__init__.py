"""The solver paths behind :func:`engine.solve.solve`: a ``RoutingProblem`` in, routes out.

Which path takes an order (``solve`` decides, cheapest first; all are exact):
    ``dppath``        orders whose shape fits the DP (1-9 lines, the common case, well under
                      a millisecond): ``dp`` (shape tables and the block DP), ``blockcosts``
                      (each block's cost at each candidate; reads ``dp``'s tables) and
                      ``alternatives`` (routes 2..k around the DP's optimum)
    ``exact``         everything else: ``prune`` drops candidates no optimal route needs,
                      then ``setsearch`` (location-set branch and bound, its loop and bounds
                      in ``setbranch``) when line_split is on and no unit costs more than
                      leaving it unfilled; otherwise, or to settle what the search left open,
                      the HiGHS MIP (``mip``) or CP-SAT (``cpsat``), per ``SolveParams``

Solvers see numbers only: they import ``engine.problem``, ``engine.costing``,
``engine.params`` and ``engine.errors``, never the documents or the pipeline.
"""
