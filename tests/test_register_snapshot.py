"""A copy row and the events that check it are read in one snapshot: a writer committing a
step of the copy between the two reads (another clerk's run, a sign-for at the desk) must not
make the sound row look edited."""

from __future__ import annotations

import sys
from pathlib import Path

from mijian.pipeline import lifecycle, register_reads
from mijian.pipeline.office import Office

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

from register_seed import seed


def test_a_step_committed_between_the_row_and_its_events_is_not_taken_for_an_edit(tmp_path, monkeypatch):
    home = tmp_path / "home"
    seed(home, 3, documents=1, recipients=3)
    real = register_reads.check_copy_row
    signed = []

    def check_after_another_writer(conn, keys, row):
        if not signed:  # the row is read; now another process signs for the copy and commits
            signed.append(row["copy_id"])
            with Office.open(home) as other:
                lifecycle.sign_for(other, row["copy_id"], "收件人", "机要员")
        return real(conn, keys, row)

    monkeypatch.setattr(register_reads, "check_copy_row", check_after_another_writer)
    with Office.open(home) as office:
        first = office.register.list_copies()[0]
        assert first.status == "issued"  # as read, and consistent with the events of that moment
        assert office.register.get_copy(first.copy_id).status == "signed"  # the next read sees the step
