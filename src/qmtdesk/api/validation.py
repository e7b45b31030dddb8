"""Request validation failures as messages a trader reads: the field's name and what is wrong with it.

pydantic's messages are English and sometimes internal ("Value error, …", a JSON offset as the
"field"). This table gives each error type its zh-CN text; validators that raise
:class:`~qmtdesk.domain.errors.InvalidValue` bring their own text in both languages.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from qmtdesk.domain.errors import InvalidValue

#: pydantic error type → zh-CN text; ``{name}`` placeholders come from the error's ``ctx``.
ZH_MESSAGES: dict[str, str] = {
    "missing": "必填",
    "extra_forbidden": "不允许的字段",
    "json_invalid": "不是有效的 JSON",
    "json_type": "不是有效的 JSON",
    "string_type": "应为字符串",
    "string_too_short": "长度不能少于 {min_length} 个字符",
    "string_too_long": "长度不能超过 {max_length} 个字符",
    "string_pattern_mismatch": "格式不正确",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "float_type": "应为数字",
    "float_parsing": "应为数字",
    "finite_number": "应为有限的数字",
    "decimal_type": "应为数字",
    "decimal_parsing": "应为数字",
    "decimal_max_digits": "数字位数不能超过 {max_digits} 位",
    "decimal_max_places": "小数不能超过 {decimal_places} 位",
    "decimal_whole_digits": "整数部分位数过多",
    "bool_type": "应为 true 或 false",
    "bool_parsing": "应为 true 或 false",
    "enum": "应为以下之一：{expected}",
    "literal_error": "应为以下之一：{expected}",
    "greater_than": "应大于 {gt}",
    "greater_than_equal": "不能小于 {ge}",
    "less_than": "应小于 {lt}",
    "less_than_equal": "不能大于 {le}",
    "multiple_of": "应为 {multiple_of} 的整数倍",
    "list_type": "应为数组",
    "tuple_type": "应为数组",
    "set_type": "应为数组",
    "too_short": "至少需要 {min_length} 项",
    "too_long": "最多 {max_length} 项",
    "dict_type": "应为 JSON 对象",
    "model_type": "应为 JSON 对象",
    "model_attributes_type": "应为 JSON 对象",
    "date_type": "应为日期（YYYY-MM-DD）",
    "date_parsing": "应为日期（YYYY-MM-DD）",
    "date_from_datetime_parsing": "应为日期（YYYY-MM-DD）",
    "date_from_datetime_inexact": "应为日期（YYYY-MM-DD），不含时刻",
    "datetime_type": "应为时间（ISO 8601，如 2026-11-25T10:00:00+08:00）",
    "datetime_parsing": "应为时间（ISO 8601，如 2026-11-25T10:00:00+08:00）",
    "datetime_from_date_parsing": "应为时间（ISO 8601，如 2026-11-25T10:00:00+08:00）",
    "time_type": "应为时刻（HH:MM）",
    "time_parsing": "应为时刻（HH:MM）",
    "url_parsing": "应为网址",
    "url_scheme": "网址协议不支持",
    "union_tag_invalid": "类型应为以下之一：{expected_tags}",
    "union_tag_not_found": "缺少类型字段 {discriminator}",
    "uuid_parsing": "应为 UUID",
}
#: Where a value came from, for errors that name no field (a body that is not JSON, not an object).
ZH_LOCATIONS: dict[str, str] = {"body": "请求体", "query": "查询参数", "path": "路径参数", "header": "请求头"}
_FALLBACK_ZH = "取值无效"


def field_name(loc: Sequence[Any]) -> str:
    """The dotted field path of an error location without its source (``body``/``query``/…)."""
    if len(loc) == 2 and loc[0] == "body" and isinstance(loc[1], int):
        return ""  # a JSON syntax error: pydantic puts the character offset here, not a field
    return ".".join(str(p) for p in loc[1:])


def error_message(err: Mapping[str, Any], lang: str) -> str:
    """One error's text in ``lang``: the validator's own words, the table's, or pydantic's (English)."""
    ctx = err.get("ctx") or {}
    cause = ctx.get("error")
    if isinstance(cause, InvalidValue):
        return cause.message(lang)
    if lang.startswith("en"):
        msg = str(err.get("msg", ""))
        return msg.removeprefix("Value error, ")
    template = ZH_MESSAGES.get(str(err.get("type", "")))
    if template is None:
        return _FALLBACK_ZH
    try:
        return template.format(**{k: _plain(v) for k, v in ctx.items()})
    except (KeyError, IndexError, ValueError):
        return template.split("{")[0].rstrip("：: ") or _FALLBACK_ZH


def _plain(value: Any) -> str:
    # pydantic quotes enum choices ("'buy' or 'sell'"); keep them, but in Chinese punctuation.
    return str(value).replace("' or '", "'、'")


def describe(errors: Sequence[Mapping[str, Any]], lang: str) -> tuple[str, list[dict[str, Any]]]:
    """The envelope's message and its ``fields`` list for a set of validation errors."""
    fields = []
    for err in errors:
        loc = tuple(err.get("loc", ()))
        location = str(loc[0]) if loc else ""
        name = field_name(loc)
        fields.append(
            {
                "field": name,
                "location": location,
                "message": error_message(err, lang),
                "type": err.get("type", ""),
            }
        )
    if lang.startswith("en"):
        parts = [f"{f['field'] or f['location']} ({f['message']})" for f in fields]
        return "Invalid request: " + "; ".join(parts), fields
    parts = [f"{f['field'] or ZH_LOCATIONS.get(f['location'], f['location'])}（{f['message']}）" for f in fields]
    return "请求参数有误：" + "；".join(parts), fields
