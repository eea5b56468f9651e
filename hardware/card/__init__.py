"""Smart-card reader port: TS-CNS, CNS and CIE cards read, PIN-verified and used to sign."""
