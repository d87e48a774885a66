from sqlalchemy import event

from tests.test_persons_graphql import _seed

PLAIN = """{ persons(first: 50) { items { id organisationId status registrationActive givenName familyName birthDate
 birthYear ageGroup gender municipalityCode phone email preferredLanguage riskSettings { code disabilityTypes }
 interests accessibilityNeeds notes activeConsentPurposes lonelinessLatestTotal lonelinessLatestAt severeLoneliness
 version createdAt updatedAt erasedAt } nextCursor } }"""


def test_explore(gql, make_user, db, engine):
    u = make_user("caseworker")
    _seed(db, u.organisation_id, u.id, 60)
    stmts = []
    def rec(conn, cursor, statement, *a, **k):
        stmts.append(statement.split("\n")[0][:150])
    event.listen(engine, "before_cursor_execute", rec)
    r = gql(PLAIN, actor=u)
    event.remove(engine, "before_cursor_execute", rec)
    assert "errors" not in r, r
    print(len(stmts))
    for s in stmts:
        print("  ", s)
