"""The nodes-import command and the HTTP client of the registry API that the
command-line tools share."""
