"""Waves: many orders routed jointly over shared stock and daily location capacity.

``model``      the immutable wave problem (each order's routing problem, the shared stock, the
               capacities) built from orders, and the plan a strategy returns
``check``      a plan's feasibility: no unit used twice, capacities kept, each order's route
               within its own policy
``kpi``        cost and the figures ops compare (fill rate, FOs per order, distance, load)
``baselines``  ``sequential``, ``nearest`` and ``fewest_splits``: order by order, as peers do
``mip``        one mixed-integer program over some orders of a wave
``search``     neighbourhood search: orders with regret routed again jointly
``exact``      ``optimize``: the whole wave as one program when small, else the search
``answer``     the plan as preview answers (one per order, its chosen route first), KPIs
"""
