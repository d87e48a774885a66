"""Cases the matrix finds wrong today that another branch fixes. ONE list, so the coordinator deletes it at merge.

Each entry: (operation, actor label, owner) → reason. The matrix marks exactly these cases
`xfail(strict=True)`: when the fix lands they pass, the strict xfail fails, and the entry must go.
"""

DEFECT_3 = "defect 3 — fixed on h-graphql"

KNOWN: dict[tuple[str, str, str], str] = {}
