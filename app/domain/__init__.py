"""Pure business rules of CNC Pulse, free of any framework."""
