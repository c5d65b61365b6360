"""What CNC Pulse reads in the files it moves: G-code programs, models, drawings."""
