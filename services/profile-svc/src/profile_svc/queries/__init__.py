"""The read side: profiles, search, the full record and the FERPA disclosure log."""
