"""The caregiver's web report of a patient's pain check-ins: a page rendered on the server, and a CSV.

`render` is pure (plain values in, text out); `web` serves it by token, read-only, from the store.
"""
