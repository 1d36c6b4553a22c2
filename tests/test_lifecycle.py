"""The life of a copy: allowed and refused transitions, history, outstanding copies and holders."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from mijian.pipeline import lifecycle
from mijian.pipeline.errors import RegisterError, UsageError
from mijian.pipeline.claims import RunClaim
from mijian.pipeline.lifecycle import (TRANSITIONS, Holder, destroy, history, holders, mark_lost,
                                outstanding, return_copy, sign_for, void)
from mijian.pipeline.office import Office
from tests.conftest import secret_document_record
from mijian.pipeline.register import CopyRecord, DocumentRecord

CLOCK = "2026-03-04T05:06:07+00:00"

# copy id, document, serial, recipient id, name, unit
COPIES = [
    ("0A1B2C3D4E5F", "DOC-1", "000001", "R1", "张三", "办公室"),
    ("1B2C3D4E5F6G", "DOC-1", "000002", "R2", "李四", "财务处"),
    ("64S36D1N6RVK", "DOC-1", "000003", "R3", "王五", "人事处"),
    ("2C3D4E5F6G7H", "DOC-1", "000004", "R4", "Alice Smith", "Legal"),
    ("3D4E5F6G7H8J", "DOC-1", "000005", "R5", "赵六", ""),
    ("9Z8Y7X6W5V4T", "DOC-2", "000001", "R1", "张三", "办公室"),
]
TARGET = "64S36D1N6RVK"  # serial 000003


def _document(doc_id: str) -> DocumentRecord:
    return secret_document_record(doc_id)


def _copy(copy_id: str, doc_id: str, serial: str, rid: str, name: str, unit: str) -> CopyRecord:
    return CopyRecord(copy_id=copy_id, document_id=doc_id, serial=serial, recipient_id=rid,
                      recipient_name=name, recipient_unit=unit, file=f"{serial}_{rid}.pdf",
                      file_sha256=hashlib.sha256(copy_id.encode()).hexdigest(), key_id="k",
                      issued_at="2026-01-02T00:00:00+00:00", status="issued",
                      status_at="2026-01-02T00:00:00+00:00", sealed_password=b"sealed")


@pytest.fixture()
def office(tmp_path: Path):
    """An office holding DOC-1 with five issued copies and DOC-2 with one."""
    with Office.open(tmp_path / "home") as opened:
        register, key = opened.register, opened.key()
        with register.transaction():
            register.add_document(_document("DOC-1"), key, "机要员")
            register.add_document(_document("DOC-2"), key, "机要员")
            for row in COPIES:
                register.add_copy(_copy(*row), key, "机要员")
        register.clock = lambda: CLOCK
        yield opened


def _do(office: Office, verb: str, copy_id: str) -> CopyRecord:
    if verb == "void":
        return void(office, copy_id, "制作失败", "机要员")
    if verb == "sign_for":
        return sign_for(office, copy_id, "王五", "机要员")
    if verb == "return":
        return return_copy(office, copy_id, "机要员甲", "机要员")
    if verb == "destroy":
        return destroy(office, copy_id, "李主任", "赵监销", "粉碎", "机要员")
    return mark_lost(office, copy_id, "出差途中遗失", "机要员")


# How to bring an issued copy into each status.
REACH = {"issued": [], "signed": ["sign_for"], "returned": ["return"], "destroyed": ["destroy"],
         "lost": ["mark_lost"]}

ALLOWED = {"sign_for": {"issued", "unassigned"}, "return": {"issued", "signed", "unassigned"},
           "destroy": {"issued", "signed", "returned", "unassigned"},
           "mark_lost": {"issued", "signed", "unassigned"}, "void": {"pending"}}
# unassigned copies come from a print run: their steps are tested in tests/test_print_run.py
NEW_STATUS = {"sign_for": "signed", "return": "returned", "destroy": "destroyed", "mark_lost": "lost",
              "void": "voided"}
DETAIL = {"sign_for": {"by": "王五"}, "return": {"to": "机要员甲"},
          "destroy": {"approver": "李主任", "witness": "赵监销", "method": "粉碎"},
          "mark_lost": {"note": "出差途中遗失"}}


def _reach(office: Office, status: str, copy_id: str = TARGET) -> None:
    for verb in REACH[status]:
        _do(office, verb, copy_id)
    assert office.register.get_copy(copy_id).status == status


def _event_count(office: Office) -> int:
    return len(list(office.register.events()))


def test_transition_table_is_the_rule():
    assert {verb: set(t.allowed_from) for verb, t in TRANSITIONS.items()} == ALLOWED
    assert {verb: t.action for verb, t in TRANSITIONS.items()} == NEW_STATUS


@pytest.mark.parametrize("verb,start", sorted((v, s) for v, froms in ALLOWED.items() for s in froms
                                              if s in REACH))
def test_allowed_transition(office, verb, start):
    _reach(office, start)
    before = _event_count(office)
    record = _do(office, verb, TARGET)
    assert record.status == NEW_STATUS[verb]
    assert record.status_at == CLOCK
    assert office.register.get_copy(TARGET) == record
    events = list(office.register.events())
    assert len(events) == before + 1
    last = history(office, TARGET)[-1]
    assert last["action"] == NEW_STATUS[verb]
    assert last["actor"] == "机要员"
    assert last["document_id"] == "DOC-1" and last["copy_id"] == TARGET
    assert last["detail"] == {"serial": "000003", "from": start, **DETAIL[verb]}
    others = [c for c in office.register.list_copies() if c.copy_id != TARGET]
    assert {c.status for c in others} == {"issued"}


REFUSED = [
    ("sign_for", "signed", "is signed; it cannot be signed for; nothing was changed; "
     "possible now: return (清退), destroy (销毁), mark lost (登记遗失)"),
    ("sign_for", "returned", "is returned; it cannot be signed for; nothing was changed; "
     "possible now: destroy (销毁)"),
    ("sign_for", "destroyed", "is destroyed; it cannot be signed for; nothing was changed; "
     "a destroyed copy allows no further step"),
    ("sign_for", "lost", "is lost; it cannot be signed for; nothing was changed; "
     "a lost copy allows no further step"),
    ("return", "returned", "is returned; it cannot be returned; nothing was changed; "
     "possible now: destroy (销毁)"),
    ("return", "destroyed", "is destroyed; it cannot be returned; nothing was changed; "
     "a destroyed copy allows no further step"),
    ("return", "lost", "is lost; it cannot be returned; nothing was changed; "
     "a lost copy allows no further step"),
    ("destroy", "destroyed", "is destroyed; it cannot be destroyed; nothing was changed; "
     "a destroyed copy allows no further step"),
    ("destroy", "lost", "is lost; it cannot be destroyed; nothing was changed; "
     "a lost copy allows no further step"),
    ("mark_lost", "returned", "is returned; it cannot be marked lost; nothing was changed; "
     "possible now: destroy (销毁)"),
    ("mark_lost", "destroyed", "is destroyed; it cannot be marked lost; nothing was changed; "
     "a destroyed copy allows no further step"),
    ("mark_lost", "lost", "is lost; it cannot be marked lost; nothing was changed; "
     "a lost copy allows no further step"),
    ("void", "issued", "is issued; it cannot be voided; nothing was changed; possible now: "
     "sign for (签收), return (清退), destroy (销毁), mark lost (登记遗失)"),
    ("void", "signed", "is signed; it cannot be voided; nothing was changed; possible now: "
     "return (清退), destroy (销毁), mark lost (登记遗失)"),
    ("void", "returned", "is returned; it cannot be voided; nothing was changed; "
     "possible now: destroy (销毁)"),
    ("void", "destroyed", "is destroyed; it cannot be voided; nothing was changed; "
     "a destroyed copy allows no further step"),
    ("void", "lost", "is lost; it cannot be voided; nothing was changed; "
     "a lost copy allows no further step"),
]


def test_refused_table_covers_every_other_pair():
    statuses = set(REACH)
    refused = {(verb, start) for verb, start, _ in REFUSED}
    assert refused == {(v, s) for v in ALLOWED for s in statuses - ALLOWED[v]}


@pytest.mark.parametrize("verb,start,fragment", REFUSED)
def test_refused_transition(office, verb, start, fragment):
    _reach(office, start)
    before = office.register.get_copy(TARGET)
    count = _event_count(office)
    with pytest.raises(RegisterError) as info:
        _do(office, verb, TARGET)
    message = str(info.value)
    assert message.startswith(f"copy {TARGET} (份号 000003) {fragment}")
    assert "\n" not in message
    assert "未作任何更改" in message
    assert office.register.get_copy(TARGET) == before
    assert _event_count(office) == count


def test_example_message_reads_as_documented(office):
    _reach(office, "destroyed")
    with pytest.raises(RegisterError, match=r"^copy 64S36D1N6RVK \(份号 000003\) is destroyed; "
                                            r"it cannot be signed for; nothing was changed"):
        sign_for(office, TARGET, "王五", "机要员")


@pytest.mark.parametrize("verb", sorted(ALLOWED))
def test_unknown_copy(office, verb):
    count = _event_count(office)
    with pytest.raises(RegisterError, match="copy 'NOSUCHCOPY00' is not in the register"):
        _do(office, verb, "NOSUCHCOPY00")
    assert _event_count(office) == count


def test_history_of_unknown_copy(office):
    with pytest.raises(RegisterError, match="not in the register"):
        history(office, "NOSUCHCOPY00")


@pytest.mark.parametrize("approver,witness,fragment", [
    ("", "赵监销", "the approver of the destruction is required"),
    ("李主任", "  ", "the witness of the destruction is required"),
    (None, "赵监销", "审批人不能为空"),
    ("李主任", "李主任", "must be two different people"),
    ("Li Wei", " li wei ", "审批人与监销人不得为同一人"),
    # the clerk recording the destruction approving it as well: nobody else's word (the web
    # app refused it; the command line took it)
    ("机要员", "赵监销", "cannot approve itself"),
    ("机要员\u3000", "赵监销", "审批人不能是申请人"),
])
def test_destroy_needs_two_people(office, approver, witness, fragment):
    count = _event_count(office)
    with pytest.raises(UsageError, match=fragment):
        destroy(office, TARGET, approver, witness, actor="机要员")
    assert office.register.get_copy(TARGET).status == "issued"
    assert _event_count(office) == count


def test_destroy_without_method_and_with_keywords(office):
    record = destroy(office, TARGET, approver=" 李主任 ", witness="赵监销", actor="机要员")
    assert record.status == "destroyed"
    assert history(office, TARGET)[-1]["detail"] == {
        "serial": "000003", "from": "issued", "approver": "李主任", "witness": "赵监销", "method": None}


@pytest.mark.parametrize("call,fragment", [
    (lambda o: sign_for(o, TARGET, " ", "机要员"), "签收人不能为空"),
    (lambda o: return_copy(o, TARGET, "", "机要员"), "接收人不能为空"),
    (lambda o: mark_lost(o, TARGET, "", "机要员"), "遗失情况不能为空"),
    (lambda o: sign_for(o, TARGET, "王五", ""), "登记人不能为空"),
    (lambda o: destroy(o, TARGET, "李主任", "赵监销"), "登记人不能为空"),
])
def test_empty_names_are_usage_errors(office, call, fragment):
    with pytest.raises(UsageError, match=fragment):
        call(office)
    assert office.register.get_copy(TARGET).status == "issued"


def test_failure_while_signing_rolls_everything_back(office, monkeypatch):
    class BrokenKey:
        key_id = "broken"

        def sign(self, data: bytes) -> bytes:
            raise OSError("disk gone")

    count = _event_count(office)
    monkeypatch.setattr(office, "key", lambda: BrokenKey())
    with pytest.raises(OSError):
        sign_for(office, TARGET, "王五", "机要员")
    assert office.register.get_copy(TARGET).status == "issued"
    assert _event_count(office) == count


def test_history_in_order(office):
    sign_for(office, TARGET, "王五", "机要员")
    sign_for(office, COPIES[0][0], "张三", "机要员")  # another copy: not in this history
    return_copy(office, TARGET, "机要员甲", "机要员乙")
    destroy(office, TARGET, "李主任", "赵监销", "粉碎", "机要员")
    events = history(office, TARGET)
    assert [e["action"] for e in events] == ["issued", "signed", "returned", "destroyed"]
    seqs = [e["seq"] for e in events]
    assert seqs == sorted(seqs) and len(set(seqs)) == 4
    assert all("signature" not in e for e in events)
    assert all(isinstance(e["detail"], dict) for e in events)
    assert events[0]["detail"]["recipient_name"] == "王五"
    assert [e["detail"].get("from") for e in events[1:]] == ["issued", "signed", "returned"]
    assert events[2]["actor"] == "机要员乙"
    assert {e["copy_id"] for e in events} == {TARGET}
    for e in events[1:]:
        assert e["at"] == CLOCK


def test_outstanding_and_holders(office):
    ids = [row[0] for row in COPIES]
    sign_for(office, ids[1], "李四", "机要员")
    return_copy(office, ids[2], "机要员甲", "机要员")
    destroy(office, ids[3], "李主任", "赵监销", None, "机要员")
    mark_lost(office, ids[4], "遗失", "机要员")
    assert [(c.serial, c.status) for c in outstanding(office, "DOC-1")] == [
        ("000001", "issued"), ("000002", "signed"), ("000005", "lost")]
    assert [(c.document_id, c.serial) for c in outstanding(office)] == [
        ("DOC-1", "000001"), ("DOC-1", "000002"), ("DOC-1", "000005"), ("DOC-2", "000001")]
    assert holders(office, "DOC-1") == [
        Holder("R1", "张三", "办公室", "000001", ids[0], "issued"),
        Holder("R2", "李四", "财务处", "000002", ids[1], "signed"),
        Holder("R5", "赵六", "", "000005", ids[4], "lost"),
    ]
    assert [h.serial for h in holders(office, "DOC-2")] == ["000001"]
    return_copy(office, ids[0], "机要员甲", "机要员")
    assert [h.recipient_id for h in holders(office, "DOC-1")] == ["R2", "R5"]


def test_holders_of_unknown_document(office):
    with pytest.raises(RegisterError, match="document DOC-X is not in the register"):
        holders(office, "DOC-X")


def test_values_are_frozen():
    holder = Holder("R1", "张三", "", "000001", "X", "issued")
    with pytest.raises(AttributeError):
        holder.status = "returned"  # type: ignore[misc]
    with pytest.raises(TypeError):
        TRANSITIONS["new"] = TRANSITIONS["destroy"]  # type: ignore[index]
    assert lifecycle.possible_verbs("returned") == (TRANSITIONS["destroy"],)
    assert lifecycle.possible_verbs("destroyed") == ()


# -- voiding a pending copy -------------------------------------------------------------

PENDING_ID = "7P7P7P7P7P7P"


def _pending(office: Office, claim: str | None, file: str = "/nonexistent/000006_R6.pdf") -> CopyRecord:
    """Reserve serial 000006 of DOC-1 for R6 under ``claim``, as an issuing run would."""
    record = CopyRecord(copy_id=PENDING_ID, document_id="DOC-1", serial="000006",
                        recipient_id="R6", recipient_name="钱七", recipient_unit="",
                        file=file, file_sha256="", key_id="k",
                        issued_at=CLOCK, status="pending", status_at=CLOCK,
                        sealed_password=b"sealed", claim=claim, fingerprint=66)
    with office.register.transaction():
        office.register.reserve_copy(record, office.key(), "机要员", {"file": record.file})
    return record


def _dead_claim() -> str:
    """The claim of a run that has ended (its lock file was released and removed)."""
    import socket

    return f"{socket.gethostname()}:999999:0123456789abcdef"


def test_void_a_pending_copy_whose_run_is_gone(office, tmp_path):
    placed = tmp_path / "000006_R6.pdf"  # renamed into place, then the run was killed
    placed.write_bytes(b"%PDF-1.7 marked copy")
    keep = tmp_path / "other.pdf"
    keep.write_bytes(b"%PDF-1.7 not ours")
    _pending(office, _dead_claim(), str(placed))
    record = void(office, PENDING_ID, " 进程已终止 ", "机要员")
    assert not placed.exists() and keep.exists()
    assert (record.status, record.serial, record.status_at) == ("voided", "000006", CLOCK)
    assert record.sealed_password is None and record.claim is None
    last = history(office, PENDING_ID)[-1]
    assert last["action"] == "voided" and last["actor"] == "机要员"
    assert last["detail"] == {"serial": "000006", "from": "pending", "recipient_id": "R6",
                              "reason": "进程已终止", "facts": {"sealed_password": None}}
    # the serial stays taken, nobody holds the voided copy, and nothing follows it
    assert "000006" in [c.serial for c in office.register.list_copies("DOC-1")]
    assert PENDING_ID not in [c.copy_id for c in outstanding(office, "DOC-1")]
    assert office.register.held_copy("DOC-1", "R6") is None
    assert lifecycle.possible_verbs("voided") == ()
    with pytest.raises(RegisterError, match="is voided; it cannot be voided"):
        void(office, PENDING_ID, "again", "机要员")


def test_void_refused_while_the_reserving_run_lives(office, tmp_path):
    run = RunClaim(office.home)
    try:
        _pending(office, run.text)
        count = _event_count(office)
        with pytest.raises(RegisterError, match=r"is being issued by a run that is still alive.*"
                                                r"未作任何更改"):
            void(office, PENDING_ID, "stuck", "机要员")
        assert office.register.get_copy(PENDING_ID).status == "pending"
        assert _event_count(office) == count
    finally:
        run.release()
    assert void(office, PENDING_ID, "run ended", "机要员").status == "voided"


def test_void_refused_for_a_run_on_another_host(office):
    _pending(office, "some-other-host.example:4242:00aa11bb22cc33dd")
    with pytest.raises(RegisterError, match=r"still alive.*add --other-host-gone"):
        void(office, PENDING_ID, "stuck", "机要员")
    assert office.register.get_copy(PENDING_ID).status == "pending"
    record = void(office, PENDING_ID, "host retired", "机要员", other_host_gone=True)
    assert record.status == "voided"
    assert history(office, PENDING_ID)[-1]["detail"]["other_host_gone"] == "some-other-host.example"


def test_other_host_gone_is_refused_for_a_run_of_this_host(office):
    run = RunClaim(office.home)
    try:
        _pending(office, run.text)
        with pytest.raises(UsageError, match="reserved on this host"):
            void(office, PENDING_ID, "stuck", "机要员", other_host_gone=True)
        assert office.register.get_copy(PENDING_ID).status == "pending"
    finally:
        run.release()


def test_void_needs_a_reason_and_a_pending_copy_names_void(office):
    _pending(office, None)
    with pytest.raises(UsageError, match="作废原因不能为空"):
        void(office, PENDING_ID, "  ", "机要员")
    with pytest.raises(RegisterError, match=r"is pending; it cannot be signed for.*void \(作废\)"):
        sign_for(office, PENDING_ID, "钱七", "机要员")


def test_void_removes_only_a_file_under_the_copys_own_name(office, tmp_path):
    precious = tmp_path / "precious.txt"  # a register row edited to point elsewhere
    precious.write_text("keep", encoding="utf-8")
    _pending(office, _dead_claim(), str(precious))
    void(office, PENDING_ID, "run gone", "机要员")
    assert precious.read_text(encoding="utf-8") == "keep"


def test_a_copy_is_not_signed_for_by_the_holder_of_another_copy(office):
    """Careless clerk: 李四 is handed 王五's copy 000003 and it is recorded as signed for by
    李四, who holds 000002 of the same document. The register would show 王五's copy with 李四,
    and the paper 李四 took away traces to 王五. Refused (exit 4), naming the right 份号;
    someone holding no copy (a secretary signing for 王五) is recorded as before."""
    count = _event_count(office)
    for by in ("李四", " 李 四 ", "R2"):
        with pytest.raises(RegisterError, match="holds 份号 000002") as err:
            sign_for(office, TARGET, by, "机要员")
        assert err.value.exit_code == 4
    assert office.register.get_copy(TARGET).status == "issued" and _event_count(office) == count
    assert sign_for(office, TARGET, "王五的秘书", "机要员").status == "signed"
