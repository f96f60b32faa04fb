# sandbox/: the confinement library and the hubd-sandbox CLI (issue 3).
