"""The README's reference tables are generated from the code; this fails when they drift."""

from pathlib import Path

from service.readme_tables import TABLES, render

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_tables_match_the_code():
    text = README.read_text()
    assert render(text) == text, "run `python -m service.readme_tables`"
    for name in TABLES:
        assert f"<!-- generated: {name} -->" in text


def test_the_two_commands_at_the_top_are_the_ones_that_work():
    head = README.read_text().split("```", 2)[1]
    assert "pip install . && tvaers serve --demo" in head
    assert 'pip install -e ".[test]" && python -m pytest -q' in head


def test_csv_columns_the_table_marks_conditional_are_really_required(client, make_user):
    coordinator = make_user("coordinator")
    csv = "title,description,category,mode\nStrikkeklub,Vi strikker,activity_group,in_person\n"
    resp = client.post("/api/v1/offers/import", content=csv.encode(), headers={**coordinator.headers,
                                                                               "Content-Type": "text/csv"})
    assert resp.status_code == 422
    row = next(line for line in README.read_text().splitlines() if line.startswith("| `municipality_codes` |"))
    assert "municipality_codes" in resp.text and "| unless `nationwide` is true |" in row
