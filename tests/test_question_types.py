"""The answer type a question asks for, in many languages, and what a sentence offers."""

from __future__ import annotations

import pytest

from bot.answering.features import TextReadings
from bot.answering.question_types import expected_answer_type
from bot.answering.sentence_offers import offered_types, question_terms


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        # English
        ("How many soldiers has North Korea sent to Kursk?", "quantity"),
        ("How much did the company earn?", "money"),
        ("How much is Russia paying for the shells?", "money"),
        ("What is the price of the new car?", "money"),
        ("What will the console cost in Europe?", "money"),
        ("How much territory did the army gain?", "quantity"),
        ("What percentage of voters stayed home?", "quantity"),
        ("When did the talks start?", "date"),
        ("When exactly was the treaty signed?", "date"),
        ("When many people are arrested, what is a common tactic?", "other"),
        ("In what year was the treaty signed?", "date"),
        ("On what date did the troops arrive?", "date"),
        ("At what age did she retire?", "age"),
        ("How old is the cheese found in the tomb?", "age"),
        ("How many years did the war last?", "quantity"),
        ("Quel âge a Choe Son Hui ?", "age"),
        ("Wie alt ist der Minister?", "age"),
        ("¿Cuántos años tiene el presidente?", "age"),
        ("¿Cuántos años duró la guerra?", "quantity"),
        ("Сколько ему лет?", "age"),
        ("Bakan kaç yaşında?", "age"),
        ("北朝鮮の外務大臣は何歳ですか？", "age"),
        ("그는 몇 살입니까?", "age"),
        ("From which country did the shells come?", "place"),
        ("Who leads the union?", "person"),
        ("Which company bought the airline?", "person"),
        ("Where did the ministers meet?", "place"),
        ("What is the capital of the region?", "place"),
        ("What kind of training did the troops receive?", "other"),
        # French
        ("Combien de soldats sont déployés ?", "quantity"),
        ("Quel est le montant de l'aide ?", "quantity"),
        ("Combien coûte le nouveau pont ?", "money"),
        ("Combien la ville va-t-elle payer ?", "money"),
        ("Combien les sociétés facturent-elles par voiture ?", "money"),
        ("Quand la rencontre a-t-elle eu lieu ?", "date"),
        ("En quelle année l'accord a-t-il été signé ?", "date"),
        ("Qui a signé l'accord ?", "person"),
        ("Où les soldats sont-ils déployés ?", "place"),
        ("Dans quelle ville se trouve le siège ?", "place"),
        # "ou" (or) is not "où" (where)
        ("Les soldats sont-ils russes ou coréens ?", "other"),
        # German
        ("Wie viele Soldaten wurden entsandt?", "quantity"),
        ("Wie hoch ist der Betrag?", "quantity"),
        ("Wie viel kosten die neuen Bahnen?", "money"),
        ("Wie teuer ist die Brücke?", "money"),
        ("Wann wurde der Vertrag unterzeichnet?", "date"),
        ("In welchem Jahr begann der Krieg?", "date"),
        ("Wer hat das gesagt?", "person"),
        ("Wo fand das Treffen statt?", "place"),
        # Spanish
        ("¿Cuántos soldados fueron enviados?", "quantity"),
        ("¿Cuánto cuesta el puente?", "money"),
        ("¿Cuánto dinero recibió el club?", "money"),
        ("¿Cuándo empezó la guerra?", "date"),
        ("¿En qué año se firmó el acuerdo?", "date"),
        ("¿Quién firmó el acuerdo?", "person"),
        ("¿Dónde se reunieron los ministros?", "place"),
        # Italian, Portuguese and Dutch, from the words the question opens with
        ("Quanti soldati sono stati inviati?", "quantity"),
        ("Quanto costa il nuovo ponte?", "money"),
        ("Quando è stato firmato l'accordo?", "date"),
        ("Chi ha firmato l'accordo?", "person"),
        ("Dove si sono incontrati i ministri?", "place"),
        ("Quantos soldados foram enviados?", "quantity"),
        ("Em que ano foi assinado o acordo?", "date"),
        ("Quem assinou o acordo?", "person"),
        ("Onde se reuniram os ministros?", "place"),
        ("Hoeveel soldaten zijn er gestuurd?", "quantity"),
        ("Hoeveel kost de nieuwe brug?", "money"),
        ("Wanneer begon de oorlog?", "date"),
        ("Waar kwamen de ministers samen?", "place"),
        # Polish from its opening words; Russian, Ukrainian, Arabic and Chinese anywhere.
        ("Ile osób zginęło w pożarze?", "quantity"),
        ("Ile kosztował remont?", "money"),
        ("Kiedy wybuchł pożar?", "date"),
        ("Kto ogłosił żałobę?", "person"),
        ("Сколько детей погибло?", "quantity"),
        ("Сколько стоит ремонт?", "money"),
        ("В каком году начался пожар?", "date"),
        ("Кто объявил траур?", "person"),
        ("Где произошёл пожар?", "place"),
        ("Скільки людей загинуло?", "quantity"),
        ("Коли почалася пожежа?", "date"),
        ("كم عدد القتلى؟", "quantity"),
        ("كم تكلفة إعادة الإعمار؟", "money"),
        ("متى وقع الزلزال؟", "date"),
        ("من أمر بالمساعدات؟", "person"),
        ("من أين جاءت المساعدات؟", "place"),
        ("郑州暴雨死了多少人？", "quantity"),
        ("重建要花多少钱？", "money"),
        ("暴雨是什么时候发生的？", "date"),
        ("谁发表了指示？", "person"),
        ("地铁在哪里被困？", "place"),
        # Hindi anywhere: its question words sit mid-sentence.
        ("कुर्स्क में कितने सैनिक भेजे गए?", "quantity"),
        ("टिकट के लिए कितने रुपये देने होंगे?", "money"),
        ("युद्ध कब शुरू हुआ?", "date"),
        ("राष्ट्रपति कौन है?", "person"),
        ("बैठक कहाँ हुई?", "place"),
        ("कौन सा देश हथियार भेज रहा है?", "place"),
        # Turkish, Indonesian, Vietnamese, Finnish, Hungarian, Greek and Hebrew anywhere.
        ("Kuzey Kore Kursk'a kaç asker gönderdi?", "quantity"),
        ("Program ne kadar paraya mal oldu?", "money"),
        ("Putin Pyongyang'ı ne zaman ziyaret etti?", "date"),
        ("Bakanlar nerede buluştu?", "place"),
        ("Kuzey Kore dışişleri bakanı kimdir?", "person"),
        ("Berapa banyak tentara yang dikirim Korea Utara ke Kursk?", "quantity"),
        ("Kapan Putin mengunjungi Pyongyang?", "date"),
        ("Siapa menteri luar negeri Korea Utara?", "person"),
        ("Triều Tiên đã gửi bao nhiêu binh sĩ đến Kursk?", "quantity"),
        ("Chương trình giá bao nhiêu?", "money"),
        ("Các bộ trưởng gặp nhau ở đâu?", "place"),
        ("Bộ trưởng ngoại giao Triều Tiên là ai?", "person"),
        ("Kuinka monta sotilasta Pohjois-Korea lähetti Kurskiin?", "quantity"),
        ("Milloin Putin vieraili Pjongjangissa?", "date"),
        ("Hány katonát küldött Észak-Korea Kurszkba?", "quantity"),
        ("Mennyibe kerül a program?", "money"),
        ("Πόσους στρατιώτες έστειλε η Βόρεια Κορέα στο Κουρσκ;", "quantity"),
        ("Ο Πούτιν πότε επισκέφθηκε την Πιονγιάνγκ;", "date"),
        ("Ποιος είναι ο υπουργός Εξωτερικών;", "person"),
        ("כמה חיילים שלחה צפון קוריאה לקורסק?", "quantity"),
        ("מתי ביקר פוטין בפיונגיאנג?", "date"),
        ("איפה נפגשו השרים?", "place"),
        # Swedish, Danish, Czech and Romanian from the words they open with.
        ("Hur många nordkoreanska soldater skickades till Kursk?", "quantity"),
        ("När besökte Putin Pyongyang?", "date"),
        ("Var ligger Kursk?", "place"),
        ("Vad kostar programmet?", "money"),
        ("Hvem er udenrigsminister?", "person"),
        ("Kolik vojáků poslala Severní Korea do Kurska?", "quantity"),
        ("Kdy navštívil Putin Pchjongjang?", "date"),
        ("Câți soldați a trimis Coreea de Nord?", "quantity"),
        ("Cât a costat programul?", "money"),
        ("Unde s-au întâlnit miniștrii?", "place"),
        # Japanese and Korean, read unfolded: "との" (with) is not "どの" (which).
        ("北朝鮮はクルスクに何人の兵士を送りましたか？", "quantity"),
        ("プーチンはいつ平壌を訪問しましたか？", "date"),
        ("プログラムはいくらかかりましたか？", "money"),
        ("大臣たちはどこで会いましたか？", "place"),
        ("北朝鮮の外務大臣は誰ですか？", "person"),
        ("ロシアとの国境はどうなっていますか？", "other"),
        ("彼はいつも何をしていますか？", "other"),
        ("북한은 쿠르스크에 몇 명의 군인을 보냈습니까?", "quantity"),
        ("푸틴은 언제 평양을 방문했습니까?", "date"),
        ("프로그램 비용은 얼마입니까?", "money"),
        ("장관들은 어디에서 만났습니까?", "place"),
        ("북한 외무장관은 누구입니까?", "person"),
        ("얼마 전에 무슨 일이 있었습니까?", "other"),
        # Names and words that look like those question words elsewhere.
        ("AI companies: which firm leads?", "person"),
        ("Kim Jong Un visited Moscow in what year?", "date"),
        ("Cate Blanchett won which award?", "other"),
        ("Var det sant?", "other"),
        # German "wie" is "how", not Dutch "who"; a French wave is not Portuguese "where".
        ("Wie kam es zu dem Abkommen?", "other"),
        ("Quelle est la longueur d'onde ?", "other"),
    ],
)
def test_expected_answer_type(question: str, expected: str) -> None:
    assert expected_answer_type(question) == expected


def test_a_sum_of_money_is_a_number_with_its_currency() -> None:
    assert "money" in offered_types("Die Fahrzeuge kosten 310 Millionen Euro.", "de")
    assert "money" in offered_types("The deal is worth $5m.", "en")
    assert "money" in offered_types("Le pont a coûté quatre-vingts millions d’euros.", "fr")
    # A count of soldiers is a quantity, not a price.
    offers = offered_types("Jusqu’à 8000 soldats nord-coréens déployés.", "fr")
    assert "quantity" in offers and "money" not in offers
    # "won" and "cent" in running text are a verb and a number, not currencies.
    assert "money" not in offered_types("The team won 3 of its 5 games.", "en")
    assert "money" not in offered_types("Cent soldats sont arrivés.", "fr")


def test_a_time_of_day_answers_when() -> None:
    # "When did the crane lift its first container?" was answered by the sentence before, whose
    # "Sunday morning" was the only date the ranker saw.
    assert "date" in offered_types("It lifted its first container at 14:20, the port said.", "en")
    assert "date" in offered_types("Le train est parti à 14h20.", "fr")
    assert "date" in offered_types("The shop opens at 3 pm.", "en")
    assert "date" in offered_types("Wir treffen uns um 10:30 Uhr.", "de")
    assert "date" not in offered_types("The score was 3:1 at half time.", "en")
    assert "date" not in offered_types("He is 1.80 m tall.", "en")


def test_sentences_in_italian_portuguese_and_dutch_offer_numbers_and_dates() -> None:
    assert "date" in offered_types("L'accordo è stato firmato a giugno.", "it")
    assert "date" in offered_types("De oorlog begon in februari.", "nl")
    assert "quantity" in offered_types("Foram enviados dez soldados.", "pt")
    assert "money" in offered_types("Il ponte è costato venti milioni di euro.", "it")


def test_sentences_in_cyrillic_offer_names_and_dates() -> None:
    # "Путин" names someone as "Putin" does; "28 марта" is a date as "28 March" is.
    offers = offered_types("Президент Владимир Путин объявил 28 марта днём траура.", "ru")
    assert {"person", "date"} <= offers
    assert "person" in offered_types("По данным США, система была отключена.", "ru")
    assert "date" in offered_types("Пожежа почалася 25 березня.", "uk")
    assert "date" in offered_types("Pożar wybuchł 25 kwietnia.", "pl")
    assert "person" not in offered_types("погибли 60 человек, из них 37 детей.", "ru")


@pytest.mark.parametrize(
    ("sentence", "lang"),
    [
        ("Путин посетил Пхеньян в июне.", "ru"),
        ("Putin Haziran ayında Pyongyang'ı ziyaret etti.", "tr"),
        ("Ο Πούτιν επισκέφθηκε την Πιονγκγιάνγκ τον Ιούνιο.", "el"),
        ("Putin vieraili Pjongjangissa kesäkuussa.", "fi"),
        ("Putin júniusban látogatott Phenjanba.", "hu"),
        ("Putin navštívil Pchjongjang v červnu.", "cs"),
        ("פוטין ביקר בפיונגיאנג ביוני.", "he"),
        ("زار بوتين بيونغ يانغ في يونيو.", "ar"),
        ("पुतिन ने जून में प्योंगयांग का दौरा किया।", "hi"),
        ("プーチン大統領は6月に平壌を訪問した。", "ja"),
        ("普京于6月访问了平壤。", "zh"),
        ("푸틴은 6월에 평양을 방문했다.", "ko"),
        ("Putin đã thăm Bình Nhưỡng vào tháng 6.", "vi"),
    ],
)
def test_a_month_in_the_languages_the_bot_answers_in_is_a_date(sentence: str, lang: str) -> None:
    from bot.answering.verification import TextIndex, claims_of

    assert "date" in offered_types(sentence, lang)
    # June, whatever the language: a written "in June" is checked against it, and "6月" is a
    # month, not a number the sentence claims.
    assert TextIndex(sentence).months == {6}
    assert claims_of(sentence).months == {6} and not claims_of(sentence).numbers


def test_an_age_is_a_number_of_years_of_a_life() -> None:
    assert "age" in offered_types("Nordahl Lelandais, 37 ans, est renvoyé devant la cour.", "fr")
    assert "age" in offered_types("Dustin Hoffman, 67, said he was delighted.", "en")
    assert "age" in offered_types("The 67-year-old actor won.", "en")
    assert "age" in offered_types("Der 58-Jährige wurde verletzt.", "de")
    assert "age" in offered_types("北朝鮮の外務大臣は60歳だ。", "ja")
    # A share of opinions is a number, not an age: "How old is …?" is not answered by it.
    popularity = offered_types("Edouard Philippe recueille 53% d'opinions favorables.", "fr")
    assert "quantity" in popularity and "age" not in popularity


def test_a_day_and_month_in_chinese_count_nothing() -> None:
    assert offered_types("2021年7月20日，郑州遭遇特大暴雨。", "zh") == {"date"}
    assert offered_types("3万人が参加した。", "ja") == {"quantity"}
    # Dutch "leden" (members) is not Czech January.
    assert "date" not in offered_types("De partij telt 300 leden.", "nl")


def test_a_year_shaped_number_before_what_it_counts_is_a_quantity() -> None:
    # "1000 kilometer" and "1500 soldats" count; "in 2019" and a number alone date.
    assert "quantity" in offered_types("Er ontstonden files van meer dan 1000 kilometer.", "nl")
    assert "quantity" in offered_types("Les 1500 soldats sont arrivés.", "fr")
    for dated in ["In 2019 researchers found it.", "It happened in 1998.", "Seit 2000 steht es."]:
        offers = offered_types(dated, "xx")
        assert "date" in offers and "quantity" not in offers, dated


def test_numbers_written_against_chinese_japanese_or_korean_words_are_offered() -> None:
    assert "quantity" in offered_types("共有来自25个国家的600家企业参展。", "zh")
    assert "quantity" in offered_types("25개 국가에서 600개 기업이 참가했다.", "ko")
    # In Latin script a number inside a word is a name: "A380", "COVID19".
    assert "quantity" not in offered_types("Die A380 und COVID19 bleiben.", "de")


def test_the_first_question_word_decides() -> None:
    assert expected_answer_type("Who said when the war would end?") == "person"
    assert expected_answer_type("When did the minister say who would pay?") == "date"


def test_a_sentence_offers_what_it_holds() -> None:
    number = "Jusqu'à 8000 des 10000 soldats seraient déployés dans la région de Koursk."
    assert {"quantity", "place"} <= offered_types(number, "fr")
    dated = "L'accord a été conclu en juin dernier lors de la visite à Pyongyang."
    assert "date" in offered_types(dated, "fr")
    assert "date" in offered_types("Der Vertrag wurde am 3. März 1998 unterzeichnet.", "de")
    # A count is no date: "10000" holds no year 1000.
    assert "date" not in offered_types("Jusqu'à 8000 des 10000 soldats sont arrivés.", "fr")
    plain = "Les soldats ont été formés à la conduite de drones et à l'infanterie."
    assert "quantity" not in offered_types(plain, "fr")
    assert "date" not in offered_types(plain, "fr")


def test_what_the_question_already_says_is_not_offered() -> None:
    question = "How many of the 10000 soldiers went to Kursk?"
    terms = question_terms(question)
    assert "quantity" not in offered_types("Les 10000 soldats sont arrivés.", "fr", terms)
    assert "quantity" in offered_types("Jusqu'à 8000 des 10000 soldats.", "fr", terms)


def test_german_nouns_alone_are_not_names() -> None:
    # Every German noun is capitalised; a name needs two capitalised words or an acronym.
    assert "person" not in offered_types("Die Soldaten haben die Ausbildung beendet.", "de")
    assert "person" in offered_types("Das sagte der Minister Antony Blinken.", "de")
    assert "person" in offered_types("Le ministre Antony Blinken l'a dit.", "fr")


def test_question_terms_are_held_across_inflection() -> None:
    terms = question_terms("What did Choe Son Hui say about Pyongyang in 2024?")
    assert TextReadings(terms).coverage("Choe Son Hui a parlé de Pyongyang en 2024.") == 1.0
    assert TextReadings(terms).coverage("Le ministre a parlé.") == 0.0


def test_question_names_are_held_across_spellings() -> None:
    # Names change spelling between languages; the count (a number) must match exactly.
    terms = question_terms("How many troops went from Warsaw to Kursk in 2024?")
    assert TextReadings(terms).coverage("2024 zogen Truppen von Warschau nach Koursk.") == 1.0
    assert TextReadings(terms).coverage("2023 zogen Truppen von Berlin nach Moskau.") == 0.0


def test_the_opening_question_word_decides_what_a_written_answer_must_give() -> None:
    from bot.answering.languages import opening_language
    from bot.answering.question_types import opening_answer_type
    from bot.answering.sentence_offers import gives_answer_type

    assert opening_answer_type("And how many troops went?") == "quantity"
    assert opening_answer_type("Wann kamen sie an?") == "date"
    # Every opening "and", "but", "so" is passed over, in the languages' one list of them.
    assert opening_answer_type("Mais alors, combien de soldats ?") == "quantity"
    assert opening_answer_type("Then when did they arrive?") == "date"
    assert opening_language("Y entonces, ¿cuándo llegaron?") == "es"
    # "en" opens a Dutch question but is French and Spanish "in": "En cuanto a …" is "as for".
    assert opening_language("En wanneer kwamen ze?") == "nl"
    assert opening_answer_type("En cuanto a la deuda, ¿qué dijo el ministro?") == "other"
    # A question word further in does not decide ("when" here is not what is asked).
    assert opening_answer_type("What satellite was used when Sky launched?") == "other"
    # Romanian "câți" is read unfolded (folded it is "Cate Blanchett"), at the opening too.
    assert opening_answer_type("„Câți soldați a trimis Coreea de Nord?") == "quantity"
    assert opening_answer_type("いつプーチンは平壌を訪問しましたか？") == "date"
    assert opening_answer_type("プーチンはいつ平壌を訪問しましたか？") == "other"
    terms = question_terms("How many soldiers entered Russia in 2024?")
    assert not gives_answer_type("Soldiers entered Russia in 2024.", "quantity", terms)
    assert gives_answer_type("Four soldiers entered Russia.", "quantity", terms)
    assert gives_answer_type("Ils partiront dans les prochains jours.", "date")
    assert gives_answer_type("In the 90s.", "date")
    assert gives_answer_type("Anything at all.", "person")
    # "How much … paying?" asks for a sum: a count of soldiers does not give it.
    assert opening_answer_type("How much is Russia paying for the soldiers?") == "money"
    assert not gives_answer_type("Russia is paying for 8000 soldiers.", "money")
    assert gives_answer_type("Russia pays 2 billion dollars.", "money")


def test_a_short_question_is_answered_in_its_own_language() -> None:
    from bot.answering.reader import question_language

    # Unconstrained, these read as Afrikaans and "undetermined"; among the languages the reader
    # writes, they are Dutch and Portuguese.
    assert question_language("Hoe groot is het Noord-Koreaanse leger?") == "Dutch"
    assert question_language("Quem visitou Pyongyang em junho?") == "Portuguese"
    assert question_language("¿Cuántos soldados?") == "Spanish"
    assert question_language("How big is the North Korean army?") == "English"
    assert question_language("北朝鮮は何人の兵士を派遣したのか？") == "Japanese"
    # A language the reader does not write, and a question too short to tell: English.
    assert question_language("Zenbat soldadu bidali ditu Ipar Koreak Kurskera?") == "English"
    assert question_language("Who?") == "English"


def test_folding_drops_case_accents_and_punctuation_in_every_script() -> None:
    from bot.answering.question_types import fold

    assert fold("L’armée de la Corée du Nord") == "l armée de la corée du nord".replace("é", "e")
    assert fold("Straße, ÉCOLE; Ærø!") == "strasse ecole ærø"
    assert fold("Зелёный Йошкар-Ола") == "зеленыи иошкар ола"
    assert fold("Ελλάδα — 北朝鮮") == "ελλαδα 北朝鮮"
    # A character beyond the Basic Multilingual Plane takes the slower path, with the same result.
    assert fold("Un café 😀 à Zürich") == "un cafe a zurich"
    assert fold("plain ascii_text, 42") == "plain ascii_text 42"
    # Vowel signs are written inside a word: "कितने" is one word, not "क" and "तन".
    assert fold("कितने सैनिक कुर्स्क भेजे गए?").split() == ["कितने", "सैनिक", "कुरसक", "भेजे", "गए"]
    # A decomposed accent stays in its word too.
    assert fold("Core\u0301e") == "coree"


def test_a_name_is_found_whole_in_a_script_with_vowel_signs() -> None:
    from bot.answering.verification import TextIndex, words_of

    sentence = "प्रधानमंत्री मोदी ने बैठक में 500 सैनिकों की बात की।"
    assert [w.group(0) for w in words_of(sentence)][:3] == ["प्रधानमंत्री", "मोदी", "ने"]
    assert TextIndex(sentence).has_name("मोदी") and not TextIndex(sentence).has_name("मदी")
