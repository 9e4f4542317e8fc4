"""Who the help is for, and how old they are, read from a resident's own words.

"Meine Mutter ist 84", "unser Kleiner (20 Monate)", "Ich bin 17", "wir sind beide Mitte 70",
"Rentner", "Kızım 13 yaşında", "ابنتي عمرها ١٤ سنة": the search needs to know whether a
question is about a baby, a school child, a teenager, an adult or an older person before it
can choose between a parent café, a youth house and a senior meeting place.

Guarantees:
- Only ages that are written as ages count: a number in brackets after a person ("(5)",
  "(2 und 6)"), "… Jahre alt", "-jährig", "bin 80", "ist 84", "Mitte 70", "über 80",
  "3 Monate alt" and their equivalents in the languages below. Durations ("seit 2 Jahren",
  "für drei Wochen"), counts ("drei Kinder"), times ("18 Uhr"), ordinals ("20. Woche
  schwanger"), house numbers and postcodes never become ages.
- The result is a pure function of the text; nothing is stored.
- Roles come from a small multilingual word list; an unknown role is `None`, never a guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from knowledge.text import fold_word

# Arabic-Indic and Persian digits, as people type them
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")

STAGES = ("infant", "toddler", "preschool", "school", "teen", "adult", "older")
CHILD_STAGES = frozenset({"infant", "toddler", "preschool", "school", "teen"})
OLDER_FROM = 63  # "Rentner", pension age: offers for older people start around here


def stage_of(age: float) -> str:
    if age < 1:
        return "infant"
    if age < 3:
        return "toddler"
    if age < 6:
        return "preschool"
    if age < 12:
        return "school"
    if age < 18:
        return "teen"
    if age < OLDER_FROM:
        return "adult"
    return "older"


# role words, folded (see knowledge.text.fold_word); the role is who the help would be for
_ROLE_WORDS: dict[str, tuple[str, ...]] = {
    "older_relative": (
        "mutter mama mutti vater papa vati eltern oma opa omi grossmutter grossvater grosseltern "
        "schwiegermutter schwiegervater schwiegereltern tante onkel "
        "mother mum mom father dad parents grandmother grandma granny grandfather grandpa grandparents "
        "annem babam annemler annem-babam anneannem babaannem dedem ninem "
        "امي والدتي ابي والدي والداي جدتي جدي "
        "мама мамі мати матір тато татові батько батькові батьки бабуся бабусі дідусь мать матери маме "
        "отец отцу папа папе родители родителям бабушка бабушке дедушка дедушке "
        "mama matka ojciec tata rodzice babcia dziadek mamma madre padre papà genitori nonna nonno "
        "mamă mama tată părinții bunica bunicul majka otac roditelji baka djed "
        "مادرم پدرم مادربزرگم پدربزرگم mère père parents grand-mère grand-père "
        "майка баща родителите баба дядо μητέρα μητερα πατέρας γιαγιά παππούς"
    ),
    "partner": (
        "mann manne mannes ehemann frau ehefrau partner partnerin lebensgefahrte lebensgefahrtin "
        "husband wife esim kocam karim زوجي زوجتي чоловік чоловіку дружина дружині муж мужу жена жене "
        "maz zona marito moglie sotul sotia suprug supruga شوهرم همسرم mari femme съпруг съпругата συζυγος"
    ),
    "child": (
        "kind kinder kindes sohn sohne tochter tochter tochterchen sohnchen baby babys saugling zwillinge "
        "kleine kleiner kleinen grosse grosser enkel enkelin enkelkind enkelkinder pflegekind nachwuchs "
        "bub junge "
        "madchen child children kid kids son daughter baby babies toddler twins grandson granddaughter "
        "grandchild "
        "boy girl cocugum cocuklarim oglum kizim bebegim bebek torunum ابني ابنتي طفلي اطفالي بنتي ولدي "
        "син сину сина донька доньці дочка дочці дитина дитині синові діти малюк онук онука сын сыну "
        "дочь дочери дочке ребенок ребенку ребёнок дети малыш внук внучка "
        "syn corka dziecko dzieci fiul fiica copilul copiii figlio figlia bambino bambini sin kci "
        "dijete djeca "
        "پسرم دخترم بچه فرزندم fils fille enfant enfants bebe дете детето бебе сина дъщеря γιος κορη "
        "παιδι μωρο"
    ),
    "neighbour": (
        "nachbar nachbarin nachbarn nachbarskind nachbarskinder neighbour neighbor neighbours neighbors "
        "komsum "
        "komsumuz جاري جارتي сусід сусідка сосед соседка sasiad sasiadka vecin vecina vicino vicina susjed "
        "همسایه voisin voisine съсед γειτονας"
    ),
}
ROLES: dict[str, str] = {fold_word(w): role for role, words in _ROLE_WORDS.items() for w in words.split()}

# the writer speaking of themselves
_SELF = re.compile(
    r"\b(?:ich\s+bin|bin|i\s*am|i'?m|im|ich\s+werde|sono|ho|je\s+suis|j'?ai|mam|am|imam|jestem|"
    r"ben|yaşındayım|мені|мне|мені\s+вже|мне\s+уже|είμαι|имам|аз\s+съм|sunt)\s+(?:schon\s+|already\s+|"
    r"jetzt\s+|now\s+|erst\s+|fast\s+|über\s+|ueber\s+|uber\s+|almost\s+|over\s+|вже\s+|уже\s+)?"
    r"(\d{1,3})\b(?!\s*(?:uhr|€|euro|eur|kinder|children|kids|\.\d))",
    re.IGNORECASE,
)
_AGE_WORD = (
    r"(?:jahre|jahren|jahr|jährig|jaehrig|j\.|years?|yrs?|y/?o|year-old|yaşında|yasinda|yaşındaki|yaşlarında|"
    r"سنة|سنوات|عاما|عامًا|ساله|سال|років|роки|рік|лет|года|год|lat|lata|ani|anni|anno|godina|godine|ans|an|"
    r"години|годин|ετών|ετων|χρονών|χρονων)"
)
_MONTH_WORD = (
    r"(?:"
    r"monate|monaten|monat|months?|aylık|aylik|ay|أشهر|شهور|شهر|ماهه|місяців|місяці|місяць|"
    r"месяцев|месяца|месяц|miesięcy|miesiące|luni|mesi|mjeseci|mois|месеца|μηνών|μηνων"
    r")"
)
_WEEK_WORD = (
    r"(?:"
    r"wochen|woche|weeks?|haftalık|haftalik|أسابيع|هفته|тижнів|тижні|недель|недели|tygodni|"
    r"săptămâni|settimane|tjedana|semaines|седмици|εβδομάδων"
    r")"
)
# "(5)", "(2 und 6)", "(74 und 77)", "(20 Monate)"
_BRACKET = re.compile(
    r"\(\s*(\d{1,3})(?:\s*(?:,|und|and|u\.|&|ve|و|і|и|i|e|et|și|si)\s*(\d{1,3}))?"
    rf"(?:\s*(?:{_AGE_WORD}|({_MONTH_WORD})|({_WEEK_WORD})))?\s*\)",
    re.IGNORECASE,
)
# "84 Jahre alt", "13 yaşında", "14 سنة", "10 років", "3 Monate alt", "sieben Wochen alt"
_NUMBER_SOURCE: dict[int, str] = {
    1: "ein eine einen einem einer eins one bir один одна один одного jeden jedna un una unu jedan",
    2: "zwei two iki два дві dva dwa doi due deux",
    3: "drei three üç три tri trzy trei tre trois",
    4: "vier four dört чотири четыре cztery patru quattro četiri quatre",
    5: "fünf five beş пять пʼять pięć cinci cinque pet cinq",
    6: "sechs six altı шість шесть sześć șase sei šest",
    7: "sieben seven yedi сім семь siedem șapte sette sedam sept",
    8: "acht eight sekiz вісім восемь osiem opt otto osam huit",
    9: "neun nine dokuz девʼять девять dziewięć nouă nove devet neuf",
    10: "zehn ten on десять dziesięć zece dieci deset dix",
    11: "elf eleven",
    12: "zwölf twelve",
}
_NUMBER_WORDS = {fold_word(w): n for n, words in _NUMBER_SOURCE.items() for w in words.split()}
# only digits and number words can start an age: the pattern is tried at few places
_NUMBER_RAW = "|".join(
    sorted({w for words in _NUMBER_SOURCE.values() for w in words.split()}, key=len, reverse=True)
)
_WITH_UNIT = re.compile(
    rf"(?<![\d.\w])(\d{{1,3}}|(?:{_NUMBER_RAW})\b)[\s-]*(?:(?P<y>{_AGE_WORD})|(?P<m>{_MONTH_WORD})|(?P<w>{_WEEK_WORD}))"
    r"(?P<alt>\s*(?:alt|old|alte|alter|altes|alten))?",
    re.IGNORECASE,
)
_ROLE_NUMBER = re.compile(
    r"(\w+)\s+(\d{1,3})\b(?!\s*(?:uhr|€|euro|eur|kinder|children|kids|\.\d|%|[a-zäöü]))"
    rf"(?!\s*(?:{_MONTH_WORD}|{_WEEK_WORD}))",
    re.IGNORECASE,
)
_AGE_OF = re.compile(
    r"(?:ist|wird|sind|is|turns|are|عمره|عمرها|عمري|عمرهم|وعمره|وعمرها|йому|їй|ему|ей|ma|are|ha|ima|a|"
    r"alter|alt)\s+(?:schon\s+|jetzt\s+|already\s+|now\s+|erst\s+|fast\s+|вже\s+|уже\s+|"
    # "wird im Mai 5", "turns 80 next week": up to two words between
    r"(?:[^\W\d]+\s+){1,2})?(\d{1,3})\b"
    r"(?!\s*(?:uhr|€|euro|eur|kinder|children|kids|\.\d|%|jahren|wochen|monaten|tagen|stunden|"
    r"minuten|years|weeks|months|days|hours|mal|times))",
    re.IGNORECASE,
)
_APPROX = re.compile(
    r"\b(mitte|anfang|ende|über|ueber|uber|fast|knapp|über|mid|early|late|over|nearly|almost|"
    r"около|за|понад|больше|більше|ponad|peste|oltre|preko|plus\s+de|над|πάνω\s+από)\s+(?:der\s+|den\s+|"
    r"the\s+)?"
    r"(\d{2})(?:er|s)?\b",
    re.IGNORECASE,
)
_DURATION_BEFORE = re.compile(
    r"(?:seit|vor|für|fuer|nach|in|innerhalb|alle|since|for|ago|in|within|every|über|ueber|"
    r"seit\s+etwa|etwa|ca\.?|rund|nächste|letzte|nächsten|letzten|diese|dieses|noch)\s*$",
    re.IGNORECASE,
)
_ORDINAL_PREGNANCY = re.compile(r"\d{1,2}\s*\.\s*(?:woche|ssw|schwangerschaftswoche|monat)", re.IGNORECASE)
_RETIRED = re.compile(
    r"\b(?:rentner|rentnerin|rentnerinnen|rentnern|ruhestand|in\s+rente|pensionär|pensionaer|pensioniert|"
    r"senior|seniorin|retired|pensioner|pensioners|emekli|emekliyim|متقاعد|متقاعدة|пенсіонер|пенсіонерка|"
    r"пенсионер|пенсионерка|на\s+пенсии|на\s+пенсії|emeryt|emerytka|pensionar|pensionată|pensionato|"
    r"pensionata|in\s+pensione|umirovljenik|umirovljenica|retraité|retraitée|بازنشسته|пенсионерка|"
    r"συνταξιούχος)\b",
    re.IGNORECASE,
)
_INFANT_WORDS = re.compile(
    r"\b(?:baby|babys|säugling|saeugling|neugeboren\w*|newborn|bebek|bebeğim|bebegim|رضيع|طفل\s+رضيع|"
    r"немовля|немовлям|младенец|младенца|niemowlę|bebeluș|neonato|neonata|beba|nouveau-né|бебе|μωρό|نوزاد)",
    re.IGNORECASE,
)
# words that say "my/our" before a relative: "meine Mutter", "my dad", "моя мама"
_POSSESSIVE = frozenset(
    fold_word(w)
    for w in [
        "mein",
        "meine",
        "meiner",
        "meinem",
        "meinen",
        "unser",
        "unsere",
        "unserer",
        "unserem",
        "unseren",
        "my",
        "our",
        "мій",
        "моя",
        "мої",
        "мого",
        "моєї",
        "наш",
        "наша",
        "наші",
        "мой",
        "моя",
        "мои",
        "моего",
        "моей",
        "mój",
        "moja",
        "moi",
        "mojej",
        "nasz",
        "nasza",
        "mio",
        "mia",
        "miei",
        "mie",
        "nostro",
        "nostra",
        "moj",
        "moja",
        "mojoj",
        "naš",
        "naša",
        "mon",
        "ma",
        "mes",
        "notre",
        "nos",
        "мой",
        "моята",
        "моят",
        "μου",
        "mama",
        "mea",
        "tatăl",
        "meu",
        "mamei",
        "mele",
    ]
)
# Turkish, Arabic and Farsi carry "my" in the word itself
_OWN_FORMS = frozenset(
    fold_word(w)
    for w in [
        "annem",
        "babam",
        "annemler",
        "anneannem",
        "babaannem",
        "dedem",
        "ninem",
        "esim",
        "kocam",
        "karim",
        "امي",
        "والدتي",
        "ابي",
        "والدي",
        "والداي",
        "جدتي",
        "جدي",
        "زوجي",
        "زوجتي",
        "مادرم",
        "پدرم",
        "مادربزرگم",
        "پدربزرگم",
        "شوهرم",
        "همسرم",
    ]
)
_HALF_YEAR = re.compile(r"(?:halbes\s+jahr|half\s+a\s+year|six\s+months)\s*(?:alt|old)", re.IGNORECASE)
_MAX_AGE = 110


@dataclass(frozen=True, slots=True)
class Person:
    role: str | None  # older_relative | partner | child | neighbour | self | None
    age: float | None  # years; months and weeks as fractions

    @property
    def stage(self) -> str | None:
        if self.age is not None:
            return stage_of(self.age)
        if self.role == "older_relative":
            return "older"
        return None


@dataclass(frozen=True, slots=True)
class Concerned:
    """The people a question speaks of; `main` is the one the help is most likely for."""

    people: tuple[Person, ...] = field(default_factory=tuple)
    retired: bool = False  # "Rentner", "in Rente": the writer or the people spoken of are older

    @property
    def stages(self) -> frozenset[str]:
        found = {p.stage for p in self.people if p.stage}
        if self.retired:
            found.add("older")
        return frozenset(found)

    @property
    def main(self) -> Person | None:
        """Children before older relatives before the writer: help is mostly asked for them."""
        order = {"child": 0, "older_relative": 1, "neighbour": 2, "partner": 3, "self": 4, None: 5}
        # a person whose stage of life is known tells more than one whose is not ("meine Frau
        # ist im Heim … ich bin 80": the writer's age speaks for both)
        ranked = sorted(
            self.people, key=lambda p: (p.stage not in CHILD_STAGES, p.stage is None, order.get(p.role, 5))
        )
        return ranked[0] if ranked else None

    @property
    def stage(self) -> str | None:
        """The stage of life the question is about, or None when nothing says it."""
        main = self.main
        if main is not None and main.stage is not None:
            return main.stage
        if self.retired:
            return "older"
        return None

    @property
    def child_stages(self) -> frozenset[str]:
        return frozenset(s for s in self.stages if s in CHILD_STAGES)


def _number(raw: str) -> int | None:
    if raw.isdigit():
        return int(raw)
    return _NUMBER_WORDS.get(fold_word(raw))


def _words_before(text: str, pos: int, n: int = 4) -> list[str]:
    return [fold_word(w) for w in re.findall(r"\w+", text[max(0, pos - 60) : pos])][-n:]


def _child_just_before(text: str, pos: int) -> bool:
    """A child named right before a number of months or weeks: "Сыну 10 недель", "bebek 5 ay"."""
    return any(ROLES.get(w) == "child" for w in _words_before(text, pos, 2))


def _role_near(text: str, pos: int) -> str | None:
    for w in reversed(_words_before(text, pos)):
        if w in ROLES:
            return ROLES[w]
    return None


def read_concerned(text: str) -> Concerned:
    """The people the text speaks of, with their ages where written as ages."""
    text = text.translate(_DIGITS)
    taken: list[tuple[int, int]] = []
    people: list[Person] = []

    def free(a: int, b: int) -> bool:
        return all(b <= s or a >= e for s, e in taken)

    def add(role: str | None, age: float | None, span: tuple[int, int]) -> None:
        if age is not None and not 0 <= age <= _MAX_AGE:
            return
        taken.append(span)
        people.append(Person(role, age))

    for m in _ORDINAL_PREGNANCY.finditer(text):
        taken.append(m.span())
    for m in _HALF_YEAR.finditer(text):
        add(_role_near(text, m.start()) or "child", 0.5, m.span())
    for m in _BRACKET.finditer(text):
        if not free(*m.span()):
            continue
        role = _role_near(text, m.start())
        scale = 1 / 12 if m.group(3) else (1 / 52 if m.group(4) else 1)
        for g in (m.group(1), m.group(2)):
            if g:
                add(role, int(g) * scale, m.span())
    for m in _WITH_UNIT.finditer(text):
        n = _number(m.group(1))
        if n is None or not free(*m.span()):
            continue
        before = text[: m.start()]
        if _DURATION_BEFORE.search(before[-25:]) and not m.group("alt"):
            continue  # "seit 2 Jahren", "vor drei Monaten": a duration, not an age
        if m.group("y"):
            unit_is_age = bool(m.group("alt")) or m.group(1).isdigit()
            if not unit_is_age:
                continue
            age: float = n
        elif not m.group("alt") and not re.match(r"\s*(?:alt|old|aylık|ماهه)", text[m.end() :]):
            own = re.search(r"(?:aylık|aylik|ماهه|haftalık)", m.group(0), re.IGNORECASE)
            if not own and not _child_just_before(text, m.start()):
                continue  # "drei Monate" without "alt" is a span of time; "Сыну 10 недель" an age
            age = n / 12 if m.group("m") else n / 52
        else:
            age = n / 12 if m.group("m") else n / 52
        add(_role_near(text, m.start()) or ("child" if age < 18 else None), age, m.span())
    for m in _APPROX.finditer(text):
        if free(*m.span()):
            n = int(m.group(2))
            if 18 <= n <= _MAX_AGE:
                word = fold_word(m.group(1))
                age = n + (5 if word in {"mitte", "mid"} else 8 if word in {"ende", "late"} else 1)
                add(_role_near(text, m.start()) or "self", age, m.span())
    for m in _SELF.finditer(text):
        if free(*m.span()):
            add("self", int(m.group(1)), m.span())
    for m in _ROLE_NUMBER.finditer(text):
        role = ROLES.get(fold_word(m.group(1)))
        if role and free(*m.span(2)):
            add(role, int(m.group(2)), m.span(2))  # "Sohn 16", "мужу 68"
    for m in _AGE_OF.finditer(text):
        if free(*m.span()):
            add(_role_near(text, m.start()), int(m.group(1)), m.span())
    lowered = [fold_word(w) for w in re.findall(r"\w+", text)]
    roles_seen: set[str] = set()
    for i, w in enumerate(lowered):
        role = ROLES.get(w)
        if role in ("older_relative", "partner") and not (
            w in _OWN_FORMS or _POSSESSIVE.intersection(lowered[max(0, i - 2) : i])
        ):
            continue  # "ich bin Mutter", "andere Eltern": a role, but not someone the writer cares for
        if role:
            roles_seen.add(role)
    for role in sorted(roles_seen - {p.role for p in people}):
        people.append(Person(role, None))
    if _INFANT_WORDS.search(text) and not any(p.stage in CHILD_STAGES for p in people):
        people.append(Person("child", 0.5))
    return Concerned(tuple(people), retired=bool(_RETIRED.search(text)))
