"""Public keys for the override tests."""

# Throw-away public keys made with ssh-keygen for these tests (no private half kept).
ED25519 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIElgsXc8UKOn7eVCfeWoEmSEDnLIkUef+Y1P+wi9YXCc me@laptop"
ED25519_FP = "SHA256:/cQ6H1owI3E94upoFgPGTZTL2NLN0rLnimFWQbhmC1Q"  # as `ssh-keygen -lf` prints it
RSA = (
    "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQCdWr3ZRlfjO2h4tvE2b20OQXAHSl7hbStwvff9rv+KDl09qSveF9uc6eL7pzbGtxke"
    "fhMKvDcP5T8yBpTsn/fJ9YKuw6/PJUbMar8Ni2wMZtXPKU+sdwh4d5g+IPSDc2A8PcP0R5hr/h/JO2d/9WT/7fi9PPzdMHvkGq6n+StDc+"
    "WHcsMtPJZwXso+r776JmZRa8XqZSF9y1xClwpt7bSrjQLIOGiQZgiKODYHIcN5epRbVz/Om7cm/IDUUL/ziZvbrO0cacKIttvc2MZePr/6En"
    "AE3G/zdl8UZ0vTRntRGIp6tZWlifeemge2iHvtACSElAG0EB1SngARx2P09hiD ci"
)
ECDSA = (
    "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBKvPt4BiDo3Yn6prkK1quXR3ibijGn5G"
    "uxdpMEwWku4r/HO152W6Uj5NmhhU6Lmx0/UACQave4Xm3GnL6J4HKko= root@vm"
)
