"""The learned second opinion: features, reproducible training, the packaged model and its CLI.

The sentences below are written for these tests and are not in the corpus (checked), so the
packaged model is judged on text it never saw.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from bot.cli import app
from knowledge.learned import features as F
from knowledge.learned.corpus import CORPUS_DIR, CorpusError, Example, load_corpus
from knowledge.learned.model import MODEL_PATH, LearnedModel, load_model
from knowledge.learned.train import train

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()

FRESH = {
    "old_company": {
        "de": "Mein Opa ist 88 und sitzt seit Omas Tod nur noch allein vor dem Fernseher in Hagsfeld",
        "en": (
            "My grandmother is 86 and feels very lonely since grandpa died, is "
            "there a senior club in Rintheim?"
        ),
        "tr": (
            "Babaannem 82 yaşında, evde hep yalnız oturuyor, Mühlburg'da yaşlılar için buluşma yeri var mı?"
        ),
        "uk": "Моїй бабусі 80 років, вона дуже самотня, чи є клуб для пенсіонерів у Durlach?",
    },
    "old_care": {
        "de": "Meine Mutter (87) kann nach dem Sturz nicht mehr allein duschen, wer hilft bei der Pflege?",
        "en": "My father can no longer cook or wash himself, we need help with care at home in Neureut",
        "tr": "Annem düştükten sonra kendi başına banyo yapamıyor, evde bakım için kime başvurabilirim?",
        "uk": "Мій батько після лікарні не може сам митися, потрібна допомога з доглядом вдома",
    },
    "old_dementia": {
        "de": "Mein Vater vergisst ständig den Herd und findet nicht mehr nach Hause, ist das Demenz?",
        "en": (
            "My mum keeps forgetting where she lives, the doctor suspects Alzheimer, where can we get advice?"
        ),
        "tr": "Dedem çok unutkan oldu, yolu kaybediyor, doktor demans diyor, nereden destek alabiliriz?",
        "uk": "Мама постійно все забуває і губиться на вулиці, лікар підозрює деменцію",
    },
    "old_advice": {
        "de": "Wir überlegen, ob meine Schwiegermutter ins betreute Wohnen ziehen soll, wer berät dazu?",
        "en": "Where can my parents get advice about a Vorsorgevollmacht and a Patientenverfügung?",
        "tr": "Babam için bakımevine taşınma konusunda danışmanlık nereden alabilirim?",
        "uk": "Де можна отримати консультацію про переїзд літньої мами в будинок для людей похилого віку?",
    },
    "pregnancy": {
        "de": "Ich bin im vierten Monat schwanger und suche einen Geburtsvorbereitungskurs in der Südstadt",
        "en": (
            "I'm pregnant with my first baby and don't know anyone here, where can "
            "I get support before the birth?"
        ),
        "tr": "Hamileyim, 5 aylık, doğuma hazırlık kursu ve ebe arıyorum",
        "uk": "Я вагітна, шукаю курси підготовки до пологів і акушерку",
    },
    "baby": {
        "de": "Unser Baby ist 4 Monate alt und schreit jede Nacht stundenlang, wir sind total erschöpft",
        "en": "My baby is 3 months old and I struggle with breastfeeding, is there a baby group nearby?",
        "tr": "Bebeğim 2 aylık, geceleri hiç uyumuyor, emzirme konusunda yardım lazım",
        "uk": "Моєму немовляті 5 місяців, шукаю групу для мам з немовлятами",
    },
    "toddler": {
        "de": "Wir warten noch auf einen Kitaplatz, gibt es eine Krabbelgruppe für unsere Tochter (2)?",
        "en": "Looking for a playgroup for my 3 year old son in Waldstadt while we wait for a Kita place",
        "tr": "Oğlum 2 yaşında, kreş yeri bulamadık, oyun grubu var mı?",
        "uk": "Синові 3 роки, шукаємо ігрову групу, поки чекаємо місце в садочку",
    },
    "school_child": {
        "de": "Unser Sohn ist 8 und braucht Hilfe bei den Hausaufgaben, gibt es eine Nachmittagsbetreuung?",
        "en": "My daughter is 9 and needs something to do in the summer holidays, any holiday programme?",
        "tr": "Kızım 10 yaşında, ödevlerine yardım edecek bir yer ve okul sonrası bakım arıyorum",
        "uk": "Доньці 7 років, шукаю допомогу з домашніми завданнями після школи",
    },
    "teen": {
        "de": "Ich bin 15 und suche einen Ort, wo man nachmittags abhängen und zocken kann",
        "en": "I'm 14 and looking for a youth club where I can play music with others",
        "tr": "16 yaşındayım, gençlik merkezi var mı, arkadaşlarla futbol oynamak istiyoruz",
        "uk": "Мені 15, де є молодіжний клуб, щоб зустрічатися з однолітками?",
    },
    "youth_trouble": {
        "de": "Mein Sohn (16) wurde von der Polizei mit Drogen erwischt und geht nicht mehr zur Schule",
        "en": "My 15 year old has run away from home again and I don't know where she sleeps",
        "tr": "17 yaşındayım, ailem beni evden attı, kalacak yerim yok",
        "uk": "Моєму синові 16, його затримала поліція, він вживає наркотики, куди звернутися?",
    },
    "parenting": {
        "de": (
            "Jeden Morgen gibt es Geschrei und Machtkämpfe mit unserem Sohn, wir brauchen Erziehungsberatung"
        ),
        "en": (
            "As a single mum I'm exhausted by the constant fights with my kids, "
            "where can I get parenting advice?"
        ),
        "tr": "Çocuklarımla sürekli kavga ediyoruz, söz dinlemiyorlar, ebeveyn danışmanlığı var mı?",
        "uk": "Ми не справляємося з вихованням, постійні конфлікти з дітьми, де отримати пораду?",
    },
    "child_at_risk": {
        "de": (
            "Die Kinder der Nachbarn sind oft tagelang allein und wirken "
            "verwahrlost, wem kann ich das melden?"
        ),
        "en": "I think the little boy upstairs is being hit by his parents, who can I report this to?",
        "tr": "Komşunun çocukları sürekli aç ve yalnız, çocuğun güvenliği için kime haber vermeliyim?",
        "uk": "Я бачу, що сусідську дитину б'ють і вона часто голодна, куди повідомити?",
    },
    "family_crisis": {
        "de": "Wir trennen uns nach 12 Jahren und die Kinder leiden sehr, wer hilft in so einer Situation?",
        "en": "My husband beats me when he drinks and I'm afraid for myself and the children",
        "tr": "Eşimle boşanıyoruz, evde sürekli kavga var, çocuklar için yardım lazım",
        "uk": "Ми з чоловіком розлучаємося, вдома постійні сварки, діти страждають",
    },
    "money_forms": {
        "de": "Ich habe Mietschulden und jetzt kam eine Mahnung vom Stromanbieter, wer hilft mir?",
        "en": "I got a letter from the Jobcenter I don't understand and need help with the Wohngeld form",
        "tr": "Borçlarım var, elektrik kesilecek, başvuru formlarını doldurmama kim yardım eder?",
        "uk": "У мене борги за квартиру і не можу заповнити заяву на Wohngeld",
    },
    "new_to_germany": {
        "de": (
            "Wir sind vor zwei Monaten aus Syrien gekommen und suchen einen "
            "Deutschkurs und Migrationsberatung"
        ),
        "en": "I just arrived in Germany as a refugee, how do I get my nursing diploma recognised?",
        "tr": "Almanya'ya yeni geldik, Almanca kursu ve göçmen danışmanlığı arıyoruz",
        "uk": "Ми нещодавно приїхали до Німеччини з України, шукаємо курси німецької мови",
    },
    "new_in_town": {
        "de": (
            "Bin gerade von Hamburg nach Karlsruhe gezogen und kenne hier noch "
            "niemanden, was ist in der Oststadt los?"
        ),
        "en": "We just moved to Durlach and would like to get to know the neighbourhood",
        "tr": "Karlsruhe'ye yeni taşındım, mahalleyi ve komşuları tanımak istiyorum",
        "uk": "Я нещодавно переїхала до Karlsruhe, хочу познайомитися з районом і сусідами",
    },
    "meet_people": {
        "de": "Ich (45) würde gern Leute aus der Nachbarschaft kennenlernen, gibt es ein offenes Café?",
        "en": "Is there a neighbourhood café or community centre where adults can meet new people?",
        "tr": "Mahallede insanlarla tanışabileceğim bir buluşma yeri, bir kafe var mı?",
        "uk": "Чи є в районі місце, де дорослі можуть зустрітися і познайомитися з сусідами?",
    },
    "civic": {
        "de": (
            "Der Spielplatz bei uns ist kaputt und die Autos rasen durch die "
            "Straße, wo kann ich mich beschweren?"
        ),
        "en": "How can residents have a say about the traffic and noise in our district?",
        "tr": "Mahalledeki oyun parkı çok kötü durumda, şikayet etmek için hangi derneğe gidebilirim?",
        "uk": "Як мешканці можуть вплинути на рішення про дитячий майданчик і шум у районі?",
    },
    "crisis": {
        "de": "Ich kann nicht mehr, ich will nicht mehr leben",
        "en": "I want to end my life tonight",
        "tr": "Artık yaşamak istemiyorum, kendimi öldürmeyi düşünüyorum",
        "uk": "Я не хочу більше жити",
    },
    "volunteer": {
        "de": "Ich bin Rentnerin und hätte Zeit, Kindern vorzulesen oder im Seniorentreff Kuchen zu backen",
        "en": "I'd like to volunteer a few hours a week, I could help kids with their homework",
        "tr": "Gönüllü olarak yardım etmek istiyorum, yaşlılara alışverişte destek olabilirim",
        "uk": "Я хочу бути волонтером і допомагати літнім людям у своєму районі",
    },
    "meetings": {
        "de": (
            "Wann trifft sich das Stadtteilnetzwerk in Mühlburg das nächste Mal "
            "und darf man als Bewohner kommen?"
        ),
        "en": "When is the next meeting of the district network and what's on the agenda?",
        "tr": "Mahalle ağının bir sonraki toplantısı ne zaman?",
        "uk": "Коли наступна зустріч мережі району?",
    },
    "oos_admin": {
        "de": "Wie bekomme ich einen Termin beim Bürgeramt für einen neuen Personalausweis?",
        "en": "Where do I renew my residence permit at the Ausländerbehörde?",
        "tr": "Kimlik kartı için Bürgeramt'tan nasıl randevu alırım?",
        "uk": "Як записатися в Bürgeramt, щоб оформити посвідчення особи?",
    },
    "oos_other": {
        "de": "Welche Apotheke hat heute Nacht Notdienst?",
        "en": "What will the weather be like tomorrow?",
        "tr": "Yarın hava nasıl olacak?",
        "uk": "Яка завтра буде погода?",
    },
    "bot_help": {
        "de": "Was kannst du eigentlich alles und wie funktioniert das hier?",
        "en": "What can this bot do and which languages does it speak?",
        "tr": "Bu bot ne yapabiliyor, nasıl kullanılıyor?",
        "uk": "Що вміє цей бот і як ним користуватися?",
    },
    "smalltalk": {
        "de": "Vielen Dank, schönen Abend noch!",
        "en": "Thanks a lot, have a nice day!",
        "tr": "Çok teşekkürler, iyi günler!",
        "uk": "Дуже дякую, гарного дня!",
    },
}

SHORT = {
    "de": [
        "Wo ist das nächste Jugendhaus?",
        "Meine Oma ist einsam",
        "Gibt es hier einen Mittagstisch?",
        "Vielen Dank!",
    ],
    "en": [
        "Where is the nearest youth club?",
        "My grandma is lonely",
        "I need help with forms",
        "Thank you so much!",
    ],
    "tr": [
        "En yakın gençlik merkezi nerede?",
        "Annem çok yalnız",
        "Bebeğim için grup arıyorum",
        "Çok teşekkür ederim",
    ],
    "ar": ["أين أقرب نادي للشباب؟", "جدتي وحيدة جدا", "أحتاج مساعدة في الأوراق", "شكرا جزيلا"],
    "uk": [
        "Де найближчий молодіжний клуб?",
        "Моя бабуся дуже самотня",
        "Потрібна допомога з документами",
        "Щиро дякую!",
    ],
    "ru": [
        "Где ближайший молодёжный клуб?",
        "Моя бабушка очень одинока",
        "Нужна помощь с документами",
        "Большое спасибо!",
    ],
}


# ----------------------------------------------------------------------------- features


def test_normalise_folds_case_width_digits_and_punctuation():
    assert F.normalise("STRASSE, Straße!") == "strasse strasse"
    assert F.normalise("ＡＢＣ１２") == "abc12"  # full width (NFKC)
    assert F.normalise("أمي عمرها ٨٤") == F.normalise("أمي عمرها 84")
    assert F.normalise("مادرم ۸۴ ساله است") == "مادرم 84 ساله است"
    assert F.normalise("Durlach'ta...yaşlılar??") == "durlach ta yaşlılar"
    assert F.normalise("danke🙏🙏!") == "danke 🙏 🙏"
    assert F.normalise("مُحَمَّد") == F.normalise("محمد")  # harakat dropped


@pytest.mark.parametrize("text", ["", "   ", "?!…-–«»", "\u200d\ufe0f"])
def test_empty_and_punctuation_only_give_empty_vector(text):
    f = F.featurize(text)
    assert len(f) == 0 and f.indices.dtype == np.int64


@pytest.mark.parametrize(
    "text", ["a", "Hallo", "👍", "Seniorentreff Durlach", "Мені 15 років 🙂", "x" * 5000, "ä" * 3]
)
def test_vector_is_sorted_distinct_in_range_and_unit_length(text):
    f = F.featurize(text)
    assert len(f) > 0
    assert np.all(np.diff(f.indices) > 0)
    assert f.indices[0] >= 0 and f.indices[-1] < F.BUCKETS
    assert abs(float(np.dot(f.values, f.values)) - 1.0) < 1e-5


def test_features_are_the_same_in_every_process():
    """No dependence on Python's salted hash(): another process with another seed, same buckets."""
    texts = ["Seniorentreff Durlach", "Meine Mutter (84) ist einsam 🙏", "أمي عمرها ٨٤", "Мені 15 років"]
    code = (
        "import json,sys; from knowledge.learned.features import featurize; "
        "print(json.dumps([featurize(t).indices.tolist() for t in json.loads(sys.argv[1])]))"
    )
    runs = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        out = subprocess.run(
            [sys.executable, "-c", code, json.dumps(texts)],
            env=env,
            cwd=ROOT,
            capture_output=True,
            check=True,
        )
        runs.append(json.loads(out.stdout))
    assert runs[0] == runs[1] == [F.featurize(t).indices.tolist() for t in texts]


def test_features_match_the_packaged_model():
    """A change of featurize must bump FEATURE_VERSION (the model refuses older files) and retrain."""
    h = hashlib.sha256()
    for t in ["Seniorentreff Durlach", "Meine Mutter (84) ist einsam 🙏", "أمي عمرها ٨٤", "Мені 15 років"]:
        h.update(F.featurize(t).indices.astype("<i8").tobytes())
    assert F.FEATURE_VERSION == 1
    assert h.hexdigest() == "0fade1c876e6dead43c4e9e09dc99066352c06599ee275a1df328cb0b57a9f1f"


def test_char_ngrams_stay_inside_words():
    # "ab cd": n-grams of " ab " and " cd " only; "b c" would cross a word boundary
    joined = F._char_buckets(["ab", "cd"])
    apart = np.concatenate([F._char_buckets(["ab"]), F._char_buckets(["cd"])])
    assert sorted(joined.tolist()) == sorted(apart.tolist())


def test_huge_text_costs_a_bounded_time():
    huge = ("Meine Mutter ist einsam und wohnt in Durlach. " * 50_000) + "🙏" * 10_000
    t0 = time.perf_counter()
    f = F.featurize(huge)
    assert time.perf_counter() - t0 < 0.2
    assert len(F.tokenize(huge)) == F.MAX_TOKENS and len(f) > 0
    assert len(F.featurize("ab" * 100_000)) > 0  # one endless token is cut, not refused


def test_a_typical_message_is_featurized_fast():
    text = (
        "Meine Mutter ist 84 und lebt seit dem Tod meines Vaters allein in Rintheim, sie ist sehr "
        "einsam und geht kaum noch raus. Gibt es dort einen Treff für ältere Menschen?"
    )
    F.featurize(text)
    n = 200
    t0 = time.perf_counter()
    for _ in range(n):
        F.featurize(text)
    # the target is < 0.5 ms on the project's machine; the bound leaves room for a loaded CI
    assert (time.perf_counter() - t0) / n < 0.002


# ----------------------------------------------------------------------------- corpus and training


def _small_corpus() -> list[Example]:
    """A fixed sub-corpus: the first 6 German and English examples of every label."""
    out: list[Example] = []
    counts: dict[tuple[str, str], int] = {}
    for e in load_corpus():
        if e.lang in ("de", "en") and counts.get((e.lang, e.label), 0) < 6:
            counts[(e.lang, e.label)] = counts.get((e.lang, e.label), 0) + 1
            out.append(e)
    return out


def test_training_is_reproducible_and_fast(tmp_path):
    examples = _small_corpus()
    assert len(examples) >= 200
    t0 = time.perf_counter()
    first = train(out=tmp_path / "a.npz", examples=examples)
    seconds = time.perf_counter() - t0
    second = train(out=tmp_path / "b.npz", examples=list(reversed(examples)))
    assert (tmp_path / "a.npz").read_bytes() == (tmp_path / "b.npz").read_bytes()
    assert first.bytes == second.bytes
    assert seconds < 30
    model = LearnedModel.load(tmp_path / "a.npz")
    assert set(model.labels) == {e.label for e in examples}
    assert set(model.languages) == {"de", "en"}
    p = model.predict("Meine Oma ist 90 und so einsam")
    assert abs(sum(p.labels.values()) - 1) < 1e-5 and abs(sum(p.language.values()) - 1) < 1e-5
    assert p.lang == "de"


def test_corpus_order_and_duplicates_do_not_matter(tmp_path):
    lines = [
        {"text": "Hallo", "lang": "de", "label": "smalltalk", "style": "plain"},
        {"text": "Seniorentreff Durlach", "lang": "de", "label": "old_company"},
        {"text": "Hallo", "lang": "de", "label": "smalltalk"},
    ]
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir(), b.mkdir()
    (a / "de.jsonl").write_text("\n".join(json.dumps(x) for x in lines), encoding="utf-8")
    (b / "x.jsonl").write_text(json.dumps(lines[1]) + "\n\n", encoding="utf-8")
    (b / "y.jsonl").write_text(json.dumps(lines[0]), encoding="utf-8")
    assert load_corpus(a) == load_corpus(b)
    assert [e.text for e in load_corpus(a)] == ["Seniorentreff Durlach", "Hallo"]  # by lang, label, text


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "de.jsonl:2: not a corpus line"),
        ('{"text": "x", "lang": "de"}', "de.jsonl:2: not a corpus line"),
        ('{"text": " ", "lang": "de", "label": "teen"}', "de.jsonl:2: empty"),
        ('{"text": "Hallo", "lang": "de", "label": "teen"}', "de.jsonl:2: same text as de.jsonl:1"),
    ],
)
def test_bad_corpus_lines_are_named(tmp_path, line, message):
    first = json.dumps({"text": "Hallo", "lang": "de", "label": "smalltalk"})
    (tmp_path / "de.jsonl").write_text(first + "\n" + line + "\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=message):
        load_corpus(tmp_path)


def test_packaged_corpus_is_valid():
    examples = load_corpus(CORPUS_DIR)
    assert len(examples) >= 1000
    assert len({e.lang for e in examples}) >= 6
    assert {"de", "en", "tr", "ar", "uk", "ru"} <= {e.lang for e in examples}


# ----------------------------------------------------------------------------- packaged model


@pytest.fixture(scope="module")
def model() -> LearnedModel:
    learned = load_model()
    assert learned is not None, "knowledge/learned/model.npz missing: run `quartier model train`"
    return learned


def test_fresh_sentences_are_not_in_the_corpus():
    corpus = {e.text for e in load_corpus()}
    fresh = {t for by in FRESH.values() for t in by.values()} | {t for ts in SHORT.values() for t in ts}
    assert not fresh & corpus


def test_model_knows_every_label_and_language_tested(model):
    assert set(FRESH) <= set(model.labels)
    assert set(SHORT) <= set(model.languages)


def test_packaged_model_predicts_sensible_labels(model):
    """Fresh sentences per label in de, en, tr, uk: nearly all first, all but a few in the top 3."""
    first: dict[str, int] = {}
    in_top3 = 0
    misses = []
    for label, by_lang in FRESH.items():
        for lang, text in by_lang.items():
            top = [name for name, _ in model.predict(text).top(3)]
            first[lang] = first.get(lang, 0) + (top[0] == label)
            in_top3 += label in top
            if top[0] != label:
                misses.append(f"{label}/{lang}: {top}")
    n_labels = len(FRESH)
    assert all(hits >= 0.8 * n_labels for hits in first.values()), (first, misses)
    assert sum(first.values()) >= 0.88 * 4 * n_labels, misses
    assert in_top3 >= 0.96 * 4 * n_labels, misses


@pytest.mark.parametrize(
    ("label", "text"),
    [
        ("old_care", "Mein Vater kann nicht mehr alleine duschen"),
        ("volunteer", "Ich könnte Senioren vorlesen"),
        ("oos_other", "asdfgh"),
        ("pregnancy", "Ich bin in der 20. Woche schwanger, Daxlanden"),
        ("crisis", "ich will nicht mehr leben"),
    ],
)
def test_issue_examples(model, label, text):
    assert model.predict(text).label == label


@pytest.mark.parametrize(("lang", "text"), [(lang, t) for lang, ts in SHORT.items() for t in ts])
def test_language_head_on_short_sentences(model, lang, text):
    assert model.predict(text).lang == lang


def test_probabilities_are_calibrated_distributions(model):
    for text in ("", "👍", "Seniorentreff Durlach", "x" * 10_000):
        p = model.predict(text)
        assert list(p.labels) and abs(sum(p.labels.values()) - 1) < 1e-5
        assert list(p.labels.values()) == sorted(p.labels.values(), reverse=True)
        assert 0 < p.confidence <= 1
    assert 0.01 < model.label_temperature < 100 and 0.01 < model.lang_temperature < 100


def test_packaged_model_is_compact_and_predicts_fast(model):
    assert MODEL_PATH.stat().st_size < 20_000_000
    text = "Mein Vater ist 82, kann nach dem Krankenhaus nicht mehr allein kochen, wer hilft in Durlach?"
    model.predict(text)
    n = 200
    t0 = time.perf_counter()
    for _ in range(n):
        model.predict(text)
    assert (time.perf_counter() - t0) / n < 0.003


def test_load_model_without_a_usable_file_is_none(tmp_path):
    assert load_model(tmp_path / "missing.npz") is None
    (tmp_path / "broken.npz").write_bytes(b"not a zip")
    assert load_model(tmp_path / "broken.npz") is None
    with np.load(MODEL_PATH, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    meta = json.loads(str(arrays["meta"]))
    arrays["meta"] = np.array(json.dumps({**meta, "feature_version": meta["feature_version"] + 1}))
    np.savez(tmp_path / "old.npz", **arrays)
    assert load_model(tmp_path / "old.npz") is None
    assert load_model() is load_model()  # read once


def test_learned_package_imports_no_bot_code():
    code = (
        "import sys, knowledge.learned.model, knowledge.learned.train, knowledge.learned.report; "
        "print(any(m == 'aiogram' or m.startswith(('aiogram.', 'bot.')) or m == 'bot' for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, check=True, text=True)
    assert out.stdout.strip() == "False"


# ----------------------------------------------------------------------------- CLI


def test_cli_predict_shows_labels_and_language():
    result = runner.invoke(app, ["model", "predict", "Meine Oma (90) ist so einsam in Durlach", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert next(iter(data["labels"])) == "old_company"
    assert next(iter(data["language"])) == "de"
    result = runner.invoke(app, ["model", "predict", "Мені 15, де молодіжний клуб?"])
    assert result.exit_code == 0 and "teen" in result.stdout and "uk" in result.stdout


def test_cli_predict_without_model_says_how_to_build_one(tmp_path):
    result = runner.invoke(app, ["model", "predict", "Hallo", "--model", str(tmp_path / "none.npz")])
    assert result.exit_code == 1
    assert "quartier model train" in result.output


def test_cli_train_and_report_on_a_small_corpus(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    with open(corpus / "de.jsonl", "w", encoding="utf-8") as fh:
        for e in _small_corpus():
            fh.write(
                json.dumps({"text": e.text, "lang": e.lang, "label": e.label}, ensure_ascii=False) + "\n"
            )
    out = tmp_path / "model.npz"
    result = runner.invoke(app, ["model", "train", "--corpus", str(corpus), "--out", str(out)])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert figures["bytes"] == out.stat().st_size and figures["train_seconds"] > 0
    result = runner.invoke(app, ["model", "report", "--corpus", str(corpus)])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert 0 < summary["accuracy"] <= 1 and 0 < summary["macro_f1"] <= 1
    assert set(summary["per_language"]) == {"de", "en"}
    assert set(summary["per_label"]) == {e.label for e in _small_corpus()}


def test_cli_names_a_bad_corpus_line(tmp_path):
    (tmp_path / "de.jsonl").write_text("{oops\n", encoding="utf-8")
    result = runner.invoke(
        app, ["model", "train", "--corpus", str(tmp_path), "--out", str(tmp_path / "m.npz")]
    )
    assert result.exit_code == 2
    assert "de.jsonl:1" in result.output
    assert not (tmp_path / "m.npz").exists()
