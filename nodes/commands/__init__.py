"""nodes-import and the code that the command-line tools share: the HTTP client of
the registry API, argument types and the reading of the trace's CSV files."""
