"""Counterpoint: plan counter-messaging campaigns against detected propaganda trends."""

__version__ = "0.1.0"
