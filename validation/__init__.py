"""Theory against simulation, with calibrated statistics; result files."""
