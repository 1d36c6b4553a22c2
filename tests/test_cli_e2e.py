"""End to end through the ``mijian`` command line, on the sample drafts and real files."""

from __future__ import annotations

import io
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pymupdf
import pytest

from tests.conftest import ROOT, SAMPLES


def run(*args: str, home: Path, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, MIJIAN_HOME=str(home))
    return subprocess.run([sys.executable, "-m", "mijian", *args], capture_output=True,
                          text=True, env=env, cwd=cwd or ROOT, timeout=300)


def run_json(*args: str, home: Path) -> dict:
    done = run(*args, "--json", home=home)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture()
def three(tmp_path: Path) -> Path:
    lines = (SAMPLES / "recipients.csv").read_text(encoding="utf-8").splitlines()
    path = tmp_path / "three.csv"
    path.write_text("\n".join(lines[:4]) + "\n", encoding="utf-8")
    return path


def _passwords(out: Path) -> dict[str, str]:
    rows = (out / "passwords.csv").read_text(encoding="utf-8").splitlines()
    assert rows[0] == "serial,recipient_id,password"
    return {r.split(",")[0]: r.split(",")[2] for r in rows[1:]}


def _trace(path: Path, home: Path) -> dict:
    return run_json("trace", str(path), home=home)


CONTRACT_KEYS = {"document", "sha256", "scheme", "language", "grade", "level", "confidence",
                 "period", "findings", "rationale", "decided_by", "second_reading"}


@pytest.mark.parametrize("name,language,scheme", [
    ("zh_notice_secret.pdf", "zh", "cn-state"), ("en_memo_secret.docx", "en", "us"),
    ("zh_training_public.txt", "zh", "cn-state"), ("en_press_release.txt", "en", "us")])
def test_classify_json_contract(name, language, scheme, home):
    out = run_json("classify", str(SAMPLES / name), home=home)
    assert set(out) == CONTRACT_KEYS
    assert out["language"] == language and out["scheme"] == scheme
    assert 0 <= out["level"] <= 4 and 0.0 <= out["confidence"] <= 1.0
    assert out["rationale"], "every suggestion explains itself"
    text_len = len(out["sha256"])
    assert text_len == 64
    for f in out["findings"]:
        assert set(f) == {"start", "end", "text", "category", "source", "score", "explanation"}
        assert f["source"] in {"lexicon", "pattern", "nlp"} and f["explanation"]


def test_classify_human_report(home):
    done = run("classify", str(SAMPLES / "zh_notice_secret.pdf"), home=home)
    assert done.returncode == 0, done.stderr
    assert "Suggested grade" in done.stdout and "Rationale" in done.stdout


def test_issue_pdf_copies_open_trace_and_register(tmp_path, home, three):
    from pypdf import PdfReader

    out = tmp_path / "out"
    manifest = run_json("issue", str(SAMPLES / "zh_notice_secret.pdf"), "--recipients", str(three),
                        "--out", str(out), home=home)
    copies = manifest["copies"]
    assert [c["serial"] for c in copies] == ["000001", "000002", "000003"]
    assert len({c["copy_id"] for c in copies}) == 3
    assert stat.S_IMODE((out / "passwords.csv").stat().st_mode) == 0o600
    passwords = _passwords(out)
    listed = run_json("register", "list", "--document", manifest["document_id"], home=home)["copies"]
    assert sorted(c["serial"] for c in listed) == ["000001", "000002", "000003"]
    for copy in copies:
        path = out / copy["file"]
        assert PdfReader(path).is_encrypted
        # encrypted as issued
        verdict = _trace(path, home)
        assert verdict["verdict"] == "identified", verdict
        assert verdict["recipient_id"] == copy["recipient_id"] and verdict["serial"] == copy["serial"]
        assert verdict["false_match_probability"] <= 1e-6
        # decrypted, metadata stripped
        doc = pymupdf.open(path)
        assert doc.authenticate(passwords[copy["serial"]])
        assert doc.page_count == 3
        first = doc[0].get_text()
        assert copy["serial"] in first and f"{manifest['grade']}★{manifest['period']}" in first
        plain = tmp_path / f"plain_{copy['serial']}.pdf"
        doc.set_metadata({})
        doc.del_xml_metadata()
        doc.save(plain)
        verdict = _trace(plain, home)
        assert verdict["verdict"] == "identified" and verdict["recipient_id"] == copy["recipient_id"]
        # pasted text of one page
        pasted = tmp_path / f"pasted_{copy['serial']}.txt"
        pasted.write_text(doc[1].get_text(), encoding="utf-8")
        verdict = _trace(pasted, home)
        assert verdict["verdict"] == "identified" and verdict["recipient_id"] == copy["recipient_id"]
        doc.close()
    shown = run_json("register", "show", copies[0]["copy_id"], home=home)
    assert shown["copy"]["serial"] == "000001" and shown["document"]["grade"] == manifest["grade"]
    expected = ["reserved", "issued"] + (["access"] if manifest["level"] >= 3 else [])
    assert [e["action"] for e in shown["events"]] == expected


def test_each_password_opens_only_its_copy(tmp_path, home, three):
    from pypdf import PdfReader

    out = tmp_path / "out"
    manifest = run_json("issue", str(SAMPLES / "en_report_confidential.pdf"), "--recipients",
                        str(three), "--out", str(out), home=home)
    passwords = _passwords(out)
    for copy in manifest["copies"]:
        for serial, password in passwords.items():
            opened = PdfReader(out / copy["file"]).decrypt(password) != 0
            assert opened == (serial == copy["serial"])
        assert PdfReader(out / copy["file"]).decrypt("") == 0


def test_issue_docx_copies_open_and_trace(tmp_path, home, three):
    import docx
    import msoffcrypto

    out = tmp_path / "out"
    manifest = run_json("issue", str(SAMPLES / "en_memo_secret.docx"), "--recipients", str(three),
                        "--out", str(out), home=home)
    passwords = _passwords(out)
    assert manifest["grade"] in {"SECRET", "TOP SECRET", "CONFIDENTIAL"}
    for copy in manifest["copies"]:
        path = out / copy["file"]
        assert path.suffix == ".docx"
        for serial, password in passwords.items():
            office = msoffcrypto.OfficeFile(io.BytesIO(path.read_bytes()))
            office.load_key(password=password)
            sink = io.BytesIO()
            if serial == copy["serial"]:
                office.decrypt(sink)
                plain_bytes = sink.getvalue()
            else:
                with pytest.raises(msoffcrypto.exceptions.InvalidKeyError):
                    office.decrypt(sink)
        verdict = _trace(path, home)
        assert verdict["verdict"] == "identified" and verdict["recipient_id"] == copy["recipient_id"]
        plain = tmp_path / f"plain_{copy['serial']}.docx"
        plain.write_bytes(plain_bytes)
        verdict = _trace(plain, home)
        assert verdict["verdict"] == "identified" and verdict["recipient_id"] == copy["recipient_id"]
        assert verdict["false_match_probability"] <= 1e-6
        body = "\n".join(p.text for p in docx.Document(str(plain)).paragraphs)
        pasted = tmp_path / f"pasted_{copy['serial']}.txt"
        pasted.write_text(body, encoding="utf-8")
        verdict = _trace(pasted, home)
        assert verdict["verdict"] == "identified" and verdict["recipient_id"] == copy["recipient_id"]


def test_text_draft_gives_pdf_copies(tmp_path, home, three):
    out = tmp_path / "out"
    manifest = run_json("issue", str(SAMPLES / "zh_roster_personal.txt"), "--recipients", str(three),
                        "--out", str(out), home=home)
    assert all(c["file"].endswith(".pdf") for c in manifest["copies"])
    verdict = _trace(out / manifest["copies"][2]["file"], home)
    assert verdict["verdict"] == "identified" and verdict["serial"] == "000003"


def test_codes_are_made_with_the_document_key(tmp_path, home, three):
    """The printed code of a copy verifies under its document's key (derived from the office
    key), not under the office master key itself; pasted text of the copy still traces."""
    from mijian.pipeline.office import Office
    from mijian.watermark.codes import check_code, find_codes

    out = tmp_path / "out"
    manifest = run_json("issue", str(SAMPLES / "zh_roster_personal.txt"), "--recipients",
                        str(three), "--out", str(out), home=home)
    copy = manifest["copies"][1]
    with pymupdf.open(out / copy["file"]) as pdf:
        assert pdf.authenticate(_passwords(out)[copy["serial"]])
        text = pdf[0].get_text()
    [found] = {c for c in find_codes("".join(text.split())) if c[0] == copy["copy_id"]}
    with Office.open(home) as office:
        master = office.key()
        assert not check_code([master], *found).valid
        assert check_code([master.for_document(manifest["document_id"])], *found).valid
        assert not check_code([master.for_document("DOC-000000000000")], *found).valid
    pasted = tmp_path / "pasted.txt"
    pasted.write_text(text, encoding="utf-8")
    verdict = _trace(pasted, home)
    assert verdict["verdict"] == "identified" and verdict["serial"] == copy["serial"]


def test_unmarked_other_office_and_forged_are_inconclusive(tmp_path, home, three):
    out = tmp_path / "out"
    manifest = run_json("issue", str(SAMPLES / "zh_notice_secret.pdf"), "--recipients", str(three),
                        "--out", str(out), home=home)
    for draft in ("zh_notice_secret.pdf", "en_memo_secret.docx", "en_press_release.txt"):
        verdict = _trace(SAMPLES / draft, home)
        assert verdict["verdict"] == "inconclusive" and verdict["recipient_id"] is None
    other_home = tmp_path / "other-office"
    copy = out / manifest["copies"][0]["file"]
    verdict = _trace(copy, other_home)
    assert verdict["verdict"] == "inconclusive"
    # a hand-made text naming a real recipient and serial with a made-up code
    forged = tmp_path / "forged.txt"
    real = manifest["copies"][1]
    forged.write_text(f"{real['recipient_name']} 份号 {real['serial']}\nMJ1-{real['copy_id']}-ABCDEFGH\n",
                      encoding="utf-8")
    verdict = _trace(forged, home)
    assert verdict["verdict"] == "inconclusive"
    assert any(l["name"] == "visible-code" and l["verdict"] == "invalid" for l in verdict["layers"])


def test_tampered_token_is_not_trusted(tmp_path, home, three):
    out = tmp_path / "out"
    manifest = run_json("issue", str(SAMPLES / "en_report_confidential.pdf"), "--recipients",
                        str(three), "--out", str(out), home=home)
    first, second = manifest["copies"][0], manifest["copies"][1]
    password = _passwords(out)[first["serial"]]
    doc = pymupdf.open(out / first["file"])
    doc.authenticate(password)
    # Forge: put the second copy's id into the first copy's token, and remove the page text.
    info = doc.xref_get_key(-1, "Info")
    assert info[0] == "xref"
    token_key = doc.xref_get_key(int(info[1].split()[0]), "MijianToken")
    forged_token = token_key[1].strip("()").replace(first["copy_id"], second["copy_id"])
    doc.xref_set_key(int(info[1].split()[0]), "MijianToken", pymupdf.get_pdf_str(forged_token))
    doc.del_xml_metadata()
    for page in doc:
        page.add_redact_annot(page.rect)
        page.apply_redactions()
    forged = tmp_path / "forged.pdf"
    doc.save(forged)
    verdict = _trace(forged, home)
    assert verdict["verdict"] == "inconclusive", verdict
    assert any(l["name"] == "metadata" and l["verdict"] == "invalid" for l in verdict["layers"])


def test_lowering_needs_justification_and_is_recorded(tmp_path, home, three):
    out = tmp_path / "out"
    suggested = run_json("classify", str(SAMPLES / "zh_notice_secret.pdf"), home=home)
    assert suggested["level"] >= 2
    lower = "内部" if suggested["level"] >= 2 else "公开"
    refused = run("issue", str(SAMPLES / "zh_notice_secret.pdf"), "--recipients", str(three),
                  "--grade", lower, "--out", str(out), home=home)
    assert refused.returncode == 2 and "justification" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    assert not out.exists()
    manifest = run_json("issue", str(SAMPLES / "zh_notice_secret.pdf"), "--recipients", str(three),
                        "--grade", lower, "--justification", "内容已在会上公开通报", "--out", str(out),
                        home=home)
    assert manifest["grade"] == lower
    shown = run_json("register", "show", manifest["copies"][0]["copy_id"], home=home)
    assert shown["document"]["justification"] == "内容已在会上公开通报"
    assert shown["document"]["suggested_grade"] == suggested["grade"]


def test_rerun_skips_holders_and_serials_continue(tmp_path, home, three):
    out = tmp_path / "out"
    draft = str(SAMPLES / "zh_notice_secret.pdf")
    run_json("issue", draft, "--recipients", str(three), "--out", str(out), home=home)
    again = run_json("issue", draft, "--recipients", str(SAMPLES / "recipients.csv"), "--out",
                     str(out), home=home)
    serials = [c["serial"] for c in again["copies"]]
    assert serials == [f"{n:06d}" for n in range(1, len(serials) + 1)]
    assert len(serials) == len((SAMPLES / "recipients.csv").read_text().strip().splitlines()) - 1


@pytest.mark.parametrize("name,content", [
    ("empty.pdf", b""), ("broken.pdf", b"%PDF-1.7\n1 0 obj\n<<>>\ngarbage"),
    ("wrong.docx", b"plain text, not a zip"), ("draft.odt", b"whatever"),
    ("latin1.txt", "café".encode("latin-1"))])
def test_bad_input_exits_3_one_line_nothing_written(tmp_path, home, three, name, content):
    draft = tmp_path / name
    draft.write_bytes(content)
    out = tmp_path / "out"
    for args in (("classify", str(draft)), ("issue", str(draft), "--recipients", str(three), "--out", str(out))):
        done = run(*args, home=home)
        assert done.returncode == 3, (name, done.stderr)
        assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
        assert done.stdout == ""
    assert not out.exists() and not home.exists()


def test_encrypted_input_exits_3(tmp_path, home, three):
    corpus = ROOT.parent / "shared" / "corpus" / "malformed"
    for name in ("pypdf_enc_r6_user.pdf", "poi_enc_pw_pass.docx"):
        if not (corpus / name).exists():
            pytest.skip("shared corpus not present")
        done = run("issue", str(corpus / name), "--recipients", str(three), "--out",
                   str(tmp_path / "o"), home=home)
        assert done.returncode == 3 and "password" in done.stderr.lower(), done.stderr
        assert not (tmp_path / "o").exists()


def test_bad_recipients_exit_3(tmp_path, home):
    bad = tmp_path / "r.csv"
    bad.write_text("id,name\nR1,张三\nR1,李四\n", encoding="utf-8")
    done = run("issue", str(SAMPLES / "en_press_release.txt"), "--recipients", str(bad), home=home)
    assert done.returncode == 3 and "appears twice" in done.stderr
    assert not home.exists()


def test_unknown_copy_is_exit_4(home):
    done = run("register", "show", "NOSUCHCOPY00", home=home)
    assert done.returncode == 4 and len(done.stderr.strip().splitlines()) == 1


def test_usage_error_exit_2(home):
    done = run("issue", str(SAMPLES / "en_press_release.txt"), home=home)
    assert done.returncode == 2


def test_lifecycle_verify_backup_and_rotation(tmp_path, home, three):
    out = tmp_path / "out"
    manifest = run_json("issue", str(SAMPLES / "en_press_release.txt"), "--recipients", str(three),
                        "--out", str(out), home=home)
    first, second = manifest["copies"][0], manifest["copies"][1]
    assert run_json("register", "sign", first["copy_id"], "--by", "Zhou", home=home)["copy"]["status"] == "signed"
    assert run_json("register", "return", first["copy_id"], "--to", "clerk", home=home)["copy"]["status"] == "returned"
    refused = run("register", "sign", first["copy_id"], "--by", "Zhou", home=home)
    assert refused.returncode == 4 and "cannot be signed for" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    done = run_json("register", "destroy", first["copy_id"], "--approver", "Wang", "--witness", "Li",
                    "--method", "shredded", home=home)
    assert done["copy"]["status"] == "destroyed"
    assert [e["action"] for e in run_json("register", "history", first["copy_id"], home=home)["events"]] == \
        ["reserved", "issued", "signed", "returned", "destroyed"]
    outstanding = run_json("register", "outstanding", home=home)["copies"]
    assert first["copy_id"] not in {c["copy_id"] for c in outstanding}
    holders = run_json("register", "holders", manifest["document_id"], home=home)["holders"]
    assert {h["serial"] for h in holders} == {"000002", "000003"}
    assert run("register", "verify", home=home).returncode == 0
    backup = tmp_path / "backup.db"
    assert run("register", "backup", str(backup), home=home).returncode == 0 and backup.exists()
    assert run("keys", "rotate", home=home).returncode == 0
    verdict = _trace(out / second["file"], home)  # issued under the old key
    assert verdict["verdict"] == "identified" and verdict["serial"] == "000002", \
        json.dumps(verdict, ensure_ascii=False)
    assert run("register", "verify", home=home).returncode == 0
    import sqlite3

    conn = sqlite3.connect(home / "register.db")
    conn.execute("DROP TRIGGER events_no_update")
    conn.execute("UPDATE events SET actor = 'mallory' WHERE seq = 2")
    conn.commit()
    conn.close()
    tampered = run("register", "verify", home=home)
    assert tampered.returncode == 4 and "tampered" in tampered.stderr


@pytest.mark.parametrize("draft", ["en_report_confidential.pdf", "zh_meeting_internal.docx"])
def test_excerpt_of_pasted_text_traces_through_text_code(tmp_path, home, three, draft):
    """150–200 characters copied from the middle of the body still name the copy."""
    import docx

    from mijian.pipeline.issuing import decrypt_copy

    out = tmp_path / "out"
    manifest = run_json("issue", str(SAMPLES / draft), "--recipients", str(three), "--out", str(out), home=home)
    passwords = _passwords(out)
    copy = manifest["copies"][1]
    plain = tmp_path / ("plain" + Path(draft).suffix)
    plain.write_bytes(decrypt_copy(out / copy["file"], passwords[copy["serial"]]))
    if plain.suffix == ".pdf":
        text = pymupdf.open(plain)[0].get_text(sort=True)
    else:
        text = "\n".join(p.text for p in docx.Document(str(plain)).paragraphs)
    visible = [i for i, ch in enumerate(text) if ch.isalnum()]
    start = visible[len(visible) // 3]
    excerpt, count, i = [], 0, start
    while count < 180 and i < len(text):
        excerpt.append(text[i])
        count += (text[i].isprintable() and not text[i].isspace() and ord(text[i]) < 0x2000) or "\u4e00" <= text[i] <= "\u9fff"
        i += 1
    pasted = tmp_path / "excerpt.txt"
    pasted.write_text("".join(excerpt), encoding="utf-8")
    verdict = _trace(pasted, home)
    assert verdict["verdict"] == "identified" and verdict["recipient_id"] == copy["recipient_id"], verdict
    assert any(l["name"] == "text-code" and l["verdict"] == "valid" for l in verdict["layers"])


def test_page_images_and_print_to_pdf_trace(tmp_path, home, three):
    from PIL import Image

    from mijian.pipeline.issuing import decrypt_copy

    out = tmp_path / "out"
    manifest = run_json("issue", str(SAMPLES / "zh_notice_secret.pdf"), "--recipients", str(three),
                        "--out", str(out), home=home)
    copy = manifest["copies"][2]
    plain = decrypt_copy(out / copy["file"], _passwords(out)[copy["serial"]])
    page = pymupdf.open(stream=plain, filetype="pdf")[1]
    pix = page.get_pixmap(dpi=150)
    image = Image.frombytes("RGB", (pix.width, pix.height), pix.samples)
    leaks = {"page.png": image, "page.jpg": image, "half.png": image.resize((image.width // 2, image.height // 2))}
    for name, picture in leaks.items():
        picture.save(tmp_path / name, **({"quality": 50} if name.endswith(".jpg") else {}))
    printed = pymupdf.open()
    sheet = printed.new_page(width=page.rect.width, height=page.rect.height)
    sheet.insert_image(sheet.rect, filename=str(tmp_path / "page.png"))
    printed.save(tmp_path / "printed.pdf")
    for name in (*leaks, "printed.pdf"):
        verdict = _trace(tmp_path / name, home)
        assert verdict["verdict"] == "identified" and verdict["recipient_id"] == copy["recipient_id"], (name, verdict)
        assert verdict["false_match_probability"] <= 1e-6
    unmarked = pymupdf.open(SAMPLES / "zh_notice_secret.pdf")[0].get_pixmap(dpi=150)
    unmarked.save(tmp_path / "unmarked.png")
    assert _trace(tmp_path / "unmarked.png", home)["verdict"] == "inconclusive"
    (tmp_path / "garbage.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    bad = run("trace", str(tmp_path / "garbage.png"), home=home)
    assert bad.returncode == 3 and len(bad.stderr.strip().splitlines()) == 1


def test_averaged_page_images_report_several_copies(tmp_path, home, three):
    """Two recipients average their page images (above the footer QR): the trace names no one
    (inconclusive, or a conflict between the two colluders' fingerprints read in different
    regions), and says that the marks of several copies are present; one copy's part of the
    page still traces."""
    import numpy as np
    from PIL import Image

    from mijian.pipeline.issuing import decrypt_copy

    out = tmp_path / "out"
    manifest = run_json("issue", str(SAMPLES / "zh_notice_secret.pdf"), "--recipients", str(three),
                        "--out", str(out), home=home)
    passwords = _passwords(out)
    renders = []
    for copy in manifest["copies"][:2]:
        plain = decrypt_copy(out / copy["file"], passwords[copy["serial"]])
        pix = pymupdf.open(stream=plain, filetype="pdf")[0].get_pixmap(dpi=150)
        image = np.asarray(Image.frombytes("RGB", (pix.width, pix.height), pix.samples), np.float32)
        renders.append(image[: image.shape[0] * 2 // 3])
    Image.fromarray(renders[0].astype(np.uint8)).save(tmp_path / "one.png")
    Image.fromarray(((renders[0] + renders[1]) / 2).round().astype(np.uint8)).save(tmp_path / "avg.png")
    one = _trace(tmp_path / "one.png", home)
    assert one["verdict"] == "identified"
    assert one["recipient_id"] == manifest["copies"][0]["recipient_id"]
    averaged = _trace(tmp_path / "avg.png", home)
    colluders = {c["recipient_id"] for c in manifest["copies"][:2]}
    assert averaged["verdict"] in {"inconclusive", "conflict"} and averaged["recipient_id"] is None
    assert {p["recipient_id"] for p in averaged["points_to"]} <= colluders
    assert any(l["name"] == "fusion" and l["verdict"] == "several copies"
               for l in averaged["layers"]), averaged


def test_catalogue_basis_reaches_the_register_and_html_report(tmp_path, home, three):
    catalogue = SAMPLES / "catalogue.toml"
    html = tmp_path / "report.html"
    result = run("classify", str(SAMPLES / "zh_notice_secret.pdf"), "--catalogue", str(catalogue),
                 "--html", str(html), "--json", home=home)
    assert result.returncode == 0, result.stderr
    suggestion = json.loads(result.stdout)
    page = html.read_text(encoding="utf-8")
    assert "<script" not in page.lower() and suggestion["grade"] in page
    out = tmp_path / "out"
    manifest = run_json("issue", str(SAMPLES / "zh_notice_secret.pdf"), "--recipients", str(three),
                        "--catalogue", str(catalogue), "--out", str(out), home=home)
    assert manifest["period"] == suggestion["period"]
    shown = run_json("register", "show", manifest["copies"][0]["copy_id"], home=home)
    basis = shown["document"]["basis"]
    assert basis and any(ch.isdigit() for ch in basis), "the catalogue item is cited as the basis"
    bad = tmp_path / "bad.toml"
    bad.write_text("[[item]]\nid = 'X'\n", encoding="utf-8")
    refused = run("classify", str(SAMPLES / "zh_notice_secret.pdf"), "--catalogue", str(bad), home=home)
    assert refused.returncode != 0 and str(bad.name) in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1


def test_top_secret_needs_approver_and_records_access(tmp_path, home, three):
    out = tmp_path / "out"
    draft = str(SAMPLES / "zh_notice_secret.pdf")
    refused = run("issue", draft, "--recipients", str(three), "--grade", "绝密", "--out", str(out), home=home)
    assert refused.returncode == 2 and "--approver" in refused.stderr
    assert not out.exists()
    manifest = run_json("issue", draft, "--recipients", str(three), "--grade", "绝密", "--approver", "王局长",
                        "--out", str(out), home=home)
    assert manifest["grade"] == "绝密" and manifest["period"] == "30年"
    for copy in manifest["copies"]:
        events = run_json("register", "history", copy["copy_id"], home=home)["events"]
        assert [e["action"] for e in events] == ["reserved", "issued", "access"]
        assert events[0]["detail"]["approver"] == "王局长"
        assert events[2]["detail"]["recipient_id"] == copy["recipient_id"]


def test_docx_excerpt_from_inside_a_long_paragraph_traces(tmp_path, home, three):
    import docx

    from mijian.pipeline.issuing import decrypt_copy
    from mijian.watermark import textcode

    out = tmp_path / "out"
    manifest = run_json("issue", str(SAMPLES / "en_memo_secret.docx"), "--recipients", str(three),
                        "--out", str(out), home=home)
    copy = manifest["copies"][0]
    plain = tmp_path / "plain.docx"
    plain.write_bytes(decrypt_copy(out / copy["file"], _passwords(out)[copy["serial"]]))
    longest = max((p.text for p in docx.Document(str(plain)).paragraphs), key=len)
    assert len(textcode.strip(longest)) > 400
    middle = len(longest) // 2
    excerpt = tmp_path / "excerpt.txt"
    excerpt.write_text(longest[middle - 110:middle + 110], encoding="utf-8")
    assert 150 <= len(textcode.strip(excerpt.read_text(encoding="utf-8"))) <= 220
    verdict = _trace(excerpt, home)
    assert verdict["verdict"] == "identified" and verdict["recipient_id"] == copy["recipient_id"], verdict


def test_json_output_stays_clean_on_a_damaged_font(tmp_path, home, three):
    """A real PDF whose fonts MuPDF complains about ("unknown cid font type") still gives pure
    JSON on stdout from issue and trace."""
    from tests.conftest import CORPUS

    draft = CORPUS / "real" / "pdfjs_zh_kb_template.pdf"
    if not draft.exists():
        pytest.skip("shared corpus file pdfjs_zh_kb_template.pdf is not present")
    out = tmp_path / "out"
    done = run("issue", str(draft), "--recipients", str(three), "--out", str(out), "--json",
               home=home)
    assert done.returncode == 0, done.stderr
    manifest = json.loads(done.stdout)
    assert "MuPDF" not in done.stdout
    traced = run("trace", str(out / manifest["copies"][0]["file"]), "--json", home=home)
    assert json.loads(traced.stdout)["verdict"] == "identified"
