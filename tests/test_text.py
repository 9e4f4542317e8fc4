from knowledge.text import arabic_variants, fold, squash, street_key, tokens


def test_umlauts_and_their_spellings_meet():
    assert fold("Mühlburg") == fold("Muehlburg") == fold("muhlburg")
    assert fold("Straße") == fold("Strasse")
    assert squash("Eltern-Kind-Gruppe") == squash("Eltern Kind Gruppe") == "elternkindgruppe"


def test_turkish_suffix_after_apostrophe_is_split():
    assert tokens("Durlach'ta yaşlılar") == ["durlach", "ta", "yaslilar"]


def test_street_key_ignores_type_spelling():
    assert (
        street_key("Herrenalber Straße") == street_key("herrenalber str.") == street_key("Herrenalberstrasse")
    )


def test_arabic_article_is_stripped_as_variant():
    assert "اسرة" in arabic_variants(fold("الأسرة"))
