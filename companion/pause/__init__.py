"""`companion pause`: a guided pause in the middle of a conflict."""
