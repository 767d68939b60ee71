"""Waves: many orders routed jointly over shared stock and daily location capacity.

``model``      the immutable wave problem (each order's routing problem, the shared stock, the
               capacities) built from orders, and the plan a strategy returns
``check``      a plan's feasibility: no unit used twice, capacities kept, each order's route
               within its own policy
``kpi``        cost and the figures ops compare (fill rate, FOs per order, distance, load)
``baselines``  ``sequential``, ``nearest`` and ``fewest_splits``: order by order, as peers do
``exact``      ``optimize``: one mixed-integer program over the whole wave (small waves)
"""
