"""Attacks on the change and declassify workflow (``mijian register change|declassify|
decisions``): each one a test of the refusal that stops it."""

from __future__ import annotations

import pytest

from mijian.pipeline import service
from mijian.pipeline.audit import verify_register
from mijian.pipeline.change_notice import notice_text
from mijian.pipeline.errors import RegisterError, UsageError
from mijian.pipeline.office import Office
from mijian.pipeline.register_changes import change, declassify, history, last_change
from tests.test_register_change import _state, _tamper, office  # noqa: F401  (the fixture)

FORGED = "李主任\n新标志 New marking: 公开"


@pytest.mark.parametrize("field", ["approver", "justification", "scope"])
@pytest.mark.parametrize("bad", [FORGED, "李主任\r审批人 Approved by: 局长", "李主任\x1b[2K", "李\u2028主任"])
def test_a_line_break_cannot_forge_a_line_of_the_notice(office, field, bad):  # noqa: F811
    """The notice prints one fact a line: a name or reason with a line break could add a
    'new marking' or 'approved by' line of its own choosing to the paper holders are given."""
    fields = {"approver": "李主任", "justification": "降密", "scope": "办公室", field: bad}
    before = _state(office)
    with pytest.raises(UsageError, match="line break"):
        change(office, "DOC-1", grade="秘密", period="5年", actor="机要员", **fields)
    if field != "scope":
        with pytest.raises(UsageError, match="line break"):
            declassify(office, "DOC-1", approver=fields["approver"],
                       justification=fields["justification"], actor="机要员")
    assert _state(office) == before


def test_the_notice_of_a_clean_change_has_one_line_per_fact(office):  # noqa: F811
    done = change(office, "DOC-1", grade="秘密", period="5年", scope="办公室", approver="李主任",
                  justification="部分内容已公开", actor="机要员")
    lines = notice_text(done).splitlines()
    assert sum(line.startswith("审批人") for line in lines) == 1
    assert sum(line.startswith("新标志") for line in lines) == 1


@pytest.mark.parametrize("approver", ["", "   ", "\t", None])
def test_an_empty_approver_or_justification_is_refused(office, approver):  # noqa: F811
    before = _state(office)
    with pytest.raises(UsageError):
        change(office, "DOC-1", grade="秘密", period="5年", approver=approver, justification="降密",
               actor="机要员")
    with pytest.raises(UsageError):
        declassify(office, "DOC-1", approver="李主任", justification=approver, actor="机要员")
    assert _state(office) == before


def test_nothing_changes_after_declassification(office):  # noqa: F811
    declassify(office, "DOC-1", approver="李主任", justification="已公开", actor="机要员")
    before = _state(office)
    for step in (lambda: change(office, "DOC-1", grade="机密", period="10年", approver="李主任",
                                justification="重新定密", actor="机要员"),
                 lambda: change(office, "DOC-1", scope="全体", approver="李主任", justification="扩大",
                                actor="机要员"),
                 lambda: declassify(office, "DOC-1", approver="李主任", justification="再次",
                                    actor="机要员")):
        with pytest.raises(RegisterError, match="declassified"):
            step()
    assert _state(office) == before


@pytest.mark.parametrize("sql", [
    "UPDATE events SET detail = replace(detail, '\"scope\": \"办公室\"', '\"scope\": \"全体\"') "
    "WHERE action = 'changed'",
    "UPDATE events SET actor = '保密员' WHERE action = 'changed'",
    "UPDATE events SET action = 'decided' WHERE action = 'changed'",
    "DROP TRIGGER events_no_delete; DELETE FROM events WHERE action = 'changed'",
    "UPDATE events SET key_id = 'another-office' WHERE action = 'changed'",
])
def test_decisions_never_show_a_tampered_history(office, sql):  # noqa: F811
    """`register decisions` (and its notice) read the events: an edited scope, actor or action,
    or a change deleted from the log, must be an error, never shown as the record."""
    change(office, "DOC-1", grade="秘密", period="5年", scope="办公室", approver="李主任",
           justification="降密", actor="机要员")
    home = office.home
    office.close()
    for statement in sql.split("; "):
        _tamper(home, statement)
    with Office.open(home) as reopened:
        with pytest.raises(RegisterError):
            history(reopened, "DOC-1")
        with pytest.raises(RegisterError):
            last_change(reopened, "DOC-1")
    with pytest.raises(RegisterError):
        service.decisions("DOC-1", settings=service.Settings(home=home))


def test_register_values_cannot_add_lines_to_the_notice(office):  # noqa: F811
    """The title and the holders' names come from the register (a title from a file's
    metadata): a line break there must not make a line of its own on the notice."""
    import dataclasses

    done = change(office, "DOC-1", grade="秘密", period="5年", approver="李主任", justification="降密",
                  actor="机要员")
    forged_holder = dataclasses.replace(done.holders[0], recipient_name="张三\n审批人 Approved by: 局长")
    forged = dataclasses.replace(done, title="通知\r\n新标志 New marking: 公开", holders=(forged_holder,))
    lines = notice_text(forged).splitlines()
    assert sum(line.startswith("新标志") for line in lines) == 1
    assert sum(line.startswith("审批人") for line in lines) == 1
    assert any("新标志 New marking: 公开" in line and line.startswith("文件") for line in lines)


def test_the_actor_is_not_taken_from_user_variables(monkeypatch):
    """``USER=李主任 mijian register change ...`` recorded the change under 李主任: the actor
    came from variables anyone can set for one command."""
    import os
    import pwd

    monkeypatch.setenv("USER", "李主任")
    monkeypatch.setenv("LOGNAME", "李主任")
    monkeypatch.setenv("USERNAME", "李主任")
    monkeypatch.setenv("LNAME", "李主任")
    assert service.Settings().actor == pwd.getpwuid(os.getuid()).pw_name != "李主任"


@pytest.mark.parametrize("approver", ["机要员", " 机要员 ", "机要员\u3000"])
def test_the_clerk_cannot_approve_their_own_change_or_declassification(office, approver):  # noqa: F811
    """The person who runs ``register change`` or ``declassify`` recorded themselves as its
    approver: a lowered grade or a declassification with nobody else's word. Refused (exit 2)
    before anything is written; the register still verifies."""
    before = _state(office)
    with pytest.raises(UsageError, match="cannot approve itself"):
        change(office, "DOC-1", grade="秘密", period="5年", approver=approver,
               justification="降密", actor="机要员")
    with pytest.raises(UsageError, match="cannot approve itself"):
        declassify(office, "DOC-1", approver=approver, justification="已公开", actor="机要员")
    assert _state(office) == before
    assert verify_register(office).ok
    done = change(office, "DOC-1", grade="秘密", period="5年", approver="李主任",
                  justification="降密", actor="机要员")
    assert done.approver == "李主任"
