"""The spreadsheet import as NGOs use it: Danish Excel CSV (`;`, Windows-1252, Danish headers), UTF-8 with and
without BOM, .xlsx, multipart uploads, dry runs, re-import as an upsert on external_id, Danish problems, bounds
— and two concurrent imports of the same file never make duplicates."""

import io
import zipfile

import openpyxl
import pytest
from sqlalchemy import func, select

from service.offers.models import Offer, OfferMunicipality
from service.offers.spreadsheet import MAX_ROWS, sniff_delimiter
from tests.live_support import committed_headers, committed_org, fire, patient_writers, statuses
from tests.offers_support import count_offers

__all__ = ["patient_writers"]

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DANISH_HEADER = ["Eget ID", "Titel", "Beskrivelse", "Kategori", "Form", "Kommunekoder", "Adresse", "Postnummer",
                 "By", "Breddegrad", "Længdegrad", "Pladser", "Tilgængelighed", "Ugedage", "Starttid", "Sluttid",
                 "Frekvens", "Gyldig fra", "Målgruppe", "Tilmelding", "Transport", "Status"]
DANISH_ROWS = [
    ["strik-1", "Strikkecafé i Ølstykke", "Vi strikker; drikker kaffe og snakker.", "Aktivitetsgruppe",
     "Fremmøde", "240", "Æblevej 2", "3650", "Ølstykke", "55,7957", "12,1585", "12", "Niveaufri adgang|Teleslynge",
     "man,ons", "10.00", "12.00", "ugentlig", "01-12-2026", "Ældre, der bor alene", "Ring til Grethe",
     "Bus 500S stopper ved døren", "Offentliggjort"],
    ["tlf-2", "Telefonvenner på tværs", "Fast telefonven hver anden uge.", "Telefonven", "Telefon", "0101;0147",
     "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "Kladde"],
]


def _danish_csv(rows=DANISH_ROWS, header=DANISH_HEADER, encoding="cp1252") -> bytes:
    lines = [";".join(header)] + [";".join(f'"{c}"' if ";" in c else c for c in row) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def _xlsx(rows: list[list[object]], header=DANISH_HEADER) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _post(client, actor, body: bytes, content_type="text/csv", query="", headers=None):
    return client.post(f"/api/v1/offers/import{query}", content=body,
                       headers={**actor.headers, "content-type": content_type, **(headers or {})})


def _offers(db, actor) -> dict[str, Offer]:
    db.expire_all()
    return {o.external_id or o.title: o for o in db.scalars(select(Offer).where(
        Offer.organisation_id == actor.organisation_id))}


def test_danish_excel_csv_with_danish_headers_labels_and_formats(client, make_user, make_org, db):
    ngo = make_user("coordinator", make_org(kind="civil_society", name="Ældre Sagen Egedal"))
    resp = _post(client, ngo, _danish_csv())
    assert resp.status_code == 201, resp.text
    assert resp.json()["created"] == 2 and resp.json()["updated"] == 0
    offers = _offers(db, ngo)
    knit = offers["strik-1"]
    assert (knit.title, knit.category, knit.mode, knit.status) == (
        "Strikkecafé i Ølstykke", "activity_group", "in_person", "published")
    assert (knit.latitude, knit.longitude, knit.capacity) == (55.7957, 12.1585, 12)
    assert knit.schedule == {"freq": "weekly", "weekdays": ["MO", "WE"], "start_time": "10:00:00",
                             "end_time": "12:00:00", "valid_from": "2026-12-01"}
    assert (knit.eligibility, knit.intake, knit.transport_notes) == (
        "Ældre, der bor alene", "Ring til Grethe", "Bus 500S stopper ved døren")
    assert db.scalar(select(OfferMunicipality.municipality_code).where(OfferMunicipality.offer_id == knit.id)) \
        == "0240"  # a spreadsheet's number 240 is municipality 0240
    read = client.get(f"/api/v1/offers/{knit.id}").json()
    assert read["accessibility"] == ["hearing_loop", "step_free"]
    assert read["provider_name"] == "Ældre Sagen Egedal"
    assert offers["tlf-2"].category == "phone_friend" and offers["tlf-2"].status == "draft"


@pytest.mark.parametrize("encoding,prefix", [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("utf-16", b""),
                                             ("cp1252", b"")])
def test_every_encoding_spreadsheets_save_reads_the_same_letters(client, make_user, make_org, db, encoding, prefix):
    ngo = make_user("coordinator", make_org(kind="civil_society"))
    body = prefix + _danish_csv(encoding=encoding)
    assert _post(client, ngo, body).status_code == 201
    assert _offers(db, ngo)["strik-1"].address == "Æblevej 2"


def test_comma_separated_english_csv_is_sniffed_too():
    assert sniff_delimiter("title;description;category") == ";"
    assert sniff_delimiter("title,description,category") == ","
    assert sniff_delimiter("title\tdescription\tcategory") == "\t"
    assert sniff_delimiter("title") == ","


def test_xlsx_raw_and_multipart_upload(client, make_user, make_org, db):
    ngo = make_user("coordinator", make_org(kind="civil_society"))
    rows = [[*DANISH_ROWS[0][:5], 240, *DANISH_ROWS[0][6:9], 55.7957, 12.1585, 12, *DANISH_ROWS[0][12:]]]
    resp = _post(client, ngo, _xlsx(rows), content_type=XLSX)
    assert resp.status_code == 201, resp.text
    assert _offers(db, ngo)["strik-1"].capacity == 12
    multipart = client.post("/api/v1/offers/import", headers=ngo.headers, files={
        "file": ("tilbud.csv", _danish_csv([DANISH_ROWS[1]]), "application/vnd.ms-excel")})
    assert multipart.status_code == 201, multipart.text
    assert multipart.json()["created"] == 1
    assert client.post("/api/v1/offers/import", headers=ngo.headers, files={
        "other": ("x.csv", b"title\n", "text/csv")}).status_code == 422


def test_dry_run_reports_creates_and_updates_and_writes_nothing(client, make_user, make_org, db):
    ngo = make_user("coordinator", make_org(kind="civil_society"))
    assert _post(client, ngo, _danish_csv([DANISH_ROWS[0]])).status_code == 201
    before = count_offers(db)
    changed = [DANISH_ROWS[0][:1] + ["Strikkecafé — ny titel"] + DANISH_ROWS[0][2:], DANISH_ROWS[1]]
    resp = _post(client, ngo, _danish_csv(changed), query="?dry_run=true")
    assert resp.status_code == 200, resp.text
    report = resp.json()
    assert report["dry_run"] is True and (report["created"], report["updated"]) == (1, 1)
    assert [(r["row"], r["action"], r["external_id"]) for r in report["rows"]] == [
        (2, "update", "strik-1"), (3, "create", "tlf-2")]
    assert report["rows"][1]["id"] is None and report["ids"] == [report["rows"][0]["id"]]
    assert count_offers(db) == before
    assert _offers(db, ngo)["strik-1"].title == "Strikkecafé i Ølstykke"


def test_reimport_updates_by_external_id_instead_of_duplicating(client, make_user, make_org, db):
    ngo = make_user("coordinator", make_org(kind="civil_society"))
    other = make_user("coordinator", make_org(kind="civil_society"))
    first = _post(client, ngo, _danish_csv()).json()
    before = count_offers(db)
    changed = [DANISH_ROWS[0][:11] + ["20"] + DANISH_ROWS[0][12:-1] + ["Sat på pause"], DANISH_ROWS[1]]
    second = _post(client, ngo, _danish_csv(changed))
    assert second.status_code == 201, second.text
    assert (second.json()["created"], second.json()["updated"]) == (0, 2)
    assert sorted(second.json()["ids"]) == sorted(first["ids"])
    assert count_offers(db) == before
    knit = _offers(db, ngo)["strik-1"]
    assert knit.capacity == 20 and knit.status == "paused" and knit.version == 2
    # Another provider's external ids are its own: the same file creates its offers.
    assert _post(client, other, _danish_csv()).json()["created"] == 2
    # A paused offer cannot go back to draft: the row is refused and nothing of the file is written.
    back = [DANISH_ROWS[0][:-1] + ["Kladde"]]
    resp = _post(client, ngo, _danish_csv(back))
    assert resp.status_code == 422 and resp.json()["errors"][0]["code"] == "status_transition"
    assert _offers(db, ngo)["strik-1"].status == "paused"


def test_row_errors_are_all_or_nothing_and_danish_when_asked(client, make_user, make_org, db):
    ngo = make_user("coordinator", make_org(kind="civil_society"))
    bad = [DANISH_ROWS[0][:3] + ["pubcrawl"] + DANISH_ROWS[0][4:], DANISH_ROWS[1],
           DANISH_ROWS[1][:5] + ["9999"] + DANISH_ROWS[1][6:]]
    bad[2][0] = "tlf-2"  # also a duplicate external_id within the file
    before = count_offers(db)
    english = _post(client, ngo, _danish_csv(bad))
    assert english.status_code == 422
    danish = _post(client, ngo, _danish_csv(bad), headers={"Accept-Language": "da-DK,da;q=0.9,en;q=0.5"})
    assert danish.status_code == 422 and danish.headers["content-language"] == "da"
    problem = danish.json()
    assert problem["detail"] == "2 række(r) er ikke gyldige; intet blev importeret."
    assert problem["bad_rows"] == [2, 4]
    by_key = {(e["row"], e["field"]): e for e in problem["errors"]}
    assert by_key[(2, "category")]["column"] == "Kategori"
    assert by_key[(2, "category")]["message"].startswith("er ikke en af de tilladte værdier")
    assert by_key[(4, "external_id")]["message"] == "samme external_id som række 3"
    assert "pubcrawl" not in danish.text and "pubcrawl" not in english.text  # never echo a rejected value
    assert count_offers(db) == before
    header = _post(client, ngo, _danish_csv(header=["Titel", "Yndlingsfarve"]), headers={"Accept-Language": "da"})
    assert header.json()["detail"] == "Overskriftsrækken er ikke gyldig; se errors."
    assert {e["message"] for e in header.json()["errors"]} == {"ukendt kolonne", "en påkrævet kolonne mangler"}


def test_bounds_and_broken_files_are_4xx(client, make_user, make_org, db):
    ngo = make_user("coordinator", make_org(kind="civil_society"))
    before = count_offers(db)
    too_many = _danish_csv([DANISH_ROWS[1]] * (MAX_ROWS + 1))
    assert _post(client, ngo, too_many).status_code == 413
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b" " * 30_000_000)
    assert _post(client, ngo, bomb.getvalue(), content_type=XLSX).status_code == 413
    assert _post(client, ngo, b"PK\x03\x04 not a zip", content_type=XLSX).json()["errors"][0]["code"] == "xlsx"
    assert _post(client, ngo, _danish_csv(), content_type="image/png").status_code == 415
    assert client.post("/api/v1/offers/import", headers={**ngo.headers, "content-type": "multipart/form-data"},
                       content=b"--x\r\nbroken").status_code == 422
    assert count_offers(db) == before
    caseworker = make_user("caseworker")
    assert _post(client, caseworker, b"\x00\x01", content_type="image/png").status_code == 403  # authorized first


def test_concurrent_imports_of_one_file_never_duplicate(live_server, committed, patient_writers):
    org = committed_org(committed, "civil_society")
    headers = {**committed_headers(committed, "coordinator", org), "content-type": "text/csv"}
    body = _danish_csv()
    responses = fire(live_server, [lambda http: http.post("/api/v1/offers/import", content=body, headers=headers)
                                   for _ in range(6)])
    counts = statuses(responses)
    assert set(counts) <= {201, 409, 503} and counts[201] >= 1, counts
    committed.expire_all()
    per_key = dict(committed.execute(select(Offer.external_id, func.count()).where(
        Offer.organisation_id == org.id).group_by(Offer.external_id)).all())
    assert per_key == {"strik-1": 1, "tlf-2": 1}
