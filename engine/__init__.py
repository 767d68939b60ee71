"""Routing optimization core. Pure: a RoutingProblem in, a RoutingResult out.

The folder, by role (the modules at this level are the preview pipeline and the contracts it
shares with the solvers; how a problem is solved is all in :mod:`engine.solvers`):

Documents in and out
    ``network``   the network document (locations, groups, delivery methods) and its arrays
    ``order``     the order a checkout previews (lines, ship or pickup delivery)
    ``answer``    the preview answer (routes, Fulfillment Orders, explanation)
    ``errors``    the engine's error tree (preview input errors name the field)

The preview pipeline, in the order an order goes through it
    ``preview``     entry point: policy, one stock read, then the steps below
    ``candidates``  the fences and usable stock of one order → a ``RoutingProblem``
                    (with ``views``: per (network, policy) cached fences and cost columns;
                    ``geo``: distances; ``delivery``: ship and delivery dates)
    ``problem``     ``RoutingProblem`` in, ``RoutingResult`` out: the solvers' contract
    ``solve``       ``solve()``: picks the solver path (``params``: its tuning knobs)
    ``assemble``    the index-based routes turned back into ids, dates, explanations
    → ``answer``

``costing`` is the objective of DESIGN.md recomputed plainly and the route checker: the
reference the solvers are tested against. Imports go one way: the pipeline imports
``solve``; ``engine.solvers`` imports only ``problem``, ``costing``, ``params`` and
``errors`` of this level (a test checks it, and that no import circle exists in ``engine``).
"""
