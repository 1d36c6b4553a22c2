"""The catalogue of secrecy scopes: loader validation, concept matching, marking-aware reading."""

from __future__ import annotations

import functools

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mijian.classifiers import classify as _classify
from mijian.classifiers.normalise import normalise
from mijian.classifiers.reading import read
from mijian.classifiers.scope_match import match_scopes
from mijian.classifiers.segments import segment
from mijian.keywords import ScopeError, default_scope_paths, load_scopes
from mijian.pipeline.model import Document

# These cases pin the rules (steps 1-5 of the policy) on their own; the suggestion that
# weighs them with the second reader is measured on the eval splits (tests/test_second_reading.py).
classify = functools.partial(_classify, second_reader=False)

ROOT = Path(__file__).resolve().parent.parent

EXAM = """schema = 1
sector = "cn-testexam"
name_zh = "考试"
name_en = "Examinations"
provenance = [{ title = "某规定", issuer = "某部门", year = 2000 }]

[[items]]
id = "t-exam-01"
description_zh = "启用前的试题和答案"
description_en = "Papers and answers before use"
level = 4
period_event_zh = "考试结束"
period_event_en = "until the examination has been held"
category = "state_affairs"
window = "paragraph"
provenance = "某规定关于试题的条目"
[items.subject]
zh = ["试题", "答案", "试卷"]
en = ["exam paper", "answer key"]
[[items.conditions]]
kind = "timing"
zh = ["启用前", "考试前"]
en = ["before the exam"]
[[items.conditions]]
kind = "specificity"
zh = ["选择题"]
en = ["multiple choice"]
regex = ['第[一二三四五六七八九十]+题']

[[items]]
id = "t-exam-02"
description_zh = "考场安排"
description_en = "Room plans"
level = 2
period_years = 5
category = "state_affairs"
window = "sentence"
provenance = "某规定关于考场的条目"
raise_if_specific = true
[items.subject]
zh = ["考场"]
en = ["exam room"]
[[items.conditions]]
kind = "specificity"
zh = ["座位号", "监考员"]
en = ["seat number"]
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / "cn" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def scopes(tmp_path: Path):
    return load_scopes([write(tmp_path, "exam.toml", EXAM)])


def doc(text: str, language: str = "zh") -> Document:
    return Document(source="d.txt", sha256="0" * 64, kind="txt", language=language, text=text)  # type: ignore[arg-type]


def fired(text: str, scopes) -> dict[str, int]:
    return {m.item.id: m.level for m in match_scopes(normalise(text), read(text), scopes, segment(text))}


# --- loader ---------------------------------------------------------------------------------


def test_loader_reads_items_with_sector_period_and_provenance(scopes) -> None:
    item = scopes.items[0]
    assert (item.id, item.sector, item.scheme, item.level, item.period_years) == ("t-exam-01", "cn-testexam", "cn", 4, None)
    assert item.period_event(True) == "考试结束" and item.period_event(False).startswith("until")
    assert item.sector_en == "Examinations" and "exam paper" in item.subject and item.window == "paragraph"
    assert scopes.items[1].period_years == 5 and scopes.items[1].raise_if_specific
    assert scopes.version.startswith("schema 1, 1 sectors")


@pytest.mark.parametrize(("change", "message"), [
    (('level = 4', 'level = 7'), r"item #1 't-exam-01': level 7 is not a number 1\.\.4"),
    (('window = "sentence"', 'window = "page"'), r"item #2 't-exam-02': window 'page' is not one of"),
    (('category = "state_affairs"\nwindow = "paragraph"', 'category = "gossip"\nwindow = "paragraph"'),
     r"item #1 't-exam-01': category 'gossip' is unknown"),
    (("regex = ['第", "regex = ['(第"), r"item #1 't-exam-01' condition #2: regex .* does not compile"),
    (('kind = "timing"', 'kind = "soon"'), r"condition #1: kind 'soon' is not one of"),
    (('schema = 1', 'schema = 2'), r"schema 2, expected 1"),
    (('sector = "cn-testexam"', 'sector = "fr-exam"'), r"sector 'fr-exam' must start with cn-, us- or uk-"),
    (('provenance = "某规定关于考场的条目"', 'provenanse = "x"'), r"item #2 't-exam-02': unknown key 'provenanse'"),
    (('raise_if_specific = true', 'details = "no"'), r"item #2 't-exam-02': details 'no' is not true or false"),
    (('raise_if_specific = true', 'requires = ["later"]'), r"item #2 't-exam-02': requires \['later'\] is not a list"),
])
def test_loader_errors_name_file_and_item(tmp_path: Path, change: tuple[str, str], message: str) -> None:
    path = write(tmp_path, "bad.toml", EXAM.replace(*change, 1))
    with pytest.raises(ScopeError, match=message) as err:
        load_scopes([path])
    assert str(path) in str(err.value) and "\n" not in str(err.value)


def test_loader_refuses_duplicate_ids_across_files(tmp_path: Path) -> None:
    a = write(tmp_path, "a.toml", EXAM)
    b = write(tmp_path, "b.toml", EXAM.replace("cn-testexam", "cn-other"))
    with pytest.raises(ScopeError, match="item 't-exam-01' is also in"):
        load_scopes([a, b])


def test_packaged_catalogue_is_valid_and_cached() -> None:
    if not default_scope_paths():
        pytest.skip("no packaged scope files")
    first = load_scopes()
    assert load_scopes() is first
    assert {s.scheme for s in first.sectors} <= {"cn", "us", "uk"}
    assert all(item.provenance and item.subject for item in first.items)


# --- concept matching -----------------------------------------------------------------------


def test_subject_and_condition_in_one_window_fire(scopes) -> None:
    assert fired("本次考试试题和答案已印制完毕，启用前由专人保管。", scopes) == {"t-exam-01": 4}
    assert fired("The exam paper and answer key are sealed before the exam.", scopes) == {"t-exam-01": 4}
    # the subject alone, or the condition alone, is not the matter
    talk = "试题和答案的讲评安排见附件。"
    assert [(m.item.id, m.tier) for m in match_scopes(normalise(talk), read(talk), scopes)] == [("t-exam-01", "subject")]
    assert classify(doc(talk), scopes=scopes).level <= 2
    assert fired("启用前请检查设备。", scopes) == {}


def test_window_is_respected(scopes) -> None:
    # sentence window: 考场 and 座位号 in different sentences are only document-wide evidence
    text = "考场设在一楼。座位号另行通知。"
    tiers = {m.item.id: m.tier for m in match_scopes(normalise(text), read(text), scopes, segment(text))}
    assert tiers == {"t-exam-02": "document"}
    same = "考场按座位号和监考员名单布置。"
    assert [m.tier for m in match_scopes(normalise(same), read(same), scopes)] == ["window"]
    assert fired(same, scopes)["t-exam-02"] == 3  # two specifics raise it


def test_negated_subject_does_not_count(scopes) -> None:
    assert fired("本通知不涉及试题和答案，启用前的安排另发。", scopes) == {}


def test_regex_condition_and_finding_names_item_and_provenance(scopes) -> None:
    s = classify(doc("关于试卷的说明\n第三题和选择题的答案如下，启用前严禁外传。"), scopes=scopes)
    assert s.level == 4 and s.scope_item == "t-exam-01"
    assert s.period_event == "考试结束" and s.period_text() == "考试结束"
    assert "考试结束" in s.rationale[-1] and "某规定关于试题的条目" in (s.basis or "")
    found = [f for f in s.findings if f.rule.startswith("scope:t-exam-01")]
    assert found and all("t-exam-01" in f.explanation and "某规定关于试题的条目" in f.explanation for f in found)
    en = s.in_language("en")
    assert en.period_text() == "until the examination has been held" and en.rationale[-1].startswith("Decision: TOP SECRET (4)")


def test_thin_evidence_sets_at_most_confidential_in_a_public_flavoured_draft(scopes) -> None:
    s = classify(doc("据报道，试题启用前须妥善保管。"), scopes=scopes)
    assert s.level == 2 and any("证据单薄" in line for line in s.rationale), s.rationale
    # without public flavour the item holds, but 绝密 needs four distinct words where they meet
    s = classify(doc("试题启用前须妥善保管。"), scopes=scopes)
    assert s.level == 3 and any("绝密需至少" in line for line in s.rationale), s.rationale


def test_declassification_note_turns_items_and_markings_into_history(scopes) -> None:
    text = "机密★20年\n关于试题和答案的报告\n试卷和答案于考试前封存。\n\n本件已解密，可以公开。"
    s = classify(doc(text), scopes=scopes)
    assert s.level <= 1, s.rationale
    assert any("解密说明" in line for line in s.rationale)


# --- marking-aware reading ------------------------------------------------------------------


def test_negation_is_not_the_marking_or_the_statement() -> None:
    text = "经审查，本材料不属于国家秘密，也不涉及工作秘密，可在单位内部使用。"
    s = classify(doc(text))
    assert s.level <= 1
    negated = (text.index("不属于"), text.index("，可在"))
    inside = [f for f in s.findings if negated[0] <= f.start < negated[1] and f.category != "public_context"]
    assert not inside, inside
    assert any("否定表述" in line for line in s.rationale)


def test_clearance_requirement_is_a_mention() -> None:
    text = ("Request for proposals: facilities maintenance services\nThe contractor's staff must hold a SECRET clearance "
            "before starting work. Proposals are due on 3 March. This notice is published on the procurement portal.")
    s = classify(doc(text, "en"))
    assert s.level <= 1, s.rationale
    assert any("a mention" in f.explanation for f in s.findings if f.category == "marking")


def test_quoted_marking_is_a_mention() -> None:
    s = classify(doc("培训要点：密级标志的写法，例如“机密★10年”，应标注在首页左上角。"))
    assert not any(f.category == "marking" and f.floor for f in s.findings)


def test_published_landlines_are_not_personal_data() -> None:
    lines = "\n".join(f"第{i}服务窗口 咨询电话：010-6512{i:04d}" for i in range(12))
    s = classify(doc("政务服务中心各窗口咨询电话（公开）\n" + lines))
    assert s.level == 0, s.rationale


# --- the command line -----------------------------------------------------------------------


def test_classify_lang_en_report_is_english(tmp_path: Path) -> None:
    draft = tmp_path / "d.txt"
    draft.write_text("关于跨区机动演练兵力部署的通报\n作战预案要点、参演部队番号及集结地域如下，阅后收回。\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MIJIAN_HOME": str(tmp_path / "home")}
    done = subprocess.run([sys.executable, "-m", "mijian", "classify", str(draft), "--lang", "en"],
                          capture_output=True, text=True, env=env, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    head = done.stdout.split("Rationale")[0]
    assert "Suggested grade: SECRET" in head or "Suggested grade: TOP SECRET" in head or "Suggested grade: CONFIDENTIAL" in head
    assert not any(w in done.stdout for w in ("建议密级", "理由", "结论", "机密/", "绝密/", "秘密/"))
    as_json = subprocess.run([sys.executable, "-m", "mijian", "classify", str(draft), "--lang", "en", "--json"],
                             capture_output=True, text=True, env=env, cwd=ROOT)
    out = json.loads(as_json.stdout)
    assert out["rationale"][-1].startswith("Decision:")
    bad = subprocess.run([sys.executable, "-m", "mijian", "classify", str(draft), "--lang", "fr"],
                         capture_output=True, text=True, env=env, cwd=ROOT)
    assert bad.returncode == 2 and "--lang" in bad.stderr


# --- personal data without identifiers ------------------------------------------------------


def test_named_people_with_health_facts_are_personal_data() -> None:
    rows = ["Name | Days lost | Reason", "Paula Gresley | 14 | Surgery (knee)", "Imran Siddiqui | 3 | Migraine",
            "Helen Marsh | 22 | Stress / anxiety", "Tom Beckwith | 1 | Gastric illness"]
    s = classify(doc("Sickness absence summary, quarter 2\n" + "\n".join(rows), "en"))
    assert s.level >= 1, s.rationale
    assert {f.text for f in s.findings if f.rule.startswith("person:sensitive:")} >= {"Paula Gresley", "Helen Marsh"}


def test_stated_number_of_patients_with_their_fields_is_personal_data_in_quantity() -> None:
    s = classify(doc("关于数据迁移的说明\n本次迁移共涉及38,400名患者的姓名、出生日期和诊断信息，迁移完成前请勿对外提供。"))
    assert s.level >= 2, s.rationale
    assert any(f.rule == "people:38400" for f in s.findings)


def test_a_few_dated_lines_are_not_a_roster() -> None:
    s = classify(doc("会议安排\n周一 2024-03-04 部门例会\n周二 2024-03-05 培训\n王明 2024-03-06 值班\n"))
    assert s.level == 0, s.rationale


def test_public_notice_period_inside_a_personnel_matter_is_not_public_context() -> None:
    procedure = classify(doc("关于干部调整的请示\n经研究，拟任命王明同志为局长，履行任前公示程序，公示期5个工作日。"))
    notice = classify(doc("任前公示\n经研究，拟任命王明同志为局长，现予公示，公示期5个工作日。"))
    assert not any(f.rule == "公示期" for f in procedure.findings)
    assert any(f.rule == "公示期" for f in notice.findings)


def test_english_negation_covers_its_clause() -> None:
    s = classify(doc("This report does not contain classified information. It summarises the public consultation.", "en"))
    assert s.level == 0, s.rationale
    assert not any(f.rule == "classified information" for f in s.findings)


def test_declassified_us_report_keeps_its_old_banner_as_history() -> None:
    text = ("SECRET\nSubject: Readiness of air defence units, 1987\nThree batteries were at reduced readiness.\n\n"
            "DECLASSIFIED\nAuthority: EO 13526, Sec. 3.3\nApproved for public release, 2019.")
    s = classify(doc(text, "en"))
    assert s.level == 0, s.rationale
    assert all(f.floor is None for f in s.findings if f.category == "marking")


def test_title_names_the_subject_for_the_whole_draft(scopes) -> None:
    text = "关于高考试卷保管的通知\n\n一、各考点须设专用保密室。\n\n二、启用前实行双人双锁，全程录像。"
    found = match_scopes(normalise(text), read(text), scopes)
    assert [(m.item.id, m.tier) for m in found] == [("t-exam-01", "window")]
    assert {h.word for h in found[0].conditions} == {"启用前"}


def test_not_a_state_secret_is_not_public() -> None:
    s = classify(doc("经审查，本件不属于国家秘密，属于工作秘密。请勿外传。"))
    assert s.level == 1, s.rationale
    told = classify(doc("This note is not classified. It records the team's internal discussion of the draft budget.", "en"))
    assert told.level <= 1


def test_banner_of_a_vetting_paper_stays_its_marking() -> None:
    s = classify(doc("SECRET\nSubject: vetting and clearance of staff for the new facility\nThe review found three lapses.", "en"))
    assert s.level >= 3, s.rationale


def test_decrypted_traffic_is_not_a_declassification_note() -> None:
    s = classify(doc("机密★20年\n关于截获通信的情况报告\n截获的对方电报已解密，内容涉及部队调动。"))
    assert not any(f.rule == "declassified" for f in s.findings)
    assert s.level >= 3, s.rationale


def test_tax_exclusive_price_is_not_a_negation() -> None:
    r = read("我方投标报价不含税为3,280万元，开标前严格保密。")
    assert not r.negated
    assert read("本报告不含涉密内容。").negated


def test_a_public_notice_title_and_an_unmarking_note() -> None:
    notice = classify(doc("某市民族宗教事务局\n关于2023年度宗教活动场所年度报告情况的公告\n现将有关情况公告如下：全市宗教活动场所共147处，清真寺、教堂均通过年检。"))
    assert notice.level == 0, notice.rationale
    assert any(f.rule == "reading:title" for f in notice.findings)
    old = classify(doc("【原标密级：机密】\n【解密标志：经审核，本件已于2019年12月20日解除密级，可向社会开放。】\n关于水库续建工程的会议纪要\n坝高加高至71.5米，溢洪道泄量不足。"))
    assert old.level <= 1 and any(f.rule == "declassified" for f in old.findings), old.rationale


def test_english_provenance_and_generic_details_flag(tmp_path: Path) -> None:
    text = EXAM.replace('provenance = "某规定关于考场的条目"',
                        'provenance = "某规定关于考场的条目"\nprovenance_en = "Rule X, the entry on exam rooms"\ndetails = false')
    items = load_scopes([write(tmp_path, "exam.toml", text)]).items
    assert items[1].source(False) == "Rule X, the entry on exam rooms" and items[1].source(True) == "某规定关于考场的条目"
    assert items[0].source(False) == items[0].provenance and items[0].details and not items[1].details


def test_a_code_designator_does_not_give_an_identity_away() -> None:
    packaged = load_scopes()
    coded = "The informant (CS-4) met the target twice in May; the informant is paid monthly."
    named = "The informant, true name Daniel Ross, met the target twice in May; his home address is on file."
    assert "cn-police-04" not in fired(coded, packaged)
    assert fired(named, packaged).get("cn-police-04") == 3


def test_an_item_that_requires_timing_fires_only_with_it(tmp_path: Path) -> None:
    text = EXAM.replace('window = "paragraph"\nprovenance = "某规定关于试题的条目"',
                        'window = "paragraph"\nprovenance = "某规定关于试题的条目"\nrequires = ["timing"]')
    scopes = load_scopes([write(tmp_path, "exam.toml", text)])
    assert scopes.items[0].requires == ("timing",)
    assert "t-exam-01" not in fired("试题第一题为选择题。", scopes)
    assert fired("试题第一题为选择题，启用前保密。", scopes)["t-exam-01"] == 4


def test_an_item_that_requires_a_restriction_fires_only_with_one(tmp_path: Path) -> None:
    text = EXAM.replace('window = "paragraph"\nprovenance = "某规定关于试题的条目"',
                        'window = "paragraph"\nprovenance = "某规定关于试题的条目"\nrequires = ["restriction"]')
    scopes = load_scopes([write(tmp_path, "exam.toml", text)])
    assert scopes.items[0].requires == ("restriction",)
    assert "t-exam-01" not in fired("试题第一题为选择题，启用前保密。", scopes)
    # the writer's restriction alone: the item fires, at most 机密 (no condition of its own dated it)
    assert fired("试题的答案我发你了，千万别外传。", scopes)["t-exam-01"] == 3
