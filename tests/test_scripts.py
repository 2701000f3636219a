"""Which writing system a text is mostly in: the reader's gate trusts the decision within one."""

from __future__ import annotations

from retrieval.scripts import dominant_script, same_script


def test_the_dominant_script_of_news_texts() -> None:
    assert dominant_script("How many firefighters fought the fire?") == "LATIN"
    assert dominant_script("Ça coûte 42 millions d’euros à Lyon, à Straßburg") == "LATIN"
    assert dominant_script("В субботу утром в Подольске загорелся склад") == "CYRILLIC"
    assert dominant_script("Σήμερα ο Μητσοτάκης είπε") == "GREEK"
    assert dominant_script("来自25个国家的600家企业") == "CJK"
    # Japanese kana and Han characters are one family: names are shared with Chinese.
    assert dominant_script("東京のロボット展示会に600社が出展した") == "CJK"
    assert dominant_script("?! 42") is None


def test_same_script() -> None:
    assert same_script("How many trams?", "Graz kauft 45 neue Straßenbahnen")
    assert not same_script("How many firefighters?", "на месте работали 120 пожарных")
    assert same_script("?", "на месте работали 120 пожарных")
