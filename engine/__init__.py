"""Routing optimization core. Pure: a RoutingProblem in, a RoutingResult out."""
