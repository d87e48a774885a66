def test_reference_data_is_seeded_by_migration(client, gql, make_user):
    municipalities = client.get("/api/v1/reference/municipalities?limit=200").json()["items"]
    assert len(municipalities) == 98
    assert {"code": "0101", "name": "København", "region_code": "1084", "region_name": "Region Hovedstaden",
            "region_iso": "DK-84"} in municipalities
    assert "0411" not in {m["code"] for m in municipalities}  # Christiansø is not a municipality
    settings = client.get("/api/v1/reference/risk-settings").json()["items"]
    assert [s["code"] for s in settings] == [
        "out_of_home_placement", "crisis_centre", "residential_institution", "social_housing_facility",
        "nursing_home", "disability_at_home", "relative_of_seriously_ill", "homelessness", "imprisonment"]
    prison = settings[-1]
    assert prison["label_da"] == "fængselsophold" and prison["responsible_ministry"] == "Justitsministeriet"
    assert prison["responsible_ministry_code"] == "justice"
    assert client.get("/api/v1/reference/ministries").json()["items"] == [
        {"code": "social_affairs", "name": "Social- og Indenrigsministeriet"},
        {"code": "health", "name": "Sundheds- og Ældreministeriet"}, {"code": "justice", "name": "Justitsministeriet"}]
    assert gql("{ ministries { code } }")["data"]["ministries"][2] == {"code": "justice"}
    assert prison["sensitivity"] == "gdpr_art10"
    data = gql("{ municipalities(regionCode: \"1081\") { code } riskSettings { code labelEn } }")["data"]
    assert len(data["municipalities"]) == 11 and len(data["riskSettings"]) == 9
