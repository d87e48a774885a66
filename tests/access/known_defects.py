"""Cases the matrix finds wrong today that another branch fixes. ONE list, so the coordinator deletes it at merge.

Each entry: (operation, actor label, owner) → reason. The matrix marks exactly these cases
`xfail(strict=True)`: when the fix lands they pass, the strict xfail fails, and the entry must go.
"""

# Empty: defect 3 (Referral.offer skipping the offer read rule) is fixed; add an entry here only for a case
# another branch is fixing, with its reason.
KNOWN: dict[tuple[str, str, str], str] = {}
