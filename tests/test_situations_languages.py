"""Every life situation, asked in the residents' languages: the kinds of place a resident sees.

For each situation answered with places (situations.yaml, intent find_offers) there is one new
question in German, English, Turkish, Ukrainian, Arabic and Russian, written as someone living in
Karlsruhe would write it (district names in German). The test asserts what the resident sees:
a search for offers whose first place is of a kind the situation offers for the stage of life of
the person concerned (read from situations.yaml, not written down here). The situation key itself
is not asserted: care, dementia and advice for older people all lead to the same places.

For situations that are not a search (volunteering, network meetings, other services, small talk,
acute crisis) the intent is asserted, and that help and small talk show no places.

No sentence is taken from the corpus (knowledge/learned/corpus) or the evaluation sets. Cases
the search answers wrongly stay here as strict xfails, with what it answered, until fixed.
"""

from __future__ import annotations

import datetime as dt

import pytest

from knowledge.schedules import BERLIN

NOW = dt.datetime(2026, 12, 2, 10, 0, tzinfo=BERLIN)

OFFERS: list[tuple[str, str, str]] = [
    # (situation, language, question)
    # -- old_company
    (
        "old_company",
        "de",
        "Seit meine Frau letztes Jahr gestorben ist, sitze ich in Grötzingen meistens nur vor "
        "dem Fernseher. Ich bin 79. Wo treffen sich Leute in meinem Alter?",
    ),
    (
        "old_company",
        "en",
        "My grandad is 86, lives on his own in the Waldstadt and hardly speaks to anyone since "
        "grandma died. Is there somewhere he could go for coffee and a chat with other older folks?",
    ),
    (
        "old_company",
        "tr",
        "Babam 78 yaşında, Knielingen'de tek başına yaşıyor ve bütün gün evde oturuyor. Onun "
        "yaşındaki insanlarla vakit geçirebileceği bir yer var mı?",
    ),
    (
        "old_company",
        "uk",
        "Мій тато (81) живе сам у Daxlanden і майже ні з ким не розмовляє. Де він може "
        "зустрічатися з іншими людьми свого віку?",
    ),
    (
        "old_company",
        "ar",
        "جدي عمره ٨٣ سنة ويسكن وحده في Hagsfeld، لا يخرج من البيت تقريباً. أين يمكنه أن يجلس مع "
        "رجال في سنه ويلعب الطاولة؟",
    ),
    (
        "old_company",
        "ru",
        "Моей бабушке 84, она живёт одна в Rintheim и очень скучает. Есть ли там клуб или кафе "
        "для пожилых, где можно пообщаться?",
    ),
    # -- old_care
    (
        "old_care",
        "de",
        "Mein Vater ist 82 und kommt seit der Hüft-OP zu Hause nicht mehr allein klar. Wer hilft "
        "uns, einen Pflegedienst zu organisieren? Er wohnt in Neureut.",
    ),
    (
        "old_care",
        "en",
        "My mother-in-law (87) in Durlach can't get in and out of the bath anymore and we don't "
        "know how to apply for a care level. Who can advise us?",
    ),
    (
        "old_care",
        "tr",
        "Annem 80 yaşında, Oststadt'ta yaşıyor ve artık yemeğini kendi yapamıyor. Evde bakım "
        "için kime danışabiliriz?",
    ),
    (
        "old_care",
        "uk",
        "Моя бабуся (89) після інсульту лежача, ми живемо в Südstadt. Хто може порадити щодо "
        "догляду і допомоги вдома?",
    ),
    (
        "old_care",
        "ar",
        "والدي عمره ٨٥ سنة في Weststadt ولم يعد يستطيع الاستحمام أو تناول أدويته وحده. من يساعدنا "
        "في تنظيم الرعاية المنزلية؟",
    ),
    (
        "old_care",
        "ru",
        "Маме 86 лет, она живёт в Grünwinkel и после падения почти не ходит. Куда обратиться, "
        "чтобы оформить уход на дому?",
    ),
    # -- old_dementia
    (
        "old_dementia",
        "de",
        "Meine Oma (84) in der Nordweststadt erkennt manchmal ihre eigene Wohnung nicht mehr "
        "und fragt ständig dasselbe. Wo bekommen wir Rat?",
    ),
    (
        "old_dementia",
        "en",
        "Dad is 79 and keeps getting lost on his way back from the bakery in Mühlburg. The "
        "doctor thinks it could be early dementia. Where can we get support?",
    ),
    (
        "old_dementia",
        "tr",
        "Kayınpederim 82 yaşında, Rüppurr'da oturuyor ve son zamanlarda çok unutkan oldu, "
        "ocağı açık bırakıyor. Nereye danışabiliriz?",
    ),
    (
        "old_dementia",
        "uk",
        "Мамі 77, вона живе в Oberreut і дедалі частіше забуває, чи прийняла ліки, і плутає "
        "дні. Куди звернутися за порадою щодо деменції?",
    ),
    (
        "old_dementia",
        "ar",
        "أمي عمرها ٨١ سنة في Durlach وصارت تنسى أسماءنا وتخرج من البيت ولا تعرف طريق العودة. أين نجد مساعدة؟",
    ),
    (
        "old_dementia",
        "ru",
        "Дедушке 88, живёт в Waldstadt, начал всё забывать и путать нас с другими. Где "
        "консультируют родственников людей с деменцией?",
    ),
    # -- old_advice
    (
        "old_advice",
        "de",
        "Meine Eltern sind beide über 80 und wohnen im dritten Stock ohne Aufzug in der "
        "Südweststadt. Wer berät, ob betreutes Wohnen für sie in Frage kommt?",
    ),
    (
        "old_advice",
        "en",
        "My aunt is 83 and wants to set up a lasting power of attorney and look into sheltered "
        "housing. Is there a neutral advice service for older people near Rintheim?",
    ),
    (
        "old_advice",
        "tr",
        "Annem 76 yaşında, Hagsfeld'de oturuyor. Evindeki merdivenler artık ona çok zor "
        "geliyor; yaşlılar için konut danışmanlığı nerede var?",
    ),
    (
        "old_advice",
        "uk",
        "Моєму дідусеві 85, він живе в Weiherfeld-Dammerstock. Хочемо оформити довіреність і "
        "дізнатися про житло для літніх. Де дають консультацію?",
    ),
    (
        "old_advice",
        "ar",
        "خالتي عمرها ٧٨ سنة في Knielingen وتريد أن تعرف كيف تكتب توكيلاً ووصية وأين يوجد سكن "
        "مساعد لكبار السن. من يقدم الاستشارة؟",
    ),
    (
        "old_advice",
        "ru",
        "Отцу 80, он живёт в Beiertheim-Bulach на четвёртом этаже, лестница ему уже тяжела. "
        "Где можно получить консультацию о переезде в дом для пожилых?",
    ),
    # -- pregnancy
    (
        "pregnancy",
        "de",
        "Ich bin im fünften Monat schwanger, zum ersten Mal, und kenne in Oberreut noch keine "
        "anderen werdenden Mütter. Gibt es da einen Treff?",
    ),
    (
        "pregnancy",
        "en",
        "We're expecting our first baby in March and live in the Oststadt. Is there somewhere "
        "to meet other parents-to-be and ask questions?",
    ),
    (
        "pregnancy",
        "tr",
        "Hamileyim, 7. aydayım ve Durlach'ta yeni sayılırız. Doğumdan önce diğer annelerle "
        "tanışabileceğim bir yer var mı?",
    ),
    (
        "pregnancy",
        "uk",
        "Я вагітна, термін 20 тижнів, живу в Mühlburg. Де можна знайти зустрічі для майбутніх "
        "мам і поради перед пологами?",
    ),
    (
        "pregnancy",
        "ar",
        "أنا حامل في الشهر السادس وأسكن في Neureut، أبحث عن مكان ألتقي فيه بأمهات أخريات وأسأل عن الولادة.",
    ),
    (
        "pregnancy",
        "ru",
        "Жена беременна, ждём ребёнка в мае, живём в Südstadt. Где можно встретиться с другими "
        "будущими родителями?",
    ),
    # -- baby
    (
        "baby",
        "de",
        "Unser Sohn ist sieben Wochen alt und ich fühle mich mit ihm zu Hause in Rintheim oft ganz "
        "allein. Gibt es ein Elterncafé oder eine Babygruppe?",
    ),
    (
        "baby",
        "en",
        "I had my daughter four months ago and I'm desperate for some adult conversation. Any baby "
        "groups or parent cafés in Knielingen?",
    ),
    (
        "baby",
        "tr",
        "Bebeğim 3 aylık, emzirmede zorlanıyorum ve Grünwinkel'de başka annelerle tanışmak "
        "istiyorum. Nereye gidebilirim?",
    ),
    (
        "baby",
        "uk",
        "Нашій доньці 5 місяців, ми в Waldstadt. Де можна зустрітися з іншими мамами немовлят і "
        "отримати пораду щодо годування?",
    ),
    ("baby", "ar", "ابني عمره شهران وأنا متعبة جداً، أسكن في Nordstadt. هل يوجد مكان للأمهات مع الرضع؟"),
    (
        "baby",
        "ru",
        "Сыну 10 недель, живём в Daxlanden. Ищу группу для мам с младенцами, где можно поговорить и "
        "получить совет.",
    ),
    # -- toddler
    (
        "toddler",
        "de",
        "Unsere Zwillinge sind zwei und wir suchen in Hagsfeld eine Eltern-Kind-Gruppe, wo sie "
        "mit anderen Kleinen spielen können.",
    ),
    (
        "toddler",
        "en",
        "Our little boy is 3 and barely talks yet. Is there a family centre in Rüppurr that helps "
        "with language development?",
    ),
    (
        "toddler",
        "tr",
        "Kızım 2 yaşında, kreşe başlamadan önce Südweststadt'ta diğer çocuklarla oynayabileceği "
        "bir oyun grubu arıyorum.",
    ),
    (
        "toddler",
        "uk",
        "Синові 4 роки, ми в Grötzingen. Де є сімейний центр або група, щоб він грався з іншими дітьми?",
    ),
    ("toddler", "ar", "ابنتي عمرها سنتان، نسكن في Oststadt، وأبحث عن مجموعة لعب للأطفال الصغار مع أهاليهم."),
    (
        "toddler",
        "ru",
        "Дочке 3 года, в садик пока не ходит. Есть ли в Weststadt семейный центр, где она может "
        "играть с другими детьми?",
    ),
    # -- school_child
    (
        "school_child",
        "de",
        "Mein Sohn ist 9 und hat in den Sommerferien nichts vor. Gibt es in Durlach ein "
        "Kinderprogramm oder einen Kindertreff?",
    ),
    (
        "school_child",
        "en",
        "My daughter is 8 and hasn't made any friends at her primary school in Neureut yet. "
        "Where can she meet other kids in the afternoons?",
    ),
    (
        "school_child",
        "tr",
        "Oğlum 10 yaşında, okuldan sonra öğleden sonraları Mühlburg'da gidebileceği bir çocuk evi var mı?",
    ),
    (
        "school_child",
        "uk",
        "Доньці 7 років, ми в Nordweststadt. Куди вона може ходити після школи, щоб гратися з іншими дітьми?",
    ),
    (
        "school_child",
        "ar",
        "ابني عمره ٩ سنوات ويشعر بالملل بعد المدرسة، هل يوجد في Oberreut نادٍ أو بيت للأطفال؟",
    ),
    (
        "school_child",
        "ru",
        "Сыну 8, учится в начальной школе в Rintheim. Где он может проводить каникулы с другими детьми?",
    ),
    # -- teen
    (
        "teen",
        "de",
        "Meine Tochter ist 14 und würde gern Breakdance oder Hip-Hop machen. Gibt es in der Oststadt "
        "ein Jugendhaus?",
    ),
    (
        "teen",
        "en",
        "My 15-year-old just sits in his room gaming all day. Is there a youth club in Grünwinkel "
        "where he could do sport or music with others his age?",
    ),
    (
        "teen",
        "tr",
        "Kızım 13 yaşında, Südstadt'ta arkadaşlarıyla buluşup vakit geçirebileceği bir gençlik "
        "merkezi var mı?",
    ),
    (
        "teen",
        "uk",
        "Моєму синові 16, ми живемо в Knielingen. Де є молодіжний центр, куди він може ходити грати "
        "у футбол і спілкуватися?",
    ),
    ("teen", "ar", "ابني عمره ١٤ سنة ويحب كرة السلة والموسيقى، هل يوجد مركز شباب في Daxlanden؟"),
    (
        "teen",
        "ru",
        "Дочери 15, ей скучно по вечерам. Есть ли в Durlach молодёжный клуб, где подростки "
        "занимаются танцами?",
    ),
    # -- youth_trouble
    (
        "youth_trouble",
        "de",
        "Mein Sohn (15) ist schon zweimal von der Polizei nach Hause gebracht worden, er "
        "trinkt und prügelt sich. Wir wohnen in Mühlburg, wer kann uns helfen?",
    ),
    (
        "youth_trouble",
        "en",
        "My 14-year-old daughter has refused to go to school for three weeks and cries "
        "every morning. Who can help us in the Südstadt?",
    ),
    (
        "youth_trouble",
        "tr",
        "Oğlum 16 yaşında, okulu bıraktı ve kötü arkadaşlarla uyuşturucu kullanıyor. "
        "Oststadt'ta kime başvurabiliriz?",
    ),
    (
        "youth_trouble",
        "uk",
        "Моєму синові 15, його в школі постійно цькують, і він перестав туди ходити. Ми "
        "живемо в Neureut. Куди звернутися?",
    ),
    (
        "youth_trouble",
        "ar",
        "ابني عمره ١٥ سنة وأمسكته الشرطة وهو يسرق من محل، نسكن في Weststadt، من يمكنه مساعدتنا؟",
    ),
    (
        "youth_trouble",
        "ru",
        "Дочери 14, она режет себе руки и не хочет ходить в школу. Мы в Grötzingen, куда обратиться?",
    ),
    # -- parenting
    (
        "parenting",
        "de",
        "Ich bin alleinerziehend mit zwei Jungs (7 und 10) und bei uns gibt es jeden Abend nur "
        "noch Geschrei. Wo in der Weststadt bekomme ich Erziehungsberatung?",
    ),
    (
        "parenting",
        "en",
        "Our 12-year-old has constant tantrums and we don't know how to set limits any more. Is "
        "there family counselling in Durlach?",
    ),
    (
        "parenting",
        "tr",
        "Tek başıma iki çocuk büyütüyorum, söz dinlemiyorlar ve çok yoruldum. Südweststadt'ta "
        "aile danışmanlığı nerede var?",
    ),
    (
        "parenting",
        "uk",
        "У нас із сином 13 років постійні сварки, ми вже не знаємо, як з ним говорити. Де в "
        "Rüppurr є консультація для батьків?",
    ),
    (
        "parenting",
        "ar",
        "أنا أم وحيدة لطفلين ولا أعرف كيف أضع لهم حدوداً، أين أجد استشارة تربوية في Mühlburg؟",
    ),
    (
        "parenting",
        "ru",
        "Я отец-одиночка, сыну 11, он совсем перестал слушаться. Где в Oststadt можно получить "
        "консультацию по воспитанию?",
    ),
    # -- child_at_risk
    (
        "child_at_risk",
        "de",
        "Im Haus gegenüber in der Nordstadt wird ein kleines Mädchen oft stundenlang allein "
        "gelassen und weint. Wem kann ich das melden?",
    ),
    (
        "child_at_risk",
        "en",
        "The kids next door in Oberreut always look hungry and I often hear their father "
        "hitting them. Who should I tell?",
    ),
    (
        "child_at_risk",
        "tr",
        "Komşumuzun çocukları sürekli aç görünüyor ve akşamları bağırışlar duyuyorum. "
        "Hagsfeld'de kime haber vermeliyim?",
    ),
    (
        "child_at_risk",
        "uk",
        "Сусідська дитина в Grünwinkel часто ходить у синцях і сама до ночі на вулиці. "
        "Кому про це повідомити?",
    ),
    (
        "child_at_risk",
        "ar",
        "جيراننا في Rintheim يتركون طفلهم الصغير وحده لساعات وأسمعه يبكي، لمن أبلغ عن ذلك؟",
    ),
    (
        "child_at_risk",
        "ru",
        "У соседей в Daxlanden ребёнок постоянно в синяках и голодный. Куда сообщить? Я очень переживаю.",
    ),
    # -- family_crisis
    (
        "family_crisis",
        "de",
        "Mein Mann und ich trennen uns gerade und die Kinder leiden sehr darunter. Wo in "
        "Knielingen finden wir Unterstützung als Familie?",
    ),
    (
        "family_crisis",
        "en",
        "My wife was suddenly hospitalised and I don't know who will look after our three "
        "kids while I work. We live in Hagsfeld, who can help?",
    ),
    (
        "family_crisis",
        "tr",
        "Eşimle boşanıyoruz ve velayet yüzünden sürekli kavga ediyoruz. Weststadt'ta aile "
        "olarak nereden destek alabiliriz?",
    ),
    (
        "family_crisis",
        "uk",
        "Моя сестра раптово померла, і тепер я виховую її двох дітей. Ми в Durlach, де нам можуть допомогти?",
    ),
    (
        "family_crisis",
        "ar",
        "زوجي ترك البيت فجأة وأنا وحدي مع ثلاثة أطفال في Oststadt ولا أعرف ماذا أفعل، من "
        "يساعد العائلات في أزمة؟",
    ),
    (
        "family_crisis",
        "ru",
        "Мы с мужем разводимся, дети очень переживают, дома постоянные скандалы. Куда в "
        "Südweststadt обратиться семье?",
    ),
    # -- money_forms
    (
        "money_forms",
        "de",
        "Ich verstehe die Briefe vom Jobcenter nicht und muss bis Freitag einen "
        "Weiterbewilligungsantrag abgeben. Hilft mir in der Südstadt jemand beim Ausfüllen?",
    ),
    (
        "money_forms",
        "en",
        "We're behind on rent and the landlord is threatening eviction. Is there anyone in "
        "Mühlburg who helps with debts and benefit forms?",
    ),
    (
        "money_forms",
        "tr",
        "Faturalarımızı ödeyemiyoruz ve borçlarımız birikti. Oberreut'ta borç danışmanlığı ya "
        "da başvuru formlarında yardım eden var mı?",
    ),
    (
        "money_forms",
        "uk",
        "Мені прийшли листи з Jobcenter, і я не розумію, що заповнювати. Хто в Weststadt "
        "допомагає з документами і заявами?",
    ),
    (
        "money_forms",
        "ar",
        "لا أفهم الرسائل من الجوب سنتر وأحتاج مساعدة في ملء طلب Wohngeld، أسكن في Nordweststadt.",
    ),
    (
        "money_forms",
        "ru",
        "У нас долги за квартиру и не хватает денег на еду. Где в Neureut помогают с заявлением на пособие?",
    ),
    # -- new_to_germany
    (
        "new_to_germany",
        "de",
        "Wir sind vor zwei Monaten aus Afghanistan gekommen und sprechen noch kaum Deutsch. "
        "Wo gibt es in der Innenstadt-West Hilfe beim Ankommen und einen Sprachkurs?",
    ),
    (
        "new_to_germany",
        "en",
        "I came over from Nigeria last month for work and need a German course and someone "
        "to explain how things work here. I live in Durlach.",
    ),
    (
        "new_to_germany",
        "tr",
        "Türkiye'den yeni geldik, Almanca bilmiyoruz. Mühlburg'da uyum kursu ve göçmenlere "
        "danışmanlık veren bir yer var mı?",
    ),
    (
        "new_to_germany",
        "uk",
        "Ми нещодавно приїхали з Харкова, живемо в Oststadt. Де можна записатися на курс "
        "німецької і отримати консультацію для новоприбулих?",
    ),
    (
        "new_to_germany",
        "ar",
        "وصلت من سوريا قبل ثلاثة أشهر وأسكن في Knielingen، أبحث عن دورة لغة ألمانية ومساعدة "
        "في فهم الحياة هنا.",
    ),
    (
        "new_to_germany",
        "ru",
        "Мы переехали из Казахстана и плохо говорим по-немецки. Где в Rintheim помогают "
        "новоприбывшим с интеграцией?",
    ),
    # -- new_in_town
    (
        "new_in_town",
        "de",
        "Wir sind letzte Woche nach Grötzingen gezogen und kennen hier noch niemanden. Wie "
        "kommen wir mit Leuten aus der Nachbarschaft in Kontakt?",
    ),
    (
        "new_in_town",
        "en",
        "I moved into a flat in the Weststadt a fortnight ago and haven't met a soul yet. "
        "Where do the locals get together?",
    ),
    (
        "new_in_town",
        "tr",
        "Geçen ay Hagsfeld'e taşındık, semti ve komşuları tanımak istiyoruz. Nereye gidebiliriz?",
    ),
    (
        "new_in_town",
        "uk",
        "Ми щойно переїхали в Neureut і хочемо познайомитися з сусідами. Чи є тут місце, де "
        "збираються мешканці району?",
    ),
    ("new_in_town", "ar", "انتقلنا حديثاً إلى Südstadt ولا نعرف أحداً في الحي، أين يمكن أن نتعرف على الجيران؟"),
    (
        "new_in_town",
        "ru",
        "Недавно переехал в Waldstadt из другого города. Где здесь можно познакомиться с "
        "соседями и узнать о жизни района?",
    ),
    # -- meet_people
    (
        "meet_people",
        "de",
        "Ich bin 35, arbeite im Homeoffice und würde abends gern mal unter Leute kommen. Gibt "
        "es in der Südweststadt offene Angebote?",
    ),
    (
        "meet_people",
        "en",
        "Is there a place in Daxlanden where young and old come together, like a community "
        "café or shared activities?",
    ),
    (
        "meet_people",
        "tr",
        "Rüppurr'da farklı yaşlardan insanlarla buluşabileceğim bir kafe ya da etkinlik yeri var mı?",
    ),
    (
        "meet_people",
        "uk",
        "Де в Oberreut можна просто зайти на каву, поспілкуватися з людьми і відвідати якісь заходи?",
    ),
    (
        "meet_people",
        "ar",
        "أريد أن ألتقي بأشخاص جدد في Beiertheim-Bulach وأشارك في أنشطة مشتركة، هل يوجد مكان لقاء مفتوح؟",
    ),
    (
        "meet_people",
        "ru",
        "Хочу больше общаться с людьми. Есть ли в Grünwinkel место встреч с кафе и курсами для взрослых?",
    ),
    # -- civic
    (
        "civic",
        "de",
        "Bei uns in Daxlanden rasen die Autos durch die Wohnstraße. Wo kann ich mich dafür "
        "einsetzen, dass sich etwas ändert?",
    ),
    (
        "civic",
        "en",
        "The playground in our street in Rintheim has been closed for months. Who speaks up for "
        "residents' interests in the district?",
    ),
    (
        "civic",
        "tr",
        "Knielingen'de mahallemizdeki trafik gürültüsü hakkında söz sahibi olabileceğimiz bir "
        "vatandaş derneği var mı?",
    ),
    (
        "civic",
        "uk",
        "Я хочу брати участь у розвитку нашого району Hagsfeld. Чи є тут громадська ініціатива або "
        "об'єднання мешканців?",
    ),
    ("civic", "ar", "في Oststadt شارعنا مزدحم جداً والضجيج كبير، أين يمكن للسكان أن يشاركوا في قرارات الحي؟"),
    (
        "civic",
        "ru",
        "В Durlach хотят вырубить деревья у нас во дворе. Куда жителям обратиться, чтобы "
        "участвовать в решениях по району?",
    ),
]

NOT_A_SEARCH: list[tuple[str, str, str, str]] = [
    # (situation, intent, language, question)
    # -- volunteer
    (
        "volunteer",
        "volunteer",
        "de",
        "Ich bin seit Kurzem im Ruhestand und könnte zweimal die Woche Kindern bei "
        "den Hausaufgaben helfen. Wo werde ich in der Nordstadt gebraucht?",
    ),
    (
        "volunteer",
        "volunteer",
        "en",
        "I have a few free hours at weekends and would love to help out in Durlach, "
        "for example by doing the shopping for older neighbours.",
    ),
    (
        "volunteer",
        "volunteer",
        "tr",
        "Hafta sonları boş vaktim var, Mühlburg'da gönüllü olarak yardım etmek istiyorum.",
    ),
    (
        "volunteer",
        "volunteer",
        "uk",
        "Я маю вільний час і хочу волонтерити в Südstadt, наприклад допомагати літнім людям із покупками.",
    ),
    (
        "volunteer",
        "volunteer",
        "ar",
        "لدي وقت فراغ وأرغب في العمل التطوعي في Weststadt، مثلاً مساعدة الأطفال في الواجبات المدرسية.",
    ),
    (
        "volunteer",
        "volunteer",
        "ru",
        "Я хотела бы помогать волонтёром в Neureut: могу печь пироги для праздников "
        "или сопровождать пожилых.",
    ),
    # -- meetings
    (
        "meetings",
        "meetings",
        "de",
        "Wann tagt das nächste Mal das Stadtteilnetzwerk in der Oststadt? Ich möchte "
        "dort die Lage am Spielplatz ansprechen.",
    ),
    (
        "meetings",
        "meetings",
        "en",
        "When does the district network in Mühlburg meet next, and can our local "
        "association join the round table?",
    ),
    (
        "meetings",
        "meetings",
        "tr",
        "Grünwinkel'deki mahalle ağı toplantısı ne zaman yapılıyor? Derneğimizle katılmak istiyoruz.",
    ),
    (
        "meetings",
        "meetings",
        "uk",
        "Коли наступна зустріч мережі району в Durlach? Наша організація хоче взяти участь.",
    ),
    ("meetings", "meetings", "ar", "متى يجتمع مجلس شبكة الحي في Rintheim؟ نريد أن نحضر كجمعية."),
    (
        "meetings",
        "meetings",
        "ru",
        "Когда следующая встреча сети района в Waldstadt? Мы как объединение хотим поучаствовать.",
    ),
    # -- oos_admin
    (
        "oos_admin",
        "help",
        "de",
        "Wo kann ich meinen neuen Personalausweis beantragen und brauche ich dafür einen Termin?",
    ),
    ("oos_admin", "help", "en", "How do I get a resident parking permit for my street in the Südweststadt?"),
    (
        "oos_admin",
        "help",
        "tr",
        "Oturma iznimi uzatmam gerekiyor, yabancılar dairesinden nasıl randevu alırım?",
    ),
    ("oos_admin", "help", "uk", "Як перереєструвати машину в Karlsruhe і де отримати нові номери?"),
    ("oos_admin", "help", "ar", "كيف أحجز موعداً في مكتب الأجانب لتجديد الإقامة؟"),
    (
        "oos_admin",
        "help",
        "ru",
        "Где в Karlsruhe получить свидетельство о рождении ребёнка и как записаться на приём?",
    ),
    # -- oos_other
    (
        "oos_other",
        "help",
        "de",
        "Welches Restaurant in der Innenstadt-West hat heute Abend noch einen Tisch für vier frei?",
    ),
    ("oos_other", "help", "en", "What time does the last tram leave Durlach for the city centre tonight?"),
    ("oos_other", "help", "tr", "Karlsruhe'de iyi bir kebapçı önerebilir misin?"),
    ("oos_other", "help", "uk", "Де в Karlsruhe найближчий кінотеатр і що там сьогодні показують?"),
    ("oos_other", "help", "ar", "ما هو أفضل مطعم بيتزا في Karlsruhe؟"),
    ("oos_other", "help", "ru", "Какой счёт был вчера в матче KSC?"),
    # -- smalltalk
    ("smalltalk", "smalltalk", "de", "Na du, alles fit bei dir?"),
    ("smalltalk", "smalltalk", "en", "Hey there, hope you're having a nice day!"),
    ("smalltalk", "smalltalk", "tr", "Merhaba, bugün nasılsın?"),
    ("smalltalk", "smalltalk", "uk", "Привіт, боте! Як минає твій день?"),
    ("smalltalk", "smalltalk", "ar", "مرحباً، كيف حالك اليوم؟"),
    ("smalltalk", "smalltalk", "ru", "Приветик! Что нового?"),
    # -- crisis
    ("crisis", "help", "de", "Ich sehe keinen Sinn mehr und denke daran, mir heute Nacht etwas anzutun."),
    ("crisis", "help", "en", "My boyfriend is threatening to kill me, he's outside the door right now."),
    ("crisis", "help", "tr", "Artık yaşamak istemiyorum, her şey çok ağır geliyor."),
    ("crisis", "help", "uk", "Мені так погано, що я не бачу сенсу жити далі."),
    ("crisis", "help", "ar", "تعبت من كل شيء وأفكر في إنهاء حياتي الليلة."),
    ("crisis", "help", "ru", "Муж угрожает меня убить, мне страшно, что делать?"),
]

XFAIL: dict[str, str] = {
    # question -> what the search answered (kept visible until the search answers it rightly)
    "Маме 86 лет, она живёт в Grünwinkel и после падения почти не ходит. Куда обратиться, чтобы оформить "
    "уход на дому?": "read as old_company (0.80): seniorenbegegnung first, not Pflegestützpunkt/Seniorenbüro",
    "Annem 76 yaşında, Hagsfeld'de oturuyor. Evindeki merdivenler artık ona çok zor geliyor; yaşlılar için "
    "konut danışmanlığı nerede var?": "read as old_company (0.95): seniorenbegegnung first",
    "خالتي عمرها ٧٨ سنة في Knielingen وتريد أن تعرف كيف تكتب توكيلاً ووصية وأين يوجد سكن مساعد لكبار السن. "
    "من يقدم الاستشارة؟": "read as old_company (0.94): seniorenbegegnung first",
    "Моєму синові 15, його в школі постійно цькують, і він перестав туди ходити. Ми живемо в Neureut. Куди "
    "звернутися?": "no sure situation (new_in_town 0.24), no kinds of place: a Bürgerverein first",
    "Моя сестра раптово померла, і тепер я виховую її двох дітей. Ми в Durlach, де нам можуть "
    "допомогти?": "read as volunteer (0.89): intent volunteer, kinder_jugendhaus first",
    "Де в Oberreut можна просто зайти на каву, поспілкуватися з людьми і відвідати якісь "
    "заходи?": "no sure situation (old_company 0.22): the words' seniorenbegegnung first",
    "Na du, alles fit bei dir?": "read as bot_help (0.99): intent help, answer help, not smalltalk",
}


def _cases(rows):
    out = []
    for row in rows:
        text = row[-1]
        reason = XFAIL.get(text)
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        out.append(pytest.param(*row, marks=marks, id=f"{row[0]}-{row[-2]}"))
    return out


def test_every_offer_situation_and_language_is_covered(knowledge):
    offering = {k for k in knowledge.situations.keys if knowledge.situations[k].intent == "find_offers"}
    asked = {key for key, _, _ in OFFERS}
    assert offering == asked
    for key in offering:
        assert {lang for k, lang, _ in OFFERS if k == key} >= {"de", "en", "tr", "uk"}


@pytest.mark.parametrize(("situation", "lang", "text"), _cases(OFFERS))
def test_a_situation_leads_to_the_kinds_of_place_it_offers(knowledge, situation, lang, text):
    answer = knowledge.search(text, now=NOW)
    assert answer.intent == "find_offers"
    stage = answer.understanding.reading.concerned.stage
    offered = {k for k, _ in knowledge.situations[situation].categories_for(stage)}
    assert answer.results and answer.results[0].category in offered


@pytest.mark.parametrize(("situation", "intent", "lang", "text"), _cases(NOT_A_SEARCH))
def test_what_is_not_a_search_is_answered_as_what_it_is(knowledge, situation, intent, lang, text):
    answer = knowledge.search(text, now=NOW)
    assert answer.intent == intent
    if intent in ("help", "smalltalk"):
        assert answer.results == []
