"""The node resource: schemas, Redis storage, HTTP views and the hardware catalog."""
