"""The participant portal's records: one-time sign-in links, and the rules that sign a participant in
(a link, or an identity number from the identity provider) and log what they see of their own record."""
