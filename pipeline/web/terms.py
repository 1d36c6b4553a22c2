"""Chinese names of the values the pages show: copy statuses, event actions, trace verdicts,
trace layers and their findings, and account roles.

The register, the log and the API keep the English values (they are data: stored, signed and
compared); only the page shows them in words. A Chinese page shows the name here; an English
page, and any value not named here, shows the value itself. The words follow the terminal's
(``mijian register``, ``mijian trace``) and the README's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType

from mijian.pipeline.lifecycle import STATUS_ZH

ROLES_ZH: Mapping[str, str] = MappingProxyType({
    "drafter": "承办人", "authority": "定密责任人", "clerk": "机要员", "security": "保密员",
    "admin": "管理员",
})
"""Account roles (README: 承办人, 定密责任人, 机要员, 保密员)."""

ACTIONS_ZH: Mapping[str, str] = MappingProxyType({
    "decided": "定密", "changed": "变更密级", "declassified": "解密", "derived": "派生定密",
    "reproduced": "复制", "printed": "印制", "restore-acknowledged": "确认登记簿恢复",
    "reserved": "预留份号", "access": "知悉登记", "pending": "制作中", "issued": "分发",
    "signed": "签收", "returned": "清退", "destroyed": "销毁", "lost": "登记遗失", "voided": "作废",
    "unassigned": "印制待分发",
    "web.login": "登录", "web.login_failed": "登录失败", "web.lockout": "账户锁定",
    "web.logout": "退出", "web.draft": "上传草稿", "web.decision": "定密决定",
    "web.download": "下载副本", "web.download_all": "全部下载", "web.trace": "追查",
    "web.user": "添加或重置用户", "web.verify": "校验登记簿", "web.backup": "备份登记簿",
    "web.book": "修改通讯录", "web.issue": "选择收件人", "web.destroy_request": "申请销毁",
    "web.destroy_approve": "批准销毁", "web.destroy_refuse": "不批准销毁",
    "web.login_refused": "登录被拒（登记簿告警）", "web.destroy_failed": "销毁未能执行",
    "web.destroy_cancel": "销毁申请作废（账户重置）", "web.approval_refused": "审批被拒（账户关联）",
    "web.password_change": "修改口令",
    "web.view_draft": "查看草稿及发现", "web.view_copy": "查看副本登记详情", "web.view_trace": "查看追查结论",
})
"""Actions of the register's signed log (its own, and the web app's ``web.*``)."""

VERDICTS_ZH: Mapping[str, str] = MappingProxyType({
    "identified": "已查明", "indicated": "仅可见标记指向", "conflict": "证据矛盾",
    "inconclusive": "无法认定",
})
"""The four verdicts of a trace (:mod:`pipeline.trace_model`), worded as ``mijian trace``."""

LAYERS_ZH: Mapping[str, str] = MappingProxyType({
    "envelope": "数字信封", "decrypt": "解密", "register": "登记簿", "fusion": "综合判断",
    "file": "文件哈希", "metadata": "文档属性标记", "text-code": "文字编码",
    "visible-code": "可见编码", "qr-code": "二维码", "page-fingerprint": "页面指纹",
    "screen-fingerprint": "屏摄指纹", "visible-text": "可见文字", "print-run": "印制批次",
})
"""Trace layers, by the names the tracer gives them."""

FINDINGS_ZH: Mapping[str, str] = MappingProxyType({
    "match": "相符", "no match": "不相符", "valid": "有效", "invalid": "无效", "absent": "未发现",
    "not found": "未发现", "consistent": "一致", "several copies": "多份标记",
    "not examined": "未检查", "opened": "已打开", "not opened": "无法打开", "failed": "失败",
    "in doubt": "存疑", "unknown copy": "未登记的份", "sight only": "仅可见标记",
    "properties only": "仅文档属性", "too weak": "证据不足", "conflict": "矛盾",
    "handed out": "已交付", "several copies of one run": "同批多份", **STATUS_ZH,
})
"""What one layer found (a print-run layer may name a copy status)."""

KINDS: Mapping[str, Mapping[str, str]] = MappingProxyType({
    "status": STATUS_ZH, "action": ACTIONS_ZH, "verdict": VERDICTS_ZH, "layer": LAYERS_ZH,
    "finding": FINDINGS_ZH, "role": ROLES_ZH,
})
"""Each kind of value a page may name."""


def namer(lang: str) -> Callable[[str, object], str]:
    """A function naming a value of a kind (``status``, ``action``, ``verdict``, ``layer``,
    ``finding``, ``role``) in ``lang``: the Chinese name on a Chinese page, else the value."""

    def name(kind: str, value: object) -> str:
        text = "" if value is None else str(value)
        if lang != "zh":
            return text
        return KINDS[kind].get(text, text)

    return name
