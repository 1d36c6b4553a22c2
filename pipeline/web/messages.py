"""The web app's words in Chinese and English: one catalogue, key → (zh, en).

Chinese is shown when the browser's Accept-Language ranks a zh tag above any en tag (or a
``lang`` cookie says so); otherwise English. The library's own messages (errors, rationale)
are already bilingual or worded by :mod:`mijian.pipeline.wording`.
"""

from __future__ import annotations

CATALOGUE: dict[str, tuple[str, str]] = {
    "app": ("密件", "mijian"),
    "login": ("登录", "Log in"), "logout": ("退出", "Log out"),
    "name": ("用户名", "User name"), "password": ("口令", "Password"),
    "bad_login": ("用户名或口令错误", "Wrong user name or password"),
    "locked": ("失败次数过多，账户已暂时锁定", "Too many failed logins: the account is locked for a while"),
    "drafts": ("草稿", "Drafts"), "issue": ("发放", "Issue"), "register": ("登记簿", "Register"),
    "trace": ("追查", "Trace"), "users": ("用户", "Users"),
    "upload_draft": ("上传草稿（PDF、DOCX 或文本）", "Upload a draft (PDF, DOCX or text)"),
    "authority": ("定密责任人", "Classification authority"), "upload": ("上传", "Upload"),
    "no_drafts": ("没有可见的草稿", "No drafts you may see"),
    "suggested": ("建议密级", "Suggested grade"), "period": ("保密期限", "Period"),
    "basis": ("定密依据", "Basis"), "rationale": ("理由", "Rationale"),
    "confidence": ("置信度", "Confidence"), "findings": ("发现", "Findings"),
    "decide": ("定密", "Decide"), "grade": ("密级", "Grade"),
    "justification": ("降低密级的理由", "Justification for a lower grade"),
    "approver": ("批准人", "Approver"), "decided": ("已定密", "Decided"),
    "decided_by": ("定密人", "Decided by"),
    "decision_signed": ("定密决定已签名记入登记簿", "The decision is signed into the register"),
    "not_decided": ("尚未定密", "Not decided yet"),
    "recipients": ("收件人", "Recipients"), "start_issue": ("开始发放", "Issue copies"),
    "progress": ("进度", "Progress"), "copies": ("副本", "Copies"), "serial": ("份号", "Serial"),
    "recipient": ("收件人", "Recipient"), "download": ("下载", "Download"),
    "download_zip": ("全部下载（ZIP）", "Download all (ZIP)"),
    "passwords_once": ("口令只显示这一次，请立即分别告知收件人",
                       "Passwords are shown this once: pass each to its recipient now"),
    "status": ("状态", "Status"), "document": ("文件", "Document"), "search": ("搜索", "Search"),
    "outstanding": ("仅未清退", "Outstanding only"), "history": ("履历", "History"),
    "sign": ("签收", "Sign for"), "return": ("清退", "Return"), "destroy": ("销毁", "Destroy"),
    "witness": ("监销人", "Witness"), "method": ("销毁方式", "Method"),
    "lost": ("登记遗失", "Report lost"),
    "lost_note": ("遗失情况（时间、地点、经过）", "What is known (when, where, how)"),
    "address_book": ("通讯录", "Address book"), "units": ("单位", "Units"), "unit": ("单位", "Unit"),
    "members": ("成员", "Members"), "entry_id": ("编号", "ID"), "person": ("个人", "Person"), "kind": ("类型", "Kind"),
    "email": ("电子邮箱", "E-mail"), "certificate": ("证书", "Certificate"), "edit": ("修改", "Edit"),
    "remove": ("删除", "Remove"), "save": ("保存", "Save"), "add_entry": ("添加条目", "Add an entry"),
    "account_only": ("仅有账户，点此登记", "Account only: enter it"),
    "book_hint": ("选择单位即发给其全部成员；有证书的收件人的副本以其证书加密（.p7m）。",
                  "A unit gives one copy to each of its members; a recipient with a certificate gets a "
                  "copy encrypted to it (.p7m)."),
    "destructions": ("销毁审批", "Destructions"), "request_destroy": ("申请销毁", "Ask to destroy"),
    "destroy_hint": ("销毁由机要员或保密员申请（注明监销人），经另一名定密责任人、保密员或管理员登录批准后才执行。",
                     "A clerk or security officer asks (with the witness); the copy is destroyed only when "
                     "another logged-in authority, security officer or admin approves."),
    "destroy_pending": ("销毁申请待批准", "Destruction awaiting approval"),
    "requested_by": ("申请人", "Requested by"), "approve": ("批准销毁", "Approve"),
    "refuse": ("不批准", "Refuse"), "refuse_note": ("理由", "Reason"),
    "state_pending": ("待批准", "pending"), "state_approved": ("已批准并销毁", "approved, destroyed"),
    "state_refused": ("未批准", "refused"), "state_failed": ("未能执行", "failed"),
    "register_alarm": ("登记簿校验未通过：除管理员校验和备份外，一切操作已停止。",
                       "The register failed verification: everything but an admin's verify and backup is "
                       "stopped."),
    "alarm_todo": ("处理办法：管理员登录后在“登记簿维护”页校验并备份，停止 mijian，用最近的完好备份覆盖 "
                   "MIJIAN_HOME/register.db，运行 mijian register acknowledge-restore --by 姓名 --reason 原因，"
                   "再校验一次；校验通过后恢复使用。",
                   "What to do: an admin logs in, runs Verify and Back up on the Register upkeep page, stops "
                   "mijian, copies the latest sound backup over MIJIAN_HOME/register.db, runs mijian register "
                   "acknowledge-restore --by NAME --reason TEXT and verifies again; work resumes once "
                   "verify passes."),
    "unsigned": ("未能签名记录的操作", "Actions the signed log could not take"),
    "register_tools": ("登记簿维护", "Register upkeep"),
    "verify": ("校验登记簿", "Verify the register"),
    "verify_ok": ("登记簿完整，已校验事件数", "The register is intact; events verified"),
    "verify_bad": ("登记簿校验未通过", "The register failed verification"),
    "backup": ("备份登记簿", "Back up the register"),
    "backup_written": ("备份已写入", "Backup written to"),
    "restore_hint": ("恢复：停止 mijian，用备份覆盖 MIJIAN_HOME/register.db，再运行 "
                     "mijian register acknowledge-restore --by 姓名 --reason 原因",
                     "To restore: stop mijian, copy the backup over MIJIAN_HOME/register.db, then run "
                     "mijian register acknowledge-restore --by NAME --reason TEXT"),
    "events": ("事件", "Events"), "documents": ("文件", "Documents"),
    "outstanding_count": ("未清退", "Outstanding"), "scope": ("知悉范围", "Scope (who may know)"),
    "prev": ("上一页", "Previous"), "next": ("下一页", "Next"),
    "leak": ("泄露的文件、页面图像", "Leaked file or page image"),
    "pasted": ("或粘贴文本", "or pasted text"), "verdict": ("结论", "Verdict"),
    "probability": ("误配概率", "False-match probability"), "layers": ("各层证据", "Evidence by layer"),
    "trace_report": ("下载追查报告（PDF）", "Download the trace report (PDF)"),
    "where_read": ("标记在页面上的位置", "Where on the page the marks were read"),
    "drawn": ("已标出", "Drawn"), "not_drawn": ("无位置信息", "No position on the page"),
    "role": ("角色", "Role"), "add_user": ("添加用户", "Add user"),
    "reset_user": ("已有此用户时重置其角色并发给新的临时口令", "Reset the role and issue a new temporary password "
                   "if the name is taken"),
    "issued_password": ("临时口令（只显示这一次，请当面交给本人；首次登录须修改）",
                        "Temporary password (shown this once: hand it to the person; it must be changed at "
                        "the first login)"),
    "change_password": ("修改口令", "Change password"),
    "temporary_password": ("您正在使用管理员发给的临时口令：请先设置自己的口令", "You are logged in with a "
                           "temporary password an admin issued: choose your own before anything else"),
    "current_password": ("当前口令", "Current password"), "new_password": ("新口令", "New password"),
    "repeat_password": ("再次输入新口令", "New password again"),
    "state_cancelled": ("已作废", "cancelled"),
    "choose_witness": ("（选择监销人账户）", "(choose the witness's account)"),
    "done": ("完成", "Done"),
    "forbidden": ("无权执行此操作", "You may not do this"),
    "not_found": ("未找到", "Not found"), "error": ("错误", "Error"),
    "bad_csrf": ("表单已过期，请重新提交", "The form has expired; submit it again"),
    "too_large": ("文件过大", "The file is too large"),
    "bad_type": ("不支持的文件类型", "This file type is not accepted"),
    "at": ("时间", "Time"), "actor": ("操作人", "Actor"), "action": ("操作", "Action"),
    "layer": ("证据层", "Layer"), "by_layers": ("指向依据", "Layers"),
    "search_hint": ("份号 / 收件人 / 文件", "serial / recipient / document"),
    "slip_hint": ("打印本页即得口令条：每份一张，裁开后分别交付",
                  "Print this page for the password slips: one per copy, to cut apart"),
    "hand_over": ("请另行妥善交付", "Hand over separately"),
    "change_marking": ("变更密级、期限或知悉范围", "Change the grade, period or scope"),
    "declassify": ("解密", "Declassify"), "unchanged": ("不变", "unchanged"),
    "change_approver": ("审批人（定密责任人）", "Approver (classification authority)"),
    "change_justification": ("变更或解密理由", "Justification"),
    "decision_history": ("定密、变更与解密记录", "Decisions, changes and declassification"),
    "declassified_final": ("已解密（不可再变更或发放）", "declassified (final: no change or issue after)"),
    "change_hint": ("由登记人记录，经另一名定密责任人批准；须写明理由；须书面通知未清退副本的持有人。",
                    "Recorded by the register keeper on the decision of another person, a classification "
                    "authority, with a justification; holders of unreturned copies must be told in writing."),
    "declassify_hint": ("解密为最终决定：此后不能再变更或发放。",
                        "Declassification is final: the document cannot be changed or issued after it."),
    "passwords_gone": ("本次发放的口令已不再提供：口令只显示一次，且在发放结束 15 分钟后即从服务器内存中清除。"
                       "任何页面或命令都不会再次显示（登记簿以单位密钥加密保存）。收件人需要口令时，"
                       "请在登记簿页面将其副本登记清退，再向其重新发放：新副本有新的口令。",
                       "The passwords of this run are no longer available: they are shown once, and "
                       "dropped from the server's memory 15 minutes after the run ends. No page or command "
                       "shows them again (the register keeps them sealed under the office key). For a "
                       "recipient who needs theirs, record their copy as returned on the Register page, "
                       "then issue to them again: the new copy has a new password."),
}


def negotiate(accept_language: str | None, cookie: str | None = None) -> str:
    """``zh`` or ``en`` for a request: the ``lang`` cookie if valid, else the first of zh/en
    in Accept-Language by quality (ties keep the header's order), else ``en``."""
    if cookie in ("zh", "en"):
        return cookie
    ranked = []
    for i, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in ("zh", "en") and quality > 0:
            ranked.append((-quality, i, primary))
    return min(ranked)[2] if ranked else "en"


def translator(lang: str):
    """A function giving the text of a catalogue key in ``lang`` (the key itself if unknown)."""
    index = 0 if lang == "zh" else 1

    def t(key: str) -> str:
        entry = CATALOGUE.get(key)
        return entry[index] if entry else key

    return t
