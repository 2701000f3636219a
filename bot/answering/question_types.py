"""The kind of answer a question expects (a sum, a quantity, a date, a name, a place), in
English, French, German and Spanish; from its opening words in Italian, Portuguese, Dutch,
Polish, Swedish, Danish, Norwegian, Czech, Slovak and Romanian; and in Russian, Ukrainian,
Arabic, Chinese, Hindi, Turkish, Indonesian, Vietnamese, Finnish, Hungarian, Greek, Hebrew,
Japanese and Korean wherever the question word stands."""

from __future__ import annotations

import re
import unicodedata
from functools import cache, lru_cache
from typing import Literal

from retrieval.scripts import char_class, words_with_marks

AnswerType = Literal["money", "age", "quantity", "date", "person", "place", "other"]
ANSWER_TYPES: tuple[AnswerType, ...] = ("money", "age", "quantity", "date", "person", "place")

# Each pattern reads the question words of one answer type in English, French, German and
# Spanish, on the question folded to lower case without accents (so "où", "cuándo" and
# "wie groß" need one spelling each). They are tried in order: "how many years" is a quantity
# before "year" makes it a date, "in welchem Jahr" a date before "welchem" reads as a name.
# "what", "which", "in what", "on which" with an optional "is the" before the noun that names
# the type ("On what date ...?", "At what age ...?", "From which country ...?").
_WHAT = r"((in|on|at|by|from|during|for|to|of) )?(what|which)( is| was| are| were)?( the)? "
_PATTERNS: tuple[tuple[AnswerType, str], ...] = (
    (
        # A sum of money: "how much" with a verb of paying or costing within a few words, or a
        # noun that names a price. Before "quantity", which would read "how much" alone.
        "money",
        r"\b(how much (\w+ ){0,6}?(cost|costs|costed|pay|pays|paid|paying|spend|spends|spent|"
        r"spending|earn|earns|earned|charge|charges|charged|owe|owes|owed|invest|invested|"
        r"raise|raised|worth)|how much money|how expensive|"
        r"what (will|would|does|do|did) (\w+ ){1,5}?(cost|charge|pay)|"
        + _WHAT
        + r"(price|cost|fee|fees|salary|wage|budget|fine|ransom)|"
        r"combien (\w+ ){0,6}?(coute|coutent|coutera|coutait|paie|paye|paient|payent|payer|"
        r"paiera|verse|versera|depense|depensent|gagne|gagnent|vaut|rapporte|touche|investit|"
        r"debourse|facture|facturent|facturera)|combien d argent|"
        r"quel(le)?s? (est |sont |etait )?(le |la |l )?"
        r"(prix|cout|salaire|budget|amende|rancon)|"
        r"wie viel (\w+ ){0,6}?(kostet|kosten|kostete|zahlt|zahlen|zahlte|bezahlt|verdient|"
        r"verdienen|ausgegeben|investiert|wert)|wie viel geld|wie teuer|"
        r"welche[nrs]? (preis|kosten|gehalt|lohn|budget|strafe)|"
        r"cuant[oa]s? (\w+ ){0,6}?(cuesta|cuestan|costo|costara|paga|pagan|pago|pagara|gasta|"
        r"gastan|gasto|gana|ganan|vale|valen|invierte|invirtio|cobra|cobran)|cuanto dinero|"
        r"(que|cual) (es |fue )?(el |la )?(precio|costo|coste|salario|sueldo|presupuesto|multa))\b",
    ),
    (
        "date",
        # English "when" asks for a time when an auxiliary follows ("When did …", "When
        # exactly was …"); "When many people are arrested, what …?" is a condition.
        r"\b(when(?= (\w+ly )?(did|was|were|is|are|will|does|do|has|had|have|can|could|would|"
        r"should|must|might|may)\b)|since when|until when|what time|how long ago|"
        + _WHAT
        + r"(year|date|day|month|decade|century|era|period|season)s?|"
        r"quand|depuis quand|jusqu a quand|a quelle (date|epoque|heure|periode)|"
        r"(en |a |dans )?quel(le)?s? (annee|an|date|jour|mois|siecle|decennie|epoque|heure)|"
        r"wann|seit wann|bis wann|um wie viel uhr|"
        r"(in |an |um |zu )?welche[mnrs]? "
        r"(jahr|datum|tag|monat|jahrhundert|jahrzehnt|zeit|uhrzeit)|"
        r"cuando|desde cuando|hasta cuando|"
        r"(en |a )?(que|cual) (ano|fecha|dia|mes|siglo|decada|epoca|hora))\b",
    ),
    (
        "quantity",
        r"\b(how (many|much|big|large|long|far|old|tall|high|heavy|often|fast|deep|wide|small)|"
        + _WHAT
        + r"(percentage|percent|proportion|share|number|amount|size|sum|price|"
        r"cost|rate|total|population|distance|age)|"
        r"combien|quel(le)?s? (est |sont |etait )?(le |la |l )?(nombre|montant|pourcentage|"
        r"part|taille|prix|cout|somme|age|population|distance|proportion|taux|chiffre)|"
        r"wie (viele?|viel|gross|hoch|lang|weit|alt|oft|schwer|schnell|tief|breit)|wieviele?|"
        r"(welche[mnrs]?|wie hoch ist (der|die|das)) (anzahl|zahl|betrag|anteil|summe|preis|"
        r"prozentsatz|grosse|hohe|bevolkerung)|"
        r"cuant[oa]s?|(que|cual(es)?) (es |son |fue )?(el |la )?(numero|cantidad|porcentaje|"
        r"tamano|precio|costo|coste|suma|proporcion|poblacion|distancia|edad|tasa|cifra))\b",
    ),
    (
        "place",
        r"\b(where|from where|" + _WHAT + r"(country|countries|city|cities|town|"
        r"region|state|place|continent|province|area|location|capital|island|village|district)|"
        r"xoux|dans quel(le)?s? (pays|ville|region|endroit|lieu|departement|continent)|"
        r"quel(le)?s? (pays|ville|region|endroit|lieu|departement|continent)|"
        r"wo|woher|wohin|(in |aus )?welche[mnrs]? (land|stadt|region|ort|gegend|kontinent|"
        r"bundesland|insel|hauptstadt)|"
        r"donde|adonde|de donde|(en )?(que|cual) (pais|ciudad|region|lugar|continente|provincia|"
        r"isla|capital))\b",
    ),
    (
        "person",
        r"\b(who|whom|whose|" + _WHAT + r"(person|people|company|companies|organi[sz]ation|"
        r"group|team|party|union|firm|agency|minister|president|leader|body|club|newspaper|"
        r"band|author|player)|"
        r"qui|a qui|de qui|quel(le)?s? (personne|entreprise|societe|organisation|groupe|equipe|"
        r"parti|syndicat|ministre|president|dirigeant|club|journal|auteur)|"
        r"wer|wen|wem|wessen|welche[mnrs]? (person|firma|unternehmen|organisation|gruppe|"
        r"mannschaft|partei|gewerkschaft|minister|prasident|verein|zeitung)|"
        r"quien(es)?|a quien(es)?|de quien(es)?|(que|cual) (persona|empresa|organizacion|grupo|"
        r"equipo|partido|sindicato|ministro|presidente|club|periodico|autor))\b",
    ),
)
# Italian, Portuguese and Dutch, read only where the question opens: their short question
# words ("chi", "onde", "quanto") are ordinary words of the four languages above ("onde" is a
# French wave). Dutch "wie" (who) is German "how", so Dutch names no person here.
_OPENS = r"^((e|ma|mas|en|maar) )?"
_OPENING_PATTERNS: tuple[tuple[AnswerType, str], ...] = (
    (
        "money",
        _OPENS + r"(quant[oaie] (\w+ ){0,6}?(costa|costano|costera|costato|paga|pagano|pagato|"
        r"spende|spendono|speso|guadagna|vale|custa|custam|custou|pagam|pagou|gasta|gastou|"
        r"ganha)|quanto (denaro|dinheiro)|hoeveel (\w+ ){0,6}?(kost|kosten|kostte|betaalt|betalen|"
        r"betaalde|verdient|uitgegeven)|hoeveel geld)\b",
    ),
    (
        "date",
        _OPENS + r"(quando|da quando|fino a quando|desde quando|ate quando|"
        r"in (che|quale) (anno|giorno|mese|secolo|data)|em que (ano|dia|mes|seculo|data)|"
        r"wanneer|sinds wanneer|tot wanneer|in welk (jaar|decennium)|op welke (dag|datum))\b",
    ),
    (
        "quantity",
        _OPENS + r"(quant[oaie]|quantos|quantas|hoeveel|hoe (groot|lang|hoog|ver|oud|"
        r"vaak|zwaar|snel|diep|breed))\b",
    ),
    (
        "place",
        _OPENS + r"(dove|da dove|onde|de onde|para onde|waar|waarheen|vanwaar|"
        r"in (che|quale) (paese|citta|regione)|em que (pais|cidade|regiao)|"
        r"in welk (land|stad|regio))\b",
    ),
    ("person", _OPENS + r"(chi|di chi|a chi|da chi|quem|de quem|a quem|por quem)\b"),
)
# Russian, Ukrainian and Arabic question words (folded: "й" reads "и", "أ" reads "ا") and
# Chinese ones, read anywhere: no word of the languages above is spelled in these scripts, and
# Chinese puts its question word where the answer goes ("死了多少人"). Arabic "من" (who, and
# "from") asks for a person only where the question opens; "من اين" (from where) is a place.
# Polish, read where the question opens, like Italian: "ile" and "kto" are short.
_SCRIPT_PATTERNS: tuple[tuple[AnswerType, str], ...] = (
    (
        "money",
        r"(\b(сколько|скільки) (\w+ ){0,4}?(стоит|стоят|стоил|стоила|стоило|стоили|стоить|"
        r"стоїть|коштує|коштують|коштував|заплатил|заплатили|платит|платят|заплатив)\b|"
        r"(^|\s)كم (سعر|تكلفة|ثمن|يكلف|تكلف|كلف|دفع|دفعت)|多少钱|花了多少|^ile (\w+ ){0,4}?"
        r"(kosztu\w*|kosztow\w*|zap[lł]ac\w*|p[lł]ac\w*)\b)",
    ),
    (
        "date",
        r"(\b(когда|коли|с каких пор|в (каком|котором) (году|месяце|веке)|какого числа|"
        r"в якому (році|місяці|столітті)|якого числа)\b|(^|\s)متى(\s|$)|(^|\s)في اي (عام|سنة|يوم|"
        r"شهر)|什么时候|何时|哪一?年|几月|几号|哪一?天|^(kiedy|od kiedy|do kiedy|"
        r"w (ktorym|jakim) (roku|miesiacu|wieku|dniu))\b)",
    ),
    (
        "quantity",
        r"(\b(сколько|скільки|какои (величины|длины|высоты)|какого (размера|возраста))\b|"
        r"(^|\s)كم(\s|$)|多少|几[个人次年天岁名座位]|多大|多长|多高|多远|^ile\b)",
    ),
    (
        "place",
        r"(\b(где|куда|откуда|де|куди|звідки|в какои (стране|город\w*|области)|"
        r"в якіи (краіні|області))\b|(^|\s)(اين|من اين|الى اين)(\s|$)|哪里|哪儿|在哪|何处|"
        r"^(gdzie|skad|dokad|w (jakim|ktorym) (kraju|miescie))\b)",
    ),
    (
        "person",
        r"(\b(кто|кого|кому|чеи|чья|чьи|хто|чии|чия)\b|^من(?= \S)|"
        r"谁|哪位|^(kto|kogo|komu|czyj|czyja)\b)",
    ),
)


def _without_signs(pattern: str) -> str:
    """Devanagari words as `fold` leaves them: the virama and nukta (combining marks) dropped."""
    decomposed = unicodedata.normalize("NFKD", pattern)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


# Hindi question words, read anywhere between spaces (Hindi puts them mid-sentence: "कुर्स्क में
# कितने सैनिक हैं?"); "कौन सा देश" (which country) is a place before "कौन" is a person.
_HINDI_PATTERNS: tuple[tuple[AnswerType, str], ...] = tuple(
    (kind, _without_signs(r"(?<!\S)(" + words + r")(?!\S)"))
    for kind, words in (
        (
            "money",
            "कितन[ेाी] (रुपय[ेए]|डॉलर|पैस[ेा]|यूरो)|कितनी (कीमत|लागत)|कीमत क्या|कितना खर्च",
        ),
        ("date", "कब|किस (साल|वर्ष|तारीख|दिन|महीने|समय)"),
        ("quantity", "कितन[ेाी]"),
        ("place", "कहाँ|कहां|किस (देश|शहर|जगह|राज्य)|कौन (सा|से|सी) (देश|शहर|जगह|राज्य)"),
        ("person", "कौन|किसने|किसको|किसका|किसकी|किसके"),
    )
)


def _folded_pattern(pattern: str) -> str:
    """A pattern written with accents, as `fold` leaves the question: accents dropped, and the
    Greek final sigma read as "σ" (casefolding makes it one)."""
    return _without_signs(pattern).replace("ς", "σ")


# More languages, each group in the order money, date, quantity, place, person (so "bao nhiêu
# tiền" is a sum before "bao nhiêu" is a count). Turkish, Indonesian, Vietnamese, Finnish,
# Hungarian, Greek and Hebrew are read anywhere: their question words stand mid-sentence
# ("Kuzey Kore Kursk'a kaç asker gönderdi?") and are spelled like no word of the other
# languages. Where a word is also an ordinary one, only its unambiguous uses are read: Turkish
# "kim" is also the Korean name Kim (so "kimdir", "kimin" or a closing "kim"), Vietnamese "ai"
# is French "ai" and English "AI" (so "ai là …", "… là ai"), Greek "που" is also "that".
_ANYWHERE_PATTERNS: tuple[tuple[AnswerType, str], ...] = tuple(
    (kind, _folded_pattern(pattern))
    for kind, pattern in (
        (
            "money",
            r"\b(ne kadar(a)? (\w+ ){0,3}?(para\w*|ücret\w*|tutar\w*|maliyet\w*|mal ol\w*)|"
            r"kaç (lira|dolar|euro|avro)|"
            r"(fiyatı|fiyat|maliyeti|ücreti|bedeli) ne( kadar)?|"
            r"berapa (banyak )?(harga|biaya|ongkos|uang|rupiah|dolar)|(harga|biaya)(nya)? berapa|"
            r"(giá|chi phí) bao nhiêu|bao nhiêu tiền|"
            r"(paljonko|kuinka paljon) (\w+ ){0,3}?(maksaa|maksoi|maksavat|maksettiin|rahaa)|"
            r"mitä (\w+ ){0,2}?(maksaa|maksoi)|"
            r"mennyibe (kerül|került|kerülnek)|mennyi pénz\w*|mennyit (fizet|költ)\w*|"
            r"πόσο (\w+ ){0,4}?(κοστίζει|κοστίζουν|κόστισε|στοιχίζει|πλήρωσε|πληρώνει)|"
            r"πόσα (χρήματα|λεφτά))\b|"
            r"(?<!\S)(כמה (עולה|עולים|עלה|עלו|כסף|שילם|שילמו)|מה (המחיר|העלות))(?!\S)",
        ),
        (
            "date",
            r"\b(ne zaman|hangi (yıl|tarih|gün|ay)\w*|kaç yılında|"
            r"kapan|(tahun|tanggal|bulan) berapa|"
            r"khi nào|bao giờ|lúc nào|năm nào|ngày nào|tháng nào|"
            r"milloin|minä (vuonna|päivänä)|mihin aikaan|"
            r"mikor|melyik (évben|napon|hónapban)|mióta|"
            r"πότε|(ποια|ποιο) (χρονιά|ημερομηνία|ημέρα|μέρα|έτος|μήνα))\b|"
            r"(?<!\S)(מתי|באיזו שנה|באיזה (תאריך|יום|חודש))(?!\S)",
        ),
        (
            "quantity",
            r"\b(kaç(a|ta|tan|ı|ın|ıncı)?|ne kadar|"
            r"berapa|bao nhiêu|"
            r"kuinka (monta|paljon|suuri|pitkä|vanha|korkea|kauan|usein)|montako|paljonko|"
            r"hány|hányan|mennyi\w*|milyen (nagy|hosszú|magas|messze)|"
            r"πόσ(ος|οι|α|ους|ες|ων|η|ο|ης|ου|ον))\b|"
            r"(?<!\S)כמה(?!\S)",
        ),
        (
            "place",
            r"\b(nerede|nereye|nereden|neresi\w*|hangi (ülke|şehir|bölge|kent)\w*|"
            r"(di|ke|dari) ?mana(kah)?|(negara|kota|daerah|wilayah) (mana|apa)|"
            r"(ở|tại|từ|đến) đâu|(nước|thành phố) nào|"
            r"missä|mistä|mihin|mikä (maa|kaupunki)|"
            r"hol|hová|honnan|melyik (ország|város)\w*|"
            r"(σε )?(ποια|ποιο) (χώρα|πόλη|περιοχή|μέρος)|^πού)\b|"
            r"(?<!\S)(איפה|היכן|לאן|מאיפה|מאין|באיזו (מדינה|עיר))(?!\S)",
        ),
        (
            "person",
            r"\b(kim(dir|di|in|e|i|ler|lerdir)|kim$|"
            r"siapa(kah)?|"
            r"^ai (là|đã|sẽ|được|đang|bị|có)|là ai$|của ai|với ai|"
            r"kuka|ketkä|kenen|kenelle|ketä|kenet|"
            r"^(ki|kik|kinek|kit)|kicsoda|"
            r"ποιος|ποιοι|ποιον|ποιου|ποιανού)\b|"
            r"^מי(?!\S)",
        ),
    )
)
# Swedish, Danish and Norwegian, Czech and Slovak, and Romanian: read where the question
# opens, as Italian is ("kde" and "var" are words or names elsewhere). Swedish "var" is also
# "was" ("Var det sant?") and a French département ("Var : un homme abattu …"): only before
# a verb of where ("Var ligger …", "Var möttes …").
_MORE_OPENING_PATTERNS: tuple[tuple[AnswerType, str], ...] = tuple(
    (kind, _folded_pattern(_OPENS + pattern))
    for kind, pattern in (
        (
            "money",
            r"((hur|hvor) (mycket|meget|mye) (\w+ ){0,4}?(kostar|kostade|koster|kostet|kostede|"
            r"betalade|betalte|betalt|pengar|penger|penge)|(vad|hva|hvad) kost(ar|er)|"
            r"(kolik|koľko) (\w+ ){0,4}?(stojí|stál|stála|stálo|stoja|(za)?plat(í|il|ila|ili|it))|"
            r"za kolik)\b",
        ),
        (
            "date",
            r"(när|når|hvornår|(i )?(vilket|hvilket) år|(vilket|hvilket) datum|hvilken dato|"
            r"kdy|kedy|od kdy|v (kterém|ktorom) roce|v ktorom roku|"
            r"când|de când|în ce (an|zi|lună))\b",
        ),
        (
            "quantity",
            r"((hur|hvor) (många|mange|mycket|meget|mye|stor|store|lång|lang|gammal|gammel|hög|høj|"
            r"høy|långt|langt|ofta|ofte)|"
            r"kolik\w*|koľko|jak (velk|dlouh|star|vysok)\w*)\b",
        ),
        (
            "place",
            r"(var(?= (är|ligger|finns|hände|bor|sker|skedde|föddes|befinner|möttes|träffades|"
            r"dog|hölls|gick|kom|kommer|byggdes)\b)|vart|varifrån|"
            r"hvor|hvorfra|"
            r"i (vilket|hvilket) land|(vilken|hvilken) (stad|by)|"
            r"kde|odkud|kam|v (které|ktorej) (zemi|krajine)|"
            r"unde|de unde|în ce (țară|oraș))\b",
        ),
        ("person", r"(vem|vems|hvem|kdo|koho|komu|kto|cine|a cui|al cui|pe cine)\b"),
    )
)
# An age ("How old …?", "Quel âge …?", "Wie alt …?"): a quantity, given in years of a life.
# Read first, so that it wins the tie with "how", "wie", "cuántos" reading a quantity. "How
# many years" is a length of time, not an age.
_AGE_PATTERNS: tuple[tuple[AnswerType, str], ...] = (
    (
        "age",
        _folded_pattern(
            r"\b(how old|(at )?what age|aged how|quel âge|à quel âge|wie alt|in welchem alter|"
            r"(a )?qué edad|cuántos años (tiene|tenía|tendrá|tienen|tenían|cumple|cumplió)|"
            r"quanti anni (ha|aveva|avrà|hanno|compie)|(a )?che età|"
            r"quantos anos (tem|tinha|terá|têm|completa)|(com )?que idade|hoe oud|"
            r"ile lat (ma|miał|miała|mieli)|w jakim wieku|"
            r"сколько (ему|ей|им) (было )?лет|в каком возрасте|"
            r"скільки (йому|їй|їм) (було )?років|у якому віці|"
            r"kaç yaşında\w*|yaşı kaç|πόσων (χρονών|ετών)|πόσο χρονών|(σε )?τι ηλικία|"
            r"hur gammal|hur gamla|hvor gammel|hvor gamle|"
            r"kolik (je )?(mu|jí|jim) (je )?let|v kolika letech|koľko (má )?rokov|"
            r"hány éves\w*|mennyi idős|kuinka vanha|minkä ikäi\w*|"
            r"câți ani (are|avea|a împlinit)|(la )?ce vârstă|"
            r"berapa (umur|usia)|(umur|usia)(nya)? berapa|bao nhiêu tuổi|mấy tuổi)\b|"
            r"(?<!\S)(בן כמה|בת כמה|בני כמה|מה הגיל|كم عمر|كم يبلغ عمر|ما عمر)(?!\S)|"
            r"多大年纪|多少岁|几岁|年龄"
        ),
    ),
)
_COMPILED = tuple(
    (kind, re.compile(pattern))
    for kind, pattern in (
        *_AGE_PATTERNS,
        *_PATTERNS,
        *_OPENING_PATTERNS,
        *_SCRIPT_PATTERNS,
        *_HINDI_PATTERNS,
        *_ANYWHERE_PATTERNS,
        *_MORE_OPENING_PATTERNS,
    )
)
# Japanese and Korean, read on the question as written (NFC, lower case), not folded: folding
# drops the voicing marks of kana ("どの" would read "との", "with") and spells Hangul as
# letters. Neither language puts its question word first. Romanian "câte" and "cât" too, by
# their accent: folded, they are "Cate Blanchett" and "Cat Deeley".
_UNFOLDED_PATTERNS: tuple[tuple[AnswerType, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern))
    for kind, pattern in (
        ("age", r"何歳|(?<![가-힣])(몇 ?살|몇 ?세|나이)"),
        (
            "money",
            r"いくら|何(円|ドル|ユーロ|万円|億円)|(?<![가-힣])얼마(?!나| ?전| ?후| ?동안)|"
            r"^\W*cât (\w+ ){0,4}?(costă|costat|costau|plătit|plătește)\b|^\W*câți bani\b",
        ),
        (
            "date",
            r"いつ(?!も|か|でも|の間)|何(年|日|時)(?!間)|何月|何曜日|"
            r"(?<![가-힣])(언제|몇 ?년(?! ?동안| ?간)|몇 ?월|며칠(?! ?동안| ?간)|어느 ?해)",
        ),
        (
            "quantity",
            r"(?<!任)何人|何(名|個|台|回|件|機|発|隻|頭|匹|本|枚|歳|年間|日間|時間|か月|ヶ月|"
            r"キロ|メートル|トン|パーセント|%|倍)|いくつ|どのくらい|どれくらい|どれほど|"
            r"どのぐらい|どれぐらい|どれだけ|(?<![가-힣])(몇|얼마나|얼마 ?동안)|"
            r"^\W*(câți|câte|cât)\b",
        ),
        (
            "place",
            r"どこ|何処|どの(国|都市|町|地域|場所|あたり)|どちらの国|"
            r"(?<![가-힣])(어디|어느 ?(나라|국가|도시|지역))",
        ),
        (
            "person",
            r"誰|だれ|どなた|どの(人|会社|企業|組織|団体)|"
            r"(?<![가-힣])(누구|누가|누군|어느 ?(회사|기업|단체))",
        ),
    )
)


def word_list(text: str) -> list[str]:
    """The words of a long literal list written as text (easier to read and edit)."""
    return text.split()


@cache
def _combining_marks() -> re.Pattern[str]:
    """Every combining mark of the Basic Multilingual Plane, as one character class."""
    marks = (cp for cp in range(0x300, 0x10000) if unicodedata.combining(chr(cp)))
    return re.compile(f"[{char_class(marks)}]")


_BEYOND_BMP = re.compile(r"[\U00010000-\U0010FFFF]")


@lru_cache(maxsize=8192)
def fold(text: str) -> str:
    """Lower case, accents and apostrophes folded away: how question words are matched.

    Cached: a candidate sentence is folded for the names it holds and again for the answer
    types it offers, and the same sentences come back for the next question."""
    if text.isascii():
        plain = text.lower()
    else:
        plain = without_marks(unicodedata.normalize("NFKD", text.casefold()))
        plain = plain.replace("ß", "ss")
    # Letters with the marks written inside their words ("कितने", not "क" and "तन").
    return " ".join(words_with_marks(r"\w").findall(plain))


def without_marks(decomposed: str) -> str:
    """A decomposed (NFKD) text without its combining marks: "Core\u0301e" -> "Coree"."""
    # One regular expression rather than a Python call per character: folding every candidate
    # sentence was half the time of the answer decision.
    if _BEYOND_BMP.search(decomposed):
        return "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _combining_marks().sub("", decomposed)


def expected_answer_type(question: str) -> AnswerType:
    """The answer type the question asks for; "other" when its words do not say.

    The earliest question word decides, so "Who said when the war would end?" asks for a
    person: the main question word comes first in all four languages.
    """
    # "où" (where) and "ou" (or) differ only by the accent that folding removes.
    folded = fold(re.sub(r"(?<!\w)où(?!\w)", " xoux ", question.casefold()))
    found = _earliest(_COMPILED, folded)
    if found == "other":
        found = _earliest(_UNFOLDED_PATTERNS, _unfolded(question))
    return found


def _unfolded(question: str) -> str:
    """The question as `_UNFOLDED_PATTERNS` read it: composed (NFC) and lower case."""
    return unicodedata.normalize("NFC", question).casefold()


def _earliest(patterns: tuple[tuple[AnswerType, re.Pattern[str]], ...], text: str) -> AnswerType:
    """The type of the pattern matching earliest in `text` (the first listed on a tie)."""
    best: tuple[int, AnswerType] | None = None
    for kind, pattern in patterns:
        match = pattern.search(text)
        if match and (best is None or match.start() < best[0]):
            best = (match.start(), kind)
    return best[1] if best else "other"


# Words that may open a question before its question word: "And when ...?", "Et combien ...?",
# "E chi ...?" (Italian and Portuguese "e"), folded. Not Dutch "en": it is French and Spanish
# "in" ("En cuanto a …" is "as for", no "how many").
OPENERS = frozenset(
    word_list("and so but then et mais alors und aber dann y pero entonces e ma mas maar")
)


def without_openers(words: list[str]) -> list[str]:
    """The folded words of a question from its question word on: "and", "et", … dropped."""
    start = 0
    while start < len(words) and words[start] in OPENERS:
        start += 1
    return words[start:]


def opening_answer_type(question: str) -> AnswerType:
    """The answer type when the question opens with its question word ("When did ...?",
    "Combien de ...?"), else "other": a question word further in ("What satellite was used
    when ...?") is too often not what is asked to hold an answer to it."""
    folded = fold(re.sub(r"(?<!\w)où(?!\w)", " xoux ", question.casefold()))
    folded = " ".join(without_openers(folded.split()))
    for kind, pattern in _COMPILED:
        match = pattern.search(folded)
        if match and match.start() == 0:
            return kind
    unfolded = _unfolded(question)
    opens_at = len(unfolded) - len(unfolded.lstrip(" ¿¡\"'«“„([-–—"))
    for kind, pattern in _UNFOLDED_PATTERNS:
        match = pattern.search(unfolded)
        if match and match.start() <= opens_at:
            return kind
    return "other"
